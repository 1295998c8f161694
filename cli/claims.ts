// The commands that change the stack file: claim, release, redeploy, extend. Each picks the slot,
// refuses what the slot rules forbid with a sentence naming who and what is in the way, and leaves
// the field-level rules to the program's validator, which judges the whole edited file.

import { slotLayout } from "../components/catalogue";
import { Claim, DEFAULTS, Settings } from "../components/settings";
import { branchProblem } from "../components/validation";
import { parseCommand, slotArgument } from "./args";
import { claimsOf, diffClaims } from "./diff";
import { branchHead } from "./git";
import { CLAIM_HELP, EXTEND_HELP, REDEPLOY_HELP, RELEASE_HELP } from "./help";
import { Io, UsageError, UserError } from "./io";
import { Edited, Stack, editStack, readStack, requireSettings } from "./stack";
import { FieldValue, insertClaim, quoteCommit, removeClaim, setClaimField } from "./yamlEdit";

function id(slot: number): string {
    return `staging-${slot}`;
}

function holding(slot: number, c: Claim): string {
    return `${id(slot)} (${c.owner} for ${c.task}, ${c.branch}, since ${c.claimedAt})`;
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the form validation accepts. */
export function timestamp(d: Date): string {
    return `${d.toISOString().slice(0, 19)}Z`;
}

/** Chooses the slot for a new claim, or throws a UserError saying what is in the way. */
export function chooseSlot(settings: Settings, request: { task: string; pool: string; slot?: number }): number {
    const { claims, pools, slotCount } = settings;
    for (const [slot, c] of claims) {
        if (c.task === request.task) {
            throw new UserError([
                `task ${request.task} already holds ${holding(slot, c)}; one slot per task: redeploy it (slots redeploy ${slot}) or release it first (slots release ${slot})`,
            ]);
        }
    }
    if (!Object.hasOwn(pools, request.pool)) {
        throw new UserError([`pool "${request.pool}" is not defined; the pools are ${Object.keys(pools).join(", ")}`]);
    }
    const members = pools[request.pool];
    if (request.slot !== undefined) {
        const slot = request.slot;
        if (slot > slotCount) throw new UserError([`there is no ${id(slot)}: this stack has ${slotCount} slots (1 to ${slotCount})`]);
        const held = claims.get(slot);
        if (held) {
            throw new UserError([`${id(slot)} is held by ${held.owner} for ${held.task} (${held.branch}, since ${held.claimedAt}); pick another slot, or leave --slot out to take the lowest free one`]);
        }
        if (!members.includes(slot)) {
            const owners = Object.entries(pools).filter(([, s]) => s.includes(slot)).map(([p]) => p);
            const reservedFor = owners.length > 0 ? `it is reserved for pool ${owners.join(", ")} (claim it with --pool ${owners[0]})` : "it is in no pool, so nobody can claim it";
            throw new UserError([`${id(slot)} is not in pool ${request.pool} (slots ${members.join(", ")}); ${reservedFor}`]);
        }
        return slot;
    }
    const free = members.find((s) => !claims.has(s));
    if (free === undefined) {
        throw new UserError([
            `pool ${request.pool} has no free slot; ask a holder whether they are done (slots release N frees one):`,
            ...members.map((s) => {
                const c = claims.get(s) as Claim;
                return `  ${id(s)}: ${c.owner} for ${c.task}, ${c.branch}, since ${c.claimedAt}${c.longRunning ? ` (long-running: ${c.longRunning})` : ""}`;
            }),
        ]);
    }
    return free;
}

function nextStep(name: string): string {
    return `Next: commit ${name} and open a pull request; the preview shows the change, and pulumi up after the merge makes it real.`;
}

function report(io: Io, edited: Edited<unknown>, lead: string): void {
    const changes = diffClaims(edited.before.raw, edited.after.raw);
    io.stdout(`${[lead, ...changes.map((c) => `  ${c.summary}`), nextStep(edited.before.name)].join("\n")}\n`);
}

/** `slots claim`. */
export async function claimCommand(argv: readonly string[], io: Io): Promise<number> {
    const options = {
        task: { type: "string" },
        owner: { type: "string" },
        branch: { type: "string" },
        commit: { type: "string" },
        slot: { type: "string" },
        pool: { type: "string" },
        purpose: { type: "string" },
        "long-running": { type: "string" },
    } as const;
    const args = parseCommand(argv, options, CLAIM_HELP, 0);
    if (args.help) {
        io.stdout(CLAIM_HELP);
        return 0;
    }
    const missing = ["task", "owner", "branch"].filter((o) => args.string(o) === undefined);
    if (missing.length > 0) throw new UsageError(`missing ${missing.map((o) => `--${o}`).join(", ")}`, CLAIM_HELP);
    const task = args.string("task") as string;
    const owner = args.string("owner") as string;
    const branch = args.string("branch") as string;
    const pool = args.string("pool") ?? DEFAULTS.pool;
    const requested = args.string("slot");
    const slot = requested === undefined ? undefined : slotArgument(requested, CLAIM_HELP);

    let commit = args.string("commit");
    if (commit === undefined) {
        // Ask the repository before taking the lock: the network may be slow, the edit is not.
        const why = branchProblem(branch);
        if (why) throw new UserError([`branch "${branch}" ${why}`]);
        const settings = requireSettings(readStack(io, args.stack), "claim a slot");
        commit = await branchHead(io, settings.repository, branch);
    }
    const values: Record<string, FieldValue> = { owner, task, branch, commit, claimedAt: timestamp(io.now()) };
    const purpose = args.string("purpose");
    const longRunning = args.string("long-running");
    if (purpose !== undefined) values.purpose = purpose;
    if (pool !== DEFAULTS.pool) values.pool = pool;
    if (longRunning !== undefined) values.longRunning = longRunning;

    const edited = await editStack(io, args.stack, (current: Stack) => {
        const settings = requireSettings(current, "claim a slot");
        const chosen = chooseSlot(settings, { task, pool, ...(slot === undefined ? {} : { slot }) });
        insertClaim(current.doc, chosen, values);
        return { slot: chosen, outcome: chosen };
    });
    const url = edited.after.result.settings ? slotLayout(edited.outcome, edited.after.result.settings.domain).url : "";
    report(io, edited, `Claimed ${id(edited.outcome)} for ${task}${url ? `: ${url}` : ""}`);
    return 0;
}

/** `slots release`. */
export async function releaseCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { task: { type: "string" } }, RELEASE_HELP, 1);
    if (args.help) {
        io.stdout(RELEASE_HELP);
        return 0;
    }
    const task = args.string("task");
    if (task !== undefined && args.positionals.length > 0) throw new UsageError("give a slot number or --task, not both", RELEASE_HELP);
    const slot = task === undefined ? slotArgument(args.positionals[0], RELEASE_HELP) : undefined;
    const edited = await editStack(io, args.stack, (current: Stack) => {
        const claims = claimsOf(current.raw);
        let target = slot;
        if (task !== undefined) {
            target = [...claims].find(([, c]) => c.task === task)?.[0];
            if (target === undefined) throw new UserError([`no slot is held for task ${task}; slots list shows who holds what`]);
        }
        const chosen = target as number;
        if (!claims.has(chosen)) throw new UserError([`${id(chosen)} is not claimed; nothing to release`]);
        removeClaim(current.doc, chosen);
        return { slot: chosen, outcome: chosen };
    });
    report(io, edited, `Released ${id(edited.outcome)}; its database is kept.`);
    return 0;
}

/** `slots redeploy N`. */
export async function redeployCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, {}, REDEPLOY_HELP, 1);
    if (args.help) {
        io.stdout(REDEPLOY_HELP);
        return 0;
    }
    const slot = slotArgument(args.positionals[0], REDEPLOY_HELP);
    const edited = await editStack(io, args.stack, (current: Stack) => {
        const claim = claimsOf(current.raw).get(slot);
        if (!claim) throw new UserError([`${id(slot)} is not claimed; claim it first (slots claim --slot ${slot} …)`]);
        const count = claim.redeploy ?? 0;
        if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
            throw new UserError([`${id(slot)} redeploy is ${JSON.stringify(count)}, not a whole number; fix it by hand (slots check)`]);
        }
        setClaimField(current.doc, slot, "redeploy", count + 1);
        quoteCommit(current.doc, slot);
        return { slot, outcome: count + 1 };
    });
    report(io, edited, `${id(slot)} will be deployed again (redeploy ${edited.outcome}).`);
    return 0;
}

/** `slots extend N --long-running NOTE`. */
export async function extendCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { "long-running": { type: "string" } }, EXTEND_HELP, 1);
    if (args.help) {
        io.stdout(EXTEND_HELP);
        return 0;
    }
    const slot = slotArgument(args.positionals[0], EXTEND_HELP);
    const note = args.string("long-running");
    if (note === undefined) throw new UsageError("missing --long-running NOTE: say why the claim stays", EXTEND_HELP);
    const edited = await editStack(io, args.stack, (current: Stack) => {
        if (!claimsOf(current.raw).has(slot)) throw new UserError([`${id(slot)} is not claimed; nothing to extend`]);
        setClaimField(current.doc, slot, "longRunning", note);
        quoteCommit(current.doc, slot);
        return { slot, outcome: slot };
    });
    report(io, edited, `${id(slot)} may stay claimed past ${DEFAULTS.staleAfterHours} hours.`);
    return 0;
}

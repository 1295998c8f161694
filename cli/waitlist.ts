// The waitlist's rules as the `slots` command applies them: who is next for a freed slot, what a
// release with promotion writes, and the commands that only touch the queue or act on expiry
// (unwait, expire). The planning is pure; branch heads are asked before the stack file is locked
// and handed in, because the network may be slow and the edit must not be.

import { slotLayout } from "../components/catalogue";
import { newClaimExpiry, utcTimestamp } from "../components/expiry";
import { Claim, DEFAULTS, Settings } from "../components/settings";
import { parseTimestamp, staleness, taskKey } from "../components/validation";
import { parseCommand } from "./args";
import { branchHead, BranchGone } from "./git";
import { EXPIRE_HELP, UNWAIT_HELP } from "./help";
import { Io, UsageError, UserError } from "./io";
import { Promotion, ReleasePlan, planRelease, tryPlan } from "./queue";
import { Edited, Stack, editStack, readStack, requireSettings } from "./stack";
import { FieldValue, insertClaim, removeClaim, removeWaiters } from "./yamlEdit";

/**
 * Asks the repository for the branch heads the release of `slots` needs: only of the waiters in
 * line for a freed slot, one at a time in queue order (a waiter whose branch is gone makes the
 * next one in line).
 */
export async function askHeads(io: Io, settings: Settings, slots: readonly number[], otherwise = "Release without promoting with --no-promote."): Promise<Map<string, string | null>> {
    const heads = new Map<string, string | null>();
    for (;;) {
        const w = tryPlan(settings, slots, (e) => heads.get(e.task), true).needs;
        if (w === undefined) return heads;
        try {
            heads.set(w.task, await branchHead(io, settings.repository, w.branch));
        } catch (e) {
            if (e instanceof BranchGone) heads.set(w.task, null);
            else if (e instanceof UserError) throw new UserError([...e.lines.map((l) => `${l} (to promote ${w.task} from the waitlist)`), otherwise]);
            else throw e;
        }
    }
}

/** The claim a promoted waiter gets, as the fields `slots` writes. */
export function promotedClaim(p: Promotion, now: Date, maxClaimHours: number | undefined): Record<string, FieldValue> {
    const values: Record<string, FieldValue> = { owner: p.entry.owner, task: p.entry.task, branch: p.entry.branch, commit: p.commit, claimedAt: utcTimestamp(now) };
    if (p.entry.purpose) values.purpose = p.entry.purpose;
    if (p.entry.pool !== DEFAULTS.pool) values.pool = p.entry.pool;
    const expiresAt = newClaimExpiry(now, undefined, maxClaimHours);
    if (expiresAt) values.expiresAt = expiresAt;
    return values;
}

/** Writes `plan` into the stack document being edited. */
export function applyRelease(current: Stack, settings: Settings, plan: ReleasePlan, now: Date): void {
    for (const slot of plan.released) removeClaim(current.doc, slot);
    for (const p of plan.promotions) insertClaim(current.doc, p.slot, promotedClaim(p, now, settings.maxClaimHours));
    removeWaiters(current.doc, plan.promotions.map((p) => p.index));
}

/** The lines saying what a plan did to the queue. */
export function queueLines(plan: ReleasePlan): string[] {
    return [
        ...plan.promotions.map((p) => `Promoted ${p.entry.task} (${p.entry.owner}) from the waitlist into ${slotLayout(p.slot, "x").identifier}: ${p.entry.branch} @ ${p.commit.slice(0, 7)}`),
        ...plan.skipped.map((s) => `Skipped ${s.entry.task} (${s.entry.owner}) for ${slotLayout(s.slot, "x").identifier}: ${s.reason}; it stays queued (slots unwait --task ${s.entry.task} leaves the queue)`),
    ];
}

/**
 * Releases the slots `chosen` picks from the stack file, with promotion: asks the heads it may
 * need, then edits the file under its lock, re-planning on the fresh file. A file with problems
 * only loses the chosen claims (releasing a broken claim is how it gets fixed).
 */
export async function releaseWithPromotion(
    io: Io,
    stackName: string,
    promote: boolean,
    chosen: (current: Stack) => number[],
): Promise<{ plan: ReleasePlan; edited: Edited<ReleasePlan> }> {
    const first = readStack(io, stackName);
    // A file with a problem can still lose the claim that has it; nobody is promoted from it.
    const firstSettings = first.result.settings;
    const heads = promote && firstSettings ? await askHeads(io, firstSettings, chosen(first)) : new Map<string, string | null>();
    const edited = await editStack(io, stackName, (current: Stack) => {
        const settings = current.result.settings;
        const slots = chosen(current);
        if (!settings) {
            for (const slot of slots) removeClaim(current.doc, slot);
            return { slot: slots, outcome: { released: [...slots].sort((a, b) => a - b), promotions: [], skipped: [] } };
        }
        const plan = planRelease(settings, slots, heads, promote);
        applyRelease(current, settings, plan, io.now());
        return { slot: plan.released, waitlist: plan.promotions.length > 0, outcome: plan };
    });
    return { plan: edited.outcome, edited };
}

/** `slots unwait --task T`. */
export async function unwaitCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { task: { type: "string" } }, UNWAIT_HELP, 0);
    if (args.help) {
        io.stdout(UNWAIT_HELP);
        return 0;
    }
    const task = args.string("task");
    if (task === undefined) throw new UsageError("missing --task: the task whose waitlist entry to remove", UNWAIT_HELP);
    const edited = await editStack(io, args.stack, (current: Stack) => {
        const settings = requireSettings(current, "leave the waitlist");
        const index = settings.waitlist.findIndex((w) => taskKey(w.task) === taskKey(task));
        if (index < 0) throw new UserError([`task ${task} is not on the waitlist; slots list shows the queue`]);
        removeWaiters(current.doc, [index]);
        return { slot: [], waitlist: true, outcome: settings.waitlist[index] };
    });
    io.stdout(`${edited.outcome.task} (${edited.outcome.owner}) left the waitlist of pool ${edited.outcome.pool}.\nNext: commit ${edited.before.name} and open a pull request; the waitlist changes no resource.\n`);
    return 0;
}

/** The claims past their expiry at `now`, in slot order. */
export function expiredClaims(settings: Settings, now: Date): Array<[number, Claim]> {
    return [...settings.claims].filter(([, c]) => staleness(c, now) === "expired").sort(([a], [b]) => a - b);
}

/** `slots expire [--now T]`. */
export async function expireCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { now: { type: "string" }, "no-promote": { type: "boolean" } }, EXPIRE_HELP, 0);
    if (args.help) {
        io.stdout(EXPIRE_HELP);
        return 0;
    }
    const nowText = args.string("now");
    const now = nowText === undefined ? io.now() : parseTimestamp(nowText);
    if (!now) throw new UsageError(`--now "${nowText}" is not a UTC time like 2026-11-30T18:00:00Z`, EXPIRE_HELP);
    const settings = requireSettings(readStack(io, args.stack), "expire claims");
    if (expiredClaims(settings, now).length === 0) {
        io.stdout(`No claim has expired at ${utcTimestamp(now)}; nothing to release.\n`);
        return 0;
    }
    let expired: Array<[number, Claim]> = [];
    const { plan, edited } = await releaseWithPromotion(io, args.stack, !args.flag("no-promote"), (current) => {
        expired = expiredClaims(requireSettings(current, "expire claims"), now);
        return expired.map(([slot]) => slot);
    });
    const lines = [
        ...expired.map(([slot, c]) => `Released ${slotLayout(slot, "x").identifier}: ${c.owner} for ${c.task} expired at ${c.expiresAt}`),
        ...queueLines(plan),
        `Next: commit ${edited.before.name} and open a pull request ("Release expired staging slots"); pulumi up after the merge makes it real.`,
    ];
    io.stdout(`${lines.join("\n")}\n`);
    return 0;
}

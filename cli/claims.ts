// The commands that change the stack file: claim, repoint, release, promote, redeploy, extend. Each picks the slot,
// refuses what the slot rules forbid with a sentence naming who and what is in the way, and leaves
// the field-level rules to the program's validator, which judges the whole edited file.

import { writeFileSync } from "node:fs";

import { slotLayout } from "../components/catalogue";
import { newClaimExpiry, utcTimestamp } from "../components/expiry";
import { Claim, DEFAULTS, Settings, WaitEntry } from "../components/settings";
import { branchProblem, parseTimestamp, taskKey } from "../components/validation";
import { stackFilePath } from "../offline/stackFile";
import { Args, parseCommand, slotArgument } from "./args";
import { BaseClaims, claimsAt } from "./base";
import { verifyCommit } from "./commits";
import { RawClaim, claimsOf, diffClaims } from "./diff";
import { branchHead } from "./git";
import { CLAIM_HELP, EXTEND_HELP, PROMOTE_HELP, REDEPLOY_HELP, RELEASE_HELP, REPOINT_HELP } from "./help";
import { Io, UsageError, UserError } from "./io";
import { checkPullRequest, editBranch, openPullRequest } from "./pullRequest";
import { Edited, Stack, editStack, readStack, requireSettings } from "./stack";
import { freeSlotsOf, owedSlots, planRelease, promotableSlots, waitersAhead, waitingFor } from "./queue";
import { applyRelease, askHeads, queueLines, releaseWithPromotion } from "./waitlist";
import { FieldValue, appendWaiter, insertClaim, quoteCommit, removeWaiters, setClaimField } from "./yamlEdit";

function id(slot: number): string {
    return `staging-${slot}`;
}

function holding(slot: number, c: Claim): string {
    return `${id(slot)} (${c.owner} for ${c.task}, ${c.branch}, since ${c.claimedAt})`;
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the form validation accepts. */
export const timestamp = utcTimestamp;

function heldAtBase(base: BaseClaims | undefined, slot: number): string | undefined {
    const c = base?.claims.get(slot);
    return c && base ? `${id(slot)} is held on ${base.rev} by ${String(c.owner)} for ${String(c.task)} (${String(c.branch)}, since ${String(c.claimedAt)})` : undefined;
}

/** The slot whose claim is for `task` (in any case), or undefined. */
export function slotOfTask(claims: ReadonlyMap<number, RawClaim>, task: string): number | undefined {
    return [...claims].find(([, c]) => typeof c.task === "string" && taskKey(c.task) === taskKey(task))?.[0];
}

type SlotRequest = { task: string; pool: string; slot?: number; aheadOfQueue?: boolean };

/**
 * Where a request stands with the queue. The queue goes first: the free slots of the pool that
 * a promotion would give to the tasks waiting ahead (owedSlots, so overlapping pools count as
 * `slots promote` and `release` fill them) are theirs; the rest are anybody's.
 */
/** The pool has no slot this request may take (all held, or owed to the queue ahead): --wait would queue it. */
export class NoSlotForRequest extends UserError {}

interface QueueStanding {
    /** The pool's free slots. */
    readonly free: number[];
    /** Those nobody waiting ahead is owed. */
    readonly available: number[];
    /** Slot → the waiter ahead it is owed to. */
    readonly owed: Map<number, WaitEntry>;
}

function queueStanding(settings: Settings, request: SlotRequest, base: BaseClaims | undefined): QueueStanding {
    const free = freeSlotsOf(settings, request.pool, base);
    const owed = owedSlots(settings, waitersAhead(settings, request.task), base);
    return { free, available: free.filter((s) => !owed.has(s)), owed };
}

/** Whether the request finds no slot it may take: every slot is held, or the queue ahead is owed every free one. */
function noSlotFor(settings: Settings, request: SlotRequest, base: BaseClaims | undefined): boolean {
    const { free, available } = queueStanding(settings, request, base);
    return free.length === 0 || (request.aheadOfQueue !== true && available.length === 0);
}

/** The waiter ahead of the request that `slot` is owed to, or undefined when the slot is nobody's in particular. */
function owedTo(settings: Settings, request: SlotRequest, base: BaseClaims | undefined, slot: number): WaitEntry | undefined {
    return queueStanding(settings, request, base).owed.get(slot);
}

/** Refuses a claim of a free slot that the tasks waiting ahead are owed (none with --ahead-of-queue). */
function refuseQueueJump(settings: Settings, request: SlotRequest, { free, available, owed }: QueueStanding): void {
    if (request.aheadOfQueue === true) return;
    const unwait = "a waiter whose branch is gone stays queued until slots unwait --task T";
    const last = (queue: string): string => `slots promote moves the waiters into the free slots (${unwait}); ${queue} to queue behind them; or, for what cannot wait, claim anyway with --ahead-of-queue and say why in the pull request`;
    if (request.slot !== undefined) {
        const w = owed.get(request.slot);
        if (!w) return;
        if (available.length > 0) {
            throw new UserError([
                `${id(request.slot)} is owed to ${w.task} (${w.owner}, ${w.branch}), waiting for pool ${w.pool} since ${w.requestedAt}; the queue goes first. Free for you: ${available.map(id).join(", ")} (leave out --slot to take the lowest)`,
            ]);
        }
    } else if (available.length > 0) {
        return;
    }
    const waiters = [...new Set(free.map((s) => owed.get(s)).filter((w): w is WaitEntry => w !== undefined))];
    const ahead = waitersAhead(settings, request.task).filter((w) => w.pool === request.pool || waiters.includes(w));
    const slots = `${free.length} free slot${free.length === 1 ? "" : "s"} (${free.map(id).join(", ")})`;
    throw new NoSlotForRequest([
        `pool ${request.pool} has ${slots} and ${ahead.length} task${ahead.length === 1 ? "" : "s"} waiting for ${free.length === 1 ? "it" : "them"} ahead of you; the queue goes first:`,
        ...ahead.map((w, i) => `  ${i + 1}. ${w.task} (${w.owner}, ${w.branch}), waiting${w.pool === request.pool ? "" : ` for pool ${w.pool}`} since ${w.requestedAt}`),
        last(request.slot === undefined ? "add --wait" : "leave out --slot and add --wait"),
    ]);
}

/**
 * Chooses the slot for a new claim, or throws a UserError saying what is in the way. A slot held
 * at `base` (the base branch's stack file) counts as held too, so claims made in two pull
 * requests do not both take the same slot.
 */
export function chooseSlot(settings: Settings, request: SlotRequest, base?: BaseClaims): number {
    const { claims, pools, slotCount } = settings;
    for (const [slot, c] of claims) {
        if (taskKey(c.task) === taskKey(request.task)) {
            throw new UserError([
                `task ${request.task} already holds ${holding(slot, c)}; one slot per task: re-point it (slots repoint ${slot} --branch B), redeploy it (slots redeploy ${slot}) or release it first (slots release ${slot})`,
            ]);
        }
    }
    const atBase = base ? slotOfTask(base.claims, request.task) : undefined;
    if (base && atBase !== undefined && !claims.has(atBase)) {
        throw new UserError([`task ${request.task} already holds ${id(atBase)} on ${base.rev}; one slot per task: update your branch (git pull) and re-point it (slots repoint ${atBase})`]);
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
        const elsewhere = heldAtBase(base, slot);
        if (elsewhere) throw new UserError([`${elsewhere}; pick another slot, or leave --slot out to take the lowest free one`]);
        if (!members.includes(slot)) {
            const owners = Object.entries(pools).filter(([, s]) => s.includes(slot)).map(([p]) => p);
            const reservedFor = owners.length > 0 ? `it is reserved for pool ${owners.join(", ")} (claim it with --pool ${owners[0]})` : "it is in no pool, so nobody can claim it";
            throw new UserError([`${id(slot)} is not in pool ${request.pool} (slots ${members.join(", ")}); ${reservedFor}`]);
        }
        refuseQueueJump(settings, request, queueStanding(settings, request, base));
        return slot;
    }
    const standing = queueStanding(settings, request, base);
    if (standing.free.length > 0) {
        refuseQueueJump(settings, request, standing);
        // The lowest slot nobody ahead is owed; with --ahead-of-queue, an owed one only when no other is free.
        return standing.available[0] ?? standing.free[0];
    }
    const ahead = waitingFor(settings, request.pool);
    throw new NoSlotForRequest([
        `pool ${request.pool} has no free slot; add --wait to queue; ${ahead} ahead of you. Or ask a holder whether they are done (slots release N frees one):`,
        ...members.map((s) => {
            const c = claims.get(s);
            if (!c) return `  ${heldAtBase(base, s) ?? id(s)}`;
            return `  ${id(s)}: ${c.owner} for ${c.task}, ${c.branch}, since ${c.claimedAt}${c.longRunning ? ` (long-running: ${c.longRunning})` : ""}`;
        }),
    ]);
}

function nextStep(name: string): string {
    return `Next: commit ${name} and open a pull request; the preview shows the change, and pulumi up after the merge makes it real.`;
}

function report(io: Io, edited: Edited<unknown>, lead: string, pr = false): void {
    const changes = diffClaims(edited.before.raw, edited.after.raw);
    io.stdout(`${[lead, ...changes.map((c) => `  ${c.summary}`), ...(pr ? [] : [nextStep(edited.before.name)])].join("\n")}\n`);
}

/** The --pr option every editing command takes. */
const PR_OPTION = { pr: { type: "boolean" } } as const;

/** Before the edit: with --pr, refuses what would make the pull request wrong; returns its branch. */
async function prepareEdit(io: Io, args: Args, action: string, subject: string): Promise<string | undefined> {
    if (!args.flag("pr")) return undefined;
    const branch = editBranch(action, subject);
    await checkPullRequest(io, { repoDir: io.cwd, file: stackFile(io, args), branch });
    return branch;
}

function stackFile(io: Io, args: Args): string {
    try {
        return stackFilePath(io.cwd, args.stack);
    } catch (e) {
        throw new UserError([(e as Error).message]);
    }
}

/** The pull request body for an edit: one line per slot it changes, then who opened it and what happens next. */
export function describeEdit(edited: Edited<unknown>, openedWith: string): string {
    const changes = diffClaims(edited.before.raw, edited.after.raw);
    return [...changes.map((c) => `- ${c.summary}`), "", `${openedWith} After the merge, \`pulumi up\` makes it real; the review reads the preview.`].join("\n");
}

/**
 * After the edit: reports it, and with --pr commits it on its own branch, pushes it, opens the
 * pull request (or prints the commands that do) and puts the working tree's stack file back as
 * committed, since the edit now lives on that branch.
 */
async function finishEdit(io: Io, edited: Edited<unknown>, lead: string, pr: string | undefined, message: string): Promise<void> {
    report(io, edited, lead, pr !== undefined);
    if (pr === undefined) return;
    if (edited.after.text === edited.before.text) {
        io.stdout(`${edited.before.name} is unchanged; no pull request to open.\n`);
        return;
    }
    const description = describeEdit(edited, "Opened with `slots`.");
    const result = await openPullRequest(io, { repoDir: io.cwd, file: edited.before.file, branch: pr, message, description });
    writeFileSync(edited.before.file, edited.before.text);
    const lines = [`Committed on branch ${result.branch} (${result.commit.slice(0, 7)}): ${message}`];
    if (result.url) lines.push(`Pull request: ${result.url}`);
    if (result.note) lines.push(`${result.pushed ? `Pushed ${result.branch}, but ` : ""}${result.note}; run:`, ...result.commands.map((c) => `  ${c}`));
    lines.push(`${edited.before.name} in this checkout is back as committed; the edit lives on ${result.branch} until the pull request merges.`);
    io.stdout(`${lines.join("\n")}\n`);
}

/** The claim's slot for `slot` or `--task` (in any case); a UserError when the task holds none. */
function targetSlot(stack: Stack, slot: number | undefined, task: string | undefined): number {
    if (task === undefined) return slot as number;
    const found = slotOfTask(claimsOf(stack.raw), task);
    if (found === undefined) throw new UserError([`no slot is held for task ${task}; slots list shows who holds what`]);
    return found;
}

/** A slot number or --task, not both, not neither. */
function slotOrTask(args: Args, usage: string): { slot?: number; task?: string } {
    const task = args.string("task");
    if (task !== undefined && args.positionals.length > 0) throw new UsageError("give a slot number or --task, not both", usage);
    return task === undefined ? { slot: slotArgument(args.positionals[0], usage) } : { task };
}

/** A commit given on the command line, checked against the repository and `branch`; warns when it cannot ask. */
async function givenCommit(io: Io, settings: Settings, commit: string, branch: string): Promise<string> {
    const checked = await verifyCommit(io, settings.repository, commit, branch, "--commit");
    if (checked.warning) io.stderr(`${checked.warning}\n`);
    return checked.commit;
}

/** What a claim asks for, as `slots claim` and the dashboard take it. */
export interface ClaimRequest {
    readonly task: string;
    readonly owner: string;
    readonly branch: string;
    /** As given (full or short SHA); the branch's head in the repository when absent. */
    readonly commit?: string;
    readonly pool: string;
    /** The slot to take; the lowest free slot of the pool when absent. */
    readonly slot?: number;
    readonly purpose?: string;
    readonly longRunning?: string;
    /** When the claim ends (`YYYY-MM-DDTHH:MM:SSZ`); bounded by maxClaimHours, which applies when absent. */
    readonly until?: string;
    /** Join the pool's waitlist when the pool is full, instead of being refused. */
    readonly wait?: boolean;
    /** Take a free slot that the pool's waiters are owed (the pull request says why). */
    readonly aheadOfQueue?: boolean;
}

/** A claim ready to be written: its fields, and the base branch's claims it is chosen against. */
export interface PreparedClaim {
    readonly request: ClaimRequest;
    readonly values: Readonly<Record<string, FieldValue>>;
    readonly base: BaseClaims | undefined;
    /** The pool was full and the request waits: the edit queues it (applyWait) instead. */
    readonly queue: boolean;
}

/**
 * What `slots claim` asks before taking the lock (the network may be slow, the edit is not): the
 * branch name, the commit (the branch's head, or the given one checked against the repository;
 * warnings go to io.stderr) and the claims at the base branch (`baseRev`, default origin/main).
 */
export async function prepareClaim(io: Io, stack: string, request: ClaimRequest, baseRev?: string): Promise<PreparedClaim> {
    const why = branchProblem(request.branch);
    if (why) throw new UserError([`branch "${request.branch}" ${why}`]);
    const current = readStack(io, stack);
    const settings = requireSettings(current, "claim a slot");
    // The caller's environment, so the dashboard's git settings reach this git too.
    const base = await claimsAt(current, io.cwd, baseRev, io.now(), io.env);
    // A waiter without a commit gets its branch head when it is promoted, not today.
    const queue = request.wait === true && noSlotFor(settings, request, base);
    const given = request.commit === undefined ? undefined : await givenCommit(io, settings, request.commit, request.branch);
    const commit = given ?? (queue ? undefined : await branchHead(io, settings.repository, request.branch));
    let expiresAt: string | undefined;
    try {
        expiresAt = newClaimExpiry(io.now(), request.until, settings.maxClaimHours);
    } catch (e) {
        throw new UserError([(e as Error).message]);
    }
    const values: Record<string, FieldValue> = { owner: request.owner, task: request.task, branch: request.branch, ...(commit ? { commit } : {}), claimedAt: timestamp(io.now()) };
    if (request.purpose !== undefined) values.purpose = request.purpose;
    if (request.pool !== DEFAULTS.pool) values.pool = request.pool;
    if (request.longRunning !== undefined) values.longRunning = request.longRunning;
    if (expiresAt !== undefined) values.expiresAt = expiresAt;
    return { request, values, base, queue };
}

/**
 * Chooses the slot for a prepared claim against `current` (a UserError says what is in the way).
 * `view` lets a caller count more slots as held than the file shows (the dashboard adds claims
 * still waiting for review) and refuse before the slot is chosen.
 */
export function claimSlot(current: Stack, claim: PreparedClaim, view: (s: Settings) => Settings = (s) => s): number {
    const { task, pool, slot, aheadOfQueue } = claim.request;
    return chooseSlot(view(requireSettings(current, "claim a slot")), { task, pool, ...(slot === undefined ? {} : { slot }), ...(aheadOfQueue ? { aheadOfQueue } : {}) }, claim.base);
}

/** The claim edit, for editStack: chooses the slot in the fresh file and writes the claim there. */
export function applyClaim(fresh: Stack, claim: PreparedClaim, view?: (s: Settings) => Settings): { slot: number; waitlist: boolean; outcome: number } {
    const chosen = claimSlot(fresh, claim, view);
    if (claim.values.commit === undefined) throw new UserError([`a slot of pool ${claim.request.pool} became free while the command ran; run it again`]);
    insertClaim(fresh.doc, chosen, claim.values);
    // A waiting task that finds a free slot leaves the queue in the same edit.
    const waiting = requireSettings(fresh, "claim a slot").waitlist.findIndex((w) => taskKey(w.task) === taskKey(claim.request.task));
    if (waiting >= 0) removeWaiters(fresh.doc, [waiting]);
    return { slot: chosen, waitlist: waiting >= 0, outcome: chosen };
}

/**
 * The queue edit, for editStack: appends the prepared claim to the waitlist as an entry queued
 * at `now`; its outcome is the entry's position among its pool's waiters. Refuses a task that
 * holds a slot or already waits, and a pool that has a free slot again (`view` may count more
 * slots as held, as for claimSlot).
 */
export function applyWait(fresh: Stack, claim: PreparedClaim, now: Date, view: (s: Settings) => Settings = (s) => s): { slot: number[]; waitlist: true; outcome: number } {
    const settings = requireSettings(fresh, "join the waitlist");
    const { task, pool, owner, branch, purpose } = claim.request;
    const waiting = settings.waitlist.find((w) => taskKey(w.task) === taskKey(task));
    if (waiting) throw new UserError([`task ${task} already waits for pool ${waiting.pool} since ${waiting.requestedAt}; slots list shows its position (slots unwait --task ${task} leaves the queue)`]);
    for (const [held, c] of settings.claims) {
        if (taskKey(c.task) === taskKey(task)) throw new UserError([`task ${task} already holds ${holding(held, c)}; a task either holds a slot or waits`]);
    }
    if (!noSlotFor(view(settings), claim.request, claim.base)) throw new UserError([`a slot of pool ${pool} became free while the command ran; run it again to claim it`]);
    const commit = claim.values.commit;
    appendWaiter(fresh.doc, { owner, task, branch, ...(commit !== undefined ? { commit } : {}), ...(purpose !== undefined ? { purpose } : {}), pool, requestedAt: timestamp(now) });
    return { slot: [], waitlist: true, outcome: waitingFor(settings, pool) + 1 };
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
        base: { type: "string" },
        until: { type: "string" },
        wait: { type: "boolean" },
        "ahead-of-queue": { type: "boolean" },
        ...PR_OPTION,
    } as const;
    const args = parseCommand(argv, options, CLAIM_HELP, 0);
    if (args.help) {
        io.stdout(CLAIM_HELP);
        return 0;
    }
    const missing = ["task", "owner", "branch"].filter((o) => args.string(o) === undefined);
    if (missing.length > 0) throw new UsageError(`missing ${missing.map((o) => `--${o}`).join(", ")}`, CLAIM_HELP);
    const requested = args.string("slot");
    const wait = args.flag("wait");
    if (wait && requested !== undefined) throw new UsageError("--wait queues for the next free slot of a pool; leave out --slot", CLAIM_HELP);
    const aheadOfQueue = args.flag("ahead-of-queue");
    if (wait && aheadOfQueue) throw new UsageError("--wait joins the queue and --ahead-of-queue passes it; give one of them", CLAIM_HELP);
    const untilText = args.string("until");
    const optional = (name: string, key: keyof ClaimRequest): Partial<ClaimRequest> => {
        const v = args.string(name);
        return v === undefined ? {} : { [key]: v };
    };
    const request: ClaimRequest = {
        task: args.string("task") as string,
        owner: args.string("owner") as string,
        branch: args.string("branch") as string,
        pool: args.string("pool") ?? DEFAULTS.pool,
        ...(requested === undefined ? {} : { slot: slotArgument(requested, CLAIM_HELP) }),
        ...optional("commit", "commit"),
        ...optional("purpose", "purpose"),
        ...optional("long-running", "longRunning"),
        ...(untilText === undefined ? {} : { until: untilTimestamp(untilText, io.now()) }),
        ...(wait ? { wait } : {}),
        ...(aheadOfQueue ? { aheadOfQueue } : {}),
    };
    const claim = await prepareClaim(io, args.stack, request, args.string("base"));
    // Refuse what is in the way before --pr looks at git, so the plain refusal comes first.
    if (!claim.queue) claimSlot(readStack(io, args.stack), claim);
    const pr = await prepareEdit(io, args, claim.queue ? "wait" : "claim", request.task);

    if (claim.queue) {
        const queued = await editStack(io, args.stack, (fresh: Stack) => applyWait(fresh, claim, io.now()));
        const lead = `Pool ${request.pool} is full: ${request.task} joined its waitlist at position ${queued.outcome}; when a slot of ${request.pool} is released, the first waiter takes it in the same edit.`;
        await finishEdit(io, queued, lead, pr, `Queue ${request.task} for a slot of pool ${request.pool}`);
        return 0;
    }
    const edited = await editStack(io, args.stack, (fresh: Stack) => applyClaim(fresh, claim));
    const url = edited.after.result.settings ? slotLayout(edited.outcome, edited.after.result.settings.domain).url : "";
    const ends = typeof claim.values.expiresAt === "string" ? ` (expires ${claim.values.expiresAt})` : "";
    // Passing the queue is said where the reviewer reads it: the commit, the pull request's title and the output.
    const before = edited.before.result.settings;
    const passed = aheadOfQueue && before ? owedTo(before, request, claim.base, edited.outcome) : undefined;
    const jump = passed ? ` ahead of the queue (owed to ${passed.task}, waiting since ${passed.requestedAt})` : "";
    await finishEdit(io, edited, `Claimed ${id(edited.outcome)} for ${request.task}${jump}${url ? `: ${url}` : ""}${ends}`, pr, `Claim ${id(edited.outcome)} for ${request.task}${jump}`);
    return 0;
}

/** `slots repoint N [--branch B] [--commit SHA]`: same slot, same URL and database, new commit. */
export async function repointCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { task: { type: "string" }, branch: { type: "string" }, commit: { type: "string" }, ...PR_OPTION }, REPOINT_HELP, 1);
    if (args.help) {
        io.stdout(REPOINT_HELP);
        return 0;
    }
    const which = slotOrTask(args, REPOINT_HELP);
    const current = readStack(io, args.stack);
    const settings = requireSettings(current, "re-point a slot");
    const slot = targetSlot(current, which.slot, which.task);
    const claim = settings.claims.get(slot);
    if (!claim) throw new UserError([`${id(slot)} is not claimed; claim it instead (slots claim --slot ${slot} --task T --owner O --branch B)`]);
    const branch = args.string("branch") ?? claim.branch;
    const why = branchProblem(branch);
    if (why) throw new UserError([`branch "${branch}" ${why}`]);
    const given = args.string("commit");
    const commit = given === undefined ? await branchHead(io, settings.repository, branch) : await givenCommit(io, settings, given, branch);
    if (branch === claim.branch && commit === claim.commit) {
        io.stdout(`${id(slot)} already runs ${branch} @ ${commit.slice(0, 7)}; nothing to change (slots redeploy ${slot} deploys it again).\n`);
        return 0;
    }
    const pr = await prepareEdit(io, args, "repoint", claim.task);
    const edited = await editStack(io, args.stack, (fresh: Stack) => {
        const now = claimsOf(fresh.raw).get(slot);
        if (!now || now.task !== claim.task) throw new UserError([`${id(slot)} changed while the command ran; nothing was written. Run it again`]);
        setClaimField(fresh.doc, slot, "branch", branch);
        setClaimField(fresh.doc, slot, "commit", commit);
        quoteCommit(fresh.doc, slot);
        return { slot, outcome: slot };
    });
    const url = slotLayout(slot, settings.domain).url;
    await finishEdit(io, edited, `Re-pointed ${id(slot)} for ${claim.task} to ${branch} @ ${commit.slice(0, 7)}: same URL (${url}), same database.`, pr, `Re-point ${id(slot)} for ${claim.task} to ${branch} @ ${commit.slice(0, 7)}`);
    return 0;
}

/** `slots release`. */
export async function releaseCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { task: { type: "string" }, "no-promote": { type: "boolean" }, ...PR_OPTION }, RELEASE_HELP, 1);
    if (args.help) {
        io.stdout(RELEASE_HELP);
        return 0;
    }
    const which = slotOrTask(args, RELEASE_HELP);
    const current = readStack(io, args.stack);
    const slot = targetSlot(current, which.slot, which.task);
    const held = claimsOf(current.raw).get(slot);
    if (!held) {
        // Releasing twice is fine, as it is for the release script on the droplet.
        io.stdout(`${id(slot)} is not claimed; nothing to release.\n`);
        return 0;
    }
    const pr = await prepareEdit(io, args, "release", typeof held.task === "string" ? held.task : id(slot));
    const { plan, edited } = await releaseWithPromotion(io, args.stack, !args.flag("no-promote"), () => [slot]);
    const promoted = plan.promotions.map((p) => p.entry.task);
    const lead = [`Released ${id(slot)}${promoted.length > 0 ? "" : "; its database is kept"}.`, ...queueLines(plan)].join("\n");
    await finishEdit(io, edited, lead, pr, `Release ${id(slot)}${typeof held.task === "string" ? ` (${held.task})` : ""}${promoted.length > 0 ? `, promote ${promoted.join(", ")}` : ""}`);
    return 0;
}

/**
 * `slots promote`: moves waiters into the free slots of their pools, as a release does for the
 * slot it frees. For the slots a release with --no-promote (or a skipped waiter) left free while
 * tasks wait; a plain claim refuses to take those ahead of the queue.
 */
export async function promoteCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { base: { type: "string" }, ...PR_OPTION }, PROMOTE_HELP, 0);
    if (args.help) {
        io.stdout(PROMOTE_HELP);
        return 0;
    }
    const current = readStack(io, args.stack);
    const settings = requireSettings(current, "promote waiters");
    // A slot free here but claimed on the base branch is not free: the merge would clash.
    const base = await claimsAt(current, io.cwd, args.string("base"), io.now());
    const slots = promotableSlots(settings, base);
    if (settings.waitlist.length === 0 || slots.length === 0) {
        io.stdout(`${settings.waitlist.length === 0 ? "The waitlist is empty" : "No slot of a pool with waiters is free"}; nothing to promote.\n`);
        return 0;
    }
    const otherwise = "Nothing was written; try again, or leave the waiter out with slots unwait.";
    const heads = await askHeads(io, settings, slots, otherwise);
    const preview = planRelease(settings, slots, heads, true);
    if (preview.promotions.length === 0) {
        io.stdout(`${[...queueLines(preview), "Nobody could be promoted; the stack file is unchanged."].join("\n")}\n`);
        return 0;
    }
    const tasks = preview.promotions.map((p) => p.entry.task);
    const pr = await prepareEdit(io, args, "promote", tasks.join("-"));
    const edited = await editStack(io, args.stack, (fresh: Stack) => {
        const freshSettings = requireSettings(fresh, "promote waiters");
        const plan = planRelease(freshSettings, promotableSlots(freshSettings, base), heads, true);
        applyRelease(fresh, freshSettings, plan, io.now());
        return { slot: plan.promotions.map((p) => p.slot), waitlist: true, outcome: plan };
    });
    const plan = edited.outcome;
    const promoted = plan.promotions.map((p) => p.entry.task);
    await finishEdit(io, edited, queueLines(plan).join("\n") || "Nobody could be promoted; the stack file is unchanged.", pr, `Promote ${promoted.join(", ")} from the waitlist`);
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

/**
 * The end of a claim from `--until`: a date (`2026-12-01`, midnight UTC at its start), a UTC
 * date-time (`2026-12-01T18:00Z`, `2026-12-01T18:00:00Z`) or a duration from now (`36h`, `3d`),
 * as the `YYYY-MM-DDTHH:MM:SSZ` the stack file holds; a UserError naming the option otherwise.
 */
export function untilTimestamp(text: string, now: Date): string {
    const duration = /^([1-9]\d{0,4})([hd])$/.exec(text.trim());
    const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(:\d{2})?Z)?$/.exec(text.trim());
    const value = duration
        ? timestamp(new Date(now.getTime() + Number(duration[1]) * (duration[2] === "d" ? 24 : 1) * 3600_000))
        : m
          ? `${m[1]}T${m[2] ?? "00:00"}${m[3] ?? ":00"}Z`
          : "";
    const at = parseTimestamp(value);
    if (!at) throw new UserError([`--until "${text}" is not a UTC date or time; write it like 2026-12-01 or 2026-12-01T18:00Z`]);
    if (at.getTime() <= now.getTime()) throw new UserError([`--until ${value} is not in the future; give a later date (it is now ${timestamp(now)})`]);
    return value;
}

/** `slots extend N --long-running NOTE [--until DATE]`. */
export async function extendCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { "long-running": { type: "string" }, until: { type: "string" }, ...PR_OPTION }, EXTEND_HELP, 1);
    if (args.help) {
        io.stdout(EXTEND_HELP);
        return 0;
    }
    const slot = slotArgument(args.positionals[0], EXTEND_HELP);
    const note = args.string("long-running");
    const untilText = args.string("until");
    if (note === undefined && untilText === undefined) throw new UsageError("missing --long-running NOTE: say why the claim stays (and --until DATE when it ends)", EXTEND_HELP);
    const until = untilText === undefined ? undefined : untilTimestamp(untilText, io.now());
    const current = readStack(io, args.stack);
    const held = claimsOf(current.raw).get(slot);
    if (!held) throw new UserError([`${id(slot)} is not claimed; nothing to extend`]);
    if (note === undefined && typeof held.longRunning !== "string") {
        throw new UserError([`${id(slot)} has no long-running note; say why it stays: slots extend ${slot} --until ${untilText} --long-running "why"`]);
    }
    const pr = await prepareEdit(io, args, "extend", typeof held.task === "string" ? held.task : id(slot));
    const edited = await editStack(io, args.stack, (fresh: Stack) => {
        if (!claimsOf(fresh.raw).has(slot)) throw new UserError([`${id(slot)} is not claimed; nothing to extend`]);
        if (note !== undefined) setClaimField(fresh.doc, slot, "longRunning", note);
        if (until !== undefined) setClaimField(fresh.doc, slot, "expiresAt", until);
        quoteCommit(fresh.doc, slot);
        return { slot, outcome: slot };
    });
    const lead = until !== undefined ? `${id(slot)} stays claimed until ${until}, then shows as stale.` : `${id(slot)} may stay claimed past ${DEFAULTS.staleAfterHours} hours (open-ended: slots extend ${slot} --until DATE sets an end).`;
    await finishEdit(io, edited, lead, pr, `Extend ${id(slot)}${typeof held.task === "string" ? ` (${held.task})` : ""}${until ? ` until ${until}` : ""}`);
    return 0;
}

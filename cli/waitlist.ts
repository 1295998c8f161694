// The waitlist's rules as the `slots` command applies them: who is next for a freed slot, what a
// release with promotion writes, and the commands that only touch the queue or act on expiry
// (unwait, expire). The planning is pure; branch heads are asked before the stack file is locked
// and handed in, because the network may be slow and the edit must not be.

import { slotLayout } from "../components/catalogue";
import { newClaimExpiry, utcTimestamp } from "../components/expiry";
import { Claim, DEFAULTS, Settings, WaitEntry } from "../components/settings";
import { parseTimestamp, staleness, taskKey } from "../components/validation";
import { parseCommand } from "./args";
import { branchHead, BranchGone } from "./git";
import { EXPIRE_HELP, UNWAIT_HELP } from "./help";
import { Io, UsageError, UserError } from "./io";
import { Edited, Stack, editStack, readStack, requireSettings } from "./stack";
import { FieldValue, insertClaim, removeClaim, removeWaiters } from "./yamlEdit";

/** A waiter moved into a freed slot. */
export interface Promotion {
    readonly slot: number;
    /** The entry's index in the waitlist before the edit. */
    readonly index: number;
    readonly entry: WaitEntry;
    readonly commit: string;
}

/** A waiter passed over for a freed slot; it stays queued. */
export interface Skip {
    readonly slot: number;
    readonly entry: WaitEntry;
    readonly reason: string;
}

/** What releasing some slots does to the claims and the queue. */
export interface ReleasePlan {
    readonly released: readonly number[];
    readonly promotions: readonly Promotion[];
    readonly skipped: readonly Skip[];
}

/** Branch heads asked for waiters without a commit: task → SHA, or null when the branch is gone. */
export type Heads = ReadonlyMap<string, string | null>;

/** The pools slot `slot` belongs to. */
function poolsOf(settings: Settings, slot: number): string[] {
    return Object.entries(settings.pools)
        .filter(([, slots]) => slots.includes(slot))
        .map(([pool]) => pool);
}

/** How many entries wait for `pool`, i.e. how many are ahead of a new one. */
export function waitingFor(settings: Settings, pool: string): number {
    return settings.waitlist.filter((w) => w.pool === pool).length;
}

/**
 * Releases `slots` (in slot order) and, unless `promote` is false, moves into each the first
 * waiter of its pool that has a commit: the one the entry gives, else its branch head from
 * `heads`. A waiter whose branch is gone is skipped with a note and stays queued. Throws when a
 * head that is needed was not asked for (the file changed since the heads were asked).
 */
export function planRelease(settings: Settings, slots: readonly number[], heads: Heads, promote: boolean): ReleasePlan {
    const plan = tryPlan(settings, slots, heads, promote);
    if (plan.needs) throw new UserError(["the waitlist changed while the command was asking for branch heads; nothing was written. Run the command again"]);
    return plan;
}

// The plan, or where it stops: the first waiter in line whose branch head is not known yet.
function tryPlan(settings: Settings, slots: readonly number[], heads: Heads, promote: boolean): ReleasePlan & { needs?: WaitEntry } {
    const released = [...slots].sort((a, b) => a - b);
    const promotions: Promotion[] = [];
    const skipped: Skip[] = [];
    if (!promote) return { released, promotions, skipped };
    const taken = new Set<number>();
    for (const slot of released) {
        const pools = poolsOf(settings, slot);
        for (const [index, entry] of settings.waitlist.entries()) {
            if (taken.has(index) || !pools.includes(entry.pool)) continue;
            let commit = entry.commit;
            if (commit === undefined) {
                const head = heads.get(entry.task);
                if (head === undefined) return { released, promotions, skipped, needs: entry };
                if (head === null) {
                    if (!skipped.some((s) => s.entry.task === entry.task)) {
                        skipped.push({ slot, entry, reason: `branch ${entry.branch} no longer exists in the repository` });
                    }
                    continue;
                }
                commit = head;
            }
            taken.add(index);
            promotions.push({ slot, index, entry, commit });
            break;
        }
    }
    return { released, promotions, skipped };
}

/**
 * Asks the repository for the branch heads the release of `slots` needs: only of the waiters in
 * line for a freed slot, one at a time in queue order (a waiter whose branch is gone makes the
 * next one in line).
 */
export async function askHeads(io: Io, settings: Settings, slots: readonly number[], otherwise = "Release without promoting with --no-promote."): Promise<Map<string, string | null>> {
    const heads = new Map<string, string | null>();
    for (;;) {
        const w = tryPlan(settings, slots, heads, true).needs;
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

// The waitlist's model, pure: who waits ahead of whom, which free slots the queue is owed, and
// who a promotion puts into which freed slot. `slots list`, `claim`, `release`, `promote`,
// `expire`, `diff` and the dashboard all place waiters with the one loop here (tryPlan).

import { Settings, WaitEntry } from "../components/settings";
import { taskKey } from "../components/validation";
import { UserError } from "./io";

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
    const plan = tryPlan(settings, slots, (w) => heads.get(w.task), promote);
    if (plan.needs) throw new UserError(["the waitlist changed while the command was asking for branch heads; nothing was written. Run the command again"]);
    return plan;
}

/**
 * The plan, or where it stops: the first waiter in line whose branch head is not known yet.
 * `headOf` gives a waiter's branch head when its entry has no commit: a SHA, null when the branch
 * is gone, undefined when not asked yet.
 */
export function tryPlan(settings: Settings, slots: readonly number[], headOf: (entry: WaitEntry) => string | null | undefined, promote: boolean): ReleasePlan & { needs?: WaitEntry } {
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
                const head = headOf(entry);
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

/** The claims at a base revision (cli/base.ts BaseClaims): a slot held there is held. */
type HeldAt = { readonly claims: ReadonlyMap<number, unknown> };

/** The slots of `pool` held neither in the file nor at `base`, in slot order. */
export function freeSlotsOf(settings: Settings, pool: string, base?: HeldAt): number[] {
    return (settings.pools[pool] ?? []).filter((s) => !settings.claims.has(s) && base?.claims.has(s) !== true);
}

/**
 * The slots a promotion can fill: free (held neither in the file nor at `base`) and in a pool
 * somebody waits for, in slot order.
 */
export function promotableSlots(settings: Settings, base?: HeldAt): number[] {
    const slots = new Set([...new Set(settings.waitlist.map((w) => w.pool))].flatMap((pool) => freeSlotsOf(settings, pool, base)));
    return [...slots].sort((a, b) => a - b);
}

/** The waiters ahead of `task`: the whole queue, or the entries before its own when it waits. */
export function waitersAhead(settings: Settings, task: string): WaitEntry[] {
    const own = settings.waitlist.findIndex((w) => taskKey(w.task) === taskKey(task));
    return own < 0 ? [...settings.waitlist] : settings.waitlist.slice(0, own);
}

/**
 * The free slots the queue is owed: where a promotion into every slot of promotableSlots would
 * place `waiters` (default: the whole queue), counting every waiter whatever its branch (tryPlan,
 * with every head known). Slot → the waiter it is owed to.
 */
export function owedSlots(settings: Settings, waiters: readonly WaitEntry[] = settings.waitlist, base?: HeldAt): Map<number, WaitEntry> {
    const plan = tryPlan({ ...settings, waitlist: waiters }, promotableSlots(settings, base), () => "", true);
    return new Map(plan.promotions.map((p) => [p.slot, p.entry]));
}

// `slots diff`: what a change to the stack file does to the slots, in the sentences a reviewer
// reads in a pull request. Works on the decoded values of both versions, so it can describe a
// change even when one side has problems (`slots check` is the place to judge them).

import { DEFAULTS, Settings } from "../components/settings";
import { CLAIM_FIELDS, WAIT_FIELDS } from "../components/validation";
import { hostConfigChanges } from "../offline/configChanges";
import { Args, parseCommand } from "./args";
import { DIFF_HELP } from "./help";
import { Io, UserError } from "./io";
import { owedSlots, waitersAhead } from "./queue";
import { stackFileAt } from "./revision";
import { Stack, analyse, readStack, requireReadable } from "./stack";

/** A claim as written, field by field (values as the file holds them). */
export type RawClaim = Readonly<Record<string, unknown>>;

/** What happened to one slot. */
export interface SlotChange {
    readonly slot: number;
    readonly id: string;
    readonly change: "claimed" | "released" | "updated";
    readonly before: RawClaim | null;
    readonly after: RawClaim | null;
    /** The claim fields whose value differs, in CLAIM_FIELDS order. */
    readonly fields: readonly string[];
    readonly summary: string;
}

/** The claims of decoded config values, by slot number. */
export function claimsOf(raw: Readonly<Record<string, unknown>>): Map<number, RawClaim> {
    const out = new Map<number, RawClaim>();
    const claims = raw.claims;
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return out;
    for (const [key, value] of Object.entries(claims)) {
        if (!/^[1-9]\d*$/.test(key)) continue;
        out.set(Number(key), typeof value === "object" && value !== null && !Array.isArray(value) ? (value as RawClaim) : {});
    }
    return out;
}

function show(field: string, v: unknown): string {
    if (v === undefined || v === null) return "(none)";
    if (field === "commit" && typeof v === "string" && /^[0-9a-f]{40}$/.test(v)) return v.slice(0, 7);
    if (typeof v === "string") return /^[\w./@+-]+$/.test(v) ? v : JSON.stringify(v);
    return JSON.stringify(v);
}

function holder(c: RawClaim): string {
    return `In Use by ${show("owner", c.owner)} for ${show("task", c.task)}`;
}

function deployed(c: RawClaim): string {
    return `${show("branch", c.branch)} @ ${show("commit", c.commit)}`;
}

/** The sentence for one slot's change; `dataKept` when databaseOnNewTask is keep. */
export function describeChange(id: string, before: RawClaim | null, after: RawClaim | null, fields: readonly string[], dataKept = false): string {
    if (!before && after) return `${id}: Available → ${holder(after)}, ${deployed(after)}`;
    if (before && !after) return `${id}: ${holder(before)} → Available`;
    const b = before as RawClaim;
    const a = after as RawClaim;
    if (fields.includes("owner") || fields.includes("task")) {
        const reset = fields.includes("task") && !dataKept ? " (new task: the deployment empties the slot's database first)" : "";
        return `${id}: ${holder(b)} → ${holder(a)}, ${deployed(a)}${reset}`;
    }
    const parts = fields.map((f) => {
        if (f === "redeploy") return `redeploy ${show(f, b[f] ?? 0)} → ${show(f, a[f] ?? 0)} (deploys ${deployed(a)} again)`;
        if (f === "expiresAt") return a[f] === undefined ? "end removed (open-ended)" : `until ${String(a[f])}`;
        if (f === "resetDatabase") {
            // The deploy script resets only on a higher counter than the one it recorded; a lower
            // one is recorded and keeps the data (components/scripts/deploy.sh).
            const was = b[f] ?? 0;
            const now = a[f] ?? 0;
            const lower = typeof was === "number" && typeof now === "number" && now < was;
            const effect = lower ? "lower: recorded, the database is kept" : "the deployment empties the slot's database";
            return `resetDatabase ${show(f, b[f] ?? 0)} → ${show(f, a[f] ?? 0)} (${effect})`;
        }
        if (f === "longRunning") {
            return a[f] === undefined ? "long-running note removed" : `long-running: ${show(f, a[f])}`;
        }
        return `${f} ${show(f, b[f])} → ${show(f, a[f])}`;
    });
    return `${id}: ${holder(a)}; ${parts.join("; ")}`;
}

/** Slot-level changes from `before` to `after` (decoded config values), in slot order. */
export function diffClaims(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): SlotChange[] {
    const b = claimsOf(before);
    const a = claimsOf(after);
    const slots = [...new Set([...b.keys(), ...a.keys()])].sort((x, y) => x - y);
    const changes: SlotChange[] = [];
    for (const slot of slots) {
        const id = `staging-${slot}`;
        const was = b.get(slot) ?? null;
        const now = a.get(slot) ?? null;
        const keys = [...CLAIM_FIELDS, ...Object.keys({ ...was, ...now }).filter((k) => !(CLAIM_FIELDS as readonly string[]).includes(k))];
        const fields = keys.filter((k) => JSON.stringify(was?.[k]) !== JSON.stringify(now?.[k]));
        if (was && now && fields.length === 0) continue;
        const change = !was ? "claimed" : !now ? "released" : "updated";
        changes.push({ slot, id, change, before: was, after: now, fields, summary: describeChange(id, was, now, fields, after.databaseOnNewTask === "keep") });
    }
    return changes;
}

/**
 * One sentence for each new claim that takes a slot the queue was owed at the base (owedSlots,
 * the waiters ahead of the claim's task): `claim --ahead-of-queue`, or a claim written by hand.
 * The reviewer's cue to ask why; nothing refuses it.
 */
export function queuePasses(base: Settings | undefined, changes: readonly SlotChange[]): string[] {
    if (!base || base.waitlist.length === 0) return [];
    const lines: string[] = [];
    for (const c of changes) {
        const task = c.after?.task;
        if (c.change !== "claimed" || typeof task !== "string") continue;
        const w = owedSlots(base, waitersAhead(base, task)).get(c.slot);
        if (w) lines.push(`${c.id}: taken ahead of the queue: it was owed to ${w.task} (${w.owner}), waiting for pool ${w.pool} since ${w.requestedAt}; the pull request should say why`);
    }
    return lines;
}

/** The stack file at `base`; a file the engine would read differently is refused, naming the revision. */
function analyseAt(stack: string, current: Stack, text: string, base: string, now: Date): Stack {
    try {
        return requireReadable(analyse(stack, current.file, text, now));
    } catch (e) {
        if (e instanceof UserError) {
            throw new UserError(e.lines.map((l) => (l.startsWith(`${current.name}:`) ? `${current.name} at ${base}:${l.slice(current.name.length + 1)}` : l)));
        }
        throw e;
    }
}

/** The waitlist of decoded config values, in queue order (an entry that is not a map counts as empty). */
export function waitersOf(raw: Readonly<Record<string, unknown>>): RawClaim[] {
    const list = raw.waitlist;
    if (!Array.isArray(list)) return [];
    return list.map((w: unknown) => (typeof w === "object" && w !== null && !Array.isArray(w) ? (w as RawClaim) : {}));
}

/** A waitlist entry that `after` has and `before` did not. */
export interface WaitlistJoin {
    readonly waiter: RawClaim;
    /** Its pool (the default pool when the entry names none). */
    readonly pool: string;
    /** The sentence `slots diff` prints for it. */
    readonly summary: string;
}

const waiterTask = (w: RawClaim): string => show("task", w.task);
const waiterPool = (w: RawClaim): string => (typeof w.pool === "string" ? w.pool : DEFAULTS.pool);

function join(after: readonly RawClaim[], w: RawClaim): WaitlistJoin {
    const pool = waiterPool(w);
    const ahead = after.slice(0, after.indexOf(w)).filter((x) => waiterPool(x) === pool).length;
    const summary = `waitlist: ${waiterTask(w)} (${show("owner", w.owner)}) joins the queue for pool ${pool} at position ${ahead + 1}, ${show("branch", w.branch)}${w.commit === undefined ? " (its head when promoted)" : ` @ ${show("commit", w.commit)}`}`;
    return { waiter: w, pool, summary };
}

/** Who joins the waitlist from `before` to `after` (decoded config values), in queue order. */
export function waitlistJoins(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): WaitlistJoin[] {
    const b = waitersOf(before);
    const a = waitersOf(after);
    return a.filter((w) => !b.some((x) => waiterTask(x) === waiterTask(w))).map((w) => join(a, w));
}

/** Sentences for what changed in the waitlist: who joined (and where), who left (and why), reordering. */
export function diffWaitlist(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): string[] {
    const b = waitersOf(before);
    const a = waitersOf(after);
    const task = waiterTask;
    const holders = new Map([...claimsOf(after)].map(([slot, c]) => [show("task", c.task), slot]));
    const lines: string[] = [];
    for (const w of a) {
        const was = b.find((x) => task(x) === task(w));
        if (!was) {
            lines.push(join(a, w).summary);
            continue;
        }
        const fields = WAIT_FIELDS.filter((f) => JSON.stringify(was[f]) !== JSON.stringify(w[f]));
        if (fields.length > 0) lines.push(`waitlist: ${task(w)}'s entry changed: ${fields.map((f) => `${f} ${show(f, was[f])} → ${show(f, w[f])}`).join("; ")}`);
    }
    for (const w of b) {
        if (a.some((x) => task(x) === task(w))) continue;
        const slot = holders.get(task(w));
        lines.push(slot === undefined ? `waitlist: ${task(w)} (${show("owner", w.owner)}) leaves the queue` : `waitlist: ${task(w)} leaves the queue: promoted into staging-${slot}`);
    }
    const kept = (list: RawClaim[], other: RawClaim[]): string[] => list.map(task).filter((t) => other.some((x) => task(x) === t));
    if (kept(b, a).join("\n") !== kept(a, b).join("\n")) lines.push(`waitlist: reordered: ${kept(a, b).join(", ")}`);
    return lines;
}

/** `slots diff`. */
export async function diffCommand(argv: readonly string[], io: Io): Promise<number> {
    const args: Args = parseCommand(argv, { base: { type: "string" }, json: { type: "boolean" } }, DIFF_HELP, 0);
    if (args.help) {
        io.stdout(DIFF_HELP);
        return 0;
    }
    const base = args.string("base") ?? "HEAD";
    const current = readStack(io, args.stack);
    const oldText = await stackFileAt(io.cwd, base, current.name);
    const old = oldText === undefined ? undefined : analyseAt(args.stack, current, oldText, base, io.now());
    const changes = diffClaims(old?.raw ?? {}, current.raw);
    // The guard's own rule: every key but the per-slot lists is a host setting.
    const others = old ? hostConfigChanges({ text: old.text, name: `${current.name} at ${base}` }, current) : [];
    const waitlist = diffWaitlist(old?.raw ?? {}, current.raw);
    const aheadOfQueue = queuePasses(old?.result.settings, changes);
    if (args.flag("json")) {
        io.stdout(`${JSON.stringify({ base, file: current.name, new: old === undefined, changes, otherKeys: others, waitlist, aheadOfQueue }, null, 2)}\n`);
        return 0;
    }
    const lines: string[] = [];
    if (!old) lines.push(`${current.name} is new since ${base}; every claim in it is new.`);
    if (changes.length === 0) lines.push(`No slot changes in ${current.name} since ${base}.`);
    lines.push(...changes.map((c) => c.summary), ...waitlist, ...aheadOfQueue);
    if (others.length > 0) {
        lines.push(`Also changed outside the claims: ${others.join(", ")}; read the preview (slots plan) for their effect.`);
    }
    io.stdout(`${lines.join("\n")}\n`);
    return 0;
}

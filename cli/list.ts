// `slots list`: every slot of the stack with its claim, as an aligned table for people (colour on
// a terminal only) or as JSON with a fixed shape for scripts.

import { catalogue } from "../components/catalogue";
import { hostOfSlot } from "../components/hosts";
import { DEFAULTS, Settings } from "../components/settings";
import { staleness } from "../components/validation";
import { parseCommand } from "./args";
import { LIST_HELP } from "./help";
import { Io } from "./io";
import { readStack, requireSettings } from "./stack";

/** One slot in `slots list --json`; every key is always present (null when it does not apply). */
export interface SlotRow {
    readonly slot: number;
    readonly id: string;
    readonly url: string;
    readonly campaignUiPort: number;
    readonly airflowPort: number;
    readonly database: string;
    /** The pools the slot belongs to. */
    readonly pools: readonly string[];
    /** As the seeds and the registry table write it. */
    readonly status: "Available" | "In Use";
    readonly owner: string | null;
    readonly task: string | null;
    readonly branch: string | null;
    readonly commit: string | null;
    readonly purpose: string | null;
    readonly claimedAt: string | null;
    /** Seconds since claimedAt. */
    readonly ageSeconds: number | null;
    /** The pool the claim draws from. */
    readonly pool: string | null;
    readonly longRunning: string | null;
    /** When the claim ends (expiresAt), or null. */
    readonly expiresAt: string | null;
    /** A long-running note and no end: quiet with no limit. */
    readonly openEnded: boolean;
    readonly redeploy: number | null;
    /** Past its expiresAt, or claimed over 24 hours ago with neither a note nor an end. */
    readonly stale: boolean;
    /** The host (droplet) the slot runs on: `staging` unless `staging-slots:hosts` says otherwise. */
    readonly host: string;
}

/** One waitlist entry in `slots list --json`, in queue order. */
export interface WaitRow {
    /** 1-based place in the whole queue. */
    readonly position: number;
    /** 1-based place among the entries of the same pool: who is promoted first. */
    readonly poolPosition: number;
    readonly owner: string;
    readonly task: string;
    readonly branch: string;
    readonly commit: string | null;
    readonly purpose: string | null;
    readonly pool: string;
    readonly requestedAt: string;
    /** Seconds since requestedAt. */
    readonly waitingSeconds: number;
}

/** The waitlist's rows, in queue order. */
export function waitRows(settings: Settings, now: Date): WaitRow[] {
    const perPool = new Map<string, number>();
    return settings.waitlist.map((w, i) => {
        const poolPosition = (perPool.get(w.pool) ?? 0) + 1;
        perPool.set(w.pool, poolPosition);
        return {
            position: i + 1,
            poolPosition,
            owner: w.owner,
            task: w.task,
            branch: w.branch,
            commit: w.commit ?? null,
            purpose: w.purpose || null,
            pool: w.pool,
            requestedAt: w.requestedAt,
            waitingSeconds: Math.max(0, Math.floor((now.getTime() - Date.parse(w.requestedAt)) / 1000)),
        };
    });
}

/** The waitlist as text lines: position, pool position, who, what, how long. */
export function renderWaitlist(rows: readonly WaitRow[]): string {
    if (rows.length === 0) return "Waitlist: empty.\n";
    const lines = rows.map(
        (r) => `  ${r.position}. ${r.pool} #${r.poolPosition}: ${r.task} (${r.owner}), ${r.branch}${r.commit ? ` @ ${r.commit.slice(0, 7)}` : ""}, waiting ${age(r.waitingSeconds)}${r.purpose ? `: ${r.purpose}` : ""}`,
    );
    return `Waitlist (${rows.length}; the first of a pool takes its next released slot):\n${lines.join("\n")}\n`;
}

/** The rows of every slot, in slot order. */
export function slotRows(settings: Settings, now: Date): SlotRow[] {
    const hosts = hostOfSlot(settings.hosts);
    return catalogue(settings.slotCount, settings.domain).map((s) => {
        const c = settings.claims.get(s.slot);
        const ageSeconds = c ? Math.max(0, Math.floor((now.getTime() - Date.parse(c.claimedAt)) / 1000)) : null;
        return {
            slot: s.slot,
            id: s.identifier,
            url: s.url,
            campaignUiPort: s.campaignUiPort,
            airflowPort: s.airflowPort,
            database: s.database,
            pools: Object.entries(settings.pools)
                .filter(([, slots]) => slots.includes(s.slot))
                .map(([p]) => p),
            status: c ? "In Use" : "Available",
            owner: c?.owner ?? null,
            task: c?.task ?? null,
            branch: c?.branch ?? null,
            commit: c?.commit ?? null,
            purpose: c ? c.purpose || null : null,
            claimedAt: c?.claimedAt ?? null,
            ageSeconds,
            pool: c?.pool ?? null,
            longRunning: c?.longRunning ?? null,
            expiresAt: c?.expiresAt ?? null,
            openEnded: c !== undefined && staleness(c, now) === "open-ended",
            redeploy: c?.redeploy ?? null,
            stale: c !== undefined && ["stale", "expired"].includes(staleness(c, now)),
            host: hosts.get(s.slot) ?? DEFAULTS.host,
        };
    });
}

/** `2d 3h`, `5h 10m`, `45m`. */
export function age(seconds: number): string {
    const m = Math.floor(seconds / 60);
    const h = Math.floor(m / 60);
    const d = Math.floor(h / 24);
    if (d > 0) return `${d}d ${h % 24}h`;
    if (h > 0) return `${h}h ${m % 60}m`;
    return `${m}m`;
}

const COLOUR = { red: "\u001b[31m", green: "\u001b[32m", yellow: "\u001b[33m", dim: "\u001b[2m", reset: "\u001b[0m" };

const HEADER = ["SLOT", "STATUS", "OWNER", "TASK", "BRANCH", "COMMIT", "AGE", "UNTIL", "POOL", "URL", "UI", "AIRFLOW", "DATABASE", "HOST", "NOTE"] as const;
/**
 * How a table too wide for the terminal is narrowed, one step at a time until it fits: a column
 * dropped whole, or cut short (ending in "…") down to a width.
 */
const NARROWING: readonly (readonly ["drop", string] | readonly ["cut", string, number])[] = [
    ["cut", "NOTE", 24],
    ["drop", "DATABASE"],
    ["drop", "HOST"],
    ["drop", "AIRFLOW"],
    ["drop", "UI"],
    ["cut", "BRANCH", 24],
    ["drop", "URL"],
    ["drop", "POOL"],
    ["drop", "AGE"],
    ["cut", "NOTE", 12],
    ["cut", "BRANCH", 14],
    ["cut", "OWNER", 8],
    ["cut", "TASK", 8],
    ["cut", "BRANCH", 10],
    ["cut", "NOTE", 4],
    ["drop", "NOTE"],
    ["drop", "UNTIL"],
];

function until(r: SlotRow): string {
    if (r.expiresAt) return r.expiresAt.slice(0, 16).replace("T", " ");
    return r.openEnded ? "open-ended" : "-";
}

function cut(text: string, width: number): string {
    return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * The rows as an aligned text table; `colour` adds ANSI colours to the status column. With
 * `width` the table fits it, narrowed step by step as NARROWING says.
 */
export function renderTable(rows: readonly SlotRow[], colour: boolean, width?: number): string {
    const all = rows.map((r): Record<string, string> => {
        const status = r.status === "Available" ? "Available" : r.stale ? (r.expiresAt ? "In Use (expired)" : "In Use (stale)") : "In Use";
        const note = r.longRunning ? `long-running: ${r.longRunning}` : r.purpose ?? "";
        return {
            SLOT: r.id,
            STATUS: status,
            OWNER: r.owner ?? "-",
            TASK: r.task ?? "-",
            BRANCH: r.branch ?? "-",
            COMMIT: r.commit ? r.commit.slice(0, 7) : "-",
            AGE: r.ageSeconds === null ? "-" : age(r.ageSeconds),
            UNTIL: r.status === "Available" ? "-" : until(r),
            POOL: r.pool ?? (r.pools.join(",") || "-"),
            URL: r.url,
            UI: String(r.campaignUiPort),
            AIRFLOW: String(r.airflowPort),
            DATABASE: r.database,
            HOST: r.host,
            NOTE: note,
        };
    });
    let columns: string[] = [...HEADER];
    const widths: Record<string, number> = {};
    for (const h of HEADER) widths[h] = Math.max(h.length, ...all.map((c) => c[h].length));
    const total = (): number => columns.reduce((n, h) => n + widths[h], 0) + 2 * (columns.length - 1);
    if (width !== undefined) {
        for (const step of NARROWING) {
            if (total() <= width) break;
            if (step[0] === "drop") columns = columns.filter((c) => c !== step[1]);
            else widths[step[1]] = Math.min(widths[step[1]], Math.max(step[2], widths[step[1]] - (total() - width)));
        }
    }
    const line = (c: readonly string[], paint?: (h: string, text: string) => string): string =>
        columns
            .map((h, i) => {
                const text = cut(c[i], widths[h]);
                const padded = i === columns.length - 1 ? text : text.padEnd(widths[h]);
                return paint ? paint(h, padded) : padded;
            })
            .join("  ")
            .trimEnd();
    const out = [line(columns, colour ? (_, t) => `${COLOUR.dim}${t}${COLOUR.reset}` : undefined)];
    rows.forEach((r, n) => {
        const paint = colour
            ? (h: string, t: string): string => {
                  if (h !== "STATUS") return t;
                  const c = r.status === "Available" ? COLOUR.green : r.stale ? COLOUR.red : COLOUR.yellow;
                  return `${c}${t}${COLOUR.reset}`;
              }
            : undefined;
        out.push(line(columns.map((h) => all[n][h]), paint));
    });
    return `${out.join("\n")}\n`;
}

/** The width to fit: the terminal's, or $COLUMNS; none (every column) when printing to a file or pipe. */
export function terminalWidth(io: Io): number | undefined {
    const fromEnv = Number(io.env.COLUMNS);
    if (Number.isInteger(fromEnv) && fromEnv >= 40) return fromEnv;
    return io.isTTY && io.columns !== undefined && io.columns >= 40 ? io.columns : undefined;
}

/** `slots list`. */
export async function listCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { json: { type: "boolean" }, wide: { type: "boolean" } }, LIST_HELP, 0);
    if (args.help) {
        io.stdout(LIST_HELP);
        return 0;
    }
    const stack = readStack(io, args.stack);
    const settings = requireSettings(stack, "list the slots");
    const rows = slotRows(settings, io.now());
    if (args.flag("json")) {
        io.stdout(`${JSON.stringify({ stack: stack.stack, file: stack.name, slots: rows, waitlist: waitRows(settings, io.now()) }, null, 2)}\n`);
        return 0;
    }
    const colour = io.isTTY && !io.env.NO_COLOR;
    const held = rows.filter((r) => r.status === "In Use").length;
    const stale = rows.filter((r) => r.stale);
    let text = renderTable(rows, colour, args.flag("wide") ? undefined : terminalWidth(io));
    text += `${held} of ${rows.length} slots in use.`;
    if (stale.length > 0) {
        text += ` Stale (past their end, or over ${DEFAULTS.staleAfterHours}h with no long-running note): ${stale.map((r) => r.id).join(", ")}; release them or extend them (slots extend N --long-running "why" --until DATE).`;
    }
    // The queue's model only when there is a queue: `slots list` runs in pre-commit hooks and
    // keeps its start-up to the modules it needs (cli/index.ts requires lazily for the same reason).
    const owed = settings.waitlist.length > 0 ? [...(require("./queue") as typeof import("./queue")).owedSlots(settings).keys()] : [];
    const promote = owed.length > 0 ? `Free while tasks wait for them: ${owed.map((n) => `staging-${n}`).join(", ")}; slots promote moves the waiters in.\n` : "";
    io.stdout(`${text}\n${renderWaitlist(waitRows(settings, io.now()))}${promote}`);
    return 0;
}

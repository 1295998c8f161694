// `slots list`: every slot of the stack with its claim, as an aligned table for people (colour on
// a terminal only) or as JSON with a fixed shape for scripts.

import { catalogue } from "../components/catalogue";
import { DEFAULTS, Settings } from "../components/settings";
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
    readonly status: "available" | "in-use";
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
    readonly redeploy: number | null;
    /** Claimed over 24 hours ago with no long-running note. */
    readonly stale: boolean;
}

/** The rows of every slot, in slot order. */
export function slotRows(settings: Settings, now: Date): SlotRow[] {
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
            status: c ? "in-use" : "available",
            owner: c?.owner ?? null,
            task: c?.task ?? null,
            branch: c?.branch ?? null,
            commit: c?.commit ?? null,
            purpose: c ? c.purpose || null : null,
            claimedAt: c?.claimedAt ?? null,
            ageSeconds,
            pool: c?.pool ?? null,
            longRunning: c?.longRunning ?? null,
            redeploy: c?.redeploy ?? null,
            stale: c !== undefined && !c.longRunning && (ageSeconds as number) > DEFAULTS.staleAfterHours * 3600,
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

/** The rows as an aligned text table; `colour` adds ANSI colours to the status column. */
export function renderTable(rows: readonly SlotRow[], colour: boolean): string {
    const header = ["SLOT", "STATUS", "OWNER", "TASK", "BRANCH", "COMMIT", "AGE", "POOL", "URL", "UI", "AIRFLOW", "DATABASE", "NOTE"];
    const cells = rows.map((r) => {
        const status = r.status === "available" ? "available" : r.stale ? "in use, STALE" : "in use";
        const note = r.longRunning ? `long-running: ${r.longRunning}` : r.purpose ?? "";
        return [
            r.id,
            status,
            r.owner ?? "-",
            r.task ?? "-",
            r.branch ?? "-",
            r.commit ? r.commit.slice(0, 7) : "-",
            r.ageSeconds === null ? "-" : age(r.ageSeconds),
            r.pool ?? (r.pools.join(",") || "-"),
            r.url,
            String(r.campaignUiPort),
            String(r.airflowPort),
            r.database,
            note,
        ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (c: readonly string[], paint?: (i: number, text: string) => string): string =>
        c
            .map((text, i) => {
                const padded = i === c.length - 1 ? text : text.padEnd(widths[i]);
                return paint ? paint(i, padded) : padded;
            })
            .join("  ")
            .trimEnd();
    const out = [line(header, colour ? (_, t) => `${COLOUR.dim}${t}${COLOUR.reset}` : undefined)];
    rows.forEach((r, n) => {
        const paint = colour
            ? (i: number, t: string): string => {
                  if (i !== 1) return t;
                  const c = r.status === "available" ? COLOUR.green : r.stale ? COLOUR.red : COLOUR.yellow;
                  return `${c}${t}${COLOUR.reset}`;
              }
            : undefined;
        out.push(line(cells[n], paint));
    });
    return `${out.join("\n")}\n`;
}

/** `slots list`. */
export async function listCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { json: { type: "boolean" } }, LIST_HELP, 0);
    if (args.help) {
        io.stdout(LIST_HELP);
        return 0;
    }
    const stack = readStack(io, args.stack);
    const settings = requireSettings(stack, "list the slots");
    const rows = slotRows(settings, io.now());
    if (args.flag("json")) {
        io.stdout(`${JSON.stringify({ stack: stack.stack, file: stack.name, slots: rows }, null, 2)}\n`);
        return 0;
    }
    const colour = io.isTTY && !io.env.NO_COLOR;
    const held = rows.filter((r) => r.status === "in-use").length;
    const stale = rows.filter((r) => r.stale);
    let text = renderTable(rows, colour);
    text += `${held} of ${rows.length} slots in use.`;
    if (stale.length > 0) {
        text += ` Stale (over ${DEFAULTS.staleAfterHours}h, no long-running note): ${stale.map((r) => r.id).join(", ")}; release them or add a note (slots extend N --long-running "why").`;
    }
    io.stdout(`${text}\n`);
    return 0;
}

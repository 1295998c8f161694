// `slots report`: the daily report's one open issue. Reads what `slots status --json` and
// `slots list --json` printed, and keeps one issue titled ATTENTION_TITLE in step with it: opened
// when a slot is down, drifted, occupied or stale, its body rewritten on every run while
// something needs attention, closed once all is well. Run by the report workflow on main's
// reviewed code with the workflow's own token (issues: write), through `gh`.

import { readFileSync } from "node:fs";
import * as path from "node:path";

import { utcTimestamp } from "../components/expiry";
import { DEFAULTS } from "../components/settings";
import { parseCommand } from "./args";
import { Gh, ghCli } from "./github";
import { REPORT_HELP } from "./help";
import { Io, UsageError, UserError } from "./io";
import { SlotRow, age } from "./list";
import { SlotState } from "./slotState";
import { StatusReport, StatusRow } from "./status";

/** The title of the report's issue; the workflow finds its issue by this exact title. */
export const ATTENTION_TITLE = "Staging slots need attention";

/** The states that need someone to act. */
const ATTENTION_STATES: readonly SlotState[] = ["down", "drifted", "occupied"];

/** One line per slot that needs attention: the slot, its holder, what is wrong, what to do. */
export function attentionLines(status: StatusReport, list: readonly SlotRow[]): string[] {
    const lines: string[] = [];
    const holder = (r: Pick<StatusRow, "owner" | "task">): string => (r.owner ? `${r.owner}, ${r.task}` : "Available");
    for (const r of status.slots) {
        if (ATTENTION_STATES.includes(r.state)) lines.push(`- **${r.id}** (${holder(r)}) is ${r.state}: ${r.detail}. To do: ${r.action ?? "nothing"}.`);
    }
    for (const r of list) {
        if (!r.stale) continue;
        const probed = status.slots.find((s) => s.slot === r.slot);
        const also = probed && ATTENTION_STATES.includes(probed.state) ? " (see above)" : "";
        lines.push(
            `- **${r.id}** (${r.owner}, ${r.task}) is stale${also}: claimed ${age(r.ageSeconds ?? 0)} ago with no long-running note. To do: release it (\`npx slots release ${r.slot}\`) or say why it stays (\`npx slots extend ${r.slot} --long-running "why"\`), in a pull request.`,
        );
    }
    return lines;
}

/** The issue body for `lines`. */
export function attentionBody(lines: readonly string[], status: StatusReport, checkedAt: string, runUrl: string | undefined): string {
    return [
        `The daily check of the staging slots found ${lines.length} thing${lines.length === 1 ? "" : "s"} to do (${checkedAt}${runUrl ? `, [run](${runUrl})` : ""}).`,
        "",
        ...lines,
        "",
        `States: ${Object.entries(status.summary).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(", ")}.${status.registry.read ? "" : ` ${status.registry.note ?? ""}`}`,
        "",
        `This issue is kept up to date by the "Staging slots report" workflow and closed when all is well; a claim older than ${DEFAULTS.staleAfterHours}h without a long-running note is stale. See the README's "Is my slot up?" for each state.`,
    ].join("\n") + "\n";
}

function readJson<T>(io: Io, file: string, what: string): T {
    try {
        return JSON.parse(readFileSync(path.resolve(io.cwd, file), "utf8")) as T;
    } catch (e) {
        throw new UserError([`cannot read ${what} from ${file}: ${(e as Error).message.split("\n")[0]}; write it with slots ${what === "the status" ? "status --json" : "list --json"} > ${file}`]);
    }
}

/** Opens, updates or closes the report's issue; returns the line to print. */
export async function syncAttentionIssue(gh: Gh, lines: readonly string[], body: string): Promise<string> {
    const open = (JSON.parse(await gh(["issue", "list", "--state", "open", "--search", `"${ATTENTION_TITLE}" in:title`, "--json", "number,title", "--limit", "50"])) as Array<{ number: number; title: string }>).filter(
        (i) => i.title === ATTENTION_TITLE,
    );
    const [issue, ...extra] = open.sort((a, b) => a.number - b.number);
    // Duplicates (two runs racing, or one opened by hand) are closed in favour of the oldest.
    for (const e of extra) await gh(["issue", "close", String(e.number), "--comment", `Duplicate of #${issue.number}.`]);
    if (lines.length === 0) {
        if (!issue) return "All staging slots are well; no issue open.";
        await gh(["issue", "close", String(issue.number), "--comment", "All staging slots are well again."]);
        return `All staging slots are well; closed #${issue.number}.`;
    }
    if (!issue) {
        const url = (await gh(["issue", "create", "--title", ATTENTION_TITLE, "--body-file", "-"], body)).trim();
        return `${lines.length} slot problem${lines.length === 1 ? "" : "s"}; opened ${url}`;
    }
    await gh(["issue", "edit", String(issue.number), "--body-file", "-"], body);
    return `${lines.length} slot problem${lines.length === 1 ? "" : "s"}; updated #${issue.number}`;
}

/** `slots report`. */
export async function reportCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { status: { type: "string" }, list: { type: "string" }, "run-url": { type: "string" } }, REPORT_HELP, 0);
    if (args.help) {
        io.stdout(REPORT_HELP);
        return 0;
    }
    const statusFile = args.string("status");
    const listFile = args.string("list");
    if (statusFile === undefined || listFile === undefined) throw new UsageError("--status FILE and --list FILE are both required", REPORT_HELP);
    const status = readJson<StatusReport>(io, statusFile, "the status");
    const list = readJson<{ slots?: SlotRow[] }>(io, listFile, "the list");
    if (!Array.isArray(status.slots) || !Array.isArray(list.slots)) {
        throw new UserError([`${statusFile} or ${listFile} is not what slots status --json and slots list --json print`]);
    }
    const lines = attentionLines(status, list.slots);
    const body = attentionBody(lines, status, utcTimestamp(io.now()), args.string("run-url"));
    try {
        io.stdout(`${await syncAttentionIssue(ghCli(io.env), lines, body)}\n`);
    } catch (e) {
        throw new UserError([`the attention issue was not updated: ${(e as Error).message}`]);
    }
    return 0;
}

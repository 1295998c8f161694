// `slots status`: what every slot really serves. Probes each slot's /api/version in parallel
// (cli/probe.ts), reads the registry when given one (cli/registryRead.ts), and judges each slot
// against its claim (cli/slotState.ts). Read-only: it changes nothing anywhere, so anyone may
// run it; the only credential it can use is a registry connection string the caller passes (and,
// with --from-stack, the caller's own pulumi login, to read the stack outputs: cli/deployments.ts).

import { SlotLayout, catalogue } from "../components/catalogue";
import { hostOfSlot } from "../components/hosts";
import { DEFAULTS, Settings } from "../components/settings";
import { parseCommand, slotArgument } from "./args";
import { Deployment, stackDeployments } from "./deployments";
import { STATUS_HELP } from "./help";
import { HostStatus, freeDiskText, hostDisk, slotRanges } from "./hostDisk";
import { Io, UsageError, UserError } from "./io";
import { PROBE_CONCURRENCY, mapLimit, probe } from "./probe";
import { RegistryReading, readRegistry, registryUrl } from "./registryRead";
import { SLOT_STATES, SlotState, judgeSlot } from "./slotState";
import { readStack, requireSettings } from "./stack";

/** The per-request timeout when --timeout is not given, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 5;
const MAX_TIMEOUT_SECONDS = 60;

const PLACEHOLDERS = ["slot", "identifier", "domain", "campaignUiPort", "host"] as const;

/** One slot in `slots status --json`; every key is always present (null when it does not apply). */
export interface StatusRow {
    readonly slot: number;
    readonly id: string;
    /** The host (droplet) the stack file places the slot on. */
    readonly host: string;
    /** The slot's public URL. */
    readonly url: string;
    /** What was probed. */
    readonly probeUrl: string;
    readonly state: SlotState;
    readonly owner: string | null;
    readonly task: string | null;
    readonly branch: string | null;
    /** The claimed commit. */
    readonly commit: string | null;
    /** The commit the app reports. */
    readonly reported: string | null;
    /** The HTTP status of the answer; null when there was none. */
    readonly httpStatus: number | null;
    /** The connection or TLS error, shortened; null when the slot answered. */
    readonly error: string | null;
    /** The registry row's commit and deployment time; null when not read or no row. */
    readonly registry: { readonly status: string; readonly commit: string | null; readonly deployedAt: string | null } | null;
    readonly detail: string;
    readonly action: string | null;
}

/** The whole `slots status --json` answer. */
export interface StatusReport {
    readonly stack: string;
    readonly file: string;
    readonly timeoutSeconds: number;
    readonly registry: { readonly read: boolean; readonly note: string | null };
    readonly slots: readonly StatusRow[];
    /** Every host with slots in this report, and its free disk (null, with a note, when unknown). */
    readonly hosts: readonly HostStatus[];
    /** Whether the stack outputs (where free disk comes from) were read: --from-stack. */
    readonly stackOutputs: { readonly read: boolean };
    /** How many probed slots are in each state. */
    readonly summary: Readonly<Record<SlotState, number>>;
    /** Every probed, claimed slot is serving (the exit code is 0). */
    readonly ok: boolean;
}

/** Reads --timeout: seconds, above 0 and at most 60; DEFAULT_TIMEOUT_SECONDS when not given. */
export function timeoutOption(text: string | undefined, usage: string): number {
    if (text === undefined) return DEFAULT_TIMEOUT_SECONDS;
    const seconds = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || seconds <= 0 || seconds > MAX_TIMEOUT_SECONDS) {
        throw new UsageError(`--timeout must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}, got "${text}"`, usage);
    }
    return seconds;
}

/** Checks a --url-template: only known placeholders, and it must expand to an http(s) URL. */
export function checkUrlTemplate(template: string, usage: string): string {
    for (const m of template.matchAll(/\{([^}]*)\}/g)) {
        if (!(PLACEHOLDERS as readonly string[]).includes(m[1])) {
            throw new UsageError(`--url-template: unknown placeholder {${m[1]}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`, usage);
        }
    }
    const sample = expandTemplate(template, { slot: 1, identifier: "staging-1", campaignUiPort: 5001 } as SlotLayout, "example.org", DEFAULTS.host);
    let url: URL;
    try {
        url = new URL(sample);
    } catch {
        throw new UsageError(`--url-template: "${template}" does not give a URL (e.g. http://127.0.0.1:{campaignUiPort})`, usage);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new UsageError(`--url-template: "${template}" must give an http:// or https:// URL`, usage);
    }
    return template;
}

function expandTemplate(template: string, s: Pick<SlotLayout, "slot" | "identifier" | "campaignUiPort">, domain: string, host: string): string {
    const values: Record<(typeof PLACEHOLDERS)[number], string> = {
        slot: String(s.slot),
        identifier: s.identifier,
        domain,
        campaignUiPort: String(s.campaignUiPort),
        host,
    };
    return template.replace(/\{(slot|identifier|domain|campaignUiPort|host)\}/g, (_, k: (typeof PLACEHOLDERS)[number]) => values[k]);
}

/**
 * The URL probed for a slot: the template (or the public URL) with /api/version. `host` is the
 * slot's host name for {host} (default `staging`, the single host of a stack without hosts).
 */
export function probeUrl(s: SlotLayout, domain: string, template: string | undefined, host: string = DEFAULTS.host): string {
    const base = template === undefined ? s.url : expandTemplate(template, s, domain, host);
    return `${base.replace(/\/+$/, "")}/api/version`;
}

/** What `slots status` needs besides the stack. */
export interface StatusOptions {
    readonly slots?: readonly number[];
    readonly timeoutSeconds: number;
    readonly urlTemplate?: string;
    readonly registryUrl?: string;
    /**
     * The stack outputs' deployments (cli/deployments.ts), or the pending read of them, for each
     * host's free disk; absent: not read, every host's free disk is unknown.
     */
    readonly deployments?: ReadonlyMap<number, Deployment> | Promise<ReadonlyMap<number, Deployment> | undefined>;
}

/** Probes and judges the slots; never throws for a network or registry failure (a rejected `deployments` read rejects it). */
export async function slotStatus(settings: Settings, stack: { stack: string; name: string }, options: StatusOptions): Promise<StatusReport> {
    const timeoutMs = options.timeoutSeconds * 1000;
    const all = catalogue(settings.slotCount, settings.domain);
    const chosen = options.slots ? all.filter((s) => options.slots?.includes(s.slot)) : all;
    const placed = hostOfSlot(settings.hosts);
    const hostOf = (slot: number): string => placed.get(slot) ?? DEFAULTS.host;
    const urls = chosen.map((s) => probeUrl(s, settings.domain, options.urlTemplate, hostOf(s.slot)));
    const [registry, probes, deployments] = await Promise.all([
        readRegistry(options.registryUrl, timeoutMs),
        mapLimit(urls, PROBE_CONCURRENCY, (url) => probe(url, timeoutMs)),
        options.deployments,
    ]);
    const rows = chosen.map((s, i) => statusRow(s, settings, registry, urls[i], probes[i], hostOf(s.slot)));
    const hosts = hostDisk(settings.hosts.filter((h) => chosen.some((s) => h.slots.includes(s.slot))), deployments);
    const summary = Object.fromEntries(SLOT_STATES.map((st) => [st, rows.filter((r) => r.state === st).length])) as Record<SlotState, number>;
    return {
        stack: stack.stack,
        file: stack.name,
        timeoutSeconds: options.timeoutSeconds,
        registry: { read: registry.kind === "rows", note: registry.kind === "skipped" ? registry.note : null },
        slots: rows,
        hosts,
        stackOutputs: { read: deployments !== undefined },
        summary,
        ok: rows.every((r) => r.commit === null || r.state === "serving"),
    };
}

function statusRow(s: SlotLayout, settings: Settings, registry: RegistryReading, url: string, result: Parameters<typeof judgeSlot>[0]["probe"], host: string): StatusRow {
    const claim = settings.claims.get(s.slot);
    const row = registry.kind === "rows" ? registry.rows.get(s.slot) : "unread";
    const j = judgeSlot({ slot: s.slot, identifier: s.identifier, claim, row, probe: result });
    return {
        slot: s.slot,
        id: s.identifier,
        host,
        url: s.url,
        probeUrl: url,
        state: j.state,
        owner: claim?.owner ?? null,
        task: claim?.task ?? null,
        branch: claim?.branch ?? null,
        commit: claim?.commit ?? null,
        reported: j.reported,
        httpStatus: result.kind === "answer" ? result.httpStatus : null,
        error: result.kind === "error" ? result.error : null,
        registry: row && row !== "unread" ? { status: row.status, commit: row.commit, deployedAt: row.deployedAt } : null,
        detail: j.detail,
        action: j.action,
    };
}

const COLOUR: Readonly<Record<SlotState, string>> = { serving: "\u001b[32m", pending: "\u001b[33m", drifted: "\u001b[31m", down: "\u001b[31m", free: "\u001b[2m", occupied: "\u001b[31m" };
const RESET = "\u001b[0m";

/** The report as an aligned table, then one line per slot that needs something done. */
export function renderStatus(report: StatusReport, colour: boolean): string {
    const header = ["SLOT", "STATE", "OWNER", "TASK", "CLAIMED", "REPORTED", "DEPLOYED", "HOST", "DETAIL"];
    const cells = report.slots.map((r) => [
        r.id,
        r.state,
        r.owner ?? "-",
        r.task ?? "-",
        r.commit ? r.commit.slice(0, 7) : "-",
        r.reported ? r.reported.slice(0, 7) : "-",
        // "?" where the registry was not read but would say when the claim was deployed.
        r.registry?.deployedAt ?? (report.registry.read || r.commit === null ? "-" : "?"),
        r.host,
        r.detail,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (c: readonly string[], state?: SlotState): string =>
        c
            .map((text, i) => {
                const padded = i === c.length - 1 ? text : text.padEnd(widths[i]);
                return colour && state && i === 1 ? `${COLOUR[state]}${padded}${RESET}` : padded;
            })
            .join("  ")
            .trimEnd();
    const out = [line(header), ...cells.map((c, i) => line(c, report.slots[i].state))];
    out.push("", ...hostLines(report.hosts));
    const todo = report.slots.filter((r) => r.action !== null);
    if (todo.length > 0) {
        out.push("", "What to do:");
        for (const r of todo) out.push(`  ${r.id} (${r.owner ? `${r.owner}, ${r.task}` : "Available"}) is ${r.state}: ${r.action}`);
    }
    const counts = SLOT_STATES.filter((s) => report.summary[s] > 0).map((s) => `${report.summary[s]} ${s}`);
    out.push("", `${counts.join(", ")}.`);
    return `${out.join("\n")}\n`;
}

/** The hosts as an aligned table: name, slots, free disk ("unknown" and why, never left out). */
export function hostLines(hosts: readonly HostStatus[]): string[] {
    const cells = [["HOST", "SLOTS", "FREE DISK"], ...hosts.map((h) => [h.name, slotRanges(h.slots), freeDiskText(h)])];
    const widths = [0, 1].map((i) => Math.max(...cells.map((c) => c[i].length)));
    return cells.map((c) => `${c[0].padEnd(widths[0])}  ${c[1].padEnd(widths[1])}  ${c[2]}`);
}

/** `slots status`. */
export async function statusCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(
        argv,
        { json: { type: "boolean" }, timeout: { type: "string" }, "url-template": { type: "string" }, "registry-url": { type: "string" }, "from-stack": { type: "boolean" } },
        STATUS_HELP,
        Number.MAX_SAFE_INTEGER,
    );
    if (args.help) {
        io.stdout(STATUS_HELP);
        return 0;
    }
    const slots = args.positionals.map((p) => slotArgument(p, STATUS_HELP));
    const timeoutSeconds = timeoutOption(args.string("timeout"), STATUS_HELP);
    const template = args.string("url-template");
    if (template !== undefined) checkUrlTemplate(template, STATUS_HELP);
    const stack = readStack(io, args.stack);
    const settings = requireSettings(stack, "probe the slots");
    const beyond = slots.filter((n) => n > settings.slotCount);
    if (beyond.length > 0) {
        throw new UserError(beyond.map((n) => `there is no staging-${n}: this stack has ${settings.slotCount} slots`));
    }
    const report = await slotStatus(settings, stack, {
        slots: slots.length > 0 ? slots : undefined,
        timeoutSeconds,
        urlTemplate: template,
        registryUrl: registryUrl(args.string("registry-url"), io.env),
        // Read alongside the probes; a failure is the user's to fix (log in, select the stack).
        ...(args.flag("from-stack") ? { deployments: stackDeployments(io, args.stack, true) } : {}),
    });
    if (report.registry.note) io.stderr(`${report.registry.note}\n`);
    if (args.flag("json")) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else io.stdout(renderStatus(report, io.isTTY && !io.env.NO_COLOR));
    return report.ok ? 0 : 1;
}

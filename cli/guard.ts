// `slots guard`: the checks around `pulumi up` on main, and before a trusted preview of a pull
// request's stack file. It compares the config between REV and the working tree (anything but
// the claims is a host change), and reads what a real `pulumi preview --json` would do, or what
// `pulumi up` did (its event log), refusing (exit 1, one line per problem) a replace or delete of
// a protected resource, or a change outside the slots whose claims differ.

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import { Claim } from "../components/settings";
import { hostConfigChanges } from "../offline/configChanges";
import { StackFileError, parseStackConfig, readStackFileText } from "../offline/stackFile";
import { usageErrorOf } from "./args";
import { reportError } from "./commandErrors";
import {
    CONFIG_KEY_TYPE,
    PreviewFormatError,
    PreviewStep,
    Violation,
    changedClaimSlots,
    countChanges,
    formatViolation,
    judgePreview,
    parseEventLog,
    parsePreview,
} from "./guardRules";
import { Io, UsageError, UserError } from "./io";
import { commitSlots, placementChanges, settingsOfConfig } from "./placement";
import { stackFileAt } from "./revision";

export const GUARD_USAGE = `\
Usage: slots guard (--preview FILE | --events FILE | --config-only) [--base REV] [--allow-shared]
                   [--json] [--stack NAME]

Judges a change to the stack against the revision last deployed, and exits 1, one line per
problem, when it goes beyond the claims:
- any config key other than the claims and the waitlist that differs between REV and the working
  tree's Pulumi.<stack>.yaml (repository, appEnv, a secret, a provider's key, ...) is a host change;
- a resource change that replaces or deletes a protected resource (a host's droplet or reserved
  IP, the database cluster, any slot database or role), deletes the firewall, the database's
  trusted sources or the reserved IP's assignment, or touches anything outside the slots whose
  claims differ;
- a slot that moves to another host (a host change, refused even with --allow-shared while the
  slot stays claimed).

Options:
  --preview FILE        judge a preview: the JSON of pulumi preview --json > FILE
  --events FILE         judge what pulumi up did: its engine events (pulumi up --event-log FILE);
                        the steps it executed are held to the same rules, after the fact
  --config-only         judge the config alone, before any preview runs with it
  --base REV            the revision last deployed (default: HEAD)
  --allow-shared        also allow host changes (config keys and resources outside the changed
                        slots), for a deliberate host change; protected resources are still never
                        replaced or deleted
  --json                {"ok","changedSlots","changes","violations":[{"name","type","slot","ops","reason"}]};
                        a changed config key has the type "config key"
  --stack NAME          the stack whose file is read (default: staging)
  -h, --help            show this help
`;

/** What the guard judges besides the config. */
type Subject = { readonly kind: "preview" | "events"; readonly file: string } | { readonly kind: "config" };

interface GuardOptions {
    readonly subject?: Subject;
    readonly base: string;
    readonly allowShared: boolean;
    readonly json: boolean;
    readonly stack: string;
    readonly help: boolean;
}

function parse(argv: string[]): GuardOptions {
    try {
        const { values } = parseArgs({
            args: argv,
            options: {
                preview: { type: "string" },
                events: { type: "string" },
                "config-only": { type: "boolean" },
                base: { type: "string" },
                "allow-shared": { type: "boolean" },
                json: { type: "boolean" },
                stack: { type: "string" },
                help: { type: "boolean", short: "h" },
            },
            strict: true,
            allowPositionals: false,
        });
        const subjects: Subject[] = [
            ...(values.preview !== undefined ? [{ kind: "preview" as const, file: values.preview }] : []),
            ...(values.events !== undefined ? [{ kind: "events" as const, file: values.events }] : []),
            ...(values["config-only"] === true ? [{ kind: "config" as const }] : []),
        ];
        if (subjects.length > 1) throw new Error("give one of --preview FILE, --events FILE and --config-only");
        return {
            ...(subjects.length === 1 ? { subject: subjects[0] } : {}),
            base: values.base ?? "HEAD",
            allowShared: values["allow-shared"] === true,
            json: values.json === true,
            stack: values.stack ?? "staging",
            help: values.help === true,
        };
    } catch (e) {
        throw usageErrorOf(e, ["preview", "events", "config-only", "base", "allow-shared", "json"], GUARD_USAGE);
    }
}

/** The steps in a preview or an event log; a missing file is the user's to fix. */
function readSteps(subject: { readonly kind: "preview" | "events"; readonly file: string }, cwd: string): PreviewStep[] {
    let text: string;
    try {
        text = readFileSync(path.resolve(cwd, subject.file), "utf8");
    } catch (e) {
        const how = subject.kind === "preview" ? `pulumi preview --json > ${subject.file}` : `pulumi up --event-log ${subject.file}`;
        throw new UserError([`cannot read ${subject.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; write it with: ${how}`]);
    }
    return subject.kind === "preview" ? parsePreview(text, subject.file) : parseEventLog(text, subject.file);
}

/** The violation of a changed host setting; formatViolation prints it as `<key>: <reason>`. */
function hostKeyViolation(key: string, base: string, newFile: boolean): Violation {
    const what = newFile ? `is set in a stack file that did not exist at ${base}` : `changed since ${base}`;
    return {
        urn: key,
        type: CONFIG_KEY_TYPE,
        name: key,
        ops: [],
        slot: null,
        reason: `${what}; it is a host setting, not a claim (only the claims may change in a claim's deployment); review it as its own pull request and deploy it with --allow-shared`,
    };
}

/** Runs `slots guard`; returns the exit code. */
export async function guardCommand(argv: string[], io: Io): Promise<number> {
    try {
        const opts = parse(argv);
        if (opts.help) {
            io.stdout(GUARD_USAGE);
            return 0;
        }
        const subject = opts.subject;
        if (subject === undefined) throw new UsageError("--preview FILE, --events FILE or --config-only is required", GUARD_USAGE);
        const steps = subject.kind === "config" ? [] : readSteps(subject, io.cwd);

        const now = io.now();
        const headFile = readStackFileText(io.cwd, opts.stack);
        const file = headFile.name;
        const headSettings = settingsOfConfig(parseStackConfig(headFile.text, file), file, now);
        const head = headSettings.claims;
        const baseName = `${file} at ${opts.base}`;
        const baseText = await stackFileAt(io.cwd, opts.base, file);
        const baseSettings = baseText === undefined ? undefined : settingsOfConfig(parseStackConfig(baseText, baseName), baseName, now);
        const base = baseSettings?.claims ?? new Map<number, Claim>();
        const changedSlots = new Set(changedClaimSlots(base, head));
        const moves = placementChanges(baseSettings, headSettings);
        // The config itself, not only what the preview shows: a claim pull request that also
        // changes a host setting must not ride through on a preview that happens to look quiet.
        const hostKeys = hostConfigChanges(baseText === undefined ? undefined : { text: baseText, name: baseName }, headFile);

        const violations: Violation[] = [
            ...(opts.allowShared ? [] : hostKeys.map((key) => hostKeyViolation(key, opts.base, baseText === undefined))),
            ...judgePreview(steps, {
                changedSlots,
                allowShared: opts.allowShared,
                base: opts.base,
                moves,
                commitSlots: commitSlots(baseSettings, headSettings),
            }),
        ];
        if (opts.json) {
            const out = {
                ok: violations.length === 0,
                changedSlots: [...changedSlots],
                changes: countChanges(steps),
                violations: violations.map((v) => ({ name: v.name, type: v.type, slot: v.slot, ops: v.ops, reason: v.reason })),
            };
            io.stdout(`${JSON.stringify(out, null, 2)}\n`);
            return violations.length === 0 ? 0 : 1;
        }
        if (violations.length > 0) throw new UserError(violations.map(formatViolation));

        const scope = opts.allowShared
            ? `changes outside the claimed slots allowed (--allow-shared)${hostKeys.length > 0 ? `; host settings changed: ${hostKeys.join(", ")}` : ""}`
            : changedSlots.size === 0
              ? `no claim changed since ${opts.base}`
              : `claims changed since ${opts.base}: ${[...changedSlots].map((s) => `staging-${s}`).join(", ")}`;
        if (subject.kind === "config") {
            io.stdout(`guard: ok: no host setting changed${opts.allowShared ? " that --allow-shared does not allow" : ""}; ${scope}\n`);
            return 0;
        }
        const n = countChanges(steps);
        const what = subject.kind === "events" ? "changed by pulumi up" : "to change";
        io.stdout(`guard: ok: ${n} resource${n === 1 ? "" : "s"} ${what}, none protected replaced or deleted; ${scope}\n`);
        return 0;
    } catch (e) {
        if (e instanceof PreviewFormatError) return reportError(new UserError([e.message]), io);
        if (e instanceof StackFileError) return reportError(new UserError([e.message]), io);
        return reportError(e, io);
    }
}

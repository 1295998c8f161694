// `slots guard --preview FILE [--base REV]`: the last check before `pulumi up` on main. It reads
// what a real `pulumi preview --json` would do and refuses (exit 1, one line per resource) when
// it would replace or delete a protected resource, or change anything outside the slots whose
// claims differ between REV and the working tree.

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import { decodeEngineConfig } from "../components/configDecode";
import { Claim } from "../components/settings";
import { formatProblem, validateSettings } from "../components/validation";
import { hostConfigChanges } from "../offline/configChanges";
import { EngineConfig, StackFileError, parseStackConfig, readStackFileText } from "../offline/stackFile";
import { usageErrorOf } from "./args";
import { reportError } from "./commandErrors";
import { CONFIG_KEY_TYPE, PreviewFormatError, Violation, changedClaimSlots, countChanges, formatViolation, judgePreview, parsePreview } from "./guardRules";
import { Io, UsageError, UserError } from "./io";
import { stackFileAt } from "./revision";

export const GUARD_USAGE = `\
Usage: slots guard --preview FILE [--base REV] [--allow-shared] [--json] [--stack NAME]

Reads the JSON of \`pulumi preview --json\` and exits 1, naming each offending resource, if the
preview would replace or delete a protected resource (the droplet, the reserved IP, the database
cluster, any slot database or role) or change any resource outside the slots whose claims differ
between REV and the working tree's Pulumi.<stack>.yaml. Any config key other than the claims that
differs between the two (repository, appEnv, a secret, a provider's key, ...) is a host change and
fails too, naming the key, whatever the preview shows.

Options:
  --preview FILE        the preview's JSON (pulumi preview --json > FILE)
  --base REV            the revision last deployed (default: HEAD)
  --allow-shared        also allow host changes (config keys and resources outside the changed
                        slots), for a deliberate host change; protected resources are still never
                        replaced or deleted
  --json                {"ok","changedSlots","changes","violations":[{"name","type","slot","ops","reason"}]}
  --stack NAME          the stack whose file is read (default: staging)
  -h, --help            show this help
`;

interface GuardOptions {
    readonly preview?: string;
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
                base: { type: "string" },
                "allow-shared": { type: "boolean" },
                json: { type: "boolean" },
                stack: { type: "string" },
                help: { type: "boolean", short: "h" },
            },
            strict: true,
            allowPositionals: false,
        });
        return {
            ...(values.preview !== undefined ? { preview: values.preview } : {}),
            base: values.base ?? "HEAD",
            allowShared: values["allow-shared"] === true,
            json: values.json === true,
            stack: values.stack ?? "staging",
            help: values.help === true,
        };
    } catch (e) {
        throw usageErrorOf(e, ["preview", "base", "allow-shared", "json"], GUARD_USAGE);
    }
}

/** The validated claims of a stack config; every problem is the user's to fix. */
function claimsOf(config: EngineConfig, where: string, now: Date): ReadonlyMap<number, Claim> {
    const result = validateSettings(decodeEngineConfig(config.values), now);
    if (!result.settings) throw new UserError(result.errors.map((p) => `${where}: ${formatProblem(p)}`));
    return result.settings.claims;
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
        if (opts.preview === undefined) throw new UsageError("--preview FILE is required", GUARD_USAGE);

        const previewPath = path.resolve(io.cwd, opts.preview);
        let text: string;
        try {
            text = readFileSync(previewPath, "utf8");
        } catch (e) {
            throw new UserError([`cannot read ${opts.preview}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; write it with: pulumi preview --json > ${opts.preview}`]);
        }
        const steps = parsePreview(text, opts.preview);

        const now = io.now();
        const headFile = readStackFileText(io.cwd, opts.stack);
        const file = headFile.name;
        const head = claimsOf(parseStackConfig(headFile.text, file), file, now);
        const baseName = `${file} at ${opts.base}`;
        const baseText = stackFileAt(io.cwd, opts.base, file);
        const base = baseText === undefined
            ? new Map<number, Claim>()
            : claimsOf(parseStackConfig(baseText, baseName), baseName, now);
        const changedSlots = new Set(changedClaimSlots(base, head));
        // The config itself, not only what the preview shows: a claim pull request that also
        // changes a host setting must not ride through on a preview that happens to look quiet.
        const hostKeys = hostConfigChanges(baseText === undefined ? undefined : { text: baseText, name: baseName }, headFile);

        const violations: Violation[] = [
            ...(opts.allowShared ? [] : hostKeys.map((key) => hostKeyViolation(key, opts.base, baseText === undefined))),
            ...judgePreview(steps, { changedSlots, allowShared: opts.allowShared, base: opts.base }),
        ];
        if (opts.json) {
            const out = {
                ok: violations.length === 0,
                changedSlots: [...changedSlots],
                changes: countChanges(steps),
                violations: violations.map((v) => ({ name: v.name, type: v.type, slot: v.slot, ops: v.ops, reason: v.reason })),
            };
            io.stdout(`${JSON.stringify(out, null, 2)}
`);
            return violations.length === 0 ? 0 : 1;
        }
        if (violations.length > 0) throw new UserError(violations.map(formatViolation));

        const scope = opts.allowShared
            ? `changes outside the claimed slots allowed (--allow-shared)${hostKeys.length > 0 ? `; host settings changed: ${hostKeys.join(", ")}` : ""}`
            : changedSlots.size === 0
              ? `no claim changed since ${opts.base}`
              : `claims changed since ${opts.base}: ${[...changedSlots].map((s) => `staging-${s}`).join(", ")}`;
        const n = countChanges(steps);
        io.stdout(`guard: ok: ${n} resource${n === 1 ? "" : "s"} to change, none protected replaced or deleted; ${scope}\n`);
        return 0;
    } catch (e) {
        if (e instanceof PreviewFormatError) return reportError(new UserError([e.message]), io);
        if (e instanceof StackFileError) return reportError(new UserError([e.message]), io);
        return reportError(e, io);
    }
}

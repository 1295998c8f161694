// `slots plan [--base REV] [--json]`: runs the real program offline (Pulumi's mock runtime, as
// `npm run plan` does) for the stack file at REV and in the working tree, and prints the resources
// that change between the two, grouped by slot. Needs no cloud account, state, secret or Pulumi
// CLI, so it runs on pull requests from forks too.

import * as path from "node:path";
import { parseArgs } from "node:util";

import { ConfigError, formatProblem } from "../components/validation";
import { changesJson, diffEvaluations, renderChanges, secretInputKeys } from "../offline/planDiff";
import { Evaluation, evaluate } from "../offline/recorder";
import { EngineConfig, StackFileError, parseStackConfig, readStackConfigFile, stackFilePath } from "../offline/stackFile";
import { usageErrorOf } from "./args";
import { reportError } from "./commandErrors";
import { Io, UserError } from "./io";
import { stackFileAt } from "./revision";

export const PLAN_USAGE = `\
Usage: slots plan [--base REV] [--json] [--stack NAME]

Evaluates the program offline for Pulumi.<stack>.yaml in the working tree and at a git revision,
and prints the resources created, updated and deleted between the two, grouped by slot, with the
input keys that change. Secret values never print; a changed secret shows as its key.

Options:
  --base REV            the revision to compare against (default: HEAD)
  --json                {"changes":[{"op","slot","type","name","keys"}]} instead of text
  --stack NAME          the stack whose file is read (default: staging)
  -h, --help            show this help
`;

function parse(argv: string[]): { base: string; json: boolean; stack: string; help: boolean } {
    try {
        const { values } = parseArgs({
            args: argv,
            options: {
                base: { type: "string" },
                json: { type: "boolean" },
                stack: { type: "string" },
                help: { type: "boolean", short: "h" },
            },
            strict: true,
            allowPositionals: false,
        });
        return { base: values.base ?? "HEAD", json: values.json === true, stack: values.stack ?? "staging", help: values.help === true };
    } catch (e) {
        throw usageErrorOf(e, ["base", "json"], PLAN_USAGE);
    }
}

/** Turns an evaluation's failure into the user's problem when it is one (invalid config). */
function failure(ev: Evaluation, where: string): never {
    if (ev.error instanceof ConfigError) {
        throw new UserError(ev.error.problems.map((p) => `${where}: ${formatProblem(p)}`));
    }
    throw ev.error as Error;
}

/** Runs `slots plan`; returns the exit code. */
export async function planCommand(argv: string[], io: Io): Promise<number> {
    try {
        const opts = parse(argv);
        if (opts.help) {
            io.stdout(PLAN_USAGE);
            return 0;
        }
        const file = path.basename(stackFilePath(io.cwd, opts.stack));
        const head = readStackConfigFile(io.cwd, opts.stack);
        const baseText = stackFileAt(io.cwd, opts.base, file);
        let base: EngineConfig | undefined;
        if (baseText !== undefined) {
            try {
                base = parseStackConfig(baseText, `${file} at ${opts.base}`);
            } catch (e) {
                if (e instanceof StackFileError) throw new UserError([e.message]);
                throw e;
            }
        }

        // The mock runtime is process-wide state: the two evaluations run one after the other.
        const now = io.now();
        const before = base ? await evaluate(base, { stack: opts.stack, now }) : undefined;
        if (before?.error) failure(before, `${file} at ${opts.base}`);
        const after = await evaluate(head, { stack: opts.stack, now });
        if (after.error) failure(after, file);

        for (const w of after.warnings) io.stderr(`warning: ${w}\n`);
        if (!base) io.stderr(`note: ${file} does not exist at ${opts.base}; every resource counts as created\n`);

        const changes = diffEvaluations(before?.resources ?? [], after.resources);
        io.stdout(
            opts.json
                ? changesJson(changes)
                : renderChanges(changes, { base: opts.base, file, secretKeys: secretInputKeys(after.resources) }),
        );
        return 0;
    } catch (e) {
        return reportError(e, io);
    }
}

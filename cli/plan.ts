// `slots plan [--base REV] [--json]`: runs the real program offline (Pulumi's mock runtime, as
// `npm run plan` does) for the stack file at REV with REV's own program, and for the working tree
// with the working tree's, and prints the resources that change between the two, grouped by slot.
// Needs no cloud account, state, secret or Pulumi CLI, so it runs on pull requests from forks too.

import * as path from "node:path";
import { parseArgs } from "node:util";

import { ConfigError, formatProblem } from "../components/validation";
import { changesJson, diffEvaluations, renderChanges, secretInputKeys } from "../offline/planDiff";
import { Evaluation, evaluate } from "../offline/recorder";
import { EngineConfig, StackFileError, parseStackConfig, readStackConfigFile, stackFilePath } from "../offline/stackFile";
import { usageErrorOf } from "./args";
import { reportError } from "./commandErrors";
import { Io, UserError } from "./io";
import { commitSlots, placementChanges, settingsOfConfig } from "./placement";
import { stackFileAt } from "./revision";
import { revisionProgram } from "./revisionProgram";

export const PLAN_USAGE = `\
Usage: slots plan [--base REV] [--json] [--stack NAME]

Evaluates the program offline for Pulumi.<stack>.yaml in the working tree and at a git revision
(each with its own program code, so a change to the program shows too), and prints the resources
created, updated, replaced and deleted between the two, grouped by slot, with the input keys that
change, and under the shared resources every slot that moves to another host. Secret values
never print; a changed secret shows as its key. When the program at REV
cannot be evaluated (its dependencies differ), it says so and uses the working tree's code for
both sides.

Options:
  --base REV            the revision to compare against (default: HEAD)
  --json                {"changes":[{"op","slot","type","name","keys"[,"replaceKeys"]}]} instead of text,
                        with "moves":[{"slot","from","to"}] when a slot changes host
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
    // Another revision's program throws its own ConfigError class: read its problems off the message.
    if (ev.error?.name === "ConfigError") {
        const lines = ev.error.message.split("\n").slice(1).map((l) => l.replace(/^\s*- /, ""));
        throw new UserError(lines.map((l) => `${where}: ${l}`));
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
        const baseText = await stackFileAt(io.cwd, opts.base, file);
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
        const program = base ? revisionProgram(io.cwd, opts.base) : { kind: "same" as const };
        let before: Evaluation | undefined;
        try {
            before = base
                ? await evaluate(base, { stack: opts.stack, now, ...(program.kind === "own" ? { program: program.program } : {}) })
                : undefined;
        } finally {
            if (program.kind === "own") program.dispose();
        }
        if (before?.error) failure(before, `${file} at ${opts.base}`);
        const after = await evaluate(head, { stack: opts.stack, now });
        if (after.error) failure(after, file);

        for (const w of after.warnings) io.stderr(`warning: ${w}\n`);
        if (!base) io.stderr(`note: ${file} does not exist at ${opts.base}; every resource counts as created\n`);
        const warning = program.kind === "unavailable"
            ? `cannot evaluate the program at ${opts.base}: ${program.reason}; both sides use the working tree's program, so changes to the program itself are not shown`
            : undefined;
        if (warning) io.stderr(`warning: ${warning}\n`);

        const changes = diffEvaluations(before?.resources ?? [], after.resources);
        // Both files evaluated, so both are valid.
        const baseSettings = base ? settingsOfConfig(base, `${file} at ${opts.base}`, now) : undefined;
        const headSettings = settingsOfConfig(head, file, now);
        const moves = placementChanges(baseSettings, headSettings);
        io.stdout(
            opts.json
                ? changesJson(changes, moves)
                : renderChanges(changes, {
                      base: opts.base,
                      file,
                      secretKeys: secretInputKeys(after.resources),
                      ownProgram: program.kind === "own",
                      moves,
                      commitSlots: commitSlots(baseSettings, headSettings),
                      ...(warning ? { warning } : {}),
                  }),
        );
        return 0;
    } catch (e) {
        return reportError(e, io);
    }
}

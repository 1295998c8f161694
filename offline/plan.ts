// `npm run plan [-- --stack NAME]`: evaluates the real program offline against the stack file and
// prints the resource tree. Needs no cloud account, no state and no Pulumi CLI.

import { parseArgs } from "node:util";

import { ConfigError, formatProblem } from "../components/validation";
import { renderPlan } from "./planText";
import { evaluate } from "./recorder";
import { StackFileError, readStackConfigFile } from "./stackFile";

const USAGE = "usage: npm run plan [-- --stack NAME]   (default stack: staging; reads Pulumi.<stack>.yaml)\n";

/** Runs the plan; returns the exit code. */
export async function main(argv: string[], cwd: string, write: (s: string) => void, writeErr: (s: string) => void): Promise<number> {
    let stack = "staging";
    try {
        const { values } = parseArgs({ args: argv, options: { stack: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true });
        if (values.help) {
            write(USAGE);
            return 0;
        }
        stack = values.stack ?? stack;
    } catch (e) {
        writeErr(`${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    try {
        const ev = await evaluate(readStackConfigFile(cwd, stack), { stack });
        if (ev.error) {
            if (ev.error instanceof ConfigError) {
                writeErr(`Pulumi.${stack}.yaml is invalid; nothing was evaluated:\n${ev.error.problems.map((p) => `  ${formatProblem(p)}`).join("\n")}\n`);
                return 1;
            }
            throw ev.error;
        }
        write(renderPlan(ev, stack));
        return 0;
    } catch (e) {
        if (e instanceof StackFileError) {
            writeErr(`${e.message}\n`);
            return 1;
        }
        throw e;
    }
}

if (require.main === module) {
    main(process.argv.slice(2), process.cwd(), (s) => process.stdout.write(s), (s) => process.stderr.write(s)).then(
        (code) => process.exit(code),
        (e: unknown) => {
            process.stderr.write(`plan failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
            process.exit(3);
        },
    );
}

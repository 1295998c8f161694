// `slots check`: every problem in the stack file at once, each on its own line with the line it
// points at, for people and for a pre-commit hook.

import { parseCommand } from "./args";
import { CHECK_HELP } from "./help";
import { Io } from "./io";
import { errorsOf, problemLine, readStack } from "./stack";

/** `slots check [--strict]`. */
export async function checkCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, { strict: { type: "boolean" } }, CHECK_HELP, 0);
    if (args.help) {
        io.stdout(CHECK_HELP);
        return 0;
    }
    const strict = args.flag("strict");
    const stack = readStack(io, args.stack);
    const errors = errorsOf(stack);
    const warnings = stack.result.warnings;
    const lines = [
        ...errors.map((p) => `${problemLine(stack, p)}`),
        ...warnings.map((p) => `${strict ? "" : "warning: "}${problemLine(stack, p)}`),
    ];
    if (lines.length > 0) io.stderr(`${lines.join("\n")}\n`);
    const failed = errors.length > 0 || (strict && warnings.length > 0);
    if (failed) return 1;
    const settings = stack.result.settings;
    const held = settings ? settings.claims.size : 0;
    io.stdout(`${stack.name}: ok (${held} of ${settings?.slotCount ?? 0} slots claimed${warnings.length > 0 ? `, ${warnings.length} stale` : ""})\n`);
    return 0;
}

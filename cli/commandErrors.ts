// How `slots plan` and `slots guard` end on a mistake: usage errors with the usage text (exit 2),
// user errors one line per problem (exit 1), never a stack trace. Anything else is a bug and is
// rethrown for the caller to show in full.

import { StackFileError } from "../offline/stackFile";
import { Io, UsageError, UserError } from "./io";

/** Writes a user or usage error as the command contract says and returns its exit code; rethrows anything else. */
export function reportError(e: unknown, io: Io): number {
    if (e instanceof UsageError) {
        io.stderr(`${e.message}\n\n${e.usage}`);
        return e.exitCode;
    }
    if (e instanceof UserError) {
        io.stderr(e.lines.map((l) => `${l}\n`).join(""));
        return e.exitCode;
    }
    if (e instanceof StackFileError) {
        io.stderr(`${e.message}\n`);
        return 1;
    }
    throw e;
}

// How `slots plan` and `slots guard` end on a mistake: usage errors with the usage text (exit 2),
// user errors one line per problem (exit 1), never a stack trace. Anything else is a bug and is
// rethrown for the caller to show in full.

import { StackFileError } from "../offline/stackFile";
import { Io, UsageError, UserError } from "./io";

/** Writes a user or usage error as the command contract says and returns its exit code; rethrows anything else. */
export function reportError(e: unknown, io: Io): number {
    if (e instanceof UsageError) {
        io.stderr(usageLines(e));
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

/**
 * A usage error as three short lines: the mistake, the command's one-line usage, and where the
 * rest is, instead of the whole help text burying the mistake.
 */
export function usageLines(e: UsageError): string {
    const lines = e.usage.split("\n");
    const start = lines.findIndex((l) => /^usage: /i.test(l));
    const usage: string[] = [];
    if (start !== -1) {
        usage.push(lines[start].replace(/^usage: /i, "Usage: "));
        // A usage that wraps continues on indented lines.
        for (const l of lines.slice(start + 1)) {
            if (!/^\s+\S/.test(l) && !/^\s{6,}/.test(l)) break;
            usage.push(l);
        }
    }
    const command = /^Usage: slots (\w+)/.exec(usage[0] ?? "")?.[1];
    const more = command && command !== "<command>" ? `slots ${command} --help` : "slots --help";
    return `slots: ${e.message}\n${usage.join("\n")}${usage.length > 0 ? "\n" : ""}Run ${more} for every option.\n`;
}

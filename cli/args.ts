// Command-line parsing shared by the commands: node's parseArgs, with every mistake turned into a
// UsageError that carries the command's usage text.

import { parseArgs } from "node:util";

import { UsageError } from "./io";
import { DEFAULT_STACK } from "./stack";

/** The options a command accepts beyond --stack and --help. */
export type OptionSpec = Record<string, { type: "string" | "boolean" }>;

/** A parsed command line. */
export interface Args {
    readonly stack: string;
    readonly help: boolean;
    readonly positionals: readonly string[];
    /** A string option's value, or undefined when not given. */
    string(name: string): string | undefined;
    /** Whether a boolean option was given. */
    flag(name: string): boolean;
}

/** Parses `argv` (the words after the command name); at most `maxPositionals` positionals. */
export function parseCommand(argv: readonly string[], options: OptionSpec, usage: string, maxPositionals: number): Args {
    let parsed: ReturnType<typeof parseArgs>;
    try {
        parsed = parseArgs({
            args: [...argv],
            options: { ...options, stack: { type: "string" }, help: { type: "boolean", short: "h" } },
            allowPositionals: true,
            strict: true,
        });
    } catch (e) {
        // parseArgs explains positional quoting at length; the first sentence is the mistake.
        throw new UsageError((e as Error).message.split(". ")[0].replace(/\.$/, ""), usage);
    }
    const values = parsed.values as Record<string, string | boolean | undefined>;
    const help = values.help === true;
    if (!help && parsed.positionals.length > maxPositionals) {
        throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`, usage);
    }
    for (const [name, value] of Object.entries(values)) {
        if (typeof value === "string" && value.startsWith("--")) {
            // `--task --owner bob` means a value was forgotten, not that the task is "--owner".
            throw new UsageError(`--${name} needs a value, got "${value}"`, usage);
        }
    }
    const stack = typeof values.stack === "string" ? values.stack : DEFAULT_STACK;
    return {
        stack,
        help,
        positionals: parsed.positionals,
        string: (name) => (typeof values[name] === "string" ? (values[name] as string) : undefined),
        flag: (name) => values[name] === true,
    };
}

/** Reads a slot number argument; a malformed one is a usage error. */
export function slotArgument(text: string | undefined, usage: string): number {
    if (text === undefined) throw new UsageError("which slot? give its number, e.g. 4", usage);
    const m = /^(?:staging-)?([1-9]\d{0,2})$/.exec(text);
    if (!m) throw new UsageError(`"${text}" is not a slot number; give a number like 4 (or staging-4)`, usage);
    return Number(m[1]);
}

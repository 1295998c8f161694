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
        throw usageErrorOf(e, Object.keys(options), usage);
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

/** Edit distance between two words, a swap of neighbours counting as one edit (optimal string alignment). */
function distance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.length][b.length];
}

/** The candidate closest to `word` (a typo or a prefix of it), or undefined when none is close. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    const w = word.toLowerCase();
    const prefixed = candidates.filter((c) => w.length >= 2 && c.startsWith(w));
    if (prefixed.length === 1) return prefixed[0];
    let best: { c: string; d: number } | undefined;
    for (const c of candidates) {
        const d = distance(w, c);
        if (d <= Math.max(1, Math.floor(c.length / 3)) && (!best || d < best.d)) best = { c, d };
    }
    return best?.c;
}

/**
 * A parseArgs failure as a UsageError: the mistake in one sentence (parseArgs goes on about
 * positional quoting), with the closest option when one was mistyped.
 */
export function usageErrorOf(e: unknown, optionNames: readonly string[], usage: string): UsageError {
    const message = (e as Error).message;
    const unknown = /^Unknown option '(-{1,2}[^']*)'/.exec(message);
    if (unknown) {
        const names = [...optionNames, "stack", "help"].map((o) => `--${o}`);
        const guess = closest(unknown[1], names);
        return new UsageError(`unknown option ${unknown[1]}${guess ? `; did you mean ${guess}?` : ""}`, usage);
    }
    return new UsageError(message.split(". ")[0].replace(/\.$/, ""), usage);
}

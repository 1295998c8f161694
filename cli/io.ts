// What a `slots` command may touch of the outside world, passed in so tests run commands in
// process against temporary folders and capture what they print.

/** The command's view of its process. */
export interface Io {
    /** Writes to standard output (text is written as given; add the newline yourself). */
    readonly stdout: (text: string) => void;
    /** Writes to standard error. */
    readonly stderr: (text: string) => void;
    /** The project root: where Pulumi.<stack>.yaml lives. */
    readonly cwd: string;
    /** Environment variables. */
    readonly env: Readonly<Record<string, string | undefined>>;
    /** Whether stdout is a terminal (colour and tables only then). */
    readonly isTTY: boolean;
    /** The terminal's width in columns, when stdout is one. */
    readonly columns?: number;
    /** The clock; tests pass a fixed one. */
    readonly now: () => Date;
}

/** A mistake in what the user asked or in the stack file: exit 1, one line per problem, no trace. */
export class UserError extends Error {
    readonly exitCode = 1;
    constructor(public readonly lines: readonly string[]) {
        super(lines.join("\n"));
        this.name = "UserError";
    }
}

/** A malformed command line: exit 2 with the usage text. */
export class UsageError extends Error {
    readonly exitCode = 2;
    constructor(message: string, public readonly usage: string) {
        super(message);
        this.name = "UsageError";
    }
}

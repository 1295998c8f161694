// The `slots` command: `cli(argv, io)` runs one command and returns its exit code; cli/bin.js is
// the thin executable around it. Each command's module is required only when that command runs,
// so `slots list` starts fast enough for a pre-commit hook; a plain `require` rather than
// `import()`, so the executable needs only tsx's require hook.

import { existsSync } from "node:fs";
import * as path from "node:path";

import { closest } from "./args";
import { reportError } from "./commandErrors";
import { CHECK_HELP, CLAIM_HELP, COMMENT_HELP, DIFF_HELP, EXPIRE_HELP, EXTEND_HELP, FETCH_HELP, HELP, LIST_HELP, PROMOTE_HELP, REDEPLOY_HELP, RELEASE_HELP, REPOINT_HELP, SERVE_HELP, TABLE_HELP, UNWAIT_HELP } from "./help";
import { DEPLOYMENTS_HELP, REPORT_HELP, STATUS_HELP } from "./help";
import { Io, UsageError } from "./io";

type Command = (argv: string[], io: Io) => Promise<number>;

// plan and guard load the Pulumi SDK, serve the HTTP stack: only when they run.
const COMMANDS: Readonly<Record<string, Command>> = {
    list: (argv, io) => (require("./list") as typeof import("./list")).listCommand(argv, io),
    claim: (argv, io) => (require("./claims") as typeof import("./claims")).claimCommand(argv, io),
    repoint: (argv, io) => (require("./claims") as typeof import("./claims")).repointCommand(argv, io),
    release: (argv, io) => (require("./claims") as typeof import("./claims")).releaseCommand(argv, io),
    promote: (argv, io) => (require("./claims") as typeof import("./claims")).promoteCommand(argv, io),
    redeploy: (argv, io) => (require("./claims") as typeof import("./claims")).redeployCommand(argv, io),
    extend: (argv, io) => (require("./claims") as typeof import("./claims")).extendCommand(argv, io),
    check: (argv, io) => (require("./check") as typeof import("./check")).checkCommand(argv, io),
    diff: (argv, io) => (require("./diff") as typeof import("./diff")).diffCommand(argv, io),
    comment: (argv, io) => (require("./markdown") as typeof import("./markdown")).commentCommand(argv, io),
    table: (argv, io) => (require("./markdown") as typeof import("./markdown")).tableCommand(argv, io),
    fetch: (argv, io) => (require("./fetch") as typeof import("./fetch")).fetchCommand(argv, io),
    unwait: (argv, io) => (require("./waitlist") as typeof import("./waitlist")).unwaitCommand(argv, io),
    expire: (argv, io) => (require("./waitlist") as typeof import("./waitlist")).expireCommand(argv, io),
    plan: (argv, io) => (require("./plan") as typeof import("./plan")).planCommand(argv, io),
    guard: (argv, io) => (require("./guard") as typeof import("./guard")).guardCommand(argv, io),
    serve: (argv, io) => (require("./serve") as typeof import("./serve")).serveCommand(argv, io),
    status: (argv, io) => (require("./status") as typeof import("./status")).statusCommand(argv, io),
    deployments: (argv, io) => (require("./githubDeployments") as typeof import("./githubDeployments")).deploymentsCommand(argv, io),
    report: (argv, io) => (require("./report") as typeof import("./report")).reportCommand(argv, io),
};

/** Every command `slots` dispatches, in the order of the table above. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

const HELPS: Readonly<Record<string, string>> = {
    list: LIST_HELP,
    claim: CLAIM_HELP,
    repoint: REPOINT_HELP,
    release: RELEASE_HELP,
    promote: PROMOTE_HELP,
    redeploy: REDEPLOY_HELP,
    extend: EXTEND_HELP,
    check: CHECK_HELP,
    diff: DIFF_HELP,
    comment: COMMENT_HELP,
    table: TABLE_HELP,
    serve: SERVE_HELP,
    fetch: FETCH_HELP,
    status: STATUS_HELP,
    deployments: DEPLOYMENTS_HELP,
    report: REPORT_HELP,
    unwait: UNWAIT_HELP,
    expire: EXPIRE_HELP,
};

/** Runs `slots <argv>`; returns the exit code. Anything but a user or usage error is a bug and is thrown. */
export async function cli(argv: readonly string[], io: Io): Promise<number> {
    try {
        const [name, ...rest] = argv;
        if (name === undefined || name === "--help" || name === "-h") {
            if (name === undefined) {
                io.stderr(HELP);
                return 2;
            }
            io.stdout(HELP);
            return 0;
        }
        if (name === "help") {
            const topic = rest[0];
            if (topic !== undefined && COMMANDS[topic] && !HELPS[topic]) return await COMMANDS[topic](["--help"], io);
            io.stdout(topic !== undefined && HELPS[topic] ? HELPS[topic] : HELP);
            return 0;
        }
        const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
        if (!command) {
            const guess = closest(name, Object.keys(COMMANDS));
            throw new UsageError(name.startsWith("-") ? `the command comes first: slots <command> [options]` : `unknown command "${name}"${guess ? `; did you mean \`${guess}\`?` : ""}`, HELP);
        }
        return await command(rest, io);
    } catch (e) {
        return reportError(e, io);
    }
}

/** The nearest folder at or above `start` that holds Pulumi.yaml, or `start` when none does. */
export function projectRoot(start: string): string {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
        if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) return path.resolve(start);
    }
}

// The `slots` command: `cli(argv, io)` runs one command and returns its exit code; cli/bin.js is
// the thin executable around it. `plan` and `guard` load the Pulumi SDK, so they are imported only
// when asked for: the other commands start fast enough for a pre-commit hook.

import { existsSync } from "node:fs";
import * as path from "node:path";

import { closest } from "./args";
import { checkCommand } from "./check";
import { claimCommand, extendCommand, redeployCommand, releaseCommand, repointCommand } from "./claims";
import { reportError } from "./commandErrors";
import { diffCommand } from "./diff";
import { fetchCommand } from "./fetch";
import { CHECK_HELP, CLAIM_HELP, COMMENT_HELP, DIFF_HELP, EXPIRE_HELP, EXTEND_HELP, FETCH_HELP, HELP, LIST_HELP, REDEPLOY_HELP, RELEASE_HELP, REPOINT_HELP, SERVE_HELP, TABLE_HELP, UNWAIT_HELP } from "./help";
import { DEPLOYMENTS_HELP, REPORT_HELP, STATUS_HELP } from "./help";
import { Io, UsageError } from "./io";
import { listCommand } from "./list";
import { commentCommand, tableCommand } from "./markdown";
import { statusCommand } from "./status";
import { expireCommand, unwaitCommand } from "./waitlist";

type Command = (argv: string[], io: Io) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = {
    list: listCommand,
    claim: claimCommand,
    repoint: repointCommand,
    release: releaseCommand,
    redeploy: redeployCommand,
    extend: extendCommand,
    check: checkCommand,
    diff: diffCommand,
    comment: commentCommand,
    table: tableCommand,
    fetch: fetchCommand,
    unwait: unwaitCommand,
    expire: expireCommand,
    plan: async (argv, io) => (await import("./plan")).planCommand(argv, io),
    guard: async (argv, io) => (await import("./guard")).guardCommand(argv, io),
    serve: async (argv, io) => (await import("./serve")).serveCommand(argv, io),
    status: statusCommand,
    deployments: async (argv, io) => (await import("./githubDeployments")).deploymentsCommand(argv, io),
    report: async (argv, io) => (await import("./report")).reportCommand(argv, io),
};

/** Every command `slots` dispatches, in the order of the table above. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

const HELPS: Readonly<Record<string, string>> = {
    list: LIST_HELP,
    claim: CLAIM_HELP,
    repoint: REPOINT_HELP,
    release: RELEASE_HELP,
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

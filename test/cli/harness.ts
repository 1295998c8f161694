// Runs the `slots` command in process against a temporary copy of the project's stack file, with
// a fixed clock, and captures what it prints.

import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

import { cli } from "../../cli/index";
import { NOW } from "../helpers/config";
import { tempDir } from "../helpers/tempDirs";

/** The project root (where the real Pulumi.staging.yaml lives). */
export const ROOT = path.resolve(__dirname, "..", "..");

/** The project's own stack file: the starting point of most cases. */
export const STACK_TEXT = readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8");

/** A commit of digits only: a YAML reader would make it a number unless it is quoted. */
export const DIGIT_COMMIT = "0123456789012345678901234567890123456789";

/** A valid hex commit. */
export const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** A temporary project folder holding Pulumi.yaml and Pulumi.staging.yaml with `text`. */
export function tempProject(text: string = STACK_TEXT): string {
    const dir = tempDir("slots-cli-");
    writeFileSync(path.join(dir, "Pulumi.yaml"), readFileSync(path.join(ROOT, "Pulumi.yaml")));
    writeFileSync(path.join(dir, "Pulumi.staging.yaml"), text);
    return dir;
}

/** The stack file's text in a project folder. */
export function stackText(dir: string): string {
    return readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8");
}

/** What one command did. */
export interface Run {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs `slots <argv>` in process in `dir`. */
export async function run(
    dir: string,
    argv: readonly string[],
    options: { now?: Date; isTTY?: boolean; env?: Record<string, string | undefined> } = {},
): Promise<Run> {
    let stdout = "";
    let stderr = "";
    const code = await cli(argv, {
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
        cwd: dir,
        // No test reaches a real host: ssh "fails" at once, so the stack file's git@github.com
        // repository is unreachable everywhere alike (tests that need a repository point the URL
        // at a local one).
        env: options.env ?? { ...process.env, NO_COLOR: undefined, GIT_SSH_COMMAND: "false" },
        isTTY: options.isTTY ?? false,
        now: () => options.now ?? NOW,
    });
    return { code, stdout, stderr };
}

/** Runs the real executable (cli/bin.js) as a separate process in `dir`. */
export function runProcess(dir: string, argv: readonly string[], env: NodeJS.ProcessEnv = { ...process.env, GIT_SSH_COMMAND: "false" }): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(ROOT, "cli", "bin.js"), ...argv], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}

/** Claim arguments for a valid claim; override or add flags after. */
export function claimArgs(task: string, extra: readonly string[] = []): string[] {
    return ["claim", "--task", task, "--owner", "alice", "--branch", "feature/login", "--commit", COMMIT, ...extra];
}

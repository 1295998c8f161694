// Running a program from a test without blocking the test's own process: the servers the program
// talks to (slot stand-ins, a git server on loopback) live in that process and must keep
// answering, which spawnSync would stop.

import { spawn } from "node:child_process";

/** How a program ended, and what it printed. */
export interface Finished {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs `cmd` with `args` in `cwd` with exactly `env`, stdin closed; resolves when it exits. */
export function runAsync(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Finished> {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** Runs a workflow step's run: script as GitHub's `shell: bash` does: bash --noprofile --norc -eo pipefail. */
export function runStepScript(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Finished> {
    return runAsync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd, env);
}

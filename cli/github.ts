// The GitHub CLI, as the workflow commands (`slots deployments`, `slots report`) use it: `gh`
// from PATH, run without a shell, authenticated by the GH_TOKEN the workflow step hands it.
// Nothing here holds a token; gh reads it from the environment.

import { spawn } from "node:child_process";

import { UserError } from "./io";

/** Runs `gh args…` with `input` on stdin; resolves with its stdout, rejects with a one-line reason. */
export type Gh = (args: readonly string[], input?: string) => Promise<string>;

/** Where gh runs and how long it may take. */
export interface GhOptions {
    /** The folder gh runs in: it finds the repository from that checkout's remotes unless GH_REPO is set. */
    readonly cwd?: string;
    /** gh is stopped after this long, and the call rejects saying so; none = no limit. */
    readonly timeoutMs?: number;
}

/** A Gh that spawns the real `gh` with `env`. */
export function ghCli(env: Readonly<Record<string, string | undefined>>, options: GhOptions = {}): Gh {
    return (args, input) =>
        new Promise((resolve, reject) => {
            const child = spawn("gh", [...args], {
                env: env as NodeJS.ProcessEnv,
                stdio: ["pipe", "pipe", "pipe"],
                ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
                // spawn's own timeout sends SIGTERM when it runs out (nodejs.org/api/child_process.html#child_processspawncommand-args-options).
                ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            child.on("error", (e: NodeJS.ErrnoException) =>
                reject(new Error(e.code === "ENOENT" ? "gh (the GitHub CLI) is not on PATH; install it, or run this in a GitHub workflow" : e.message)),
            );
            child.on("close", (code, signal) => {
                if (code === 0) resolve(stdout);
                else if (signal !== null && options.timeoutMs !== undefined) reject(new Error(`gh ${args.slice(0, 3).join(" ")} did not answer within ${options.timeoutMs / 1000} s`));
                else reject(new Error(`gh ${args.slice(0, 3).join(" ")} failed: ${stderr.trim().split("\n")[0] || `exit ${code}`}`));
            });
            child.stdin.end(input ?? "");
        });
}

/** `owner/name` of a repository on github.com, from any git URL form; undefined elsewhere. */
export function githubRepository(url: string): string | undefined {
    const m = /^(?:git@github\.com:|ssh:\/\/git@github\.com\/|https:\/\/github\.com\/)([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url);
    return m ? `${m[1]}/${m[2]}` : undefined;
}

/** Checks an `owner/name` given on the command line. */
export function repositoryArgument(text: string): string {
    if (!/^[\w.-]+\/[\w.-]+$/.test(text)) throw new UserError([`--repo "${text}" is not a GitHub repository; give it as owner/name`]);
    return text;
}

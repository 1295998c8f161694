// What commit a branch's head is in the configured repository, asked with `git ls-remote`. git
// runs without a shell, with every value passed as its own argument. (The stack file at a
// revision is read by revision.ts.)

import { execFile } from "node:child_process";

import { Io, UserError } from "./io";

/** What a git run ended with. */
export interface GitResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs git in `io.cwd` (or `cwd`) without a shell and without ever prompting; never rejects but for a missing git. */
export function git(io: Pick<Io, "cwd" | "env">, args: readonly string[], timeoutMs = 60_000, cwd: string = io.cwd): Promise<GitResult> {
    return new Promise((resolve, reject) => {
        execFile(
            "git",
            args,
            {
                cwd,
                // No password or host-key prompt behind the user's back: a command that needs one
                // fails clearly, and an unreachable host fails in seconds (ssh's BatchMode and
                // ConnectTimeout, unless the user set their own ssh command).
                env: { ...io.env, GIT_TERMINAL_PROMPT: "0", GIT_SSH_COMMAND: io.env.GIT_SSH_COMMAND ?? "ssh -o BatchMode=yes -o ConnectTimeout=15" },
                timeout: timeoutMs,
                maxBuffer: 16 * 1024 * 1024,
            },
            (error, stdout, stderr) => {
                if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
                    reject(new UserError(["git is not installed or not on PATH; install git"]));
                    return;
                }
                const code = error ? (typeof error.code === "number" ? error.code : error.killed ? 124 : 1) : 0;
                resolve({ code, stdout, stderr });
            },
        );
    });
}

/** The first meaningful line of git's stderr, without its `fatal:` prefix. */
export function firstLine(text: string): string {
    return (text.split("\n").find((l) => l.trim() !== "") ?? "").replace(/^(fatal|error): /, "").trim();
}

/** The branch asked for does not exist in the repository (git ls-remote --exit-code said 2). */
export class BranchGone extends UserError {}

/** The full SHA at the head of `branch` in `repository`, asked with `git ls-remote`. */
export async function branchHead(io: Io, repository: string, branch: string): Promise<string> {
    const ref = `refs/heads/${branch}`;
    const r = await git(io, ["ls-remote", "--exit-code", "--", repository, ref]);
    const fix = "or pass --commit SHA";
    if (r.code === 2) {
        throw new BranchGone([`branch ${branch} does not exist in ${repository}; push it first (git push -u origin ${branch}) ${fix}`]);
    }
    if (r.code !== 0) {
        const why = r.code === 124 ? "it did not answer within a minute" : firstLine(r.stderr) || `git exited with ${r.code}`;
        throw new UserError([`could not ask ${repository} for the head of ${branch}: ${why}; check your access to the repository ${fix}`]);
    }
    const line = r.stdout.split("\n").find((l) => l.endsWith(`\t${ref}`));
    const sha = line?.split("\t")[0] ?? "";
    if (!/^[0-9a-f]{40}$/.test(sha)) {
        throw new UserError([`git ls-remote gave no usable commit for ${ref} in ${repository}; pass --commit SHA`]);
    }
    return sha;
}

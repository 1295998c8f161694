// Reads the stack file as it was at a git revision, for the commands that compare the working
// tree against a base (`slots plan --base`, `slots guard --base`). git runs without a shell, and
// a revision that looks like an option is refused before it reaches git.

import { execFileSync } from "node:child_process";

import { UserError } from "./io";

/** The stack file at `rev`, or undefined when the revision has no such file (a stack created since). */
export function stackFileAt(cwd: string, rev: string, file: string): string | undefined {
    if (rev === "" || rev.startsWith("-") || /[\s\0]/.test(rev)) {
        throw new UserError([`--base "${rev}" is not a git revision; pass a commit, branch or tag such as HEAD or origin/main`]);
    }
    const git = (args: string[]): string => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
    try {
        git(["rev-parse", "--is-inside-work-tree"]);
    } catch {
        throw new UserError([`${cwd} is not inside a git repository; --base needs the project's git history`]);
    }
    try {
        git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
    } catch {
        throw new UserError([`--base ${rev}: no such commit in this clone; fetch it first (git fetch origin) or pass another revision`]);
    }
    // `REV:./file` names the file relative to the current directory, wherever the repository root is.
    const spec = `${rev}:./${file}`;
    try {
        git(["cat-file", "-e", spec]);
    } catch {
        return undefined;
    }
    return git(["show", spec]);
}

// Reads the stack file as it was at a git revision, for the commands that compare the working
// tree against a base (`slots plan --base`, `slots guard --base`) and for the dashboard server,
// which reads the base branch and every pending branch this way on its request paths. git runs
// without a shell, asynchronously (cli/git.ts: execFile with a timeout), so a slow git never
// blocks the server's other requests; a revision that looks like an option is refused before it
// reaches git.

import { git } from "./git";
import { UserError } from "./io";

/** How long one git step of a read may take before it counts as failed. */
const STEP_TIMEOUT_MS = 60_000;

/**
 * The stack file at `rev`, or undefined when the revision has no such file (a stack created
 * since). `env` is the environment git runs with (the caller's own process by default).
 */
export async function stackFileAt(cwd: string, rev: string, file: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<string | undefined> {
    if (rev === "" || rev.startsWith("-") || /[\s\0]/.test(rev)) {
        throw new UserError([`--base "${rev}" is not a git revision; pass a commit, branch or tag such as HEAD or origin/main`]);
    }
    const run = (args: string[]) => git({ cwd, env }, args, STEP_TIMEOUT_MS);
    if ((await run(["rev-parse", "--is-inside-work-tree"])).code !== 0) {
        throw new UserError([`${cwd} is not inside a git repository; --base needs the project's git history`]);
    }
    if ((await run(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`])).code !== 0) {
        throw new UserError([`--base ${rev}: no such commit in this clone; fetch it first (git fetch origin) or pass another revision`]);
    }
    // `REV:./file` names the file relative to the current directory, wherever the repository root is.
    const spec = `${rev}:./${file}`;
    if ((await run(["cat-file", "-e", spec])).code !== 0) return undefined;
    const shown = await run(["show", spec]);
    if (shown.code !== 0) throw new UserError([`could not read ${file} at ${rev}: ${shown.stderr.split("\n")[0] || `git exited with ${shown.code}`}`]);
    return shown.stdout;
}

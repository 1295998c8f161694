// Real git repositories for the `slots` tests: a bare app repository the configured repository
// URL is pointed at with git's own `url.<base>.insteadOf`, so the stack file keeps its real URL.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as path from "node:path";

import { tempDir } from "../helpers/tempDirs";

/** The repository URL in the project's stack file. */
export const REPOSITORY = "git@github.com:justapply/job-search-project.git";

/** Runs git with a fixed identity and default branch; returns its trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
    return execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main", ...args], {
        cwd,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    }).trim();
}

/** A bare repository with branch feature/login; returns its file:// URL, the branch head and the clone it was pushed from. */
export function bareRepository(): { url: string; head: string; work: string } {
    const dir = tempDir("slots-remote-");
    git(dir, "init", "-q", "--bare", "app.git");
    git(dir, "init", "-q", "work");
    const work = path.join(dir, "work");
    writeFileSync(path.join(work, "README"), "app\n");
    git(work, "add", "README");
    git(work, "commit", "-q", "-m", "first");
    git(work, "push", "-q", path.join(dir, "app.git"), "HEAD:refs/heads/feature/login");
    return { url: `file://${path.join(dir, "app.git")}`, head: git(work, "rev-parse", "HEAD"), work };
}

/** The environment that points the stack file's repository URL at `url`. */
export function pointAt(url: string): Record<string, string | undefined> {
    return { ...process.env, GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: `url.${url}.insteadOf`, GIT_CONFIG_VALUE_0: REPOSITORY };
}

/** Makes a commit in `work` and pushes it to `ref` of the bare repository beside it; returns its SHA. */
export function pushCommit(work: string, ref: string, file = "README"): string {
    writeFileSync(path.join(work, file), `${Date.now()}-${Math.random()}\n`);
    git(work, "add", file);
    git(work, "commit", "-q", "-m", `change ${file}`);
    git(work, "push", "-q", path.join(work, "..", "app.git"), `HEAD:${ref}`);
    return git(work, "rev-parse", "HEAD");
}

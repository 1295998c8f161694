// Opens the pull request for a stack edit: commits the edited stack file, and only it, on a new
// branch made from HEAD, pushes the branch, and opens the pull request with `gh` when it is
// installed and logged in; otherwise returns the exact commands to run. Independent of any command
// line, so a server holding a checkout can call it the same way `slots … --pr` does.
//
// The commit is built with plumbing (a throwaway index, `commit-tree`, `update-ref`) instead of
// `git switch` + `git commit`: the caller's checkout stays on its branch with its other changes
// untouched, and a branch that already exists is never moved (update-ref with an empty old value
// refuses). Who may run it: anyone with push access to the remote; it runs git and gh with the
// caller's own credentials, and the pull request still goes through the review like any other.
// gh facts: `gh pr create --head` skips gh's own pushing and forking prompts, `--title`/`--body`
// skip the editor, and the URL of the new pull request is printed (cli.github.com/manual/gh_pr_create).

import { execFile } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { branchProblem } from "../components/validation";
import { GitResult, firstLine, git } from "./git";
import { Io, UserError } from "./io";

/** What the caller's process may touch: its folder and environment (PATH finds git and gh). */
export type PullRequestIo = Pick<Io, "cwd" | "env">;

/** A pull request to open for an edit already written to `file`. */
export interface PullRequestRequest {
    /** A folder inside the git checkout that holds the stack file. */
    readonly repoDir: string;
    /** The edited file (absolute, or relative to repoDir). */
    readonly file: string;
    /** The new branch; it must not exist yet. */
    readonly branch: string;
    /** The commit message; its first line is the pull request's title. */
    readonly message: string;
    /** The pull request's body: what the edit does, in the words a reviewer reads. */
    readonly description: string;
    /** The remote to push to; default `origin`. */
    readonly remote?: string;
    /** The branch the pull request targets; default `main`. */
    readonly base?: string;
}

/** What happened. */
export interface PullRequestResult {
    readonly branch: string;
    /** The commit holding the edit, on `branch`. */
    readonly commit: string;
    /** Whether the branch reached the remote. */
    readonly pushed: boolean;
    /** The pull request's URL when gh opened it. */
    readonly url?: string;
    /** Why a step did not happen (push failed, gh missing or not logged in). */
    readonly note?: string;
    /** What is left to run by hand, one shell command per line; empty when the pull request is open. */
    readonly commands: readonly string[];
}

/** A shell word for a value, for commands printed to be pasted. */
export function shellQuote(value: string): string {
    return /^[A-Za-z0-9._/:=@+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A branch name for an edit, e.g. `slots/claim-job-123`: lowercase, only what git and a shell take plainly. */
export function editBranch(action: string, subject: string): string {
    const slug = subject.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "").replace(/\.{2,}/g, ".").slice(0, 60) || "edit";
    return `slots/${action}-${slug}`;
}

function run(program: string, args: readonly string[], cwd: string, env: PullRequestIo["env"]): Promise<GitResult & { missing: boolean }> {
    return new Promise((resolve) => {
        execFile(program, args, { cwd, env: { ...env, GH_PROMPT_DISABLED: "1" }, timeout: 120_000 }, (error, stdout, stderr) => {
            const missing = (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
            const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
            resolve({ code, stdout, stderr, missing });
        });
    });
}

async function must(io: PullRequestIo, args: readonly string[], what: string, cwd: string, env?: PullRequestIo["env"]): Promise<string> {
    const r = await git({ cwd, env: env ?? io.env }, args, 60_000, cwd);
    if (r.code !== 0) throw new UserError([`${what}: ${firstLine(r.stderr) || `git exited with ${r.code}`}`]);
    return r.stdout.trim();
}

interface Located {
    readonly top: string;
    /** The file's path inside the repository, with forward slashes. */
    readonly inRepo: string;
}

async function locate(io: PullRequestIo, req: Pick<PullRequestRequest, "repoDir" | "file">): Promise<Located> {
    const r = await git(io, ["rev-parse", "--show-toplevel"], 60_000, req.repoDir);
    if (r.code !== 0) throw new UserError([`--pr needs a git checkout; ${req.repoDir} is not inside one (clone the repository, or leave --pr out)`]);
    const top = realpathSync(r.stdout.trim());
    const file = realpathSync(path.resolve(req.repoDir, req.file));
    return { top, inRepo: path.relative(top, file).split(path.sep).join("/") };
}

/**
 * Refuses, before anything is edited, what would make the pull request wrong: no checkout, a
 * stack file with uncommitted changes (they would ride along unreviewed), a branch name git does
 * not take, or a branch that exists already.
 */
export async function checkPullRequest(io: PullRequestIo, req: Pick<PullRequestRequest, "repoDir" | "file" | "branch">): Promise<void> {
    const where = await locate(io, req);
    const why = branchProblem(req.branch);
    if (why) throw new UserError([`branch name "${req.branch}" ${why}`]);
    const name = path.basename(where.inRepo);
    const tracked = await git(io, ["cat-file", "-e", `HEAD:${where.inRepo}`], 60_000, where.top);
    if (tracked.code !== 0) throw new UserError([`${name} is not committed on HEAD; commit it first, then use --pr`]);
    const clean = await git(io, ["diff", "--quiet", "HEAD", "--", where.inRepo], 60_000, where.top);
    if (clean.code !== 0) {
        throw new UserError([`${name} has uncommitted changes; --pr opens a pull request with this edit only: commit or stash them first (git stash), then run the command again`]);
    }
    const exists = await git(io, ["rev-parse", "--verify", "--quiet", `refs/heads/${req.branch}`], 60_000, where.top);
    if (exists.code === 0) throw new UserError([`branch ${req.branch} already exists; delete it (git branch -D ${req.branch}) if its pull request is done, or finish that one first`]);
}

/** Commits `req.file` as it is now on `req.branch` (from HEAD), pushes it and opens the pull request. */
export async function openPullRequest(io: PullRequestIo, req: PullRequestRequest): Promise<PullRequestResult> {
    const remote = req.remote ?? "origin";
    const base = req.base ?? "main";
    const where = await locate(io, req);
    const top = where.top;
    const scratch = mkdtempSync(path.join(tmpdir(), "slots-pr-"));
    let commit: string;
    try {
        const index = { ...io.env, GIT_INDEX_FILE: path.join(scratch, "index") };
        const blob = await must(io, ["hash-object", "-w", "--", where.inRepo], "cannot store the stack file in git", top);
        const mode = (await must(io, ["ls-tree", "HEAD", "--", where.inRepo], "cannot read HEAD", top)).split(/\s/)[0] || "100644";
        await must(io, ["read-tree", "HEAD"], "cannot read HEAD", top, index);
        await must(io, ["update-index", "--cacheinfo", `${mode},${blob},${where.inRepo}`], "cannot stage the stack file", top, index);
        const tree = await must(io, ["write-tree"], "cannot write the tree", top, index);
        commit = await must(io, ["commit-tree", tree, "-p", "HEAD", "-m", req.message], "cannot commit (is user.name/user.email set? git config --global user.name …)", top);
        // The empty old value makes update-ref refuse a branch that appeared meanwhile.
        await must(io, ["update-ref", `refs/heads/${req.branch}`, commit, ""], `cannot create branch ${req.branch}`, top);
    } finally {
        rmSync(scratch, { recursive: true, force: true });
    }
    const title = req.message.split("\n")[0];
    const create = ["pr", "create", "--head", req.branch, "--base", base, "--title", title, "--body", req.description];
    const ghCommand = ["gh", ...create].map(shellQuote).join(" ");
    const push = await git(io, ["push", "-q", "--", remote, `refs/heads/${req.branch}:refs/heads/${req.branch}`], 120_000, top);
    if (push.code !== 0) {
        return {
            branch: req.branch,
            commit,
            pushed: false,
            note: `could not push to ${remote}: ${firstLine(push.stderr) || `git exited with ${push.code}`}`,
            commands: [`git push -u ${shellQuote(remote)} ${shellQuote(req.branch)}`, ghCommand],
        };
    }
    const auth = await run("gh", ["auth", "status"], top, io.env);
    if (auth.missing || auth.code !== 0) {
        const note = auth.missing ? "gh (the GitHub CLI) is not installed" : "gh is not logged in (gh auth login)";
        return { branch: req.branch, commit, pushed: true, note, commands: [ghCommand] };
    }
    const opened = await run("gh", create, top, io.env);
    const url = opened.stdout.split("\n").map((l) => l.trim()).find((l) => /^https?:\/\//.test(l));
    if (opened.code !== 0 || url === undefined) {
        return { branch: req.branch, commit, pushed: true, note: `gh pr create failed: ${firstLine(opened.stderr) || `exit ${opened.code}`}`, commands: [ghCommand] };
    }
    return { branch: req.branch, commit, pushed: true, url, commands: [] };
}

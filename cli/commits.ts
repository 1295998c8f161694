// Whether a commit exists in the configured repository, and is on the claimed branch, asked before
// a claim or re-point is written (and by `slots check`), so a mistyped SHA fails here instead of
// at `pulumi up` after the merge, and a commit of another branch (a fork's, say) is never recorded
// under the claimed branch's name. git runs without a shell; every value is its own argument.
//
// `git ls-remote` lists only ref tips, so a commit below a tip is asked for with a shallow fetch
// of exactly that object into a throwaway repository: with protocol v2 (git's default since 2.26)
// upload-pack serves any reachable object it is asked for by full id, and answers "not our ref"
// for one it does not have. `--filter=tree:0` keeps it to the commit object where the server
// supports filters (GitHub does); elsewhere the filter is ignored with a warning.
// Facts: git's Documentation/gitprotocol-v2.txt ("fetch": want <oid>) and git-fetch(1).
//
// Whether it is on the branch: the branch's history is fetched as commits only (--filter=tree:0
// again) into a throwaway repository and listed with `git rev-list`, which walks commits and never
// asks the remote for anything. The deploy script on the droplet makes the same check.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { GitResult, firstLine, git } from "./git";
import { Io, UserError } from "./io";

/** What asking the repository about a commit found. */
export interface CommitCheck {
    /** The commit to write: lowercased, and a short SHA resolved to the full one. */
    readonly commit: string;
    /** Set when the repository could not be asked: the one-line warning to print. */
    readonly warning?: string;
}

const FULL = /^[0-9a-f]{40}$/;
const SHORT = /^[0-9a-f]{4,39}$/;

function tips(listing: string): string[] {
    return listing
        .split("\n")
        .map((l) => l.split("\t")[0])
        .filter((sha) => FULL.test(sha));
}

async function fetchable(io: Io, repository: string, sha: string): Promise<"yes" | "no" | "unknown"> {
    const probe = mkdtempSync(path.join(tmpdir(), "slots-commit-"));
    try {
        const init = await git(io, ["init", "-q", "--bare", probe]);
        if (init.code !== 0) return "unknown";
        const r = await git(io, ["fetch", "-q", "--no-tags", "--depth=1", "--filter=tree:0", "--", repository, sha], 120_000, probe);
        if (r.code === 0) return "yes";
        // "not our ref" (protocol v2) and "no such remote ref" name an object the server lacks; a
        // server that refuses unadvertised objects outright cannot tell us either way.
        return /not our ref|no such remote ref|couldn't find remote ref/i.test(r.stderr) ? "no" : "unknown";
    } finally {
        rmSync(probe, { recursive: true, force: true });
    }
}

/** Whether `commit` is reachable from the head of `branch` in `repository`. */
async function onBranch(io: Io, repository: string, branch: string, commit: string): Promise<{ state: "yes" | "no" | "no-branch" | "unknown"; head?: string; why?: string }> {
    const probe = mkdtempSync(path.join(tmpdir(), "slots-branch-"));
    try {
        const init = await git(io, ["init", "-q", "--bare", probe]);
        if (init.code !== 0) return { state: "unknown", why: firstLine(init.stderr) };
        const ref = "refs/heads/claimed";
        const r = await git(io, ["fetch", "-q", "--no-tags", "--filter=tree:0", "--", repository, `+refs/heads/${branch}:${ref}`], 120_000, probe);
        if (r.code !== 0) {
            if (/couldn't find remote ref|no such remote ref/i.test(r.stderr)) return { state: "no-branch" };
            return { state: "unknown", why: firstLine(r.stderr) || `git exited with ${r.code}` };
        }
        const list = await git(io, ["rev-list", ref], 60_000, probe);
        if (list.code !== 0) return { state: "unknown", why: firstLine(list.stderr) || `git exited with ${list.code}` };
        const history = list.stdout.split("\n");
        return { state: history.includes(commit) ? "yes" : "no", head: history[0] };
    } finally {
        rmSync(probe, { recursive: true, force: true });
    }
}

/** What the repository says about a commit. */
export type CommitAnswer =
    | { readonly state: "found"; readonly commit: string }
    /** The repository could not be asked (offline, no access) or would not say. */
    | { readonly state: "unverified"; readonly commit: string; readonly why: string }
    /** It does not have the commit, or a short SHA cannot be resolved: what is wrong and the fix. */
    | { readonly state: "refused"; readonly message: string };

/**
 * Asks `repository` about `given`: a full SHA is looked for (lowercased); a short one is resolved
 * when exactly one branch or tag tip starts with it. With `branch`, a commit the repository has
 * must also be on that branch. Text that is not hex is returned as found, unchanged, for the
 * validator to name.
 */
export async function askCommit(io: Io, repository: string, given: string, branch?: string): Promise<CommitAnswer> {
    const answer = await askRepository(io, repository, given);
    if (answer.state !== "found" || branch === undefined || !FULL.test(answer.commit)) return answer;
    const found = await onBranch(io, repository, branch, answer.commit);
    switch (found.state) {
        case "yes":
            return answer;
        case "no":
            return {
                state: "refused",
                message: `commit ${answer.commit} is not on branch ${branch} in ${repository} (not reachable from its head ${found.head ?? "?"}); claim a commit of that branch (git rev-parse origin/${branch}), or name the branch the commit is on`,
            };
        case "no-branch":
            return { state: "refused", message: `branch ${branch} does not exist in ${repository}; push it first (git push -u origin ${branch}), or name the branch the commit is on` };
        default:
            return { state: "unverified", commit: answer.commit, why: `${repository} would not list branch ${branch} (${found.why ?? "no reason given"}), so whether the commit is on it is unknown` };
    }
}

async function askRepository(io: Io, repository: string, given: string): Promise<CommitAnswer> {
    const commit = given.trim().toLowerCase();
    if (!FULL.test(commit) && !SHORT.test(commit)) return { state: "found", commit: given };
    let listing: GitResult;
    try {
        listing = await git(io, ["ls-remote", "--", repository]);
    } catch (e) {
        // No git at all: as unreachable as a repository can be.
        if (e instanceof UserError) return FULL.test(commit) ? { state: "unverified", commit, why: e.lines.join("; ") } : { state: "refused", message: `commit ${given} is not a full SHA and cannot be resolved without git (${e.lines.join("; ")}); pass the full 40-character SHA` };
        throw e;
    }
    if (listing.code !== 0) {
        const why = listing.code === 124 ? "it did not answer within a minute" : firstLine(listing.stderr) || `git exited with ${listing.code}`;
        if (!FULL.test(commit)) {
            return { state: "refused", message: `commit ${given} is not a full SHA and ${repository} cannot be asked to resolve it (${why}); pass the full 40-character SHA (git rev-parse ${given})` };
        }
        return { state: "unverified", commit, why: `could not reach ${repository} (${why})` };
    }
    const heads = tips(listing.stdout);
    if (!FULL.test(commit)) {
        const matches = [...new Set(heads.filter((sha) => sha.startsWith(commit)))];
        if (matches.length === 1) return { state: "found", commit: matches[0] };
        const why = matches.length > 1 ? `it matches ${matches.length} commits` : "no branch or tag of it starts with it";
        return { state: "refused", message: `commit ${given} is not a full SHA and ${repository} cannot resolve it (${why}); pass the full 40-character SHA (git rev-parse ${given})` };
    }
    if (heads.includes(commit)) return { state: "found", commit };
    const found = await fetchable(io, repository, commit);
    if (found === "yes") return { state: "found", commit };
    if (found === "unknown") return { state: "unverified", commit, why: `${repository} would not say whether it has it` };
    return { state: "refused", message: `commit ${commit} is not in ${repository}; push it first (git push origin <branch>) or give a commit the repository has (git rev-parse <branch>)` };
}

/**
 * askCommit for a command's own argument (on `branch`): the commit to write, a warning to print,
 * or a UserError.
 */
export async function verifyCommit(io: Io, repository: string, given: string, branch: string, where: string): Promise<CommitCheck> {
    const answer = await askCommit(io, repository, given, branch);
    if (answer.state === "refused") throw new UserError([`${where}: ${answer.message}`]);
    if (answer.state === "unverified") return { commit: answer.commit, warning: `warning: ${where}: ${answer.why}; commit ${answer.commit.slice(0, 12)} not verified` };
    return { commit: answer.commit };
}

// The configured git remote as the dashboard sees it: the stack file on the base branch, and the
// changes still waiting for review on the `slots/…` branches that `slots … --pr` and the
// dashboard push (cli/pullRequest.ts names them). Every write starts from
// a clean clone made for it alone; reads share one clone that a fetch brings up to date. git runs
// without a shell, each value its own argument, and always asynchronously with a timeout
// (cli/git.ts, cli/revision.ts), so a slow git or remote never holds up the server's other requests.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { taskKey } from "../components/validation";
import { RawClaim, SlotChange, claimsOf, diffClaims, waitersOf, waitlistJoins } from "../cli/diff";
import { GitResult, git } from "../cli/git";
import { Io } from "../cli/io";
import { stackFileAt } from "../cli/revision";
import { analyse } from "../cli/stack";

/** Where pull request branches live (editBranch in cli/pullRequest.ts). */
export const BRANCH_PREFIX = "slots/";

/** A slot change pushed to a branch and not merged into the base branch yet. */
export interface PendingChange {
    readonly slot: number;
    readonly branch: string;
    readonly change: SlotChange["change"];
    /** The sentence `slots diff` prints for it. */
    readonly summary: string;
    /** The claim the branch leaves on the slot; null for a release. */
    readonly after: RawClaim | null;
}

/** A waitlist entry added on a branch not merged yet: a `slots/wait-…` pull request waiting for review. */
export interface PendingWait {
    readonly branch: string;
    /** The entry as the branch writes it. */
    readonly waiter: RawClaim;
    readonly pool: string;
    /** The sentence `slots diff` prints for it. */
    readonly summary: string;
}

/** Everything waiting for review on the remote's `slots/…` branches. */
export interface Pending {
    /** Slot changes, in slot order. */
    readonly changes: readonly PendingChange[];
    /** Waitlist entries the branches add, in branch order. */
    readonly waits: readonly PendingWait[];
    /** Each pending branch (one with a change or a wait above) and the commit at its head. */
    readonly heads: ReadonlyMap<string, string>;
}

/** Where the remote is and how to reach it. */
export interface RemoteConfig {
    /** Any URL git accepts; may carry credentials, so it is never shown. */
    readonly url: string;
    /** The branch pull requests target, e.g. main. */
    readonly baseBranch: string;
    /** Environment for git (GIT_SSH_COMMAND, credential helpers). */
    readonly env: Readonly<Record<string, string | undefined>>;
}

/** A git failure that is nobody's input mistake: the remote is unreachable or refused us. */
export class RemoteError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RemoteError";
    }
}

/** An Io for git and the stack edit in `dir`: stdout dropped, stderr (warnings) to `stderr`. */
export function dirIo(dir: string, env: Readonly<Record<string, string | undefined>>, now: () => Date, stderr: (text: string) => void = () => undefined): Io {
    return { stdout: () => undefined, stderr, cwd: dir, env, isTTY: false, now };
}

/** A message with the remote URL (which may hold a token) and any user:password@ taken out. */
export function scrub(message: string, url: string): string {
    return message.split(url).join("the remote").replace(/\/\/[^/@\s]+@/g, "//");
}

/** git's first error line, scrubbed. */
export function gitMessage(r: GitResult, url: string): string {
    const line = (r.stderr.split("\n").find((l) => /^(fatal|error|remote): /.test(l)) ?? r.stderr.split("\n").find((l) => l.trim() !== "") ?? `git exited with ${r.code}`).trim();
    return scrub(line, url);
}

async function must(io: Io, remote: RemoteConfig, args: readonly string[], doing: string): Promise<GitResult> {
    const r = await git(io, args, 120_000);
    if (r.code !== 0) throw new RemoteError(`could not ${doing}: ${gitMessage(r, remote.url)}`);
    return r;
}

/** Brings `dir` (created if new) up to date with the base branch and every pending branch. */
export async function syncClone(dir: string, remote: RemoteConfig, now: () => Date): Promise<void> {
    const io = dirIo(dir, remote.env, now);
    const inited = await git(io, ["rev-parse", "--git-dir"]);
    if (inited.code !== 0) {
        await must(io, remote, ["init", "-q"], "create a clone");
        await must(io, remote, ["remote", "add", "origin", remote.url], "create a clone");
    }
    await must(
        io,
        remote,
        ["fetch", "-q", "--prune", "--no-tags", "origin", `+refs/heads/${remote.baseBranch}:refs/remotes/origin/${remote.baseBranch}`, `+refs/heads/${BRANCH_PREFIX}*:refs/remotes/origin/${BRANCH_PREFIX}*`],
        `fetch ${remote.baseBranch} from the remote`,
    );
}

/** A fresh clone of the remote in its own temporary folder, checked out at the base branch. */
export async function freshClone(remote: RemoteConfig, now: () => Date, stderr?: (text: string) => void): Promise<{ readonly dir: string; readonly io: Io; readonly remove: () => void }> {
    const dir = mkdtempSync(path.join(tmpdir(), "slots-serve-"));
    const remove = (): void => rmSync(dir, { recursive: true, force: true });
    try {
        await syncClone(dir, remote, now);
        const io = dirIo(dir, remote.env, now, stderr);
        await must(io, remote, ["checkout", "-q", "--detach", `refs/remotes/origin/${remote.baseBranch}`], `check out ${remote.baseBranch}`);
        return { dir, io, remove };
    } catch (e) {
        remove();
        throw e;
    }
}

/** The stack file on the base branch of a synced clone, and the commit it was read at. */
export async function baseStackText(dir: string, remote: RemoteConfig, file: string, now: () => Date): Promise<{ readonly commit: string; readonly text: string }> {
    const io = dirIo(dir, remote.env, now);
    const ref = `refs/remotes/origin/${remote.baseBranch}`;
    const commit = (await must(io, remote, ["rev-parse", "--verify", `${ref}^{commit}`], `read ${remote.baseBranch}`)).stdout.trim();
    const text = await stackFileAt(dir, commit, file, remote.env);
    if (text === undefined) throw new RemoteError(`${remote.baseBranch} has no ${file}; serve another stack with --stack NAME`);
    return { commit, text };
}

/**
 * What the pending branches of a synced clone change: each branch not merged into the base
 * branch (by ancestry, or by a squash merge that left the base branch saying what the branch
 * says), compared with where it left the base branch, so later claims on the base branch do not
 * show as its changes. A branch's slot changes are in `changes`; the waitlist entries it adds
 * (a queue pull request changes no slot) are in `waits`.
 */
export async function pendingChanges(dir: string, remote: RemoteConfig, stack: string, file: string, now: () => Date): Promise<Pending> {
    const io = dirIo(dir, remote.env, now);
    const base = `refs/remotes/origin/${remote.baseBranch}`;
    const refs = (await must(io, remote, ["for-each-ref", "--format=%(objectname) %(refname)", `refs/remotes/origin/${BRANCH_PREFIX}`], "list pending branches")).stdout
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => ({ sha: l.slice(0, l.indexOf(" ")), ref: l.slice(l.indexOf(" ") + 1) }));
    const raw = (text: string | undefined): Record<string, unknown> => {
        if (text === undefined) return {};
        try {
            return analyse(stack, file, text, now()).raw;
        } catch {
            // A branch whose file does not parse changes nothing the dashboard can show.
            return {};
        }
    };
    const at = (rev: string): Promise<string | undefined> => stackFileAt(dir, rev, file, remote.env);
    // Read and parsed once, when a branch first needs it: every branch is compared with it.
    let mainRaw: Record<string, unknown> | undefined;
    const onMain = async (): Promise<Record<string, unknown>> => (mainRaw ??= raw(await at(base)));
    const changes: PendingChange[] = [];
    const waits: PendingWait[] = [];
    const heads = new Map<string, string>();
    for (const { sha, ref } of refs) {
        if ((await git(io, ["merge-base", "--is-ancestor", ref, base])).code === 0) continue;
        const fork = (await git(io, ["merge-base", base, ref])).stdout.trim();
        const before = fork ? await at(fork) : undefined;
        const after = await at(ref);
        if (after === undefined) continue;
        const branch = ref.slice("refs/remotes/origin/".length);
        const beforeRaw = raw(before);
        const afterRaw = raw(after);
        const slotChanges = diffClaims(beforeRaw, afterRaw);
        // A squash merge leaves the branch unmerged by ancestry; the base branch then already
        // says what the branch says about each of its slots, and holds or queues each task it queues.
        const main = await onMain();
        const slots = new Set(slotChanges.map((c) => c.slot));
        const pendingSlots = diffClaims(main, afterRaw).some((c) => slots.has(c.slot)) ? slotChanges : [];
        const known = new Set([...waitersOf(main), ...claimsOf(main).values()].map((w) => taskKey(String(w.task ?? ""))));
        const joins = waitlistJoins(beforeRaw, afterRaw).filter((j) => !known.has(taskKey(String(j.waiter.task ?? ""))));
        if (pendingSlots.length === 0 && joins.length === 0) continue;
        heads.set(branch, sha);
        for (const c of pendingSlots) changes.push({ slot: c.slot, branch, change: c.change, summary: c.summary, after: c.after });
        for (const j of joins) waits.push({ branch, waiter: j.waiter, pool: j.pool, summary: j.summary });
    }
    changes.sort((a, b) => a.slot - b.slot || a.branch.localeCompare(b.branch));
    return { changes, waits, heads };
}

// A claim or release from the dashboard: the `slots claim` / `slots release` edit (cli/claims.ts)
// run on a clean clone of the remote's base branch, then committed, pushed and opened as a pull
// request by the module `slots … --pr` uses (cli/pullRequest.ts), on the branch name it would
// choose (`slots/claim-<task>`, `slots/release-<task>`). Nothing reaches the base branch or the
// droplet here: the pull request is reviewed like any other, and `pulumi up` after the merge
// deploys it.
//
// Writes run one at a time in this process. A change waiting for review on any `slots/…` branch
// holds its slot and its task, and the remote refuses a second branch of the same name, so one
// task never gets two pull requests.

import { slotLayout } from "../components/catalogue";
import { Claim, DEFAULTS, Settings } from "../components/settings";
import { taskKey } from "../components/validation";
import { ClaimRequest, NoSlotForRequest, PreparedClaim, applyClaim, applyWait, describeEdit, prepareClaim } from "../cli/claims";
import { RawClaim, claimsOf, diffClaims } from "../cli/diff";
import { git } from "../cli/git";
import { Io, UserError } from "../cli/io";
import { editBranch, openPullRequest } from "../cli/pullRequest";
import { releaseWithPromotion } from "../cli/waitlist";
import { Edited, Stack, editStack, readStack } from "../cli/stack";
import { Caller } from "./auth";
import { PendingChange, RemoteConfig, RemoteError, freshClone, pendingChanges, scrub } from "./remote";

/** A write the server refuses; `lines` are the CLI's own words where the CLI refuses it too. */
export class Refusal extends Error {
    constructor(
        public readonly status: 400 | 409 | 422 | 502,
        public readonly lines: readonly string[],
        /** The pool has no slot for this claim (cli/claims.ts NoSlotForRequest): `"wait": true` would queue it. */
        public readonly queueable = false,
    ) {
        super(lines.join("\n"));
        this.name = "Refusal";
    }
}

/** PUT /api/staging/slots, as the JSON schema lets it through. */
export interface ClaimBody {
    readonly slot_id?: number;
    readonly owner: string;
    readonly task: string;
    readonly branch: string;
    readonly commit_sha?: string;
    readonly purpose?: string;
    readonly pool?: string;
    readonly long_running?: string;
    /** Join the pool's waitlist when the pool is full (`slots claim --wait`), instead of being refused. */
    readonly wait?: boolean;
}

/** What a write answers: 202 with the pull request, or 200 when there was nothing to change. */
export interface WriteResult {
    /** The slot claimed or released; null when the claim joined the waitlist. */
    readonly slot_id: number | null;
    readonly identifier: string | null;
    /** Where a queued claim stands among its pool's waiters (1 = next); null otherwise. */
    readonly waitlist_position: number | null;
    /** The pull request's branch; null when nothing changed. */
    readonly branch: string | null;
    readonly pull_request_url: string | null;
    /** `slots diff`'s sentence for each slot the pull request changes. */
    readonly changes: readonly string[];
    /** What the CLI would have warned about (e.g. a commit the repository could not be asked about). */
    readonly warnings: readonly string[];
    readonly message: string;
}

/** What the writer needs to know. */
export interface WriterOptions {
    readonly remote: RemoteConfig;
    readonly stack: string;
    readonly now: () => Date;
    /** The author and committer of the edits. */
    readonly author: { readonly name: string; readonly email: string };
}

function id(slot: number): string {
    return `staging-${slot}`;
}

function waiting(p: PendingChange, urls: ReadonlyMap<string, string>): string {
    const url = urls.get(p.branch);
    return `${url ? `pull request ${url}` : `branch ${p.branch}`} (${p.summary})`;
}

/** What the API adds to the CLI's "add --wait to queue" refusal. */
export const API_WAIT_HINT = 'To queue here: send "wait": true with the claim (on the dashboard, tick "Join the pool\'s waitlist").';

const WAIT = "wait for its review, or if that pull request was merged or closed, delete its branch";

/** An edit made in a clone, ready to become a pull request. */
interface Change {
    /** Its outcome is the slot, or for a queued claim its position among the pool's waiters. */
    readonly edited: Edited<number>;
    /** The claim joined the waitlist of this pool. */
    readonly queued?: string;
    readonly branch: string;
    readonly message: string;
}

/** Runs claim and release requests one at a time. */
export class Writer {
    /** Pull requests this server opened, by branch, so the dashboard can link them. */
    readonly pullRequests = new Map<string, string>();
    private queue: Promise<unknown> = Promise.resolve();

    constructor(private readonly options: WriterOptions) {}

    private serialize<T>(fn: () => Promise<T>): Promise<T> {
        const run = this.queue.then(fn, fn);
        this.queue = run.catch(() => undefined);
        return run;
    }

    /** Claims a slot through a pull request. */
    claim(body: ClaimBody, caller: Caller): Promise<WriteResult> {
        const request: ClaimRequest = {
            task: body.task,
            owner: body.owner,
            branch: body.branch,
            pool: body.pool ?? DEFAULTS.pool,
            ...(body.slot_id === undefined ? {} : { slot: body.slot_id }),
            ...(body.commit_sha === undefined ? {} : { commit: body.commit_sha }),
            ...(body.purpose === undefined ? {} : { purpose: body.purpose }),
            ...(body.long_running === undefined ? {} : { longRunning: body.long_running }),
            ...(body.wait === true ? { wait: true } : {}),
        };
        // slots claim refuses --wait with --slot the same way (cli/claims.ts claimCommand).
        if (body.wait === true && body.slot_id !== undefined) return Promise.reject(new Refusal(400, ["wait queues for the next free slot of a pool; leave out slot_id"]));
        return this.serialize(() =>
            this.inClone(caller, async (io, pending) => {
                const view = (s: Settings): Settings => this.withPending(s, request, pending);
                // The same queue edit as slots claim --wait; claims waiting for review count as held.
                const queue = async (prepared: PreparedClaim): Promise<Change> => {
                    const queued = await userStep(409, () => editStack(io, this.options.stack, (fresh: Stack) => applyWait(fresh, prepared, this.options.now(), view)));
                    return { edited: queued, queued: request.pool, branch: editBranch("wait", request.task), message: `Queue ${request.task} for a slot of pool ${request.pool}` };
                };
                const claim: PreparedClaim = await userStep(422, () => prepareClaim(io, this.options.stack, request));
                if (claim.queue) return queue(claim);
                await this.refuseOpenQueueBranch(io, editBranch("wait", request.task), request.task);
                try {
                    const edited = await userStep(409, () => editStack(io, this.options.stack, (fresh: Stack) => applyClaim(fresh, claim, view)));
                    return { edited, branch: editBranch("claim", request.task), message: `Claim ${id(edited.outcome)} for ${request.task}` };
                } catch (e) {
                    // A full pool, or free slots the queue is owed: --wait would queue.
                    if (!(e instanceof Refusal && e.queueable)) throw e;
                    if (request.wait !== true) throw new Refusal(e.status, [...e.lines, API_WAIT_HINT]);
                    // Full only with the claims waiting for review: queue, and like any waiter
                    // without a commit take the branch's head when promoted.
                    const { commit: _head, ...values } = claim.values;
                    return queue({ ...claim, values: body.commit_sha === undefined ? values : claim.values, queue: true });
                }
            }),
        );
    }

    /** Releases a slot through a pull request; a slot that is not claimed is left as it is. */
    release(slot: number, caller: Caller): Promise<WriteResult> {
        return this.serialize(() =>
            this.inClone(caller, async (io, pending) => {
                const waitingOn = pending.find((p) => p.slot === slot);
                if (waitingOn) throw new Refusal(409, [`${id(slot)} has a change waiting for review in ${waiting(waitingOn, this.pullRequests)}; ${WAIT}`]);
                const held = claimsOf(readStack(io, this.options.stack).raw).get(slot);
                if (!held) return undefined;
                const task = typeof held.task === "string" ? held.task : undefined;
                // The same edit as slots release: the first waiter of the slot's pool takes it.
                const { edited: released } = await userStep(409, () => releaseWithPromotion(io, this.options.stack, true, () => [slot]));
                const edited = { ...released, outcome: slot };
                return { edited, branch: editBranch("release", task ?? id(slot)), message: `Release ${id(slot)}${task ? ` (${task})` : ""}` };
            }, slot),
        );
    }

    /** The settings a claim is chosen against: pending claims hold their slots; conflicts with them are refused. */
    private withPending(settings: Settings, request: ClaimRequest, pending: readonly PendingChange[]): Settings {
        if (request.slot !== undefined) {
            const p = pending.find((c) => c.slot === request.slot);
            if (p) throw new Refusal(409, [`${id(p.slot)} has a change waiting for review in ${waiting(p, this.pullRequests)}; pick another slot, or ${WAIT}`]);
        }
        const sameTask = pending.find((c) => typeof c.after?.task === "string" && taskKey(c.after.task) === taskKey(request.task));
        if (sameTask) {
            throw new Refusal(409, [`task ${request.task} already has a claim waiting for review: ${id(sameTask.slot)} in ${waiting(sameTask, this.pullRequests)}; one slot per task`]);
        }
        const claims = new Map<number, Claim>(settings.claims);
        for (const p of pending) {
            if (claims.has(p.slot)) continue;
            const c: RawClaim = p.after ?? {};
            const text = (k: string): string => (typeof c[k] === "string" ? (c[k] as string) : "?");
            claims.set(p.slot, {
                owner: text("owner"),
                task: text("task"),
                branch: `${text("branch")}, waiting for review on ${p.branch}`,
                commit: text("commit"),
                purpose: text("purpose"),
                claimedAt: text("claimedAt"),
                pool: typeof c.pool === "string" ? c.pool : DEFAULTS.pool,
                redeploy: 0,
                resetDatabase: 0,
            });
        }
        // A waiter whose claim is in review no longer waits ahead of anybody (cli/claims.ts queueStanding).
        const claiming = new Set(pending.map((p) => p.after?.task).filter((t): t is string => typeof t === "string").map(taskKey));
        return { ...settings, claims, waitlist: settings.waitlist.filter((w) => !claiming.has(taskKey(w.task))) };
    }

    /**
     * Makes a fresh clone, lets `edit` change its stack file (or answer undefined: nothing to do
     * for `slot`), and opens the pull request for the edit with the CLI's own module.
     */
    private async inClone(caller: Caller, edit: (io: Io, pending: readonly PendingChange[]) => Promise<Change | undefined>, slot?: number): Promise<WriteResult> {
        const { remote, stack, author } = this.options;
        const warnings: string[] = [];
        const env = { ...remote.env, GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email };
        const clone = await freshClone({ ...remote, env }, this.options.now, (t) => warnings.push(...t.split("\n").filter((l) => l.trim() !== ""))).catch(toBadGateway);
        try {
            const file = `Pulumi.${stack}.yaml`;
            const { changes: pending } = await pendingChanges(clone.dir, remote, stack, file, this.options.now).catch(toBadGateway);
            const change = await edit(clone.io, pending);
            if (!change) {
                const s = slot as number;
                return { slot_id: s, identifier: id(s), waitlist_position: null, branch: null, pull_request_url: null, changes: [], warnings, message: `${id(s)} is not claimed; nothing to release.` };
            }
            const { edited, branch, message, queued } = change;
            const changes = queued === undefined
                ? diffClaims(edited.before.raw, edited.after.raw).map((c) => c.summary)
                : [`${change.message} (position ${edited.outcome} of its waitlist)`];
            // A queue change moves no slot, so it is not among `pending`: its branch, while not
            // merged, is the task's waitlist entry waiting for review and is never replaced.
            if (queued !== undefined) await this.refuseOpenQueueBranch(clone.io, branch);
            await this.clearMergedBranch(clone.io, branch, pending);
            const domain = edited.after.result.settings?.domain;
            const where = queued !== undefined ? "" : domain ? ` (${slotLayout(edited.outcome, domain).url})` : "";
            const who = caller.subject.replace(/[\r\n]+/g, " ").slice(0, 100);
            const result = await openPullRequest(clone.io, {
                repoDir: clone.dir,
                file: edited.before.file,
                branch,
                message,
                description: describeEdit(edited, `Opened through the staging dashboard for ${who}.`),
                base: remote.baseBranch,
            });
            if (!result.pushed) {
                // The module never moves a branch: a push refused because the branch is there now
                // means another writer pushed it since this clone was made.
                const there = await git(clone.io, ["ls-remote", "--exit-code", "origin", `refs/heads/${branch}`], 120_000);
                if (there.code === 0) {
                    throw new Refusal(409, [`branch ${branch} appeared on the remote a moment ago with another change; nothing was pushed. ${WAIT[0].toUpperCase()}${WAIT.slice(1)}`]);
                }
                throw new Refusal(502, [`${scrub(result.note ?? "the push failed", remote.url)}; nothing was pushed`]);
            }
            if (!result.url) {
                // No pull request, no branch: a branch nobody reviews would hold the slot.
                await git(clone.io, ["push", "-q", "origin", "--delete", branch], 120_000);
                throw new Refusal(502, [`${scrub(result.note ?? "gh opened no pull request", remote.url)}; the branch was deleted again`]);
            }
            this.pullRequests.set(branch, result.url);
            return {
                slot_id: queued === undefined ? edited.outcome : null,
                identifier: queued === undefined ? id(edited.outcome) : null,
                waitlist_position: queued === undefined ? null : edited.outcome,
                branch,
                pull_request_url: result.url,
                changes,
                warnings,
                message: `${message}${where}: pull request ${result.url} is open for review; pulumi up after the merge makes it real.`,
            };
        } finally {
            clone.remove();
        }
    }

    /** Refuses when `branch` is on the remote and not merged into the base branch. */
    private async refuseOpenQueueBranch(io: Io, branch: string, claiming?: string): Promise<void> {
        const there = await git(io, ["rev-parse", "--verify", "-q", `refs/remotes/origin/${branch}`]);
        if (there.code !== 0) return;
        const merged = await git(io, ["merge-base", "--is-ancestor", `refs/remotes/origin/${branch}`, `refs/remotes/origin/${this.options.remote.baseBranch}`]);
        if (merged.code === 0) return;
        const url = this.pullRequests.get(branch);
        const review = `waiting for review${url ? ` in pull request ${url}` : ""}`;
        if (claiming !== undefined) {
            // Both merged, the task would hold a slot and wait at once: the stack file would be refused.
            throw new Refusal(409, [`task ${claiming} is being queued on ${branch}, ${review}; let that pull request merge and claim again (the claim takes the task out of the queue), or close it and delete its branch first`]);
        }
        throw new Refusal(409, [`branch ${branch} already queues this task, ${review}; ${WAIT}`]);
    }

    /**
     * The pull request module never moves a branch that exists. A branch of the same name whose
     * pull request was merged carries nothing unreviewed, so it is deleted first, and only if it is
     * still exactly what was fetched.
     */
    private async clearMergedBranch(io: Io, branch: string, pending: readonly PendingChange[]): Promise<void> {
        const old = await git(io, ["rev-parse", "--verify", "-q", `refs/remotes/origin/${branch}`]);
        if (old.code !== 0) return;
        const open = pending.find((p) => p.branch === branch);
        if (open) throw new Refusal(409, [`branch ${branch} already carries a change waiting for review: ${waiting(open, this.pullRequests)}; ${WAIT}`]);
        const r = await git(io, ["push", "-q", `--force-with-lease=refs/heads/${branch}:${old.stdout.trim()}`, "origin", `:refs/heads/${branch}`], 120_000);
        if (r.code !== 0) throw new Refusal(409, [`branch ${branch} changed on the remote a moment ago; nothing was pushed. Try again`]);
    }
}

function toBadGateway(e: unknown): never {
    if (e instanceof RemoteError) throw new Refusal(502, [e.message]);
    throw e;
}

/** Runs a step of the CLI's; its UserError becomes a Refusal with `status` and the same lines. */
async function userStep<T>(status: 409 | 422, fn: () => Promise<T>): Promise<T> {
    try {
        return await fn();
    } catch (e) {
        if (e instanceof UserError) {
            const first = e.lines[0] ?? "";
            // The whole-file check after the edit judges the request's fields; a broken file on the
            // base branch is the repository's state, not the request.
            if (/would have \d+ problems? after this change/.test(first)) throw new Refusal(422, e.lines);
            if (/ has \d+ problems?; fix /.test(first)) throw new Refusal(409, e.lines);
            throw new Refusal(status, e.lines, e instanceof NoSlotForRequest);
        }
        throw e;
    }
}

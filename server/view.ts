// What the dashboard and GET /api/staging/slots show, as plain data: `slots list`'s rows
// (cli/list.ts) under the seed's column names, with the changes waiting for review, the live state
// where the server probes, and the waitlist. Pure: the server reads, this shapes.

import { utcTimestamp } from "../components/expiry";
import { Claim, DEFAULTS, Settings } from "../components/settings";
import { staleness } from "../components/validation";
import { slotRows, waitRows } from "../cli/list";
import { waitingFor } from "../cli/queue";
import { githubRepository } from "../cli/github";
import { SlotState } from "../cli/slotState";
import { PendingChange, PendingWait } from "./remote";

/** What a slot runs right now: its row of `slots status` (cli/status.ts), where the server probes. */
export interface LiveState {
    /** The `slots status` state: serving, pending, drifted, down, free or occupied (cli/slotState.ts). */
    readonly state: SlotState;
    /** The commit the slot reports (`/api/version`), when it answered with one. */
    readonly commit_sha: string | null;
    /** When pulumi up deployed the slot (the registry row's deployed_at); null when not read or no row. */
    readonly deployed_at: string | null;
    /** What was seen, in a few words. */
    readonly detail: string;
    /** What to do about it; null when nothing needs doing. */
    readonly action: string | null;
    /** Whether the registry was read for this answer. */
    readonly registry_read: boolean;
}

/** The source of live state per slot; none configured = every slot's `live` is null. */
export type LiveStateSource = (settings: Settings) => Promise<ReadonlyMap<number, LiveState>>;

/** One entry of the waitlist (`slots list --json`'s waitlist, cli/list.ts waitRows), in queue order. */
export interface WaitlistEntry {
    /** 1-based place in the whole queue. */
    readonly position: number;
    /** 1-based place among the waiters of the same pool: 1 takes the pool's next released slot. */
    readonly pool_position: number;
    readonly owner: string;
    readonly task: string;
    readonly branch: string;
    /** The commit to deploy when promoted; null = the branch's head at that time. */
    readonly commit_sha: string | null;
    readonly purpose: string | null;
    readonly pool: string;
    readonly requested_at: string;
    readonly waiting_seconds: number;
}

/** The waitlist under the API's names. */
export function apiWaitlist(settings: Settings, now: Date): WaitlistEntry[] {
    return waitRows(settings, now).map((w) => ({
        position: w.position,
        pool_position: w.poolPosition,
        owner: w.owner,
        task: w.task,
        branch: w.branch,
        commit_sha: w.commit,
        purpose: w.purpose,
        pool: w.pool,
        requested_at: w.requestedAt,
        waiting_seconds: w.waitingSeconds,
    }));
}

/** A change to the slot waiting for review. */
export interface ApiPending {
    readonly change: PendingChange["change"];
    readonly branch: string;
    readonly summary: string;
    /** The branch's open pull request (server/pullRequests.ts); null when GitHub lists none or could not be asked. */
    readonly pull_request_url: string | null;
}

/** A waitlist entry a pull request in review adds. */
export interface ApiQueued {
    readonly task: string;
    readonly owner: string;
    readonly pool: string;
    /** Its place among the pool's waiters once merged: after everyone waiting on the base branch now. */
    readonly pool_position: number;
}

/** One branch waiting for review: a claim, release or queue pull request (or another `slots … --pr` edit). */
export interface ApiInReview {
    /** The pull request's branch, `slots/<action>-<task>` (cli/pullRequest.ts editBranch). */
    readonly branch: string;
    /** The action its name gives: claim, release, wait, repoint, extend. */
    readonly action: string;
    /** The open pull request of the branch; null when GitHub could not be asked or lists none. */
    readonly pull_request_url: string | null;
    /** The slots it changes, in order; [] for a queue pull request. */
    readonly slot_ids: readonly number[];
    /** The waitlist entries it adds, with where each would stand. */
    readonly queued: readonly ApiQueued[];
    /** `slots diff`'s sentences for what it changes. */
    readonly changes: readonly string[];
}

/** One slot in GET /api/staging/slots; every key is always present. */
export interface ApiSlot {
    readonly slot_id: number;
    readonly identifier: string;
    readonly url: string;
    readonly subdomain: string;
    readonly campaign_ui_port: number;
    readonly airflow_port: number;
    readonly database_name: string;
    readonly pools: readonly string[];
    readonly status: "In Use" | "Available";
    readonly owner: string | null;
    readonly task: string | null;
    readonly branch: string | null;
    readonly commit_sha: string | null;
    /** The commit on GitHub when the repository is there. */
    readonly commit_url: string | null;
    readonly purpose: string | null;
    readonly pool: string | null;
    readonly long_running: string | null;
    readonly claimed_at: string | null;
    readonly age_seconds: number | null;
    /** The claim's end (`expiresAt`, set with slots extend --until); null when open. */
    readonly expires_at: string | null;
    /** When the claim is due to be let go: its end, or 24 hours after the claim without a long-running note; null when never. */
    readonly stale_at: string | null;
    /** `quiet`, `open-ended` (long-running, no end), `stale` or `expired` (components/validation.ts staleness); null when Available. */
    readonly staleness: ReturnType<typeof staleness> | null;
    /** staleness is stale or expired: the holder should release it or say why it stays. */
    readonly stale: boolean;
    readonly deployed_at: string | null;
    readonly live: LiveState | null;
    readonly pending: readonly ApiPending[];
}

/** The whole answer of GET /api/staging/slots. */
export interface ApiSlots {
    readonly stack: string;
    readonly file: string;
    /** The base branch and the commit the stack file was read at. */
    readonly source: { readonly branch: string; readonly commit: string };
    readonly generated_at: string;
    readonly slots: readonly ApiSlot[];
    readonly waitlist: readonly WaitlistEntry[];
    /** Every branch waiting for review, with its pull request: slot changes first (by slot), then queue pull requests. */
    readonly in_review: readonly ApiInReview[];
}

/** `OWNER/NAME` when `url` is a GitHub repository URL (scp-like, ssh or https, with or without a user part), else undefined. */
export function githubRepo(url: string): string | undefined {
    // A token in an https URL's user part names no other repository.
    return githubRepository(url.replace(/^https:\/\/[^@/]+@github\.com\//, "https://github.com/"));
}

/** `https://github.com/OWNER/NAME/commit/SHA` for a GitHub repository URL, else null. */
export function commitUrl(repository: string, commit: string | null): string | null {
    if (commit === null) return null;
    const repo = githubRepo(repository);
    return repo ? `https://github.com/${repo}/commit/${commit}` : null;
}

function staleAt(c: Claim | undefined): string | null {
    if (!c) return null;
    if (c.expiresAt !== undefined) return c.expiresAt;
    if (c.longRunning) return null;
    return utcTimestamp(new Date(Date.parse(c.claimedAt) + DEFAULTS.staleAfterHours * 3600_000));
}

/** Everything the dashboard shows, in slot order. */
export function apiSlots(input: {
    readonly stack: string;
    readonly file: string;
    readonly settings: Settings;
    readonly source: { readonly branch: string; readonly commit: string };
    readonly now: Date;
    readonly pending: readonly PendingChange[];
    /** Waitlist entries added on pending branches. */
    readonly waits: readonly PendingWait[];
    /** Open pull requests' URLs, by branch. */
    readonly pullRequests: ReadonlyMap<string, string>;
    readonly live: ReadonlyMap<number, LiveState>;
}): ApiSlots {
    const slots = slotRows(input.settings, input.now).map((r): ApiSlot => {
        const live = input.live.get(r.slot) ?? null;
        const claim = input.settings.claims.get(r.slot);
        const state = claim ? staleness(claim, input.now) : null;
        return {
            slot_id: r.slot,
            identifier: r.id,
            url: r.url,
            subdomain: new URL(r.url).host,
            campaign_ui_port: r.campaignUiPort,
            airflow_port: r.airflowPort,
            database_name: r.database,
            pools: r.pools,
            status: r.status,
            owner: r.owner,
            task: r.task,
            branch: r.branch,
            commit_sha: r.commit,
            commit_url: commitUrl(input.settings.repository, r.commit),
            purpose: r.purpose,
            pool: r.pool,
            long_running: r.longRunning,
            claimed_at: r.claimedAt,
            age_seconds: r.ageSeconds,
            expires_at: claim?.expiresAt ?? null,
            stale_at: staleAt(claim),
            staleness: state,
            stale: state === "stale" || state === "expired",
            deployed_at: live?.deployed_at ?? null,
            live,
            pending: input.pending
                .filter((p) => p.slot === r.slot)
                .map((p) => ({ change: p.change, branch: p.branch, summary: p.summary, pull_request_url: input.pullRequests.get(p.branch) ?? null })),
        };
    });
    return {
        stack: input.stack,
        file: input.file,
        source: input.source,
        generated_at: input.now.toISOString(),
        slots,
        waitlist: apiWaitlist(input.settings, input.now),
        in_review: inReview(input.settings, input.pending, input.waits, input.pullRequests),
    };
}

const text = (v: unknown): string => (typeof v === "string" ? v : "?");

/** The pending changes and waits grouped by branch, each with its pull request. */
export function inReview(settings: Settings, pending: readonly PendingChange[], waits: readonly PendingWait[], pullRequests: ReadonlyMap<string, string>): ApiInReview[] {
    const out = new Map<string, { slot_ids: number[]; queued: ApiQueued[]; changes: string[] }>();
    const entry = (branch: string) => {
        let e = out.get(branch);
        if (!e) out.set(branch, (e = { slot_ids: [], queued: [], changes: [] }));
        return e;
    };
    for (const p of pending) {
        const e = entry(p.branch);
        e.slot_ids.push(p.slot);
        e.changes.push(p.summary);
    }
    // Once merged, an entry goes after the pool's waiters on the base branch (and after the
    // branch's own earlier entries of that pool): a queue edit appends (cli/claims.ts applyWait).
    for (const w of waits) {
        const e = entry(w.branch);
        const earlier = e.queued.filter((q) => q.pool === w.pool).length;
        e.queued.push({ task: text(w.waiter.task), owner: text(w.waiter.owner), pool: w.pool, pool_position: waitingFor(settings, w.pool) + earlier + 1 });
        e.changes.push(w.summary);
    }
    return [...out]
        .map(([branch, e]) => ({
            branch,
            // slots/<action>-<subject> (cli/pullRequest.ts editBranch), or the expiry workflow's slots/expire.
            action: /^slots\/([a-z]+)(?:-|$)/.exec(branch)?.[1] ?? "edit",
            pull_request_url: pullRequests.get(branch) ?? null,
            slot_ids: [...new Set(e.slot_ids)].sort((a, b) => a - b),
            queued: e.queued,
            changes: e.changes,
        }))
        .sort((a, b) => (a.slot_ids[0] ?? Infinity) - (b.slot_ids[0] ?? Infinity) || a.branch.localeCompare(b.branch));
}

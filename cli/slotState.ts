// What a slot really serves, judged against what it should serve: the pure half of
// `slots status`. The claim (the stack file's intent), the registry row (what `pulumi up`
// recorded) and the app's answer on /api/version (the truth) give one of six states, each with
// the sentence a user needs: what is wrong and what to do about it.

import { isFreePage } from "../components/caddyfile";
import { Claim } from "../components/settings";
import { reportedCommit } from "../components/versionReport";
import { RegistryRow } from "./registryRead";

/** The states of a slot, in the order the README explains them. */
export const SLOT_STATES = ["serving", "pending", "drifted", "down", "free", "occupied"] as const;
export type SlotState = (typeof SLOT_STATES)[number];

/** What one GET of /api/version gave. */
export type ProbeResult =
    | { readonly kind: "answer"; readonly httpStatus: number; readonly body: string }
    | { readonly kind: "error"; readonly error: string };

/** Everything known about one slot. */
export interface SlotFacts {
    readonly slot: number;
    /** `staging-N`. */
    readonly identifier: string;
    readonly claim?: Claim;
    /** The registry row; `"unread"` when the registry was not read, undefined when it has no row. */
    readonly row: RegistryRow | "unread" | undefined;
    readonly probe: ProbeResult;
}

/** The verdict on one slot. */
export interface Judgement {
    readonly state: SlotState;
    /** The commit the app reports (components/versionReport.ts), or null. */
    readonly reported: string | null;
    /** Whether the slot answered with Caddy's "slot is free" page. */
    readonly freePage: boolean;
    /** What was seen, in a few words. */
    readonly detail: string;
    /** What to do about it; null when nothing needs doing. */
    readonly action: string | null;
}

const short = (commit: string): string => commit.slice(0, 7);

/** Whether `pulumi up` has deployed this claim: the row is In Use with its commit, claimed no earlier. */
export function rowHoldsClaim(row: RegistryRow | undefined, claim: Claim): boolean {
    if (!row || row.status !== "In Use" || row.commit !== claim.commit) return false;
    return row.claimedAt === null || Date.parse(row.claimedAt) >= Date.parse(claim.claimedAt);
}

/** Judges one slot. */
export function judgeSlot(f: SlotFacts): Judgement {
    const id = f.identifier;
    const answered = f.probe.kind === "answer";
    const body = f.probe.kind === "answer" ? f.probe.body : "";
    const httpStatus = f.probe.kind === "answer" ? f.probe.httpStatus : null;
    const ok = httpStatus !== null && httpStatus >= 200 && httpStatus < 300;
    const freePage = answered && isFreePage(body, id);
    const rowCommit = f.row && f.row !== "unread" ? f.row.commit : null;
    // The claim's and the registry's commits first, by the deploy script's own rule.
    const reported = answered && !freePage ? reportedCommit(body, [f.claim?.commit, rowCommit]) : null;
    const seen = f.probe.kind === "error"
        ? f.probe.error
        : freePage
          ? "the slot-is-free page answers"
          : reported !== null
            ? `reports ${short(reported)}${ok ? "" : ` with HTTP ${httpStatus}`}`
            : `HTTP ${httpStatus}, no commit in the answer`;
    const verdict = (state: SlotState, detail: string, action: string | null): Judgement => ({ state, reported, freePage, detail, action });

    const claim = f.claim;
    if (!claim) {
        if (answered && !freePage && (ok || reported !== null)) {
            return verdict("occupied", `Available, yet an app answers: ${seen}`, `a release did not stop it: run Deploy staging again, or on the droplet: docker compose -p ${id} down`);
        }
        return verdict("free", answered ? seen : `no answer (${seen})`, null);
    }
    if (ok && reported === claim.commit) return verdict("serving", `reports ${short(reported)}, the claimed commit`, null);
    const redeploy = `npx slots redeploy ${f.slot} and merge, or run Deploy staging again`;
    if (!answered || (!ok && !freePage)) {
        return verdict("down", seen, `check the last Deploy staging run and /home/deploy/${id}/last-deploy.log on the droplet; then ${redeploy}`);
    }
    // It answers, with another commit or none. The registry row says whether pulumi up has
    // deployed this claim yet.
    const row = f.row === "unread" ? undefined : f.row;
    const waiting = `waiting for pulumi up: merge the claim's pull request; once merged, Deploy staging deploys ${short(claim.commit)} (see its last run if it did not)`;
    if (f.row === "unread") {
        return verdict("pending", `${seen}, not ${short(claim.commit)} (registry not read: a deployment still to come and a hand deployment look alike)`, waiting);
    }
    if (reported !== null && reported !== row?.commit) {
        return verdict("drifted", `${seen}, which neither the claim (${short(claim.commit)}) nor the registry (${row?.commit ? short(row.commit) : "no commit"}) holds: deployed by hand`, `put the claim back: ${redeploy}`);
    }
    if (rowHoldsClaim(row, claim)) {
        return verdict("down", `${seen}, though pulumi up recorded ${short(claim.commit)} at ${row?.deployedAt ?? "an unknown time"}: the app is not running`, `check the app's logs on the droplet (docker compose -p ${id} logs); then ${redeploy}`);
    }
    const recorded = row?.commit ? `the registry still holds ${short(row.commit)}` : row ? `the registry row is ${row.status}` : "the registry has no row for it";
    return verdict("pending", `${seen}, not ${short(claim.commit)}; ${recorded}`, waiting);
}

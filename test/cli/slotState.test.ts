// The pure judgement of `slots status`, as a table: claim × registry row × answer → state.

import { expect } from "chai";

import { RegistryRow } from "../../cli/registryRead";
import { ProbeResult, SlotState, judgeSlot } from "../../cli/slotState";
import { Claim } from "../../components/settings";
import { freePageOf } from "./statusServers";

const C = "0123456789abcdef0123456789abcdef01234567";
const R = "fedcba9876543210fedcba9876543210fedcba98";
const H = "1111111111111111111111111111111111111111";

const claim: Claim = { owner: "alice", task: "JOB-1", branch: "feature/x", commit: C, purpose: "", claimedAt: "2026-11-23T10:00:00Z", pool: "qa", redeploy: 0, resetDatabase: 0 };

const row = (commit: string | null, claimedAt = "2026-11-23T10:00:00Z"): RegistryRow => ({
    slot: 4,
    status: commit ? "In Use" : "Available",
    owner: commit ? "alice" : null,
    task: commit ? "JOB-1" : null,
    branch: commit ? "feature/x" : null,
    commit,
    deployedAt: commit ? "2026-11-23T10:05:00Z" : null,
    claimedAt: commit ? claimedAt : null,
});

const reports = (commit: string, httpStatus = 200): ProbeResult => ({ kind: "answer", httpStatus, body: JSON.stringify({ commit }) });
const free: ProbeResult = { kind: "answer", httpStatus: 503, body: freePageOf(4) };
const refused: ProbeResult = { kind: "error", error: "connection refused" };
const tls: ProbeResult = { kind: "error", error: "TLS error: self-signed certificate" };
const status = (httpStatus: number): ProbeResult => ({ kind: "answer", httpStatus, body: "oops" });

const CASES: ReadonlyArray<[string, Claim | undefined, RegistryRow | "unread" | undefined, ProbeResult, SlotState]> = [
    ["claimed, reports the claim", claim, row(C), reports(C), "serving"],
    ["claimed, reports the claim, registry not read", claim, "unread", reports(C), "serving"],
    ["claimed, reports the claim with a 500", claim, row(C), reports(C, 500), "down"],
    ["claimed, reports the registry's older commit", claim, row(R), reports(R), "pending"],
    ["claimed, the free page, registry Available", claim, row(null), free, "pending"],
    ["claimed, the free page, no registry row at all", claim, undefined, free, "pending"],
    ["claimed, same commit re-claimed later: row is older", claim, row(C, "2026-11-22T10:00:00Z"), free, "pending"],
    ["claimed, the free page, though deployed", claim, row(C), free, "down"],
    ["claimed, a commit no one holds", claim, row(R), reports(H), "drifted"],
    ["claimed, a commit no one holds, deployed claim", claim, row(C), reports(H), "drifted"],
    ["claimed, another commit, registry not read", claim, "unread", reports(H), "pending"],
    ["claimed, no answer", claim, row(C), refused, "down"],
    ["claimed, a TLS error", claim, "unread", tls, "down"],
    ["claimed, a 500 without a commit", claim, row(R), status(500), "down"],
    ["Available, the free page", undefined, row(null), free, "free"],
    ["Available, no answer", undefined, "unread", refused, "free"],
    ["Available, a 404 from something", undefined, row(null), status(404), "free"],
    ["Available, an app reports a commit", undefined, row(null), reports(C), "occupied"],
    ["Available, an app answers 200 without a commit", undefined, row(null), status(200), "occupied"],
];

describe("slots status: judging a slot", () => {
    for (const [what, c, r, probe, state] of CASES) {
        it(`${what}: ${state}`, () => {
            const j = judgeSlot({ slot: 4, identifier: "staging-4", claim: c, row: r, probe });
            expect(j.state).to.equal(state);
            expect(j.action === null).to.equal(state === "serving" || state === "free");
        });
    }
});

// The dashboard's live state and waitlist against the real server: real HTTP stand-ins for the
// slots' apps on 127.0.0.N (as in `slots status`'s tests), a real registry table in PostgreSQL,
// and a waitlist written into the stack file by `slots claim --wait`. The live state must be
// exactly `slots status`'s verdict, in the JSON and on the page, and be probed once per interval.

import { rmSync } from "node:fs";

import { expect } from "chai";

import { StatusReport } from "../../cli/status";
import { statusLiveSource } from "../../server/live";
import { ApiSlots } from "../../server/view";
import { COMMIT, run, stackText, tempProject } from "../cli/harness";
import { Behaviour, CLAIMED_AT, stackWithClaims, useSlotServers } from "../cli/statusServers";
import { NOW } from "../helpers/config";
import { usePostgres } from "../helpers/postgres";
import { seedRegistry } from "../helpers/registryRows";
import { describeNeeds } from "../helpers/tools";
import { Remote, TestServer, call, createRemote, startServer } from "./harness";

const OTHER = "fedcba9876543210fedcba9876543210fedcba98";
const TIMEOUT_S = 0.5;

// Slots 1-4 are claimed (COMMIT); 5-10 are Available.
const BEHAVIOURS = new Map<number, Behaviour>([
    [1, { kind: "commit", commit: COMMIT }], // serving, deployed at 10:07
    [2, { kind: "commit", commit: OTHER }], // the registry still holds OTHER: pending
    [3, { kind: "status", status: 500 }], // down
    [4, { kind: "hang" }], // down: no answer within the timeout
    [5, { kind: "free" }], // free
    [6, { kind: "commit", commit: OTHER }], // occupied
    [7, { kind: "none" }], // free: connection refused
]);

/** The stack file after `slots` commands run on `text`. */
async function after(text: string, commands: readonly (readonly string[])[]): Promise<string> {
    const dir = tempProject(text);
    try {
        for (const argv of commands) {
            const r = await run(dir, argv, { now: NOW });
            expect(r.code, `${argv.join(" ")}: ${r.stderr}`).to.equal(0);
        }
        return stackText(dir);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

describeNeeds(["git"], "slots serve: live state and the waitlist", function () {
    const slotServers = useSlotServers(BEHAVIOURS);
    const pg = usePostgres();
    let registry: string;
    let remote: Remote | undefined;
    let server: TestServer | undefined;

    before(async () => {
        registry = await pg().freshDatabase();
        await seedRegistry(
            registry,
            [
                { slot: 1, commit: COMMIT, deployedAt: "2026-11-23T10:07:00Z" },
                { slot: 2, commit: OTHER },
                { slot: 3, commit: COMMIT },
                { slot: 4, commit: COMMIT },
                ...[5, 6, 7, 8, 9, 10].map((slot) => ({ slot, commit: null })),
            ],
            CLAIMED_AT,
        );
    });
    afterEach(async () => {
        await server?.close();
        remote?.remove();
        server = undefined;
        remote = undefined;
    });

    async function serve(text: string, cacheSeconds: number, withRegistry = true): Promise<TestServer> {
        remote = createRemote(text);
        server = await startServer(remote, {
            live: statusLiveSource({ stack: "staging", timeoutSeconds: TIMEOUT_S, urlTemplate: slotServers().template, cacheSeconds, ...(withRegistry ? { registryUrl: registry } : {}) }),
        });
        return server;
    }

    it("shows each slot's `slots status` verdict and the registry's deployed_at, in the JSON and on the page", async () => {
        const text = stackWithClaims([1, 2, 3, 4]);
        const s = await serve(text, 60);
        const r = await call<ApiSlots>(`${s.url}/api/staging/slots`, "GET");
        expect(r.status, r.text).to.equal(200);
        const live = Object.fromEntries(r.json.slots.map((x) => [x.identifier, x.live?.state ?? null]));
        expect(live).to.deep.equal({
            "staging-1": "serving",
            "staging-2": "pending",
            "staging-3": "down",
            "staging-4": "down",
            "staging-5": "free",
            "staging-6": "occupied",
            "staging-7": "free",
            "staging-8": "free",
            "staging-9": "free",
            "staging-10": "free",
        });
        const [one, two, three] = r.json.slots;
        expect(one.live).to.deep.include({ commit_sha: COMMIT, deployed_at: "2026-11-23T10:07:00Z", action: null, registry_read: true });
        expect(one.deployed_at).to.equal("2026-11-23T10:07:00Z");
        expect(two.live?.commit_sha).to.equal(OTHER);
        expect(three.live?.detail).to.equal("HTTP 500, no commit in the answer");

        // The same verdicts, word for word, as `slots status --json` on the same file.
        const dir = tempProject(text);
        try {
            const status = await run(dir, ["status", "--json", "--timeout", String(TIMEOUT_S), "--url-template", slotServers().template, "--registry-url", registry]);
            const report = JSON.parse(status.stdout) as StatusReport;
            expect(r.json.slots.map((x) => [x.live?.state, x.live?.detail, x.live?.action])).to.deep.equal(report.slots.map((x) => [x.state, x.detail, x.action]));
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }

        const page = await call(`${s.url}/staging`, "GET");
        expect(page.text).to.match(/<tr data-slot="1">.*<span class="badge live live-serving" title="reports 0123456, the claimed commit\. Deployed by pulumi up at 2026-11-23T10:07:00Z">serving<\/span> <small class="deployed">deployed 2026-11-23 10:07:00Z<\/small>/);
        expect(page.text).to.match(/<tr data-slot="3">.*<span class="badge live live-down" title="HTTP 500, no commit in the answer\. To do: check the last Deploy staging run/);
        expect(page.text).to.match(/<tr data-slot="6">.*<span class="badge live live-occupied"/);
    });

    it("probes the slots once per interval, however often the page and the API are read", async () => {
        const s = await serve(stackWithClaims([1]), 60);
        const hits = slotServers().hits;
        const before = hits.get(1) ?? 0;
        await call(`${s.url}/api/staging/slots`, "GET");
        expect(hits.get(1)).to.equal(before + 1);
        await Promise.all([call(`${s.url}/api/staging/slots`, "GET"), call(`${s.url}/staging`, "GET"), call(`${s.url}/staging/slots`, "GET")]);
        expect(hits.get(1), "answers within the interval come from the last probe").to.equal(before + 1);
    });

    it("with an interval of 0, every read probes again; reads arriving together share one probe", async () => {
        const s = await serve(stackWithClaims([1]), 0);
        const hits = slotServers().hits;
        const before = hits.get(1) ?? 0;
        await call(`${s.url}/api/staging/slots`, "GET");
        await call(`${s.url}/api/staging/slots`, "GET");
        expect(hits.get(1)).to.equal(before + 2);
        await Promise.all([call(`${s.url}/api/staging/slots`, "GET"), call(`${s.url}/api/staging/slots`, "GET")]);
        expect(hits.get(1)).to.be.within(before + 3, before + 4);
    });

    it("without the registry: deployed_at is null and the verdict says so", async () => {
        const s = await serve(stackWithClaims([1, 2]), 60, false);
        const r = await call<ApiSlots>(`${s.url}/api/staging/slots`, "GET");
        expect(r.json.slots[0].live).to.deep.include({ state: "serving", deployed_at: null, registry_read: false });
        expect(r.json.slots[0].deployed_at).to.equal(null);
        expect(r.json.slots[1].live?.state).to.equal("pending");
        expect(r.json.slots[1].live?.detail).to.contain("registry not read");
    });

    it("shows the stack file's waitlist with its positions per pool, in the JSON and on the page", async () => {
        const full = stackWithClaims([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        const wait = (task: string, owner: string, extra: readonly string[] = []): string[] => ["claim", "--wait", "--task", task, "--owner", owner, "--branch", `feature/${task.toLowerCase()}`, ...extra];
        const text = await after(full, [wait("JOB-31", "ivy", ["--purpose", "QA for PR #31"]), wait("REL-1", "kim", ["--pool", "staging", "--commit", OTHER]), wait("JOB-32", "lee")]);
        const s = await serve(text, 60);
        const r = await call<ApiSlots>(`${s.url}/api/staging/slots`, "GET");
        expect(r.json.waitlist).to.deep.equal([
            { position: 1, pool_position: 1, owner: "ivy", task: "JOB-31", branch: "feature/job-31", commit_sha: null, purpose: "QA for PR #31", pool: "qa", requested_at: "2026-11-23T12:00:00Z", waiting_seconds: 0 },
            { position: 2, pool_position: 1, owner: "kim", task: "REL-1", branch: "feature/rel-1", commit_sha: OTHER, purpose: null, pool: "staging", requested_at: "2026-11-23T12:00:00Z", waiting_seconds: 0 },
            { position: 3, pool_position: 2, owner: "lee", task: "JOB-32", branch: "feature/job-32", commit_sha: null, purpose: null, pool: "qa", requested_at: "2026-11-23T12:00:00Z", waiting_seconds: 0 },
        ]);
        // The same queue as slots list --json, under the API's names.
        const dir = tempProject(text);
        try {
            const list = JSON.parse((await run(dir, ["list", "--json"], { now: NOW })).stdout) as { waitlist: Array<{ task: string; position: number; poolPosition: number }> };
            expect(r.json.waitlist.map((w) => [w.task, w.position, w.pool_position])).to.deep.equal(list.waitlist.map((w) => [w.task, w.position, w.poolPosition]));
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
        const page = await call(`${s.url}/staging`, "GET");
        const items = [...page.text.matchAll(/<li data-task="[^"]+">(.*?)<\/li>/g)].map((m) => m[1].replace(/<[^>]+>/g, ""));
        expect(items).to.deep.equal([
            "qa #1: JOB-31 for ivy, feature/job-31, waiting 0m: QA for PR #31",
            "staging #1: REL-1 for kim, feature/rel-1 @ fedcba9, waiting 0m",
            "qa #2: JOB-32 for lee, feature/job-32, waiting 0m",
        ]);
    });
});

// `slots status` against real HTTP servers on loopback (one per slot) and a real registry table
// in PostgreSQL: every state, the exit code, the JSON, and the time bound with servers hanging.

import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { STATUS_HELP } from "../../cli/help";
import { StatusReport } from "../../cli/status";
import { usePostgres } from "../helpers/postgres";
import { itNeeds } from "../helpers/tools";
import { seedRegistry } from "../helpers/registryRows";
import { COMMIT, run, runProcess, stackText, tempProject } from "./harness";
import { Behaviour, CLAIMED_AT, SlotServers, stackWithClaims, startSlotServers, useSlotServers } from "./statusServers";

const OTHER = "fedcba9876543210fedcba9876543210fedcba98";
const HAND = "1111111111111111111111111111111111111111";
const seed = (url: string, rows: Parameters<typeof seedRegistry>[1]): Promise<void> => seedRegistry(url, rows, CLAIMED_AT);

const TIMEOUT_S = 0.5;

// Slots 1-6 are claimed (COMMIT); 7-10 are Available.
const BEHAVIOURS = new Map<number, Behaviour>([
    [1, { kind: "commit", commit: COMMIT }], // serving
    [2, { kind: "commit", commit: OTHER }], // the registry still holds OTHER: pending
    [3, { kind: "commit", commit: HAND }], // neither claim nor registry: drifted
    [4, { kind: "status", status: 500 }], // down
    [5, { kind: "hang" }], // down: no answer within the timeout
    [6, { kind: "free" }], // merged, not deployed yet: pending
    [7, { kind: "free" }], // free
    [8, { kind: "none" }], // free: connection refused
    [9, { kind: "commit", commit: OTHER }], // occupied
    [10, { kind: "slow", delayMs: 3000, commit: OTHER }], // free: no answer in time
]);

function states(report: StatusReport): Record<string, string> {
    return Object.fromEntries(report.slots.map((s) => [s.id, s.state]));
}

describe("slots status", function () {
    const slotServers = useSlotServers(BEHAVIOURS);
    const pg = usePostgres();
    let registry: string;
    let servers: SlotServers;

    before(async () => {
        servers = slotServers();
        registry = await pg().freshDatabase();
        await seed(registry, [
            { slot: 1, commit: COMMIT, deployedAt: "2026-11-23T10:07:00Z" },
            { slot: 2, commit: OTHER }, // an older claim: the new one is not deployed yet
            { slot: 3, commit: COMMIT },
            { slot: 4, commit: COMMIT },
            { slot: 5, commit: COMMIT },
            { slot: 6, commit: null }, // was Available until the claim merged
            ...[7, 8, 9, 10].map((slot) => ({ slot, commit: null })),
        ]);
    });

    it("judges every slot against its claim and the registry row, in one bounded run", async () => {
        const dir = tempProject(stackWithClaims([1, 2, 3, 4, 5, 6]));
        const before = stackText(dir);
        const started = Date.now();
        const r = await run(dir, ["status", "--json", "--timeout", String(TIMEOUT_S), "--url-template", servers.template, "--registry-url", registry]);
        const elapsed = Date.now() - started;
        expect(r.stderr).to.equal("");
        expect(r.code).to.equal(1);
        const report = JSON.parse(r.stdout) as StatusReport;
        expect(states(report)).to.deep.equal({
            "staging-1": "serving",
            "staging-2": "pending",
            "staging-3": "drifted",
            "staging-4": "down",
            "staging-5": "down",
            "staging-6": "pending",
            "staging-7": "free",
            "staging-8": "free",
            "staging-9": "occupied",
            "staging-10": "free",
        });
        // Two servers hang past the timeout; the probes run at once, so the run takes one timeout.
        expect(elapsed).to.be.lessThan(TIMEOUT_S * 1000 + 1500);
        expect(report.summary).to.deep.equal({ serving: 1, pending: 2, drifted: 1, down: 2, free: 3, occupied: 1 });
        expect(report.registry).to.deep.equal({ read: true, note: null });
        // Without --from-stack the free disk is unknown, and says why; it is never left out.
        expect(report.stackOutputs).to.deep.equal({ read: false });
        expect(report.hosts).to.deep.equal([
            { name: "staging", slots: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], freeDiskGb: null, reportedBy: null, note: "stack outputs not read (pass --from-stack)" },
        ]);
        expect(report.ok).to.equal(false);
        const byId = new Map(report.slots.map((s) => [s.id, s]));
        expect(byId.get("staging-1")).to.deep.equal({
            slot: 1,
            id: "staging-1",
            host: "staging",
            url: "https://staging-1.justapply.net",
            probeUrl: `http://127.0.0.1:${servers.port}/api/version`,
            state: "serving",
            owner: "owner-1",
            task: "JOB-1",
            branch: "feature/1",
            commit: COMMIT,
            reported: COMMIT,
            httpStatus: 200,
            error: null,
            registry: { status: "In Use", commit: COMMIT, deployedAt: "2026-11-23T10:07:00Z" },
            detail: "reports 0123456, the claimed commit",
            action: null,
        });
        expect(byId.get("staging-3")).to.include({ reported: HAND });
        expect(byId.get("staging-3")?.detail).to.match(/reports 1111111, which neither the claim \(0123456\) nor the registry \(0123456\) holds: deployed by hand/);
        expect(byId.get("staging-4")).to.include({ httpStatus: 500, error: null, detail: "HTTP 500, no commit in the answer" });
        expect(byId.get("staging-5")).to.include({ httpStatus: null, error: "no answer within 0.5s" });
        expect(byId.get("staging-6")?.detail).to.match(/the slot-is-free page answers, not 0123456; the registry row is Available/);
        expect(byId.get("staging-8")).to.include({ error: "connection refused" });
        expect(byId.get("staging-9")).to.include({ reported: OTHER });
        expect(byId.get("staging-9")?.action).to.match(/docker compose -p staging-9 down/);
        for (const s of report.slots) expect(s.action === null, s.id).to.equal(["serving", "free"].includes(s.state));
        expect(stackText(dir)).to.equal(before);
    });

    it("without the registry: a note, and another commit is pending rather than drifted", async () => {
        const dir = tempProject(stackWithClaims([1, 2, 3, 4, 5, 6]));
        const r = await run(dir, ["status", "--json", "--timeout", String(TIMEOUT_S), "--url-template", servers.template], { env: { PATH: process.env.PATH } });
        expect(r.code).to.equal(1);
        expect(r.stderr.trim().split("\n")).to.deep.equal(["registry not read (pass --registry-url or set STAGING_REGISTRY_URL to compare with what pulumi up recorded)"]);
        const report = JSON.parse(r.stdout) as StatusReport;
        expect(report.registry).to.deep.equal({ read: false, note: r.stderr.trim() });
        expect(states(report)).to.include({ "staging-1": "serving", "staging-2": "pending", "staging-3": "pending", "staging-4": "down", "staging-6": "pending" });
        expect(report.slots[0].registry).to.equal(null);
    });

    it("reads the registry from STAGING_REGISTRY_URL, and an unreachable one is a note", async () => {
        const dir = tempProject(stackWithClaims([3]));
        const viaEnv = await run(dir, ["status", "3", "--json", "--timeout", String(TIMEOUT_S), "--url-template", servers.template], { env: { STAGING_REGISTRY_URL: registry } });
        expect(viaEnv.stderr).to.equal("");
        expect(states(JSON.parse(viaEnv.stdout) as StatusReport)).to.deep.equal({ "staging-3": "drifted" });
        const bad = `postgresql://nobody:secret-pw@127.0.0.1:${servers.port}/none`;
        const unreachable = await run(dir, ["status", "3", "--json", "--timeout", String(TIMEOUT_S), "--url-template", servers.template, "--registry-url", bad]);
        expect(unreachable.stderr).to.match(/^registry not read: /);
        expect(unreachable.stderr).not.to.contain("secret-pw");
        expect(states(JSON.parse(unreachable.stdout) as StatusReport)).to.deep.equal({ "staging-3": "pending" });
    });

    it("exits 0 when every claimed slot it probes is serving; free slots do not count", async () => {
        const dir = tempProject(stackWithClaims([1]));
        const r = await run(dir, ["status", "1", "7", "8", "--timeout", String(TIMEOUT_S), "--url-template", servers.template, "--registry-url", registry]);
        expect(r.code).to.equal(0);
        expect(r.stdout).to.match(/^SLOT +STATE +OWNER +TASK +CLAIMED +REPORTED +DEPLOYED +HOST +DETAIL\n/);
        expect(r.stdout).to.match(/^staging-1 +serving +owner-1 +JOB-1 +0123456 +0123456 +2026-11-23T10:07:00Z +staging +reports 0123456, the claimed commit$/m);
        expect(r.stdout).to.match(/^staging-8 +free +- +- +- +- +- +staging +no answer \(connection refused\)$/m);
        expect(r.stdout).to.match(/\nHOST +SLOTS +FREE DISK\nstaging +1-10 +unknown \(stack outputs not read \(pass --from-stack\)\)\n/);
        expect(r.stdout).to.match(/\n1 serving, 2 free\.\n$/);
        expect(r.stdout).not.to.contain("What to do");
    });

    it("the table names each slot that needs something, its holder and what to do", async () => {
        const dir = tempProject(stackWithClaims([4, 6]));
        const r = await run(dir, ["status", "4", "6", "9", "--timeout", String(TIMEOUT_S), "--url-template", servers.template, "--registry-url", registry]);
        expect(r.code).to.equal(1);
        expect(r.stdout).to.match(/What to do:\n  staging-4 \(owner-4, JOB-4\) is down: check the last Deploy staging run and \/home\/deploy\/staging-4\/last-deploy\.log/);
        expect(r.stdout).to.match(/  staging-6 \(owner-6, JOB-6\) is pending: waiting for pulumi up/);
        expect(r.stdout).to.match(/  staging-9 \(Available\) is occupied: a release did not stop it/);
    });

    it("probes 100 slots, half of them hanging, within the timeout plus a small margin", async function () {
        const many = new Map<number, Behaviour>();
        for (let n = 1; n <= 100; n++) many.set(n, n % 2 === 0 ? { kind: "hang" } : { kind: "commit", commit: COMMIT });
        const hundred = await startSlotServers(many);
        try {
            const claimed = Array.from({ length: 50 }, (_, i) => 2 * i + 1);
            const dir = tempProject(stackWithClaims(claimed, 100));
            const timeout = 1;
            const started = Date.now();
            const r = await run(dir, ["status", "--json", "--timeout", String(timeout), "--url-template", hundred.template]);
            const elapsed = Date.now() - started;
            const report = JSON.parse(r.stdout) as StatusReport;
            expect(report.slots).to.have.length(100);
            expect(report.summary).to.include({ serving: 50, free: 50 });
            expect(r.code).to.equal(0);
            expect(elapsed).to.be.lessThan(timeout * 1000 + 1500);
            expect(hundred.hits.size).to.equal(100);
        } finally {
            await hundred.close();
        }
    });

    it("the executable ends as soon as the probes do, with the exit code", async () => {
        const dir = tempProject(stackWithClaims([1, 4]));
        const started = Date.now();
        const r = await runProcess(dir, ["status", "1", "4", "--timeout", "2", "--url-template", servers.template], { ...process.env, STAGING_REGISTRY_URL: "" });
        expect(r.code, r.stderr).to.equal(1);
        expect(r.stdout).to.match(/^staging-4 +down/m);
        expect(Date.now() - started).to.be.lessThan(15_000);
    });

    itNeeds(["openssl"], "a certificate the client does not trust is down, with the TLS error shortened", async () => {
        const keys = mkdtempSync(path.join(tmpdir(), "status-tls-"));
        try {
            execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=staging-1.justapply.net", "-keyout", path.join(keys, "key.pem"), "-out", path.join(keys, "cert.pem")], { stdio: "ignore" });
            const server = createHttpsServer({ key: readFileSync(path.join(keys, "key.pem")), cert: readFileSync(path.join(keys, "cert.pem")) }, (_, res) => res.end(JSON.stringify({ commit: COMMIT })));
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            try {
                const port = (server.address() as { port: number }).port;
                const r = await run(tempProject(stackWithClaims([1])), ["status", "1", "--json", "--timeout", "2", "--url-template", `https://127.0.0.{slot}:${port}`], { env: { PATH: process.env.PATH } });
                expect(r.code).to.equal(1);
                const row = (JSON.parse(r.stdout) as StatusReport).slots[0];
                expect(row.state).to.equal("down");
                expect(row.error).to.match(/^TLS error: self[- ]signed certificate/);
                expect(row.error?.length).to.be.at.most(100);
            } finally {
                server.closeAllConnections();
                await new Promise((resolve) => server.close(resolve));
            }
        } finally {
            rmSync(keys, { recursive: true, force: true });
        }
    });

    describe("usage", () => {
        const usage = async (argv: string[], message: RegExp): Promise<void> => {
            const r = await run(tempProject(), ["status", ...argv]);
            expect(r.code).to.equal(2);
            expect(r.stderr).to.match(message);
            expect(r.stderr).to.contain(`${STATUS_HELP.split("\n")[0]}\n`).and.contain("Run slots status --help for every option.");
        };
        it("refuses a bad timeout", () => usage(["--timeout", "0"], /--timeout must be a number of seconds above 0 and at most 60, got "0"/));
        it("refuses a timeout that is not a number", () => usage(["--timeout", "soon"], /--timeout must be a number/));
        it("refuses an unknown placeholder", () => usage(["--url-template", "http://127.0.0.1:{port}"], /--url-template: unknown placeholder \{port\}; use \{slot\}, \{identifier\}, \{domain\}, \{campaignUiPort\}/));
        it("refuses a template that is no http URL", () => usage(["--url-template", "ftp://{domain}"], /must give an http:\/\/ or https:\/\/ URL/));
        it("refuses a malformed slot", () => usage(["four"], /"four" is not a slot number/));
        it("a slot beyond the pool is a user error", async () => {
            const r = await run(tempProject(), ["status", "11"]);
            expect(r.code).to.equal(1);
            expect(r.stderr).to.equal("there is no staging-11: this stack has 10 slots\n");
        });
    });
});

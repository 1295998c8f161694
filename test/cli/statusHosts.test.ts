// `slots status` on a pool of three hosts, against a real HTTP server on loopback that answers
// per host and slot path, with the stack outputs from the pulumi stand-in
// (test/fixtures/pulumi/pulumi): each slot's host and each host's free disk, in text and JSON.

import { expect } from "chai";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { Server, createServer } from "node:http";
import * as path from "node:path";

import { StatusReport } from "../../cli/status";
import { tempDir } from "../helpers/tempDirs";
import { COMMIT, run, stackText, tempProject } from "./harness";
import { freePageOf, stackWithClaims } from "./statusServers";

const STANDIN = path.join(__dirname, "..", "fixtures", "pulumi");
const HOSTS = "  staging-slots:hosts:\n    staging: {slots: [1, 2, 3, 4, 5]}\n    staging-b: {slots: [6, 7, 8]}\n    staging-c: {slots: [9, 10]}\n";
const HOST_OF = (slot: number): string => (slot <= 5 ? "staging" : slot <= 8 ? "staging-b" : "staging-c");
const CLAIMED = [2, 4, 7];

/** What `pulumi up` left: slot 2 and 4 deployed on staging (4 later), 7 on staging-b, nothing on staging-c. */
const OUTPUTS = {
    ipAddress: "203.0.113.7",
    slots: [
        { slot: 2, commit: COMMIT, deployedAt: "2026-11-23T10:05:00Z", host: "staging", freeDiskGb: 31.4 },
        { slot: 4, commit: COMMIT, deployedAt: "2026-11-23T11:40:00Z", host: "staging", freeDiskGb: 28.9 },
        { slot: 7, commit: COMMIT, deployedAt: "2026-11-22T16:00:00Z", host: "staging-b", freeDiskGb: 55 },
        { slot: 9, commit: null, deployedAt: null, host: "staging-c", freeDiskGb: null },
    ],
};

describe("slots status on several hosts", () => {
    let server: Server;
    let port: number;
    const paths: string[] = [];
    let work: string;
    let dir: string;
    let env: Record<string, string | undefined>;

    before(async () => {
        // One server for every host: /<host>/<slot>/api/version answers only for the slot's own
        // host (a claimed slot with its commit, another with the slot-is-free page), else 404.
        server = createServer((req, res) => {
            paths.push(req.url ?? "");
            const m = /^\/([a-z0-9-]+)\/staging-(\d+)\/api\/version$/.exec(req.url ?? "");
            if (!m || HOST_OF(Number(m[2])) !== m[1]) {
                res.writeHead(404).end("not this host's slot");
                return;
            }
            const slot = Number(m[2]);
            if (CLAIMED.includes(slot)) res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ commit: COMMIT }));
            else res.writeHead(503, { "Content-Type": "text/html; charset=utf-8" }).end(freePageOf(slot));
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as { port: number }).port;
        work = tempDir("status-hosts-");
        writeFileSync(path.join(work, "outputs.json"), JSON.stringify(OUTPUTS));
        dir = tempProject(stackWithClaims(CLAIMED).replace("  staging-slots:claims:", `${HOSTS}  staging-slots:claims:`));
        env = { PATH: `${STANDIN}${path.delimiter}${process.env.PATH ?? ""}`, PULUMI_STANDIN_OUTPUTS: path.join(work, "outputs.json"), PULUMI_STANDIN_LOG: path.join(work, "calls.log") };
    });

    after(async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
    });

    const template = (): string => `http://127.0.0.1:${port}/{host}/{identifier}`;

    it("reaches each slot through {host}, names its host, and each host's free disk from its latest deployment (JSON)", async () => {
        paths.length = 0;
        const r = await run(dir, ["status", "--json", "--from-stack", "--timeout", "2", "--url-template", template()], { env });
        expect(r.stderr).to.match(/^registry not read/);
        expect(r.code, r.stderr).to.equal(0);
        const report = JSON.parse(r.stdout) as StatusReport;
        expect(report.slots.map((s) => [s.id, s.host, s.state])).to.deep.equal([
            ["staging-1", "staging", "free"], ["staging-2", "staging", "serving"], ["staging-3", "staging", "free"], ["staging-4", "staging", "serving"], ["staging-5", "staging", "free"],
            ["staging-6", "staging-b", "free"], ["staging-7", "staging-b", "serving"], ["staging-8", "staging-b", "free"],
            ["staging-9", "staging-c", "free"], ["staging-10", "staging-c", "free"],
        ]);
        expect(report.slots[6].probeUrl).to.equal(`http://127.0.0.1:${port}/staging-b/staging-7/api/version`);
        expect([...paths].sort()).to.include.members(["/staging/staging-4/api/version", "/staging-b/staging-7/api/version", "/staging-c/staging-10/api/version"]);
        expect(report.stackOutputs).to.deep.equal({ read: true });
        expect(report.hosts).to.deep.equal([
            { name: "staging", slots: [1, 2, 3, 4, 5], freeDiskGb: 28.9, reportedBy: { slot: 4, deployedAt: "2026-11-23T11:40:00Z" }, note: null },
            { name: "staging-b", slots: [6, 7, 8], freeDiskGb: 55, reportedBy: { slot: 7, deployedAt: "2026-11-22T16:00:00Z" }, note: null },
            { name: "staging-c", slots: [9, 10], freeDiskGb: null, reportedBy: null, note: "no deployment on this host has reported it yet (pulumi up deploys a claimed slot)" },
        ]);
        expect(readFileSync(path.join(work, "calls.log"), "utf8")).to.equal("stack output --json --stack staging\n");
    });

    it("shows the host column and the hosts' free disk in the table; only the hosts of the slots asked for", async () => {
        const r = await run(dir, ["status", "4", "7", "--from-stack", "--timeout", "2", "--url-template", template()], { env });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.match(/^SLOT +STATE +OWNER +TASK +CLAIMED +REPORTED +DEPLOYED +HOST +DETAIL$/m);
        expect(r.stdout).to.match(/^staging-4 +serving +owner-4 +JOB-4 +0123456 +0123456 +\? +staging +reports 0123456, the claimed commit$/m);
        expect(r.stdout).to.match(/^staging-7 +serving .* +staging-b +reports 0123456/m);
        expect(r.stdout).to.contain(
            [
                "HOST       SLOTS  FREE DISK",
                "staging    1-5    28.9 GB (after staging-4's deployment at 2026-11-23T11:40:00Z)",
                "staging-b  6-8    55.0 GB (after staging-7's deployment at 2026-11-22T16:00:00Z)",
            ].join("\n") + "\n",
        );
        expect(r.stdout).not.to.contain("staging-c");
    });

    it("without --from-stack asks no pulumi and says every host's free disk is unknown", async () => {
        rmSync(path.join(work, "calls.log"), { force: true });
        const r = await run(dir, ["status", "--json", "--timeout", "2", "--url-template", template()], { env });
        const report = JSON.parse(r.stdout) as StatusReport;
        expect(report.stackOutputs).to.deep.equal({ read: false });
        expect(report.hosts.map((h) => [h.name, h.freeDiskGb, h.note])).to.deep.equal([
            ["staging", null, "stack outputs not read (pass --from-stack)"],
            ["staging-b", null, "stack outputs not read (pass --from-stack)"],
            ["staging-c", null, "stack outputs not read (pass --from-stack)"],
        ]);
        expect(() => readFileSync(path.join(work, "calls.log"))).to.throw(/ENOENT/);
    });

    it("--from-stack when pulumi cannot read the outputs: a user error saying why, the stack file untouched", async () => {
        const before = stackText(dir);
        const r = await run(dir, ["status", "--from-stack", "--timeout", "2", "--url-template", template()], { env: { ...env, PULUMI_STANDIN_ERROR: "no stack named 'staging' found; run pulumi login" } });
        expect(r.code).to.equal(1);
        expect(r.stdout).to.equal("");
        expect(r.stderr).to.contain("--from-stack: cannot read the outputs of stack staging: error: no stack named 'staging' found; run pulumi login; log in (pulumi login) and select the stack, or leave --from-stack out\n");
        expect(r.stderr).not.to.match(/\n\s+at /);
        expect(stackText(dir)).to.equal(before);
    });
});

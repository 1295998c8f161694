// `slots status`'s probe against real servers on loopback: the ports fetch refuses, redirects,
// the body cap, and connections that end early. The states these answers lead to are
// status.test.ts's; here, what one GET gives back.

import { expect } from "chai";
import { once } from "node:events";
import { Server, createServer } from "node:http";
import { AddressInfo } from "node:net";

import { slotLayout } from "../../components/catalogue";
import { MAX_REDIRECTS, probe } from "../../cli/probe";
import { StatusReport } from "../../cli/status";
import { COMMIT, run, tempProject } from "./harness";
import { stackWithClaims } from "./statusServers";

type Handler = Parameters<typeof createServer>[1];

const servers: Server[] = [];

/** Listens on `host`:`port` (0: any free port); the server is closed after the test. */
async function serve(handler: Handler, port = 0, host = "127.0.0.1"): Promise<number> {
    const server = createServer(handler);
    server.listen(port, host);
    await Promise.race([once(server, "listening"), once(server, "error").then(([e]) => Promise.reject(e))]);
    servers.push(server);
    return (server.address() as AddressInfo).port;
}

/**
 * The first of slots 60 and 61 whose Campaign UI port (5060, 5061: both on the Fetch Standard's
 * list of bad ports) this machine has free, with a server on it answering `commit`.
 */
async function blockedPortServer(commit: string): Promise<{ slot: number; port: number } | undefined> {
    for (const slot of [60, 61]) {
        const port = slotLayout(slot, "justapply.net").campaignUiPort;
        try {
            await serve((_req, res) => res.end(JSON.stringify({ commit, slot: `staging-${slot}` })), port);
            return { slot, port };
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
        }
    }
    return undefined;
}

describe("slots status: the probe", function () {
    afterEach(async () => {
        for (const s of servers.splice(0)) {
            s.closeAllConnections();
            await new Promise((r) => s.close(r));
        }
    });

    it("reaches slots 60 and 61, whose ports fetch refuses as bad ports", async function () {
        const found = await blockedPortServer(COMMIT);
        if (!found) return this.skip(); // both 5060 and 5061 are taken on this machine: nothing to listen on
        const url = `http://127.0.0.1:${found.port}/api/version`;
        // Why the probe is not fetch: fetch fails before it connects.
        const viaFetch = await fetch(url).then(() => "answered", (e: Error & { cause?: Error }) => e.cause?.message);
        expect(viaFetch).to.equal("bad port");
        expect(await probe(url, 5000)).to.deep.equal({ kind: "answer", httpStatus: 200, body: JSON.stringify({ commit: COMMIT, slot: `staging-${found.slot}` }) });
    });

    it("slots status judges slot 60 or 61 of a pool of 61 by its own port", async function () {
        const found = await blockedPortServer(COMMIT);
        if (!found) return this.skip(); // both 5060 and 5061 are taken on this machine: nothing to listen on
        const dir = tempProject(stackWithClaims([found.slot], 61));
        const r = await run(dir, ["status", String(found.slot), "--json", "--timeout", "5", "--url-template", "http://127.0.0.1:{campaignUiPort}"], { env: { PATH: process.env.PATH } });
        const report = JSON.parse(r.stdout) as StatusReport;
        expect(report.slots.map((s) => [s.id, s.probeUrl, s.state, s.error])).to.deep.equal([
            [`staging-${found.slot}`, `http://127.0.0.1:${found.port}/api/version`, "serving", null],
        ]);
        expect(r.code).to.equal(0);
    });

    it("follows redirects, relative and absolute, and gives the last answer", async () => {
        const final = await serve((req, res) => {
            res.writeHead(req.url === "/api/version" ? 200 : 404, { "content-type": "application/json" });
            res.end(JSON.stringify({ commit: COMMIT }));
        });
        const first = await serve((req, res) => {
            // /api/version → /moved (relative) → the other server (absolute).
            const location = req.url === "/api/version" ? "/moved" : `http://127.0.0.1:${final}/api/version`;
            res.writeHead(req.url === "/api/version" ? 308 : 302, { location });
            res.end();
        });
        expect(await probe(`http://127.0.0.1:${first}/api/version`, 5000)).to.deep.equal({ kind: "answer", httpStatus: 200, body: JSON.stringify({ commit: COMMIT }) });
    });

    it(`stops after ${MAX_REDIRECTS} redirects, as fetch does`, async () => {
        let hits = 0;
        const port = await serve((_req, res) => {
            hits++;
            res.writeHead(307, { location: "/api/version" });
            res.end();
        });
        expect(await probe(`http://127.0.0.1:${port}/api/version`, 5000)).to.deep.equal({ kind: "error", error: `more than ${MAX_REDIRECTS} redirects` });
        expect(hits).to.equal(MAX_REDIRECTS + 1);
    });

    it("a redirect status without a Location is an answer, not a redirect", async () => {
        const port = await serve((_req, res) => {
            res.writeHead(301);
            res.end("moved, but where?");
        });
        expect(await probe(`http://127.0.0.1:${port}/api/version`, 5000)).to.deep.equal({ kind: "answer", httpStatus: 301, body: "moved, but where?" });
    });

    it("reads at most 64 KiB of a page, and stops reading there", async () => {
        const port = await serve((_req, res) => {
            res.writeHead(200, { "content-type": "text/html" });
            res.end("x".repeat(1024 * 1024));
        });
        const r = await probe(`http://127.0.0.1:${port}/api/version`, 5000);
        expect(r.kind).to.equal("answer");
        expect(r.kind === "answer" ? r.body.length : 0).to.equal(64 * 1024);
    });

    it("a server that goes away half-way through the answer: connection closed without an answer", async () => {
        const port = await serve((_req, res) => {
            res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
            res.write('{"commit":"');
            setTimeout(() => res.socket?.destroy(), 50);
        });
        expect(await probe(`http://127.0.0.1:${port}/api/version`, 5000)).to.deep.equal({ kind: "error", error: "connection closed without an answer" });
    });

    it("the deadline covers the redirects: a redirect to a server that never answers costs the timeout", async () => {
        const hang = await serve(() => undefined);
        const port = await serve((_req, res) => {
            res.writeHead(302, { location: `http://127.0.0.1:${hang}/api/version` });
            res.end();
        });
        expect(await probe(`http://127.0.0.1:${port}/api/version`, 300)).to.deep.equal({ kind: "error", error: "no answer within 0.3s" });
    });

    it("a redirect to another scheme is refused in words", async () => {
        const port = await serve((_req, res) => {
            res.writeHead(302, { location: "ftp://127.0.0.1/api/version" });
            res.end();
        });
        expect(await probe(`http://127.0.0.1:${port}/api/version`, 5000)).to.deep.equal({ kind: "error", error: "ftp: URLs are not probed; use http: or https:" });
    });
});

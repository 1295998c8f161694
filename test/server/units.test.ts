// The dashboard's pure parts as tables: GitHub links, escaping, the admin rule, the auth
// settings a server refuses to start with, token checks against a JWKS URL, message scrubbing,
// and the rendered sections (pending badge, waitlist).

import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";

import { expect } from "chai";
import { SignJWT, exportJWK, generateKeyPair } from "jose";

import { AuthError, KeysUnavailable, authProblems, isAdmin, requireAdmin, verifier } from "../../server/auth";
import { escapeHtml, renderSlots } from "../../server/dashboard";
import { scrub } from "../../server/remote";
import { apiSlots, commitUrl, githubRepo } from "../../server/view";
import { analyse, requireSettings } from "../../cli/stack";
import { COMMIT, STACK_TEXT } from "../cli/harness";
import { NOW } from "../helpers/config";

describe("dashboard: pure parts", () => {
    describe("githubRepo and commitUrl", () => {
        const cases: ReadonlyArray<[string, string | undefined]> = [
            ["git@github.com:justapply/job-search-project.git", "justapply/job-search-project"],
            ["ssh://git@github.com/justapply/job-search-project.git", "justapply/job-search-project"],
            ["https://github.com/justapply/job-search-project", "justapply/job-search-project"],
            ["https://x-access-token:abc@github.com/justapply/app.git", "justapply/app"],
            ["https://gitlab.com/justapply/app.git", undefined],
            ["file:///srv/git/app.git", undefined],
            ["git@github.com:justapply/app.git/extra", undefined],
        ];
        for (const [url, repo] of cases) {
            it(`${url} → ${repo ?? "not GitHub"}`, () => {
                expect(githubRepo(url)).to.equal(repo);
                expect(commitUrl(url, COMMIT)).to.equal(repo ? `https://github.com/${repo}/commit/${COMMIT}` : null);
                expect(commitUrl(url, null)).to.equal(null);
            });
        }
    });

    it("escapes every character HTML gives meaning to", () => {
        expect(escapeHtml(`<a href="x" title='y'>&</a>`)).to.equal("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    });

    describe("the admin rule", () => {
        const cases: ReadonlyArray<[Record<string, unknown>, boolean]> = [
            [{ admin: true }, true],
            [{ roles: ["qa", "admin"] }, true],
            [{ admin: "true" }, false],
            [{ admin: 1 }, false],
            [{ roles: "admin" }, false],
            [{ role: "admin" }, false],
            [{}, false],
        ];
        for (const [payload, admin] of cases) it(`${JSON.stringify(payload)} → ${admin}`, () => expect(isAdmin(payload)).to.equal(admin));
    });

    describe("auth settings the server refuses to start with", () => {
        const cases: ReadonlyArray<[Parameters<typeof authProblems>[0], RegExp | undefined]> = [
            [{}, /set SLOTS_JWT_SECRET .* or pass --jwks-url URL/],
            [{ secret: "short" }, /shorter than 32 bytes/],
            [{ secret: "s".repeat(32), jwksUrl: "https://issuer.example/jwks" }, /not both/],
            [{ jwksUrl: "http://issuer.example/jwks" }, /must be an https:\/\/ URL/],
            [{ secret: "s".repeat(32) }, undefined],
            [{ jwksUrl: "https://issuer.example/.well-known/jwks.json" }, undefined],
        ];
        for (const [config, problem] of cases) {
            it(`${JSON.stringify(config)} → ${problem ?? "fine"}`, () => {
                const problems = authProblems(config);
                if (problem) expect(problems.join("\n")).to.match(problem);
                else expect(problems).to.deep.equal([]);
            });
        }
    });

    describe("tokens checked against a JWKS URL", () => {
        let jwks: Server;
        let url: string;
        let sign: (claims: Record<string, unknown>) => Promise<string>;
        before(async () => {
            const { publicKey, privateKey } = await generateKeyPair("ES256");
            const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
            jwks = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })));
            await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
            url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
            sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).setSubject("ops").setIssuer("https://issuer.example").setExpirationTime("5m").sign(privateKey);
        });
        after(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

        it("accepts an admin token the issuer signed, and names its subject", async () => {
            const verify = verifier({ jwksUrl: url, issuer: "https://issuer.example" });
            expect(await requireAdmin(verify, `Bearer ${await sign({ admin: true })}`)).to.deep.equal({ subject: "ops", admin: true });
        });
        it("refuses a token from another issuer (401) and one without the admin claim (403)", async () => {
            const strict = verifier({ jwksUrl: url, issuer: "https://other.example" });
            const e1 = await requireAdmin(strict, `Bearer ${await sign({ admin: true })}`).catch((e: unknown) => e);
            expect(e1).to.be.instanceOf(AuthError).and.include({ status: 401 });
            const e2 = await requireAdmin(verifier({ jwksUrl: url }), `Bearer ${await sign({ roles: ["qa"] })}`).catch((e: unknown) => e);
            expect(e2).to.be.instanceOf(AuthError).and.include({ status: 403 });
        });
        it("says the keys are unavailable (not that the token is bad) when the JWKS URL does not answer", async () => {
            const closed = createServer();
            await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
            const port = (closed.address() as AddressInfo).port;
            await new Promise<void>((resolve) => closed.close(() => resolve()));
            const e = await requireAdmin(verifier({ jwksUrl: `http://127.0.0.1:${port}/jwks` }), `Bearer ${await sign({ admin: true })}`).catch((err: unknown) => err);
            expect(e).to.be.instanceOf(KeysUnavailable);
            expect((e as Error).message).to.match(/could not be fetched from http:\/\/127\.0\.0\.1:\d+\/jwks/);
        });
        it("refuses an HMAC token when keys come from a JWKS (no algorithm confusion)", async () => {
            const hmac = await new SignJWT({ admin: true }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(new TextEncoder().encode("k".repeat(40)));
            const e = await requireAdmin(verifier({ jwksUrl: url }), `Bearer ${hmac}`).catch((err: unknown) => err);
            expect(e).to.be.instanceOf(AuthError).and.include({ status: 401 });
        });
    });

    describe("scrub", () => {
        const url = "https://x-access-token:ghs_secret@github.com/justapply/staging-slots.git";
        it("takes the remote URL and any user:password@ out of a message", () => {
            expect(scrub(`fatal: unable to access '${url}/': The requested URL returned error: 403`, url)).to.equal("fatal: unable to access 'the remote/': The requested URL returned error: 403");
            expect(scrub("fatal: could not read from https://bob:hunter2@git.example/x.git", url)).to.equal("fatal: could not read from https://git.example/x.git");
        });
    });

    describe("rendered sections", () => {
        const settings = requireSettings(analyse("staging", "Pulumi.staging.yaml", STACK_TEXT, NOW), "test");
        const base = { stack: "staging", file: "Pulumi.staging.yaml", settings, source: { branch: "main", commit: COMMIT }, now: NOW, live: new Map(), waits: [] };
        it("shows a change waiting for review as a link to its pull request, and no Release button", () => {
            const view = apiSlots({
                ...base,
                pending: [
                    { slot: 2, branch: "slots/claim-job-5", change: "claimed", summary: "staging-2: Available → In Use by <b>eve</b>", after: null },
                    { slot: 3, branch: "slots/expire", change: "released", summary: "staging-3: In Use by bob for JOB-3 → Available", after: null },
                ],
                pullRequests: new Map([["slots/claim-job-5", "https://github.com/justapply/staging-slots/pull/5"]]),
            });
            const html = renderSlots(view);
            expect(html).to.contain('<a class="badge pending" href="https://github.com/justapply/staging-slots/pull/5" title="staging-2: Available → In Use by &lt;b&gt;eve&lt;/b&gt;">claim waiting for review</a>');
            expect(html).not.to.contain("<b>eve</b>");
        });
        it("shows the stack's waitlist with positions per pool, and no section when it is empty", () => {
            expect(renderSlots(apiSlots({ ...base, pending: [], pullRequests: new Map() }))).not.to.contain("Waitlist");
            const waitlist = [
                { owner: "ivy", task: "JOB-77", branch: "feature/a", purpose: "", pool: "qa", requestedAt: "2026-11-23T08:00:00Z" },
                { owner: "kim", task: "JOB-78", branch: "feature/b", purpose: "", pool: "staging", requestedAt: "2026-11-23T09:00:00Z" },
                { owner: "lee", task: "JOB-79", branch: "feature/c", commit: COMMIT, purpose: "demo", pool: "qa", requestedAt: "2026-11-23T10:00:00Z" },
            ];
            const view = apiSlots({ ...base, settings: { ...settings, waitlist }, pending: [], pullRequests: new Map() });
            expect(view.waitlist.map((w) => [w.task, w.position, w.pool, w.pool_position, w.commit_sha])).to.deep.equal([
                ["JOB-77", 1, "qa", 1, null],
                ["JOB-78", 2, "staging", 1, null],
                ["JOB-79", 3, "qa", 2, COMMIT],
            ]);
            const html = renderSlots(view);
            expect(html).to.contain('<h2>Waitlist</h2>');
            expect(html).to.contain('<li data-task="JOB-79"><strong>qa #2</strong>: JOB-79 for lee, feature/c @ <code>');
        });
        it("lists each branch in review once, with its slots or its place in the queue once merged, escaped", () => {
            const waitlist = [{ owner: "ivy", task: "JOB-77", branch: "feature/a", purpose: "", pool: "qa", requestedAt: "2026-11-23T08:00:00Z" }];
            const view = apiSlots({
                ...base,
                settings: { ...settings, waitlist },
                pending: [
                    { slot: 2, branch: "slots/claim-job-5", change: "claimed", summary: "staging-2: Available → In Use by <b>eve</b>", after: null },
                    { slot: 3, branch: "slots/expire", change: "released", summary: "staging-3: In Use by bob for JOB-3 → Available", after: null },
                ],
                waits: [
                    { branch: "slots/wait-job-8", waiter: { task: "JOB-8", owner: "<i>kim</i>" }, pool: "qa", summary: "waitlist: JOB-8 joins" },
                    { branch: "slots/wait-job-8", waiter: { task: "JOB-9", owner: "lee" }, pool: "qa", summary: "waitlist: JOB-9 joins" },
                    { branch: "slots/wait-rel-1", waiter: { task: "REL-1", owner: "mo" }, pool: "staging", summary: "waitlist: REL-1 joins" },
                ],
                pullRequests: new Map([["slots/wait-job-8", "https://github.com/justapply/staging-slots/pull/8"]]),
            });
            expect(view.in_review.map((r) => [r.branch, r.action, r.slot_ids, r.queued.map((q) => `${q.task} ${q.pool} #${q.pool_position}`), r.pull_request_url])).to.deep.equal([
                ["slots/claim-job-5", "claim", [2], [], null],
                ["slots/expire", "expire", [3], [], null],
                ["slots/wait-job-8", "wait", [], ["JOB-8 qa #2", "JOB-9 qa #3"], "https://github.com/justapply/staging-slots/pull/8"],
                ["slots/wait-rel-1", "wait", [], ["REL-1 staging #1"], null],
            ]);
            const html = renderSlots(view);
            expect(html).to.contain('<li data-branch="slots/claim-job-5"><strong>staging-2</strong> claim: Available → In Use by &lt;b&gt;eve&lt;/b&gt; · branch <code>slots/claim-job-5</code>, no open pull request found</li>');
            expect(html).to.contain('<li data-branch="slots/wait-job-8"><strong>qa #2 once merged, qa #3 once merged</strong> wait: JOB-8 for &lt;i&gt;kim&lt;/i&gt; joins the queue; JOB-9 for lee joins the queue · <a class="pull-request" href="https://github.com/justapply/staging-slots/pull/8">pull request</a></li>');
            expect(renderSlots(apiSlots({ ...base, pending: [], pullRequests: new Map() }))).not.to.contain("Waiting for review");
        });
        it("shows live state and its deployment time where a source gives them", () => {
            const live = { state: "serving", commit_sha: COMMIT, deployed_at: "2026-11-23T11:00:00Z", detail: "reports 0123456, the claimed commit", action: null, registry_read: true } as const;
            const view = apiSlots({ ...base, pending: [], pullRequests: new Map(), live: new Map([[3, live]]) });
            expect(view.slots[2]).to.include({ deployed_at: "2026-11-23T11:00:00Z" });
            expect(view.slots[0].live).to.equal(null);
            expect(renderSlots(view)).to.contain('<span class="badge live live-serving" title="reports 0123456, the claimed commit. Deployed by pulumi up at 2026-11-23T11:00:00Z">serving</span>');
        });
    });
});

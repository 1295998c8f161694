// The dashboard's API against the real server: a local bare repository is the remote, the
// recording stand-in gh is GitHub. Every write is compared with what `slots claim` / `slots
// release` do to the same file, every refusal with the CLI's own message, and every refusal
// leaves the remote's refs exactly as they were.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { expect } from "chai";

import { BODY_LIMIT_BYTES } from "../../server/app";
import { ApiSlots } from "../../server/view";
import { API_WAIT_HINT, WriteResult } from "../../server/writes";
import { COMMIT, STACK_TEXT, run, stackText, tempProject } from "../cli/harness";
import { NOW } from "../helpers/config";
import { describeNeeds } from "../helpers/tools";
import { bareRepository } from "../cli/gitRepos";
import { ErrorBody, GH_TOKEN, Remote, SECRET, TestServer, call, createRemote, serverEnv, startServer, token } from "./harness";

const REPOSITORY = "git@github.com:justapply/job-search-project.git";
const EARLIER = new Date("2026-11-22T09:00:00Z");

/** The stack file after running `slots` commands (each [argv, clock]) on the project's own. */
async function stackAfter(commands: ReadonlyArray<readonly [readonly string[], Date?]>, text = STACK_TEXT): Promise<string> {
    const dir = tempProject(text);
    try {
        for (const [argv, now] of commands) {
            const r = await run(dir, argv, { now: now ?? NOW });
            expect(r.code, `${argv.join(" ")}: ${r.stderr}`).to.equal(0);
        }
        return stackText(dir);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

const claimOf = (task: string, owner: string, extra: readonly string[] = []): string[] => ["claim", "--task", task, "--owner", owner, "--branch", "feature/login", "--commit", COMMIT, ...extra];

/** What `slots <argv>` does to `text`: its exit code, stderr and the file afterwards. */
async function cliOn(text: string, argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string; file: string }> {
    const dir = tempProject(text);
    try {
        const r = await run(dir, argv);
        return { code: r.code, stdout: r.stdout, stderr: r.stderr, file: stackText(dir) };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** The CLI arguments that ask for what a PUT body asks for. */
function argsOf(body: Record<string, unknown>): string[] {
    const flags: Record<string, string> = { slot_id: "--slot", owner: "--owner", task: "--task", branch: "--branch", commit_sha: "--commit", purpose: "--purpose", pool: "--pool", long_running: "--long-running" };
    return ["claim", ...Object.entries(body).flatMap(([k, v]) => [flags[k], String(v)])];
}

describeNeeds(["git"], "slots serve: the API", function () {
    let remote: Remote;
    let server: TestServer;
    let admin: string;
    /** Slot 4 held since yesterday (stale), 9 until an hour ago (expired), 10 for staging with a long-running note. */
    let held: string;

    before(async () => {
        admin = await token();
        held = await stackAfter([
            [claimOf("JOB-123", "alice", ["--slot", "4", "--purpose", "QA for PR #123"]), EARLIER],
            [claimOf("JOB-7", "bob", ["--pool", "staging", "--long-running", "soak test until Friday"]), EARLIER],
            [claimOf("JOB-8", "hana", ["--slot", "9", "--long-running", "demo"]), EARLIER],
            [["extend", "9", "--until", "2026-11-23T11:00Z"], EARLIER],
        ]);
    });
    async function serve(text: string, overrides: Parameters<typeof startServer>[1] = {}, env: Parameters<typeof startServer>[2] = {}): Promise<void> {
        remote = createRemote(text);
        server = await startServer(remote, overrides, env);
    }
    afterEach(async () => {
        await server?.close();
        remote?.remove();
    });

    describe("GET /api/staging/slots", () => {
        it("answers every slot with the seed's column names, read from the remote's main", async () => {
            await serve(held);
            const r = await call<ApiSlots>(`${server.url}/api/staging/slots`, "GET");
            expect(r.status).to.equal(200);
            expect(r.json.source.commit).to.match(/^[0-9a-f]{40}$/);
            expect(r.json.slots.map((s) => s.slot_id)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
            expect(Object.keys(r.json.slots[0])).to.deep.equal([
                "slot_id", "identifier", "url", "subdomain", "campaign_ui_port", "airflow_port", "database_name", "pools", "status", "owner", "task", "branch",
                "commit_sha", "commit_url", "purpose", "pool", "long_running", "claimed_at", "age_seconds", "expires_at", "stale_at", "staleness", "stale", "deployed_at", "live", "pending",
            ]);
            const four = r.json.slots[3];
            expect(four).to.include({ identifier: "staging-4", status: "In Use", owner: "alice", task: "JOB-123", branch: "feature/login", commit_sha: COMMIT, purpose: "QA for PR #123" });
            expect(four).to.include({ campaign_ui_port: 5004, airflow_port: 8084, database_name: "job_search_staging_4", subdomain: "staging-4.justapply.net" });
            expect(four.commit_url).to.equal(`https://github.com/justapply/job-search-project/commit/${COMMIT}`);
            expect(four).to.include({ claimed_at: "2026-11-22T09:00:00Z", stale: true, staleness: "stale", stale_at: "2026-11-23T09:00:00Z", expires_at: null, age_seconds: 27 * 3600 });
            expect(r.json.slots[9]).to.include({ owner: "bob", pool: "staging", long_running: "soak test until Friday", stale: false, staleness: "open-ended", stale_at: null });
            expect(r.json.slots[8]).to.include({ owner: "hana", expires_at: "2026-11-23T11:00:00Z", stale_at: "2026-11-23T11:00:00Z", staleness: "expired", stale: true });
            expect(r.json.slots[0]).to.include({ status: "Available", owner: null, commit_sha: null, commit_url: null, stale: false });
            expect(r.json.waitlist).to.deep.equal([]);
        });

        it("shows a merge on main at the next read", async () => {
            await serve(STACK_TEXT);
            expect((await call<ApiSlots>(`${server.url}/api/staging/slots`, "GET")).json.slots[3].status).to.equal("Available");
            remote.commitOnMain(held, "Claim staging-4");
            expect((await call<ApiSlots>(`${server.url}/api/staging/slots`, "GET")).json.slots[3].status).to.equal("In Use");
        });

        it("a stack file on main with problems: reads 503 and claims 409, each listing the problems", async () => {
            await serve(held.replace("staging-slots:slotCount: 10", "staging-slots:slotCount: 0"));
            const read = await call(`${server.url}/api/staging/slots`, "GET");
            expect(read.status).to.equal(503);
            expect(read.json.lines[0]).to.equal("the stack file on the base branch cannot be read:");
            expect(read.json.error).to.match(/slotCount/);
            const refs = remote.refs();
            const claim = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { owner: "x", task: "JOB-1", branch: "feature/login", commit_sha: COMMIT } });
            expect(claim.status).to.equal(409);
            expect(claim.json.lines[0]).to.match(/^Pulumi\.staging\.yaml has \d+ problems?; fix (it|them) before you claim a slot/);
            expect(remote.refs()).to.equal(refs);
        });

        it("needs a valid token when reads need one, admin or not", async () => {
            await serve(held, { readAuth: "token" });
            expect((await call(`${server.url}/api/staging/slots`, "GET")).status).to.equal(401);
            expect((await call(`${server.url}/staging/slots`, "GET")).status).to.equal(401);
            expect((await call(`${server.url}/api/staging/slots`, "GET", { token: await token({}) })).status).to.equal(200);
            const page = await call(`${server.url}/staging`, "GET");
            expect(page.status).to.equal(200);
            expect(page.text).to.contain("needs a token").and.not.contain("alice");
        });
    });

    describe("PUT /api/staging/slots (claim)", () => {
        it("pushes the CLI's edit on the CLI's branch (slots/claim-<task>) and opens its pull request", async () => {
            await serve(held);
            const mainBefore = remote.fileAt("main");
            const body = { owner: "carol", task: "JOB-9", branch: "feature/login", commit_sha: COMMIT, purpose: "QA for PR #9" };
            const r = await call<WriteResult>(`${server.url}/api/staging/slots`, "PUT", { token: admin, body });
            expect(r.status, r.text).to.equal(202);
            expect(r.json).to.include({ slot_id: 1, identifier: "staging-1", branch: "slots/claim-job-9", pull_request_url: "https://github.com/justapply/staging-slots/pull/1" });
            expect(r.json.changes).to.deep.equal([`staging-1: Available → In Use by carol for JOB-9, feature/login @ ${COMMIT.slice(0, 7)}`]);

            const cli = await cliOn(held, argsOf(body));
            expect(cli.code).to.equal(0);
            expect(cli.stdout.split("\n")).to.include(`  ${r.json.changes[0]}`);
            expect(r.json.warnings).to.deep.equal(cli.stderr.split("\n").filter((l) => l.startsWith("warning:")));
            expect(remote.fileAt("slots/claim-job-9")).to.equal(cli.file);
            expect(remote.fileAt("main")).to.equal(mainBefore);
            const parent = execFileSync("git", ["--git-dir", remote.url.slice("file://".length), "rev-parse", "slots/claim-job-9^", "main"], { encoding: "utf8" }).trim().split("\n");
            expect(parent[0]).to.equal(parent[1]);

            const prs = remote.pullRequests();
            expect(prs).to.have.length(1);
            expect(prs[0].args.slice(0, 8)).to.deep.equal(["pr", "create", "--head", "slots/claim-job-9", "--base", "main", "--title", "Claim staging-1 for JOB-9"]);
            expect(prs[0].body).to.equal(`- ${r.json.changes[0]}\n\nOpened through the staging dashboard for qa-tester. After the merge, \`pulumi up\` makes it real; the review reads the preview.`);
            expect(prs[0].token).to.equal(GH_TOKEN);
            expect(prs[0].tokenInArgs).to.equal(false);
            expect(r.text).not.to.contain(GH_TOKEN);
        });

        it("takes the slot asked for, with the CLI's file for the same request", async () => {
            await serve(held);
            const body = { slot_id: 7, owner: "dave", task: "JOB-11", branch: "fix/typo", commit_sha: COMMIT, pool: "qa", long_running: "demo on Monday" };
            const r = await call<WriteResult>(`${server.url}/api/staging/slots`, "PUT", { token: admin, body });
            expect(r.status, r.text).to.equal(202);
            expect(remote.fileAt("slots/claim-job-11")).to.equal((await cliOn(held, argsOf(body))).file);
        });

        it("asks the app repository for the branch head when commit_sha is left out", async () => {
            const apps = mkdtempSync(path.join(tmpdir(), "slots-app-"));
            try {
                const git = (...args: string[]): string => execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@example.com", ...args], { cwd: apps, encoding: "utf8" }).trim();
                git("init", "-q", "--bare", "app.git");
                git("init", "-q", "work");
                git("-C", "work", "commit", "-q", "--allow-empty", "-m", "first");
                git("-C", "work", "push", "-q", path.join(apps, "app.git"), "HEAD:refs/heads/feature/login");
                const head = git("-C", "work", "rev-parse", "HEAD");
                remote = createRemote(held);
                const env = serverEnv(remote, { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: `url.file://${path.join(apps, "app.git")}.insteadOf`, GIT_CONFIG_VALUE_0: REPOSITORY });
                server = await startServer(remote, { remote: { url: remote.url, baseBranch: "main", env } });
                const r = await call<WriteResult>(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { owner: "erin", task: "JOB-12", branch: "feature/login" } });
                expect(r.status, r.text).to.equal(202);
                expect(remote.fileAt("slots/claim-job-12")).to.contain(`commit: "${head}"`);
                const missing = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { owner: "erin", task: "JOB-13", branch: "feature/nope" } });
                expect(missing.status).to.equal(422);
                expect(missing.json.error).to.match(/^branch feature\/nope does not exist in git@github\.com:justapply\/job-search-project\.git; push it first/);
            } finally {
                rmSync(apps, { recursive: true, force: true });
            }
        });
    });

    describe("POST /api/staging/slots/{slot_id}/release", () => {
        it("pushes the CLI's release and opens its pull request", async () => {
            await serve(held);
            const r = await call<WriteResult>(`${server.url}/api/staging/slots/4/release`, "POST", { token: admin });
            expect(r.status, r.text).to.equal(202);
            expect(r.json).to.include({ slot_id: 4, branch: "slots/release-job-123" });
            const cli = await cliOn(held, ["release", "4"]);
            expect(remote.fileAt("slots/release-job-123")).to.equal(cli.file);
            expect(r.json.changes).to.have.length(1);
            expect(cli.stdout.split("\n")).to.include(`  ${r.json.changes[0]}`);
            expect(remote.pullRequests()[0].args).to.include("Release staging-4 (JOB-123)");
            // staging-4 is also accepted, as the CLI accepts it.
            const again = await call(`${server.url}/api/staging/slots/staging-4/release`, "POST", { token: admin });
            expect(again.status).to.equal(409);
            expect(again.json.error).to.match(/^staging-4 has a change waiting for review in pull request https:\/\/github\.com\/justapply\/staging-slots\/pull\/1 /);
        });

        it("promotes the first waiter of the slot's pool, as slots release does", async () => {
            const queued = await stackAfter([[claimOf("JOB-50", "carol", ["--pool", "staging", "--wait"])]], held);
            await serve(queued);
            const r = await call<WriteResult>(`${server.url}/api/staging/slots/10/release`, "POST", { token: admin });
            expect(r.status, r.text).to.equal(202);
            const cli = await cliOn(queued, ["release", "10"]);
            expect(cli.stdout).to.contain("Promoted JOB-50 (carol) from the waitlist into staging-10");
            expect(remote.fileAt(r.json.branch as string)).to.equal(cli.file);
            expect(cli.file).to.contain("staging-slots:waitlist: []");
        });

        for (const how of ["merge", "squash"] as const) {
            it(`sees a release as done once its pull request is merged (${how})`, async () => {
                await serve(held);
                expect((await call(`${server.url}/api/staging/slots/4/release`, "POST", { token: admin })).status).to.equal(202);
                const merged = remote.fileAt("slots/release-job-123");
                if (how === "merge") remote.fastForwardMain("slots/release-job-123");
                else remote.commitOnMain(merged, "Release staging-4 (#1)");
                const view = await call<ApiSlots>(`${server.url}/api/staging/slots`, "GET");
                expect(view.json.slots[3]).to.include({ status: "Available" });
                expect(view.json.slots[3].pending).to.deep.equal([]);
                const body = { slot_id: 4, owner: "frank", task: "JOB-20", branch: "feature/login", commit_sha: COMMIT };
                const r = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body });
                expect(r.status, r.text).to.equal(202);
                expect(remote.fileAt("slots/claim-job-20")).to.equal((await cliOn(merged, argsOf(body))).file);
            });
        }
        it("claims again for a task whose earlier claim and release were merged, replacing the merged branch", async () => {
            await serve(held);
            const body = { owner: "gina", task: "JOB-30", branch: "feature/login", commit_sha: COMMIT };
            expect((await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body })).status).to.equal(202);
            remote.fastForwardMain("slots/claim-job-30");
            expect((await call(`${server.url}/api/staging/slots/1/release`, "POST", { token: admin })).status).to.equal(202);
            remote.fastForwardMain("slots/release-job-30");
            const again = await call<WriteResult>(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { ...body, purpose: "second round" } });
            expect(again.status, again.text).to.equal(202);
            expect(again.json.branch).to.equal("slots/claim-job-30");
            expect(remote.fileAt("slots/claim-job-30")).to.contain("purpose: second round");
        });
        it("a slot branch neither merged nor deleted keeps the slot waiting, and the refusal says how to free it", async () => {
            await serve(held);
            expect((await call(`${server.url}/api/staging/slots/4/release`, "POST", { token: admin })).status).to.equal(202);
            const r = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { slot_id: 4, owner: "frank", task: "JOB-20", branch: "feature/login", commit_sha: COMMIT } });
            expect(r.status).to.equal(409);
            expect(r.json.error).to.match(/if that pull request was merged or closed, delete its branch$/);
        });
    });

    it("releasing a slot that is not claimed changes nothing, as the CLI says (200, no pull request)", async () => {
        await serve(held);
        const refs = remote.refs();
        const r = await call<WriteResult>(`${server.url}/api/staging/slots/3/release`, "POST", { token: admin });
        expect(r.status).to.equal(200);
        expect(r.json).to.include({ slot_id: 3, branch: null, pull_request_url: null });
        expect(`${r.json.message}\n`).to.equal((await cliOn(held, ["release", "3"])).stdout);
        expect(remote.refs()).to.equal(refs);
        expect(remote.pullRequests()).to.deep.equal([]);
    });

    describe("refusals: the CLI's message, a 4xx, nothing pushed", () => {
        const cases: ReadonlyArray<{ name: string; status: number; body?: Record<string, unknown>; release?: string; cli: () => string[] }> = [
            { name: "the slot is held", status: 409, body: { slot_id: 4, owner: "x", task: "JOB-1", branch: "feature/login", commit_sha: COMMIT }, cli: () => [] },
            { name: "the task already holds a slot", status: 409, body: { owner: "x", task: "JOB-123", branch: "feature/login", commit_sha: COMMIT }, cli: () => [] },
            { name: "the slot is in another pool", status: 409, body: { slot_id: 10, owner: "x", task: "JOB-1", branch: "feature/login", commit_sha: COMMIT }, cli: () => [] },
            { name: "there is no such slot", status: 409, body: { slot_id: 11, owner: "x", task: "JOB-1", branch: "feature/login", commit_sha: COMMIT }, cli: () => [] },
            { name: "the pool is not defined", status: 409, body: { owner: "x", task: "JOB-1", branch: "feature/login", commit_sha: COMMIT, pool: "ci" }, cli: () => [] },
            { name: "the commit is not a full SHA", status: 422, body: { owner: "x", task: "JOB-1", branch: "feature/login", commit_sha: "abc123" }, cli: () => [] },
            { name: "the branch is not a branch name", status: 422, body: { owner: "x", task: "JOB-1", branch: "feature login;rm", commit_sha: COMMIT }, cli: () => [] },
            { name: "the owner is too long", status: 422, body: { owner: "o".repeat(65), task: "JOB-1", branch: "feature/login", commit_sha: COMMIT }, cli: () => [] },
        ];
        for (const c of cases) {
            it(`${c.name}: ${c.status}`, async () => {
                await serve(held);
                const refs = remote.refs();
                const r = c.body
                    ? await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: c.body })
                    : await call(`${server.url}/api/staging/slots/${c.release}/release`, "POST", { token: admin });
                expect(r.status, r.text).to.equal(c.status);
                const cli = await cliOn(held, c.body ? argsOf(c.body) : c.cli());
                expect(cli.code).to.equal(1);
                expect(cli.file).to.equal(held);
                // The CLI may first warn that it could not ask the repository about the commit.
                const refusal = cli.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("warning:"));
                expect(r.json.lines).to.deep.equal(refusal);
                expect(r.json.error).to.equal(refusal.join("\n"));
                expect(remote.refs()).to.equal(refs);
                expect(remote.pullRequests()).to.deep.equal([]);
            });
        }

        it("a full pool: 409 with the CLI's list of holders", async () => {
            const full = await stackAfter([1, 2, 3, 5, 6, 7, 8].map((n): [string[]] => [claimOf(`JOB-10${n}`, `user${n}`, ["--slot", String(n)])]), held);
            await serve(full);
            const refs = remote.refs();
            const body = { owner: "x", task: "JOB-99", branch: "feature/login", commit_sha: COMMIT };
            const r = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body });
            expect(r.status).to.equal(409);
            const cli = (await cliOn(full, argsOf(body))).stderr.split("\n").filter((l) => l !== "" && !l.startsWith("warning:"));
            expect(cli[0]).to.contain("add --wait to queue; 0 ahead of you");
            // The CLI's words, then how to say --wait here.
            expect(r.json.lines).to.deep.equal([...cli, API_WAIT_HINT]);
            expect(remote.refs()).to.equal(refs);
        });

        describe("wait: true (slots claim --wait)", () => {
            const fields = { owner: "x", task: "JOB-99", branch: "feature/login", commit_sha: COMMIT, purpose: "QA for PR #99" };
            const body = { ...fields, wait: true };
            const fullPool = (): Promise<string> => stackAfter([1, 2, 3, 5, 6, 7, 8].map((n): [string[]] => [claimOf(`JOB-10${n}`, `user${n}`, ["--slot", String(n)])]), held);
            const cliArgs = [...argsOf(fields), "--wait"];

            it("a full pool: 202, the pull request queues the task with the same edit as slots claim --wait", async () => {
                const full = await fullPool();
                await serve(full);
                const r = await call<WriteResult>(`${server.url}/api/staging/slots`, "PUT", { token: admin, body });
                expect(r.status, r.text).to.equal(202);
                expect(r.json).to.include({ slot_id: null, identifier: null, waitlist_position: 1, branch: "slots/wait-job-99", pull_request_url: "https://github.com/justapply/staging-slots/pull/1" });
                const cli = await cliOn(full, cliArgs);
                expect(cli.code, cli.stderr).to.equal(0);
                expect(cli.stdout).to.contain("Pool qa is full: JOB-99 joined its waitlist at position 1");
                expect(remote.fileAt("slots/wait-job-99")).to.equal(cli.file);
                expect(remote.fileAt("main")).to.equal(full);
                expect(remote.pullRequests()[0].args).to.include("Queue JOB-99 for a slot of pool qa");
                // The queue shows on the dashboard once merged.
                remote.fastForwardMain("slots/wait-job-99");
                const view = await call<ApiSlots>(`${server.url}/api/staging/slots`, "GET");
                expect(view.json.waitlist.map((w) => [w.task, w.pool, w.pool_position])).to.deep.equal([["JOB-99", "qa", 1]]);
            });

            it("the same task again while its queue pull request is open: 409, nothing pushed", async () => {
                await serve(await fullPool());
                expect((await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body })).status).to.equal(202);
                const refs = remote.refs();
                const again = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body });
                expect(again.status).to.equal(409);
                expect(again.json.error).to.equal("branch slots/wait-job-99 already queues this task, waiting for review in pull request https://github.com/justapply/staging-slots/pull/1; wait for its review, or if that pull request was merged or closed, delete its branch");
                expect(remote.refs()).to.equal(refs);
                expect(remote.pullRequests()).to.have.length(1);
            });

            it("a free slot the queue is owed: 409 with the CLI's words and how to queue here; with wait, 202 queued behind the waiter", async () => {
                const owed = await stackAfter(
                    [...[1, 2, 3, 5, 6, 7, 8].map((n): [string[]] => [claimOf(`JOB-10${n}`, `user${n}`, ["--slot", String(n)])]), [[...claimOf("JOB-200", "erin"), "--wait"]], [["release", "1", "--no-promote"]]],
                    held,
                );
                await serve(owed);
                const refs = remote.refs();
                const plain = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: fields });
                expect(plain.status, plain.text).to.equal(409);
                const cli = (await cliOn(owed, argsOf(fields))).stderr.split("\n").filter((l) => l !== "" && !l.startsWith("warning:"));
                expect(cli[0]).to.equal("pool qa has 1 free slot (staging-1) and 1 task waiting for it ahead of you; the queue goes first:");
                expect(plain.json.lines).to.deep.equal([...cli, API_WAIT_HINT]);
                expect(remote.refs()).to.equal(refs);
                const queued = await call<WriteResult>(`${server.url}/api/staging/slots`, "PUT", { token: admin, body });
                expect(queued.status, queued.text).to.equal(202);
                expect(queued.json).to.include({ slot_id: null, waitlist_position: 2, branch: "slots/wait-job-99" });
                expect(remote.fileAt("slots/wait-job-99")).to.equal((await cliOn(owed, cliArgs)).file);
            });

            it("a claim while the task's queue pull request is in review: 409, nothing pushed (both merged, the task would hold a slot and wait)", async () => {
                const full = await fullPool();
                await serve(full);
                expect((await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body })).status).to.equal(202);
                remote.commitOnMain(await stackAfter([[["release", "1", "--no-promote"]]], full), "Release staging-1");
                const refs = remote.refs();
                const claimNow = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: fields });
                expect(claimNow.status, claimNow.text).to.equal(409);
                expect(claimNow.json.error).to.equal(
                    "task JOB-99 is being queued on slots/wait-job-99, waiting for review in pull request https://github.com/justapply/staging-slots/pull/1; let that pull request merge and claim again (the claim takes the task out of the queue), or close it and delete its branch first",
                );
                expect(remote.refs()).to.equal(refs);
                expect(remote.pullRequests()).to.have.length(1);
            });

            it("a waiter whose own claim is in review waits ahead of nobody: the next claim takes the other free slot", async () => {
                const owed = await stackAfter([[[...claimOf("JOB-200", "erin"), "--wait"]], [["release", "1", "--no-promote"]], [["release", "2", "--no-promote"]]], await fullPool());
                await serve(owed);
                const first = await call<WriteResult>(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { owner: "erin", task: "JOB-200", branch: "feature/login", commit_sha: COMMIT } });
                expect(first.status, first.text).to.equal(202);
                expect(first.json).to.include({ slot_id: 1, branch: "slots/claim-job-200" });
                const next = await call<WriteResult>(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: fields });
                expect(next.status, next.text).to.equal(202);
                expect(next.json).to.include({ slot_id: 2, branch: "slots/claim-job-99" });
            });

            it("a pool with a free slot: claims it, as slots claim --wait does", async () => {
                await serve(held);
                const r = await call<WriteResult>(`${server.url}/api/staging/slots`, "PUT", { token: admin, body });
                expect(r.status, r.text).to.equal(202);
                expect(r.json).to.include({ slot_id: 1, waitlist_position: null, branch: "slots/claim-job-99" });
                expect(remote.fileAt("slots/claim-job-99")).to.equal((await cliOn(held, cliArgs)).file);
            });

            it("with slot_id: 400 with the CLI's reason, nothing pushed", async () => {
                await serve(await fullPool());
                const refs = remote.refs();
                const r = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { ...body, slot_id: 1 } });
                expect(r.status).to.equal(400);
                expect(r.json.error).to.equal("wait queues for the next free slot of a pool; leave out slot_id");
                expect((await cliOn(held, [...cliArgs, "--slot", "1"])).stderr).to.contain("--wait queues for the next free slot of a pool; leave out --slot");
                expect(remote.refs()).to.equal(refs);
            });
        });

        it("gh cannot open the pull request: 502, and the pushed branch is deleted again", async () => {
            await serve(held, {}, { FAKE_GH_FAIL: "1" });
            const refs = remote.refs();
            const r = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { owner: "x", task: "JOB-1", branch: "feature/login", commit_sha: COMMIT } });
            expect(r.status).to.equal(502);
            expect(r.json.error).to.equal("gh pr create failed: pull request create failed: HTTP 403: Resource not accessible by integration; the branch was deleted again");
            expect(remote.refs()).to.equal(refs);
        });
    });

    describe("two claims at once", () => {
        /** Every qa slot but staging-8 held. */
        async function lastFree(): Promise<string> {
            return stackAfter([1, 2, 3, 5, 6, 7].map((n): [string[]] => [claimOf(`JOB-10${n}`, `user${n}`, ["--slot", String(n)])]), held);
        }
        const claimFor = (task: string): Record<string, unknown> => ({ owner: "x", task, branch: "feature/login", commit_sha: COMMIT });

        it("for the last free slot on one server: one 202, one 409", async () => {
            await serve(await lastFree());
            const [a, b] = await Promise.all(["JOB-201", "JOB-202"].map((t) => call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: claimFor(t) })));
            expect([a.status, b.status].sort()).to.deep.equal([202, 409]);
            const refused = a.status === 409 ? a : b;
            expect(refused.json, refused.text).to.have.property("error");
            expect(refused.json.error).to.match(/^pool qa has no free slot/);
            expect(refused.json.error).to.contain("staging-8: x for JOB-").and.contain("waiting for review on slots/claim-job-");
            expect(remote.refs().match(/refs\/heads\/slots\//g)).to.have.length(1);
            expect(remote.pullRequests()).to.have.length(1);
        });

        it("with wait: true, the second queues behind the claim waiting for review", async () => {
            await serve(await lastFree());
            expect((await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: claimFor("JOB-201") })).status).to.equal(202);
            const r = await call<WriteResult>(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { ...claimFor("JOB-202"), wait: true } });
            expect(r.status, r.text).to.equal(202);
            expect(r.json).to.include({ slot_id: null, waitlist_position: 1, branch: "slots/wait-job-202" });
            const queued = remote.fileAt("slots/wait-job-202");
            expect(queued).to.contain("staging-slots:waitlist:\n").and.contain("task: JOB-202").and.not.contain("task: JOB-201");
            expect(queued.split("staging-slots:waitlist:")[1]).to.contain(`commit: "${COMMIT}"`);
        });

        it("with wait: true and no commit_sha, the waiter takes its branch's head when promoted, as with slots claim --wait", async () => {
            const app = bareRepository();
            await serve(await lastFree(), {}, { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: `url.${app.url}.insteadOf`, GIT_CONFIG_VALUE_0: REPOSITORY });
            try {
                const first = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { ...claimFor("JOB-201"), commit_sha: app.head } });
                expect(first.status, first.text).to.equal(202);
                const { commit_sha: _given, ...noCommit } = claimFor("JOB-202");
                const r = await call<WriteResult>(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { ...noCommit, wait: true } });
                expect(r.status, r.text).to.equal(202);
                const waiter = remote.fileAt("slots/wait-job-202").split("staging-slots:waitlist:")[1];
                expect(waiter).to.contain("task: JOB-202").and.not.contain("commit:").and.not.contain(app.head);
            } finally {
                rmSync(path.dirname(app.url.slice("file://".length)), { recursive: true, force: true });
            }
        });

        it("for one task on two servers sharing the remote: the remote refuses the second push", async () => {
            await serve(held);
            const other = await startServer(remote);
            try {
                const [a, b] = await Promise.all([server, other].map((s, i) => call(`${s.url}/api/staging/slots`, "PUT", { token: admin, body: { ...claimFor("JOB-201"), slot_id: i + 1 } })));
                expect([a.status, b.status].sort(), `${a.text}\n${b.text}`).to.deep.equal([202, 409]);
                expect(remote.pullRequests()).to.have.length(1);
                expect(remote.refs().match(/refs\/heads\/slots\//g)).to.have.length(1);
            } finally {
                await other.close();
            }
        });

        it("a claim waiting for review holds its slot and its task", async () => {
            await serve(held);
            expect((await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: claimFor("JOB-201") })).status).to.equal(202);
            const next = await call<WriteResult>(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: claimFor("JOB-202") });
            expect(next.status).to.equal(202);
            expect(next.json.slot_id).to.equal(2);
            const sameTask = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: claimFor("JOB-201") });
            expect(sameTask.status).to.equal(409);
            expect(sameTask.json.error).to.match(/^task JOB-201 already has a claim waiting for review: staging-1 in pull request \S+\/pull\/1 .*; one slot per task$/);
            const sameSlot = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { ...claimFor("JOB-203"), slot_id: 1 } });
            expect(sameSlot.status).to.equal(409);
            expect(sameSlot.json.error).to.match(/^staging-1 has a change waiting for review in pull request /);
            const view = await call<ApiSlots>(`${server.url}/api/staging/slots`, "GET");
            expect(view.json.slots[0].status).to.equal("Available");
            expect(view.json.slots[0].pending).to.deep.equal([
                { change: "claimed", branch: "slots/claim-job-201", summary: `staging-1: Available → In Use by x for JOB-201, feature/login @ ${COMMIT.slice(0, 7)}`, pull_request_url: "https://github.com/justapply/staging-slots/pull/1" },
            ]);
        });
    });

    describe("auth", () => {
        const body = { owner: "x", task: "JOB-1", branch: "feature/login", commit_sha: COMMIT };
        const cases: ReadonlyArray<{ name: string; status: number; header: () => Promise<string | undefined>; error: RegExp }> = [
            { name: "no token", status: 401, header: async () => undefined, error: /^this needs a token: send Authorization: Bearer <JWT>$/ },
            { name: "not a bearer token", status: 401, header: async () => "Basic YWRtaW46YWRtaW4=", error: /must be: Bearer <JWT>/ },
            { name: "an expired token", status: 401, header: async () => `Bearer ${await token({ admin: true }, { exp: Math.floor(Date.now() / 1000) - 60 })}`, error: /^the token has expired/ },
            { name: "a token without exp", status: 401, header: async () => `Bearer ${await token({ admin: true }, { exp: null })}`, error: /"exp" claim/ },
            { name: "a token signed with another secret", status: 401, header: async () => `Bearer ${await token({ admin: true }, { secret: "x".repeat(40) })}`, error: /signature or format is not valid/ },
            { name: "a token without the admin claim", status: 403, header: async () => `Bearer ${await token({ roles: ["qa"] })}`, error: /^the token of qa-tester has no admin claim/ },
            { name: "admin: \"true\" as a string", status: 403, header: async () => `Bearer ${await token({ admin: "true" })}`, error: /no admin claim/ },
        ];
        for (const c of cases) {
            it(`${c.name}: ${c.status}, nothing pushed`, async () => {
                await serve(held);
                const refs = remote.refs();
                const header = await c.header();
                const headers = header ? { authorization: header } : undefined;
                for (const r of [
                    await call(`${server.url}/api/staging/slots`, "PUT", { body, ...(headers ? { headers } : {}) }),
                    await call(`${server.url}/api/staging/slots/4/release`, "POST", headers ? { headers } : {}),
                ]) {
                    expect(r.status).to.equal(c.status);
                    expect(r.json.error).to.match(c.error);
                    if (c.status === 401) expect(r.headers.get("www-authenticate")).to.equal('Bearer realm="staging-slots"');
                }
                expect(remote.refs()).to.equal(refs);
                expect(remote.pullRequests()).to.deep.equal([]);
            });
        }
        it('"admin" among roles is an admin', async () => {
            await serve(held);
            expect((await call(`${server.url}/api/staging/slots`, "PUT", { token: await token({ roles: ["qa", "admin"] }), body })).status).to.equal(202);
        });
    });

    describe("strict input", () => {
        const good = { owner: "x", task: "JOB-1", branch: "feature/login", commit_sha: COMMIT };
        const cases: ReadonlyArray<{ name: string; status: number; send: { body?: unknown; raw?: string; headers?: Record<string, string> }; error: RegExp }> = [
            { name: "an unknown field", status: 400, send: { body: { ...good, slot: 4 } }, error: /must NOT have additional properties/ },
            { name: "slot_id as a string", status: 400, send: { body: { ...good, slot_id: "4" } }, error: /slot_id must be integer/ },
            { name: "wait as a string", status: 400, send: { body: { ...good, wait: "true" } }, error: /wait must be boolean/ },
            { name: "a number for owner", status: 400, send: { body: { ...good, owner: 5 } }, error: /owner must be string/ },
            { name: "no task", status: 400, send: { body: { owner: "x", branch: "feature/login" } }, error: /must have required property 'task'/ },
            { name: "not JSON", status: 400, send: { raw: "{owner: x" }, error: /JSON/ },
            { name: "a list", status: 400, send: { body: [good] }, error: /must be object/ },
            { name: "a form post", status: 415, send: { raw: "owner=x", headers: { "content-type": "application/x-www-form-urlencoded" } }, error: /Unsupported Media Type/i },
            { name: "a body over the limit", status: 413, send: { body: { ...good, purpose: "p".repeat(BODY_LIMIT_BYTES) } }, error: new RegExp(`larger than ${BODY_LIMIT_BYTES} bytes`) },
        ];
        for (const c of cases) {
            it(`${c.name}: ${c.status}`, async () => {
                await serve(held);
                const refs = remote.refs();
                const r = await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, ...c.send });
                expect(r.status, r.text).to.equal(c.status);
                expect(r.json.error).to.match(c.error);
                expect(remote.refs()).to.equal(refs);
            });
        }
        it("a slot_id that is not a slot number: 400", async () => {
            await serve(held);
            const r = await call(`${server.url}/api/staging/slots/four/release`, "POST", { token: admin });
            expect(r.status).to.equal(400);
            expect(r.json.error).to.equal('slot_id "four" is not a slot number; give a number like 4 (or staging-4)');
        });
    });

    it("limits writes per client address and answers 429 with Retry-After", async () => {
        await serve(held, { writesPerMinute: 2 });
        const statuses: number[] = [];
        let last: Awaited<ReturnType<typeof call<ErrorBody>>> | undefined;
        for (let i = 0; i < 3; i++) {
            last = await call(`${server.url}/api/staging/slots/4/release`, "POST");
            statuses.push(last.status);
        }
        expect(statuses).to.deep.equal([401, 401, 429]);
        expect(last?.json.error).to.match(/^too many claims and releases from your address: at most 2 a minute/);
        expect(Number(last?.headers.get("retry-after"))).to.be.greaterThan(0);
        // Reads are not limited.
        expect((await call(`${server.url}/api/staging/slots`, "GET")).status).to.equal(200);
    });

    it("never shows a secret: not the JWT secret, not gh's token, not the stack's secure values", async () => {
        await serve(held);
        await call(`${server.url}/api/staging/slots`, "PUT", { token: admin, body: { owner: "x", task: "JOB-1", branch: "feature/login", commit_sha: COMMIT } });
        for (const page of ["/staging", "/staging/slots", "/api/staging/slots"]) {
            const r = await call(`${server.url}${page}`, "GET");
            expect(r.status).to.equal(200);
            for (const secret of [SECRET, GH_TOKEN, "placeholder-set-with-pulumi-config-set-secret", "secure:", remote.url]) expect(r.text, `${page} shows ${secret}`).not.to.contain(secret);
        }
    });
});

// Pull requests in review on the dashboard: every claim, release and queue pull request the
// dashboard opened shows with its link and its slot or queue position, in the JSON and on the
// page, also from a server started afterwards (which knows them only from the remote's branches
// and GitHub's list, here the recording stand-in gh's `pr list`).

import { readFileSync, rmSync } from "node:fs";
import * as path from "node:path";

import { expect } from "chai";

import { ApiInReview, ApiSlots } from "../../server/view";
import { WriteResult } from "../../server/writes";
import { COMMIT, run, stackText, tempProject } from "../cli/harness";
import { NOW } from "../helpers/config";
import { tempDir } from "../helpers/tempDirs";
import { describeNeeds } from "../helpers/tools";
import { Remote, TestServer, call, createRemote, startServer, token } from "./harness";

/** Every qa slot (1-9) held, staging-10 free, and JOB-31 waiting for qa. */
async function fullQa(): Promise<string> {
    const dir = tempProject();
    try {
        const argvs = [
            ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => ["claim", "--task", `JOB-10${n}`, "--owner", `user${n}`, "--branch", "feature/login", "--commit", COMMIT, "--slot", String(n)]),
            ["claim", "--wait", "--task", "JOB-31", "--owner", "ivy", "--branch", "feature/export", "--commit", COMMIT],
        ];
        for (const argv of argvs) {
            const r = await run(dir, argv, { now: NOW });
            expect(r.code, `${argv.join(" ")}: ${r.stderr}`).to.equal(0);
        }
        return stackText(dir);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** The page's "Waiting for review" items as text, by branch. */
function reviewItems(html: string): Record<string, string> {
    return Object.fromEntries([...html.matchAll(/<li data-branch="([^"]+)">(.*?)<\/li>/g)].map((m) => [m[1], m[2]]));
}

describeNeeds(["git"], "slots serve: pull requests in review", function () {
    let remote: Remote;
    let server: TestServer | undefined;
    let text: string;
    let admin: string;

    before(async () => {
        text = await fullQa();
        admin = await token();
    });
    afterEach(async () => {
        await server?.close();
        server = undefined;
        remote?.remove();
    });

    /** A claim of staging-10, a release of staging-4 (promoting JOB-31) and a queue entry for JOB-40, through `s`. */
    async function openThree(s: TestServer): Promise<WriteResult[]> {
        const results: WriteResult[] = [];
        for (const [method, url, body] of [
            ["PUT", "/api/staging/slots", { owner: "carol", task: "JOB-9", branch: "feature/signup", commit_sha: COMMIT, pool: "staging" }],
            ["POST", "/api/staging/slots/4/release", undefined],
            ["PUT", "/api/staging/slots", { owner: "dave", task: "JOB-40", branch: "feature/export", commit_sha: COMMIT, wait: true }],
        ] as const) {
            const r = await call<WriteResult>(`${s.url}${url}`, method, { token: admin, ...(body ? { body } : {}) });
            expect(r.status, r.text).to.equal(202);
            results.push(r.json);
        }
        return results;
    }

    it("after a restart: every claim, release and queue pull request still in review, with its link and its slot or queue position, in the JSON and on the page", async () => {
        remote = createRemote(text);
        const first = await startServer(remote);
        const opened = await openThree(first);
        expect(opened.map((r) => [r.branch, r.slot_id, r.waitlist_position])).to.deep.equal([
            ["slots/claim-job-9", 10, null],
            ["slots/release-job-104", 4, null],
            ["slots/wait-job-40", null, 2],
        ]);
        await first.close();

        // A new server knows nothing but the remote and what GitHub lists.
        server = await startServer(remote);
        const r = await call<ApiSlots>(`${server.url}/api/staging/slots`, "GET");
        expect(r.status, r.text).to.equal(200);
        const prs = remote.pullRequests().map((p) => p.url);
        expect(r.json.in_review).to.deep.equal([
            { branch: "slots/release-job-104", action: "release", pull_request_url: prs[1], slot_ids: [4], queued: [], changes: opened[1].changes },
            { branch: "slots/claim-job-9", action: "claim", pull_request_url: prs[0], slot_ids: [10], queued: [], changes: opened[0].changes },
            {
                branch: "slots/wait-job-40",
                action: "wait",
                pull_request_url: prs[2],
                slot_ids: [],
                queued: [{ task: "JOB-40", owner: "dave", pool: "qa", pool_position: 2 }],
                changes: ["waitlist: JOB-40 (dave) joins the queue for pool qa at position 2, feature/export @ 0123456"],
            },
        ] satisfies ApiInReview[]);
        // Each slot's own pending change links its pull request too.
        expect(r.json.slots[3].pending.map((p) => p.pull_request_url)).to.deep.equal([prs[1]]);
        expect(r.json.slots[9].pending.map((p) => p.pull_request_url)).to.deep.equal([prs[0]]);
        // The base branch's waitlist is unchanged: the queue entry is only in review.
        expect(r.json.waitlist.map((w) => w.task)).to.deep.equal(["JOB-31"]);

        const page = await call(`${server.url}/staging`, "GET");
        const items = reviewItems(page.text);
        expect(Object.keys(items)).to.deep.equal(["slots/release-job-104", "slots/claim-job-9", "slots/wait-job-40"]);
        expect(items["slots/wait-job-40"]).to.equal(`<strong>qa #2 once merged</strong> wait: JOB-40 for dave joins the queue · <a class="pull-request" href="${prs[2]}">pull request</a>`);
        expect(items["slots/claim-job-9"]).to.equal(`<strong>staging-10</strong> claim: Available → In Use by carol for JOB-9, feature/signup @ 0123456 · <a class="pull-request" href="${prs[0]}">pull request</a>`);
        expect(items["slots/release-job-104"]).to.match(new RegExp(`^<strong>staging-4</strong> release: In Use by user4 for JOB-104 → In Use by ivy for JOB-31, .* · <a class="pull-request" href="${prs[1]}">pull request</a>$`));
        expect(page.text).to.match(/<tr data-slot="10">.*<a class="badge pending" href="https:\/\/github\.com\/justapply\/staging-slots\/pull\/1"/);
    });

    it("a queue pull request merged, or squash-merged with its branch left behind, is no longer in review: its waiter is in the waitlist", async () => {
        remote = createRemote(text);
        server = await startServer(remote);
        const [, , queued] = await openThree(server);
        remote.commitOnMain(remote.fileAt(queued.branch as string), "Queue JOB-40 (squashed)");
        const r = await call<ApiSlots>(`${server.url}/api/staging/slots`, "GET");
        expect(r.json.in_review.map((x) => x.branch)).to.deep.equal(["slots/release-job-104", "slots/claim-job-9"]);
        expect(r.json.waitlist.map((w) => [w.task, w.pool_position])).to.deep.equal([
            ["JOB-31", 1],
            ["JOB-40", 2],
        ]);
    });

    it("links only the repository's own open pull request of the branch's very commit; without GitHub, the branches show unlinked", async () => {
        remote = createRemote(text);
        const first = await startServer(remote);
        await openThree(first);
        await first.close();
        const heads = Object.fromEntries(
            remote
                .refs()
                .split("\n")
                .filter((l) => l.includes("refs/heads/slots/"))
                .map((l) => l.split("\t"))
                .map(([sha, ref]) => [ref.slice("refs/heads/".length), sha]),
        );
        const listed = [
            // A fork's pull request from a branch of the same name and commit.
            { url: "https://github.com/someone/staging-slots/pull/90", headRefName: "slots/claim-job-9", headRefOid: heads["slots/claim-job-9"], isCrossRepository: true },
            // The repository's own, for another commit than the remote's branch has.
            { url: "https://github.com/justapply/staging-slots/pull/91", headRefName: "slots/release-job-104", headRefOid: "f".repeat(40), isCrossRepository: false },
            // The repository's own, for the branch as it is.
            { url: "https://github.com/justapply/staging-slots/pull/92", headRefName: "slots/wait-job-40", headRefOid: heads["slots/wait-job-40"], isCrossRepository: false },
        ];
        // GitHub lists only the pull requests above (none of those the first server opened).
        const elsewhere = path.join(tempDir("slots-gh-record-"), "none.jsonl");
        server = await startServer(remote, {}, { FAKE_GH_RECORD: elsewhere, FAKE_GH_EXTRA_PRS: JSON.stringify(listed) });
        const r = await call<ApiSlots>(`${server.url}/api/staging/slots`, "GET");
        expect(Object.fromEntries(r.json.in_review.map((x) => [x.branch, x.pull_request_url]))).to.deep.equal({
            "slots/release-job-104": null,
            "slots/claim-job-9": null,
            "slots/wait-job-40": "https://github.com/justapply/staging-slots/pull/92",
        });
        const page = await call(`${server.url}/staging`, "GET");
        expect(reviewItems(page.text)["slots/claim-job-9"]).to.match(/ · branch <code>slots\/claim-job-9<\/code>, no open pull request found$/);
        await server.close();

        server = await startServer(remote, {}, { FAKE_GH_LIST_FAIL: "1" });
        const failing = await call<ApiSlots>(`${server.url}/api/staging/slots`, "GET");
        expect(failing.status, failing.text).to.equal(200);
        expect(failing.json.in_review.map((x) => [x.branch, x.pull_request_url])).to.deep.equal([
            ["slots/release-job-104", null],
            ["slots/claim-job-9", null],
            ["slots/wait-job-40", null],
        ]);
    });

    it("asks GitHub once for reads arriving together, and not at all when nothing waits for review", async () => {
        remote = createRemote(text);
        const calls = path.join(tempDir("slots-gh-calls-"), "calls.jsonl");
        const lists = (): number =>
            readFileSync(calls, { encoding: "utf8", flag: "a+" })
                .split("\n")
                .filter((l) => l.startsWith('["pr","list"')).length;
        server = await startServer(remote, {}, { FAKE_GH_CALLS: calls });
        await call(`${server.url}/api/staging/slots`, "GET");
        expect(lists(), "no pending branch: gh is not asked").to.equal(0);
        await openThree(server);
        const before = lists();
        await Promise.all([call(`${server.url}/api/staging/slots`, "GET"), call(`${server.url}/staging/slots`, "GET")]);
        expect(lists()).to.equal(before + 1);
    });
});

// The Staging Dashboard in a real browser: Debian's Chromium, driven by playwright-core, loads
// /staging from the real server, the table is checked against the stack file, a claim goes
// through the form and the pull request link appears. Screenshots (desktop and phone) go to
// test-artifacts/, which git ignores.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { expect } from "chai";
import { BrowserContext, chromium } from "playwright-core";

import { analyse, requireSettings } from "../../cli/stack";
import { COMMIT, ROOT, STACK_TEXT, run, stackText, tempProject } from "../cli/harness";
import { NOW } from "../helpers/config";
import { describeNeeds } from "../helpers/tools";
import { Remote, TestServer, createRemote, startServer, token } from "./harness";

/** Where the screenshots land (in .gitignore). */
export const ARTIFACTS = path.join(ROOT, "test-artifacts");

const CHROMIUM = "/usr/bin/chromium";

describeNeeds(["chromium", "git"], "Staging Dashboard in Chromium", function () {
    let remote: Remote;
    let server: TestServer;
    let browser: BrowserContext;
    let profile: string;
    let text: string;

    before(async () => {
        const dir = tempProject(STACK_TEXT);
        for (const argv of [
            ["claim", "--task", "JOB-123", "--owner", "alice", "--branch", "feature/login", "--commit", COMMIT, "--slot", "4", "--purpose", "QA <for> PR #123"],
            ["claim", "--task", "JOB-7", "--owner", "bob", "--branch", "release/2.0", "--commit", COMMIT, "--pool", "staging", "--long-running", "soak test"],
        ]) {
            const r = await run(dir, argv, { now: new Date("2026-11-22T09:00:00Z") });
            expect(r.code, r.stderr).to.equal(0);
        }
        text = stackText(dir);
        rmSync(dir, { recursive: true, force: true });
        remote = createRemote(text);
        server = await startServer(remote);
        profile = mkdtempSync(path.join(tmpdir(), "slots-chromium-"));
        // A fresh profile each run: launchPersistentContext passes it as --user-data-dir.
        browser = await chromium.launchPersistentContext(profile, {
            executablePath: CHROMIUM,
            headless: true,
            viewport: { width: 1400, height: 900 },
            args: [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        });
        mkdirSync(ARTIFACTS, { recursive: true });
    });
    after(async () => {
        await browser?.close();
        await server?.close();
        remote?.remove();
        if (profile) rmSync(profile, { recursive: true, force: true });
    });

    it("shows the stack file's slots, and a claim through the form ends with the pull request's link", async () => {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(e.message));
        page.on("console", (m) => {
            if (m.type() === "error") errors.push(m.text());
        });
        await page.goto(`${server.url}/staging`);

        const settings = requireSettings(analyse("staging", "Pulumi.staging.yaml", text, NOW), "test");
        // The callback runs in the page as its source text: no named inner function, which the
        // TypeScript loader (tsx, esbuild's keepNames) would wrap in a __name helper the page lacks.
        const rows = await page.$$eval("#slots-table tbody tr", (trs) =>
            trs.map((tr) => {
                const cells: Record<string, string> = {};
                tr.querySelectorAll("td[data-label]").forEach((td: { getAttribute(name: string): string | null; textContent: string | null }) => {
                    cells[td.getAttribute("data-label") ?? ""] = (td.textContent ?? "").trim();
                });
                return {
                    slot: Number(tr.getAttribute("data-slot")),
                    status: cells.Status ?? "",
                    owner: cells.Owner ?? "",
                    task: cells.Task ?? "",
                    branch: cells.Branch ?? "",
                    commit: cells.Commit ?? "",
                    purpose: cells.Purpose ?? "",
                };
            }),
        );
        expect(rows.map((r) => r.slot)).to.deep.equal([...Array(settings.slotCount).keys()].map((i) => i + 1));
        for (const r of rows) {
            const c = settings.claims.get(r.slot);
            if (!c) {
                expect(r, `staging-${r.slot}`).to.include({ owner: "-", task: "-", branch: "-", commit: "-" });
                expect(r.status).to.equal("Available");
                continue;
            }
            expect(r, `staging-${r.slot}`).to.include({ owner: c.owner, task: c.task, branch: c.branch, commit: c.commit.slice(0, 7) });
            expect(r.status).to.match(/^In Use/);
        }
        // Escaped, not interpreted.
        expect(rows[3].purpose).to.equal("QA <for> PR #123");
        expect(rows[3].status).to.contain("stale");
        expect(await page.getAttribute('tr[data-slot="4"] td[data-label="Commit"] a', "href")).to.equal(`https://github.com/justapply/job-search-project/commit/${COMMIT}`);

        await page.fill("#token", await token());
        await page.fill('input[name="owner"]', "carol");
        await page.fill('input[name="task"]', "JOB-9");
        await page.fill('input[name="branch"]', "feature/signup");
        await page.fill('input[name="commit_sha"]', COMMIT);
        await page.fill('input[name="purpose"]', "QA for PR #9");
        await page.click('#claim-form button[type="submit"]');
        const link = await page.waitForSelector("#pull-request-link", { timeout: 30_000 });
        const prs = remote.pullRequests();
        expect(prs).to.have.length(1);
        expect(await link.getAttribute("href")).to.equal(prs[0].url);
        expect(await page.textContent("#result")).to.match(/^Claim staging-1 for JOB-9 \(https:\/\/staging-1\.justapply\.net\)\. Pull request:/);
        expect(remote.fileAt("slots/claim-job-9")).to.contain("owner: carol");
        // The table refreshed in place: staging-1 now shows the claim waiting for review.
        await page.waitForSelector('tr[data-slot="1"] .badge.pending');
        expect(await page.getAttribute('tr[data-slot="1"] .badge.pending', "href")).to.equal(prs[0].url);
        // And the list of pull requests in review names it with its slot.
        expect((await page.textContent('ul.in-review li[data-branch="slots/claim-job-9"]'))?.trim()).to.match(/^staging-1 claim: Available → In Use by carol for JOB-9, feature\/signup @ 0123456 · pull request$/);
        expect(await page.getAttribute('ul.in-review li[data-branch="slots/claim-job-9"] a.pull-request', "href")).to.equal(prs[0].url);
        await page.screenshot({ path: path.join(ARTIFACTS, "dashboard.png"), fullPage: true });

        // A refusal shows the CLI's message, and opens nothing.
        await page.fill('input[name="task"]', "JOB-123");
        await page.click('#claim-form button[type="submit"]');
        await page.waitForSelector("#result.error");
        expect(await page.textContent("#result")).to.match(/^task JOB-123 already holds staging-4 /);
        expect(remote.pullRequests()).to.have.length(1);

        // Release from the table: a confirmation, then the release's pull request.
        page.once("dialog", (d) => void d.accept());
        await page.click('tr[data-slot="4"] button.release');
        await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector("#result")?.textContent?.startsWith("Release staging-4") ?? false);
        expect(await page.getAttribute("#pull-request-link", "href")).to.equal(remote.pullRequests()[1].url);
        expect(remote.fileAt("slots/release-job-123")).not.to.contain("JOB-123");
        // The refusal's 409 is the only failed request the browser saw; no script error.
        expect(errors).to.deep.equal(["Failed to load resource: the server responded with a status of 409 (Conflict)"]);
        await page.close();
    });

    it("a full pool: the form shows the CLI's refusal, and with the waitlist box ticked opens the queue's pull request", async () => {
        const dir = tempProject(text);
        for (const n of [1, 2, 3, 5, 6, 7, 8, 9]) {
            const r = await run(dir, ["claim", "--task", `JOB-30${n}`, "--owner", `user${n}`, "--branch", "feature/login", "--commit", COMMIT, "--slot", String(n)]);
            expect(r.code, r.stderr).to.equal(0);
        }
        const full = createRemote(stackText(dir));
        rmSync(dir, { recursive: true, force: true });
        const fullServer = await startServer(full);
        const page = await browser.newPage();
        try {
            await page.goto(`${fullServer.url}/staging`);
            await page.fill("#token", await token());
            await page.fill('input[name="owner"]', "dave");
            await page.fill('input[name="task"]', "JOB-40");
            await page.fill('input[name="branch"]', "feature/export");
            await page.fill('input[name="commit_sha"]', COMMIT);
            await page.click('#claim-form button[type="submit"]');
            await page.waitForSelector("#result.error");
            const refusal = (await page.textContent("#result")) ?? "";
            expect(refusal).to.match(/^pool qa has no free slot; add --wait to queue; 0 ahead of you\./);
            expect(refusal).to.contain(`tick "Join the pool's waitlist"`);
            expect(full.pullRequests()).to.deep.equal([]);

            await page.check('input[name="wait"]');
            await page.click('#claim-form button[type="submit"]');
            const link = await page.waitForSelector("#pull-request-link", { timeout: 30_000 });
            expect(await link.getAttribute("href")).to.equal(full.pullRequests()[0].url);
            expect(await page.textContent("#result")).to.match(/^Queue JOB-40 for a slot of pool qa\. Pull request:/);
            expect(full.fileAt("slots/wait-job-40")).to.match(/staging-slots:waitlist:\n\s+- owner: dave\n\s+task: JOB-40\n/);
            // While in review, the queue entry shows with its place and its pull request.
            const inReview = await page.waitForSelector('ul.in-review li[data-branch="slots/wait-job-40"]');
            expect((await inReview.textContent())?.trim()).to.equal("qa #1 once merged wait: JOB-40 for dave joins the queue · pull request");
            expect(await page.getAttribute('ul.in-review li[data-branch="slots/wait-job-40"] a.pull-request', "href")).to.equal(full.pullRequests()[0].url);
            await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-in-review.png"), fullPage: true });
            // Once merged, the page lists the waiter first in line for qa.
            full.fastForwardMain("slots/wait-job-40");
            await page.reload();
            expect((await page.textContent('ol.waitlist li[data-task="JOB-40"]'))?.trim()).to.match(/^qa #1: JOB-40 for dave, feature\/export @ 0123456, waiting /);
            expect(await page.$("ul.in-review")).to.equal(null);
        } finally {
            await page.close();
            await fullServer.close();
            full.remove();
        }
    });

    it("a release of a slot released since the page loaded says there is nothing to release, not an error", async () => {
        const gone = createRemote(text);
        const goneServer = await startServer(gone);
        const page = await browser.newPage();
        try {
            // The page must keep the table it loaded: its 15 s refresh never fires (a fake clock),
            // and the one refresh the token's change event starts ends before main moves on.
            await page.clock.install();
            await page.goto(`${goneServer.url}/staging`);
            await page.fill("#token", await token());
            await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === "/staging/slots"), page.press("#token", "Tab")]);
            gone.commitOnMain(STACK_TEXT, "Release every slot");
            page.once("dialog", (d) => void d.accept());
            await page.click('tr[data-slot="4"] button.release');
            await page.waitForSelector("#result.ok");
            expect(await page.textContent("#result")).to.equal("staging-4 is not claimed; nothing to release.");
            expect(gone.pullRequests()).to.deep.equal([]);
        } finally {
            await page.close();
            await goneServer.close();
            gone.remove();
        }
    });

    it("reads on a phone: one card per slot, no sideways scrolling", async () => {
        const page = await browser.newPage();
        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(`${server.url}/staging`);
        // Strings run in the page: this project compiles without the DOM's types.
        const overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        expect(overflow).to.be.at.most(0);
        expect(await page.isVisible("#slots-table thead")).to.equal(false);
        const label = await page.evaluate(`getComputedStyle(document.querySelector('tr[data-slot="4"] td[data-label="Owner"]'), "::before").content`);
        expect(label).to.equal('"Owner"');
        await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-phone.png"), fullPage: true });
        await page.close();
    });
});

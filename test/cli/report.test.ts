// `slots report` keeps one "Staging slots need attention" issue in step with status and list,
// through a gh stand-in that records calls: opened, updated, closed, and left alone.

import { expect } from "chai";
import { writeFileSync } from "node:fs";
import * as path from "node:path";

import { REPORT_HELP } from "../../cli/help";
import { ATTENTION_TITLE } from "../../cli/report";
import { COMMIT, run, tempProject } from "./harness";
import { ghStandin } from "./ghStandin";
import { stackWithClaims, useSlotServers } from "./statusServers";

const OTHER = "fedcba9876543210fedcba9876543210fedcba98";
// Two days after the claims of stackWithClaims: every claim without a note is stale.
const LATER = new Date("2026-11-25T10:00:00Z");

describe("slots report", () => {
    const servers = useSlotServers(
        new Map([
            [1, { kind: "commit", commit: COMMIT }],
            [2, { kind: "status", status: 500 }],
            [3, { kind: "commit", commit: OTHER }],
        ] as const),
    );

    /** Writes status.json and list.json for `slots` in a project with claims on `claimed`. */
    async function snapshot(claimed: readonly number[], slots: readonly string[], now?: Date): Promise<string> {
        const dir = tempProject(stackWithClaims(claimed));
        const status = await run(dir, ["status", ...slots, "--json", "--timeout", "1", "--url-template", servers().template], { env: { PATH: process.env.PATH }, now });
        expect(status.code).to.be.oneOf([0, 1]);
        writeFileSync(path.join(dir, "status.json"), status.stdout);
        const list = await run(dir, ["list", "--json"], { now });
        writeFileSync(path.join(dir, "list.json"), list.stdout);
        return dir;
    }

    it("opens the issue with one line per slot that needs attention: slot, holder, what to do", async () => {
        // staging-1 serves, staging-2 answers 500 (down), staging-3 is Available yet serves (occupied).
        const dir = await snapshot([1, 2], ["1", "2", "3"], LATER);
        const gh = ghStandin({ issues: [{ number: 4, title: "Staging slots need attention soon" }] }, { GH_REPO: "justapply/staging-slots" });
        const r = await run(dir, ["report", "--status", "status.json", "--list", "list.json", "--run-url", "https://example.org/run/1"], { env: gh.env, now: LATER });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal("4 slot problems; opened https://github.com/justapply/staging-slots/issues/42\n");
        const calls = gh.calls();
        expect(calls.map((c) => c.args.slice(0, 2).join(" "))).to.deep.equal(["issue list", "issue create"]);
        expect(calls.every((c) => c.repo === "justapply/staging-slots" && c.token)).to.equal(true);
        expect(calls[1].args).to.deep.equal(["issue", "create", "--title", ATTENTION_TITLE, "--body-file", "-"]);
        const lines = calls[1].stdin.split("\n").filter((l) => l.startsWith("- "));
        expect(lines).to.have.length(4);
        expect(lines[0]).to.match(/^- \*\*staging-2\*\* \(owner-2, JOB-2\) is down: HTTP 500, no commit in the answer\. To do: check the last Deploy staging run/);
        expect(lines[1]).to.match(/^- \*\*staging-3\*\* \(Available\) is occupied: Available, yet an app answers: reports fedcba9\. To do: a release did not stop it/);
        expect(lines[2]).to.match(/^- \*\*staging-1\*\* \(owner-1, JOB-1\) is stale: claimed 2d 0h ago with no long-running note\. To do: release it \(`npx slots release 1`\)/);
        expect(lines[3]).to.match(/^- \*\*staging-2\*\* \(owner-2, JOB-2\) is stale \(see above\)/);
        expect(calls[1].stdin).to.contain("(2026-11-25T10:00:00Z, [run](https://example.org/run/1))");
    });

    it("updates the open issue, and closes a duplicate in favour of the oldest", async () => {
        const dir = await snapshot([1, 2], ["2"]);
        const gh = ghStandin({ issues: [{ number: 9, title: ATTENTION_TITLE }, { number: 5, title: ATTENTION_TITLE }] });
        const r = await run(dir, ["report", "--status", "status.json", "--list", "list.json"], { env: gh.env });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal("1 slot problem; updated #5\n");
        const calls = gh.calls();
        expect(calls.map((c) => c.args.join(" "))).to.deep.equal([
            `issue list --state open --search "${ATTENTION_TITLE}" in:title --json number,title --limit 50`,
            "issue close 9 --comment Duplicate of #5.",
            "issue edit 5 --body-file -",
        ]);
        expect(calls[2].stdin).to.match(/^- \*\*staging-2\*\* \(owner-2, JOB-2\) is down/m);
    });

    it("closes the issue when all is well, and opens none when there is none", async () => {
        const dir = await snapshot([1], ["1", "4"]);
        const open = ghStandin({ issues: [{ number: 5, title: ATTENTION_TITLE }] });
        const closed = await run(dir, ["report", "--status", "status.json", "--list", "list.json"], { env: open.env });
        expect(closed.stdout).to.equal("All staging slots are well; closed #5.\n");
        expect(open.calls().map((c) => c.args.slice(0, 3).join(" "))).to.deep.equal(["issue list --state", "issue close 5"]);
        const none = ghStandin();
        const quiet = await run(dir, ["report", "--status", "status.json", "--list", "list.json"], { env: none.env });
        expect(quiet.stdout).to.equal("All staging slots are well; no issue open.\n");
        expect(none.calls()).to.have.length(1);
    });

    it("a pending slot is not a problem for the report", async () => {
        // staging-3 claimed with COMMIT, reports OTHER, registry not read: pending.
        const dir = await snapshot([3], ["3"]);
        const gh = ghStandin();
        const r = await run(dir, ["report", "--status", "status.json", "--list", "list.json"], { env: gh.env });
        expect(r.stdout).to.equal("All staging slots are well; no issue open.\n");
    });

    it("refuses missing or unreadable input, and a failing gh, as user errors", async () => {
        const dir = await snapshot([1], ["1"]);
        const usage = await run(dir, ["report", "--status", "status.json"]);
        expect(usage.code).to.equal(2);
        expect(usage.stderr).to.equal(`slots: --status FILE and --list FILE are both required\n${REPORT_HELP.split("\n")[0]}\nRun slots report --help for every option.\n`);
        const missing = await run(dir, ["report", "--status", "nope.json", "--list", "list.json"]);
        expect(missing.code).to.equal(1);
        expect(missing.stderr).to.match(/^cannot read the status from nope\.json: .*; write it with slots status --json > nope\.json\n$/);
        const noToken = ghStandin({}, { GH_TOKEN: undefined });
        const r = await run(dir, ["report", "--status", "status.json", "--list", "list.json"], { env: noToken.env });
        expect(r.code).to.equal(1);
        expect(r.stderr).to.match(/^the attention issue was not updated: gh issue list --state failed: gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN/);
    });
});

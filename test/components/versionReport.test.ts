// One rule, two implementations: the deploy script's health check (`reports_commit` in
// deploy.sh, run here as it is, with curl answering from a file) and reportsCommit (TypeScript,
// in `slots status`) must agree on every body.

import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { DEPLOY_SCRIPT } from "../../components/scripts";
import { reportedCommit, reportsCommit } from "../../components/versionReport";
import { itNeeds } from "../helpers/tools";

const A = "0123456789abcdef0123456789abcdef01234567";
const B = "fedcba9876543210fedcba9876543210fedcba98";

/** [what the body is, the body, whether it reports A]. */
const BODIES: ReadonlyArray<readonly [string, string, boolean]> = [
    ["the JSON the example app serves", JSON.stringify({ service: "campaign-ui", commit: A, branch: "feature/login", slot: "staging-4", database: "ok" }), true],
    ["the seed's version.json shape", JSON.stringify({ slot: "staging-4", status: "deployed", branch: "feature/login", commit: A }, null, 2), true],
    ["a bare SHA with a line break", `${A}\n`, true],
    ["plain text around the SHA", `job-search ${A} built 2026-11-23`, true],
    ["another commit first, then A", JSON.stringify({ previous: B, commit: A }), true],
    ["another commit only", JSON.stringify({ commit: B }), false],
    ["a short SHA", JSON.stringify({ commit: A.slice(0, 7) }), false],
    ["the SHA in upper case", A.toUpperCase(), false],
    ["an empty body", "", false],
    ["the slot-is-free page", "<!doctype html>\n<h1>staging-4 is free</h1>\n<p>No deployment is running on staging-4.</p>", false],
    ["a SHA on a later line", `version:\n  build: 17\n  sha: ${A}\n`, true],
];

// The deploy script's own reports_commit function, verbatim.
function healthCheck(): string {
    const m = /^reports_commit\(\) \{\n[\s\S]*?^\}$/m.exec(DEPLOY_SCRIPT);
    if (!m) throw new Error("deploy.sh has no reports_commit() function");
    return m[0];
}

describe("the commit /api/version reports (deploy script and slots status)", () => {
    describe("reportsCommit (TypeScript)", () => {
        for (const [what, body, reports] of BODIES) {
            it(`${what}: ${reports ? "reports" : "does not report"} the commit`, () => {
                expect(reportsCommit(body, A)).to.equal(reports);
            });
        }
    });

    describe("reports_commit in deploy.sh (bash), as the health check runs it", () => {
        for (const [what, body, reports] of BODIES) {
            itNeeds(["bash"], `${what}: ${reports ? "reports" : "does not report"} the commit`, () => {
                const dir = mkdtempSync(path.join(tmpdir(), "version-rule-"));
                try {
                    writeFileSync(path.join(dir, "body"), body);
                    // curl, as a function, answers with the body; the function itself is the script's.
                    const script = `curl() { cat "$BODY"; }\nui_port=5004\ncommit=${A}\n${healthCheck()}\nreports_commit`;
                    const r = spawnSync("bash", ["--norc", "--noprofile", "-c", script], { encoding: "utf8", env: { PATH: process.env.PATH, BODY: path.join(dir, "body") } });
                    expect(r.stderr).to.equal("");
                    expect(r.status).to.equal(reports ? 0 : 1);
                } finally {
                    rmSync(dir, { recursive: true, force: true });
                }
            });
        }
    });

    describe("reportedCommit: which commit status names", () => {
        const cases: ReadonlyArray<readonly [string, string, ReadonlyArray<string | null>, string | null]> = [
            ["the claim's commit when it is reported", JSON.stringify({ previous: B, commit: A }), [A, B], A],
            ["the registry's commit when only it is reported", JSON.stringify({ commit: B }), [A, B], B],
            ["else the first 40 hex digits, lowercased", JSON.stringify({ commit: B.toUpperCase() }), [A], B],
            ["a 64-digit digest is no commit", JSON.stringify({ image: `sha256:${"ab".repeat(32)}`, commit: B }), [A], B],
            ["41 hex digits are no commit", `${B}0`, [A], null],
            ["no commit at all", "<h1>hello</h1>", [A, null], null],
        ];
        for (const [what, body, known, commit] of cases) {
            it(what, () => expect(reportedCommit(body, known)).to.equal(commit));
        }
    });
});

// One rule, two implementations: the deploy script's `reported_commit` (bash, on the droplet) and
// reportedCommit (TypeScript, in `slots status`) must find the same commit in every body.

import { expect } from "chai";
import { spawnSync } from "node:child_process";

import { DEPLOY_SCRIPT } from "../../components/scripts";
import { reportedCommit } from "../../components/versionReport";
import { itNeeds } from "../helpers/tools";

const A = "0123456789abcdef0123456789abcdef01234567";
const B = "fedcba9876543210fedcba9876543210fedcba98";

/** [what the body is, the body, the commit it reports]. */
export const VERSION_BODIES: ReadonlyArray<readonly [string, string, string | null]> = [
    ["the JSON the fixture app serves", JSON.stringify({ commit: A }), A],
    ["the seed's version.json shape", JSON.stringify({ slot: "staging-4", status: "deployed", branch: "feature/login", commit: A, deployedAt: "2026-11-23T10:30:00Z" }, null, 2), A],
    ["a bare SHA with a line break", `${A}\n`, A],
    ["plain text around the SHA", `job-search ${A} built 2026-11-23`, A],
    ["an upper-case SHA, lowercased", A.toUpperCase(), A],
    ["the first of two SHAs", JSON.stringify({ commit: B, previous: A }), B],
    ["a 64-digit digest before the SHA is skipped", JSON.stringify({ image: `sha256:${"ab".repeat(32)}`, commit: A }), A],
    ["41 hex digits are no commit", `${A}0`, null],
    ["a hex digit just before is no commit", `f${A}`, null],
    ["a short SHA is no commit", JSON.stringify({ commit: A.slice(0, 7) }), null],
    ["non-hex letters around are fine", `g${A}g`, A],
    ["an empty body", "", null],
    ["the slot-is-free page", "<!doctype html>\n<h1>staging-4 is free</h1>\n<p>No deployment is running on staging-4.</p>", null],
    ["a SHA on a later line", `version:\n  build: 17\n  sha: ${A}\n`, A],
];

function bashRule(): string {
    const m = /^# BEGIN reported_commit.*$([\s\S]*?)^# END reported_commit$/m.exec(DEPLOY_SCRIPT);
    if (!m) throw new Error("deploy.sh has no '# BEGIN reported_commit' … '# END reported_commit' block");
    return m[1];
}

describe("the commit /api/version reports (deploy script and slots status)", () => {
    describe("reportedCommit (TypeScript)", () => {
        for (const [what, body, commit] of VERSION_BODIES) {
            it(`${what}: ${commit ?? "none"}`, () => {
                expect(reportedCommit(body)).to.equal(commit);
            });
        }
    });

    describe("reported_commit in deploy.sh (bash)", () => {
        for (const [what, body, commit] of VERSION_BODIES) {
            itNeeds(["bash"], `${what}: ${commit ?? "none"}`, () => {
                // The body travels on stdin, read as the health check reads curl's output.
                const r = spawnSync("bash", ["-c", `${bashRule()}\nreported_commit "$(cat)"`], { input: body, encoding: "utf8" });
                expect(r.stderr).to.equal("");
                if (commit === null) {
                    expect(r.status).to.equal(1);
                    expect(r.stdout).to.equal("");
                } else {
                    expect(r.status).to.equal(0);
                    expect(r.stdout).to.equal(`${commit}\n`);
                }
            });
        }
    });

    it("the deploy script's health check uses reported_commit", () => {
        expect(DEPLOY_SCRIPT).to.match(/\[\[ \$\(reported_commit "\$body"\) == "\$commit" \]\]/);
    });
});

// The pure parts around the scripts: the health wait's budget, the repository URLs the scripts
// may fetch from, and how a test that needs a missing tool behaves.

import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fc from "fast-check";
import * as path from "node:path";

import { slotLayout } from "../../components/catalogue";
import { DataOptions, deployStdin, deployTriggers, deploymentId, healthTimeoutSeconds, parseDeployResult } from "../../components/scripts";
import { Claim } from "../../components/settings";
import { isRepositoryUrl } from "../../components/validation";
import { hasTool } from "../helpers/tools";

describe("script rendering", function () {
    it("the health wait leaves room for the fetch, the logs and version.json inside every allowed deploy timeout", function () {
        // validation.ts allows deployTimeoutSeconds from 60 to 3600.
        fc.assert(
            fc.property(fc.integer({ min: 60, max: 3600 }), (t) => {
                const h = healthTimeoutSeconds(t);
                return Number.isInteger(h) && h >= 10 && h + 40 <= t;
            }),
        );
        expect([60, 900, 3600].map(healthTimeoutSeconds)).to.deep.equal([10, 430, 1780]);
    });

    const CLAIM: Claim = {
        owner: "alice", task: "JOB-1", branch: "feature/login", commit: "0123456789abcdef0123456789abcdef01234567", purpose: "", claimedAt: "2026-11-23T10:30:00Z", pool: "qa", redeploy: 0, resetDatabase: 0,
    };
    const DATA: DataOptions = { databaseOnNewTask: "reset", volumesOnNewTask: "keep", pruneAfterHours: 24, minFreeDiskGb: 8, seedCommand: { service: "campaign-ui", args: ["python", "-m", "seed", "--rows=10 $(x)"] } };
    const stdin = (claim: Claim, data: DataOptions = DATA): string[] =>
        deployStdin({ layout: slotLayout(4, "justapply.net"), claim, repository: "git@github.com:a/b.git", databaseUrl: "postgresql://r:p@h:1/d?sslmode=require", appEnv: {}, healthTimeoutSeconds: 10, data }).split("\n");

    it("hands the data policy, seed command, prune age and disk floor to the deploy script as stdin lines", function () {
        const lines = stdin({ ...CLAIM, resetDatabase: 2 });
        expect(lines.filter((l) => /^(DATABASE_ON|VOLUMES_ON|RESET_DATABASE|DATABASE_CLIENT|SEED_|PRUNE|MIN_FREE)/.test(l))).to.deep.equal([
            "DATABASE_ON_NEW_TASK=reset",
            "VOLUMES_ON_NEW_TASK=keep",
            "RESET_DATABASE=2",
            "DATABASE_CLIENT=postgres:16-alpine",
            "SEED_SERVICE=campaign-ui",
            "SEED_ARG=python",
            "SEED_ARG=-m",
            "SEED_ARG=seed",
            "SEED_ARG=--rows=10 $(x)",
            "PRUNE_AFTER_HOURS=24",
            "MIN_FREE_DISK_GB=8",
        ]);
        expect(stdin(CLAIM, { ...DATA, seedCommand: undefined }).some((l) => l.startsWith("SEED_"))).to.equal(false);
        expect(() => stdin(CLAIM, { ...DATA, seedCommand: { service: "x", args: ["a\nMIN_FREE_DISK_GB=0"] } })).to.throw(/SEED_ARG contains a line break/);
    });

    it("replaces the deployment on a resetDatabase bump, and keeps the id and triggers of claims that never bumped it", function () {
        expect(deployTriggers(CLAIM)).to.deep.equal([CLAIM.commit, CLAIM.branch, 0]);
        expect(deployTriggers({ ...CLAIM, resetDatabase: 1 })).to.deep.equal([CLAIM.commit, CLAIM.branch, 0, 1]);
        // The id a claim had before the counter existed: sha256 of [slot, branch, commit, redeploy].
        expect(deploymentId(4, CLAIM)).to.equal(deploymentId(4, { branch: CLAIM.branch, commit: CLAIM.commit, redeploy: 0 }));
        expect(deploymentId(4, { ...CLAIM, resetDatabase: 1 })).to.not.equal(deploymentId(4, CLAIM));
    });

    it("reads the free disk from the deploy result line, and lines from before it existed", function () {
        expect(parseDeployResult('STAGING_DEPLOY_RESULT {"slot":4,"commit":"c","deployedAt":"t","freeDiskGb":41.2}\n')).to.deep.equal({ slot: 4, commit: "c", deployedAt: "t", freeDiskGb: 41.2 });
        expect(parseDeployResult('STAGING_DEPLOY_RESULT {"slot":4,"commit":"c","deployedAt":"t"}\n')).to.deep.equal({ slot: 4, commit: "c", deployedAt: "t" });
        expect(parseDeployResult('STAGING_DEPLOY_RESULT {"slot":4,"commit":"c","deployedAt":"t","freeDiskGb":"lots"}\n')).to.equal(undefined);
    });

    const urls: Array<[string, boolean]> = [
        ["git@github.com:justapply/job-search-project.git", true],
        ["https://github.com/justapply/job-search-project.git", true],
        ["file:///srv/mirrors/job-search-project.git", true],
        ["file://relative/path", false],
        ["file:///srv/repo;touch /tmp/x", false],
        ["file:///srv/$(id)", false],
        ["file:///srv/repo name", false],
        ["ext::sh -c touch% /tmp/x", false],
        ["/srv/mirrors/job-search-project.git", false],
    ];
    for (const [url, accepted] of urls) {
        it(`repository ${JSON.stringify(url)} is ${accepted ? "accepted" : "refused"}`, function () {
            expect(isRepositoryUrl(url)).to.equal(accepted);
        });
    }
});

describe("tests that need a tool", function () {
    this.timeout(30_000);
    const spec = path.join(__dirname, "..", "fixtures", "needsMissingTool.spec.ts");
    function runSpec(env: Record<string, string>) {
        return spawnSync(process.execPath, [require.resolve("mocha/bin/mocha.js"), "--no-config", "-r", "tsx/cjs", spec], {
            encoding: "utf8",
            env: { ...process.env, ...env },
        });
    }

    it("finds tools on PATH", function () {
        expect(hasTool("bash")).to.equal(true);
        expect(hasTool("no-such-tool-for-staging-tests")).to.equal(false);
    });

    it("are skipped with the tool named when it is missing", function () {
        const r = runSpec({ REQUIRE_TOOLS: "" });
        expect(r.status, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.contain("no-such-tool-for-staging-tests not installed");
        expect(r.stdout).to.match(/1 pending/);
    });

    it("fail naming the tool under REQUIRE_TOOLS=1", function () {
        const r = runSpec({ REQUIRE_TOOLS: "1" });
        expect(r.status).to.equal(1);
        expect(r.stdout).to.contain("no-such-tool-for-staging-tests not on PATH, and REQUIRE_TOOLS=1 requires it");
        expect(r.stdout).to.not.contain("must not run");
    });
});

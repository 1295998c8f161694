// The pure parts around the scripts: the health wait's budget, the repository URLs the scripts
// may fetch from, and how a test that needs a missing tool behaves.

import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fc from "fast-check";
import * as path from "node:path";

import { healthTimeoutSeconds } from "../../components/scripts";
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

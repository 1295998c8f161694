// `slots deployments` against a gh stand-in that records every call: one deployment per changed
// slot with the state slots status finds (servers on loopback), inactive for a released slot.

import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as path from "node:path";

import { DEPLOYMENTS_HELP } from "../../cli/help";
import { githubRepository } from "../../cli/github";
import { COMMIT, run, tempProject } from "./harness";
import { ghStandin } from "./ghStandin";
import { stackWithClaims, useSlotServers } from "./statusServers";

const OTHER = "fedcba9876543210fedcba9876543210fedcba98";
const LOG_URL = "https://github.com/justapply/staging-slots/actions/runs/77";

function gitProject(text: string): { dir: string; base: string } {
    const dir = tempProject(text);
    const git = (...args: string[]): string => execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    git("init", "-q", "-b", "main");
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "empty");
    git("add", "Pulumi.yaml", "Pulumi.staging.yaml");
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "base");
    return { dir, base: git("rev-parse", "HEAD").trim() };
}

describe("slots deployments", () => {
    const servers = useSlotServers(
        new Map([
            [1, { kind: "commit", commit: COMMIT }],
            [2, { kind: "commit", commit: COMMIT }],
            [4, { kind: "commit", commit: COMMIT }],
        ] as const),
    );

    it("records a deployment per changed claim with its status, and marks a released slot inactive", async () => {
        // Deployed: slots 1, 4 and 5. Now: 1 unchanged, 2 claimed, 4 re-pointed to OTHER (its app
        // still reports COMMIT, so that deployment failed), 5 released.
        const { dir, base } = gitProject(stackWithClaims([1, 4, 5]));
        const now = stackWithClaims([1, 2, 4]).replace(/("4":\n(?:      .*\n)*?      commit: )"[0-9a-f]{40}"/, `$1"${OTHER}"`);
        writeFileSync(path.join(dir, "Pulumi.staging.yaml"), now);
        const gh = ghStandin({ deployments: { "staging-5": [{ id: 9 }, { id: 8 }] } });
        const r = await run(dir, ["deployments", "--base", base, "--timeout", "1", "--url-template", servers().template, "--log-url", LOG_URL], { env: gh.env });
        expect(r.code, r.stderr).to.equal(0);
        const calls = gh.calls();
        expect(calls.every((c) => c.token)).to.equal(true);
        expect(calls.map((c) => c.args.join(" "))).to.deep.equal([
            "api --method POST repos/justapply/job-search-project/deployments --input -",
            "api --method POST repos/justapply/job-search-project/deployments/100/statuses --input -",
            "api --method POST repos/justapply/job-search-project/deployments --input -",
            "api --method POST repos/justapply/job-search-project/deployments/102/statuses --input -",
            "api --method GET repos/justapply/job-search-project/deployments -f environment=staging-5 -f per_page=10",
            "api --method POST repos/justapply/job-search-project/deployments/9/statuses --input -",
            "api --method POST repos/justapply/job-search-project/deployments/8/statuses --input -",
        ]);
        const body = (i: number): Record<string, unknown> => JSON.parse(calls[i].stdin) as Record<string, unknown>;
        expect(body(0)).to.deep.equal({
            ref: COMMIT,
            environment: "staging-2",
            description: "owner-2 for JOB-2: feature/2 @ 0123456",
            auto_merge: false,
            required_contexts: [],
            transient_environment: false,
            production_environment: false,
        });
        expect(body(1)).to.deep.equal({
            state: "success",
            environment_url: "https://staging-2.justapply.net",
            description: "owner-2 for JOB-2: feature/2 @ 0123456",
            auto_inactive: true,
            log_url: LOG_URL,
        });
        expect(body(2)).to.include({ ref: OTHER, environment: "staging-4" });
        expect(body(3)).to.include({ state: "failure", environment_url: "https://staging-4.justapply.net" });
        expect(body(3).description).to.match(/^owner-4 for JOB-4: feature\/4 @ fedcba9: pending, reports 0123456, not fedcba9 /);
        expect((body(3).description as string).length).to.be.at.most(140);
        expect(body(5)).to.deep.equal({ state: "inactive", description: "released", log_url: LOG_URL });
        expect(r.stdout.split("\n")).to.deep.equal([
            "staging-2: deployment 100 of 0123456 recorded as success (https://staging-2.justapply.net)",
            "staging-4: deployment 102 of fedcba9 recorded as failure (https://staging-4.justapply.net)",
            "staging-5: released; 2 deployments marked inactive",
            "",
        ]);
    });

    it("records nothing when no claim changed", async () => {
        const { dir, base } = gitProject(stackWithClaims([1]));
        const gh = ghStandin();
        const r = await run(dir, ["deployments", "--base", base, "--url-template", servers().template], { env: gh.env });
        expect(r.code).to.equal(0);
        expect(r.stdout).to.equal(`No slot's claim changed since ${base}; no deployment to record.\n`);
        expect(gh.calls()).to.deep.equal([]);
    });

    it("a failed gh call is a user error naming the slot; the others are still recorded", async () => {
        const { dir, base } = gitProject(stackWithClaims([]));
        writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stackWithClaims([1, 2]));
        const gh = ghStandin({ fail: "deployments/100/statuses" });
        const r = await run(dir, ["deployments", "--base", base, "--timeout", "1", "--url-template", servers().template, "--repo", "acme/app"], { env: gh.env });
        expect(r.code).to.equal(1);
        expect(r.stderr).to.equal("staging-1: not recorded on acme/app: gh api --method POST failed: gh: Validation Failed (HTTP 422)\n");
        expect(r.stdout).to.match(/^staging-2: deployment 102 of 0123456 recorded as success/);
        expect(gh.calls().map((c) => c.args[3])).to.deep.equal(["repos/acme/app/deployments", "repos/acme/app/deployments/100/statuses", "repos/acme/app/deployments", "repos/acme/app/deployments/102/statuses"]);
    });

    it("needs --base, and a GitHub repository", async () => {
        const noBase = await run(tempProject(), ["deployments"]);
        expect(noBase.code).to.equal(2);
        expect(noBase.stderr).to.match(/^slots: --base is required: the commit last deployed\n/).and.contain(DEPLOYMENTS_HELP.split("\n").slice(0, 2).join("\n"));
        const { dir, base } = gitProject(stackWithClaims([]).replace("git@github.com:justapply/job-search-project.git", "git@gitlab.com:justapply/app.git"));
        const r = await run(dir, ["deployments", "--base", base]);
        expect(r.code).to.equal(1);
        expect(r.stderr).to.equal("repository git@gitlab.com:justapply/app.git is not on github.com; pass --repo owner/name of the app's GitHub repository\n");
        const bad = await run(dir, ["deployments", "--base", base, "--repo", "not a repo"]);
        expect(bad.stderr).to.match(/--repo "not a repo" is not a GitHub repository/);
    });

    it("finds the GitHub repository in every URL form", () => {
        const cases: Array<[string, string | undefined]> = [
            ["git@github.com:justapply/job-search-project.git", "justapply/job-search-project"],
            ["ssh://git@github.com/justapply/job-search-project.git", "justapply/job-search-project"],
            ["https://github.com/justapply/job-search-project", "justapply/job-search-project"],
            ["https://github.com/justapply/job.search.git", "justapply/job.search"],
            ["git@gitlab.com:justapply/app.git", undefined],
            ["file:///srv/app.git", undefined],
        ];
        for (const [url, repo] of cases) expect(githubRepository(url), url).to.equal(repo);
    });
});

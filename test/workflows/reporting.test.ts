// The steps that report what really runs: "Record GitHub deployments" in deploy.yml and the
// daily report.yml. Their run: scripts are executed with bash as GitHub runs them, with stand-ins
// for npx (this checkout's slots) and gh (records calls), against servers on loopback.

import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

import { COMMIT, tempProject } from "../cli/harness";
import { ghStandin } from "../cli/ghStandin";
import { stackWithClaims, useSlotServers } from "../cli/statusServers";
import { Finished, runStepScript } from "../helpers/processes";
import { tempDir } from "../helpers/tempDirs";
import { itNeeds } from "../helpers/tools";

const DIR = path.join(__dirname, "..", "..", ".github", "workflows");
const NPX = path.join(__dirname, "..", "fixtures", "npx");

interface Step {
    readonly name?: string;
    readonly id?: string;
    readonly if?: string;
    readonly run?: string;
    readonly uses?: string;
    readonly env?: Record<string, string>;
}
interface Workflow {
    readonly on: Record<string, unknown>;
    readonly permissions?: Record<string, string>;
    readonly concurrency?: Record<string, unknown>;
    readonly jobs: Record<
        string,
        { if?: string; "runs-on": string; needs?: string; environment?: string; outputs?: Record<string, string>; permissions?: Record<string, string>; steps: Step[] }
    >;
}

const load = (file: string): Workflow => parse(readFileSync(path.join(DIR, file), "utf8")) as Workflow;

function step(wf: Workflow, job: string, name: string): Step {
    const s = wf.jobs[job].steps.find((x) => x.name === name);
    if (!s?.run) throw new Error(`no step "${name}" with a run: script in job ${job}`);
    return s;
}

/** Runs a step's script as GitHub's `shell: bash` does, in `cwd`, with the npx stand-in first on PATH. */
async function runStep(s: Step, cwd: string, env: Record<string, string | undefined>): Promise<Finished & { summary: string }> {
    const summary = path.join(tempDir("step-summary-"), "summary.md");
    writeFileSync(summary, "");
    const r = await runStepScript(s.run as string, cwd, { ...(env as NodeJS.ProcessEnv), PATH: `${NPX}${path.delimiter}${env.PATH ?? process.env.PATH}`, GITHUB_STEP_SUMMARY: summary });
    return { ...r, summary: readFileSync(summary, "utf8") };
}

function git(dir: string, ...args: string[]): string {
    return spawnSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false", ...args], { cwd: dir, encoding: "utf8" }).stdout;
}

describe("workflows that report what really runs", () => {
    const servers = useSlotServers(
        new Map([
            [1, { kind: "commit", commit: COMMIT }],
            [2, { kind: "status", status: 500 }],
        ] as const),
    );

    describe("deploy.yml: Record GitHub deployments", () => {
        const wf = load("deploy.yml");
        const job = wf.jobs.deployments;
        const record = step(wf, "deployments", "Record GitHub deployments");

        it("runs after the deploy job's up, whether up passed or failed, never when the guard stopped it", () => {
            expect(job.needs).to.equal("deploy");
            expect(wf.jobs.deploy.outputs).to.deep.equal({ up: "${{ steps.up.outcome }}", base: "${{ steps.base.outputs.rev }}" });
            expect(wf.jobs.deploy.steps.find((s) => s.id === "up")?.run).to.match(/^pulumi up /);
            expect(job.if).to.equal("${{ !cancelled() && github.ref == 'refs/heads/main' && needs.deploy.outputs.up != '' && needs.deploy.outputs.up != 'skipped' }}");
            expect(record.env?.BASE).to.equal("${{ needs.deploy.outputs.base }}");
        });

        it("holds only the app repository's deployments token, from its own environment", () => {
            expect(job.environment).to.equal("github-deployments");
            expect(job.permissions).to.deep.equal({ contents: "read" });
            expect(record.env?.GH_TOKEN).to.equal("${{ secrets.APP_DEPLOYMENTS_TOKEN }}");
            expect(JSON.stringify(job).match(/secrets\.\w+/g)).to.deep.equal(["secrets.APP_DEPLOYMENTS_TOKEN"]);
            expect(job["runs-on"]).to.equal("${{ vars.STAGING_STATUS_URL_TEMPLATE && (vars.STAGING_DEPLOY_RUNNER || 'self-hosted') || 'ubuntu-latest' }}");
        });

        itNeeds(["bash", "git"], "records the changed slots through gh (the script as the runner runs it)", async () => {
            const dir = tempProject(stackWithClaims([1]));
            git(dir, "init", "-q", "-b", "main");
            git(dir, "add", ".");
            git(dir, "commit", "-q", "-m", "deployed");
            const base = git(dir, "rev-parse", "HEAD").trim();
            writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stackWithClaims([1, 2]));
            const gh = ghStandin();
            const r = await runStep(record, dir, { ...gh.env, BASE: base, APP_REPOSITORY: "acme/app", URL_TEMPLATE: servers().template, LOG_URL: "https://example.org/run/5" });
            expect(r.code, r.stderr).to.equal(0);
            expect(r.summary).to.equal("staging-2: deployment 100 of 0123456 recorded as failure (https://staging-2.justapply.net)\n");
            const calls = gh.calls();
            expect(calls.map((c) => c.args[3])).to.deep.equal(["repos/acme/app/deployments", "repos/acme/app/deployments/100/statuses"]);
            expect(JSON.parse(calls[1].stdin)).to.include({ state: "failure", log_url: "https://example.org/run/5", description: "owner-2 for JOB-2: feature/2 @ 0123456: down, HTTP 500, no commit in the answer" });
        });

        itNeeds(["bash"], "without the token it says so and calls nothing", async () => {
            const gh = ghStandin();
            const r = await runStep(record, tempProject(), { ...gh.env, GH_TOKEN: "", BASE: "HEAD" });
            expect(r.code).to.equal(0);
            expect(r.stdout).to.contain("::notice::no APP_DEPLOYMENTS_TOKEN secret");
            expect(gh.calls()).to.deep.equal([]);
        });
    });

    describe("report.yml: the daily report", () => {
        const wf = load("report.yml");
        const job = wf.jobs.report;
        const probe = step(wf, "report", "Probe the slots and update the attention issue");

        it("runs on a schedule and by hand, main's code only, one run at a time", () => {
            expect(Object.keys(wf.on).sort()).to.deep.equal(["schedule", "workflow_dispatch"]);
            expect(job.if).to.equal("github.ref == 'refs/heads/main'");
            expect(wf.concurrency).to.deep.equal({ group: "staging-slots-report", "cancel-in-progress": false });
        });

        it("may write issues and nothing else; its only secret is the optional registry URL", () => {
            expect(wf.permissions).to.deep.equal({ contents: "read", issues: "write" });
            expect(job.environment).to.equal("staging-report");
            expect(probe.env?.GH_TOKEN).to.equal("${{ github.token }}");
            const secrets = JSON.stringify(wf).match(/secrets\.\w+/g);
            expect(secrets).to.deep.equal(["secrets.STAGING_REGISTRY_URL"]);
        });

        it("runs on the self-hosted runner only when a URL template needs it", () => {
            expect(job["runs-on"]).to.equal("${{ vars.STAGING_STATUS_URL_TEMPLATE && (vars.STAGING_DEPLOY_RUNNER || 'self-hosted') || 'ubuntu-latest' }}");
        });

        itNeeds(["bash"], "probes with the URL template, lists, and opens the issue (the script as the runner runs it)", async () => {
            // The executable runs on the real clock: claims made an hour ago are not stale.
            const anHourAgo = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
            const dir = tempProject(stackWithClaims([1, 2], 10, anHourAgo));
            const gh = ghStandin({}, { GH_REPO: "justapply/staging-slots" });
            const r = await runStep(probe, dir, { ...gh.env, URL_TEMPLATE: servers().template, STAGING_REGISTRY_URL: "", RUN_URL: "https://example.org/run/6" });
            expect(r.code, r.stderr).to.equal(0);
            expect(r.summary).to.equal("1 slot problem; opened https://github.com/justapply/staging-slots/issues/42\n");
            const status = JSON.parse(readFileSync(path.join(dir, "status.json"), "utf8")) as { slots: Array<{ id: string; state: string }> };
            expect(status.slots.slice(0, 2).map((s) => `${s.id} ${s.state}`)).to.deep.equal(["staging-1 serving", "staging-2 down"]);
            const create = gh.calls().find((c) => c.args[1] === "create");
            expect(create?.stdin).to.match(/^- \*\*staging-2\*\* \(owner-2, JOB-2\) is down: HTTP 500/m);
            expect(create?.repo).to.equal("justapply/staging-slots");
        });

        itNeeds(["bash"], "stops on a usage error of slots status instead of reporting", async () => {
            const dir = tempProject();
            const gh = ghStandin();
            const r = await runStep(probe, dir, { ...gh.env, URL_TEMPLATE: "http://127.0.0.1:{port}", RUN_URL: "x" });
            expect(r.code).to.equal(2);
            expect(gh.calls()).to.deep.equal([]);
        });
    });
});

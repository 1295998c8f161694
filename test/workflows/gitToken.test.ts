// The one way a workflow step pushes or fetches with a token: .ci/git-with-token, which hands the
// step's GIT_TOKEN to one git command and leaves nothing in a config file (the checkouts keep no
// credential: persist-credentials: false). Run for real against a git server on loopback that,
// like GitHub, refuses a request without the right Basic credential; then the steps of
// expire.yml, smoke.yml and preview-stack.yml that push or fetch, their run: scripts executed as
// the runner executes them.

import { expect } from "chai";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

import { GitHttpServer, gitHttpServer } from "../helpers/gitHttpServer";
import { Finished, runAsync, runStepScript } from "../helpers/processes";
import { tempDir } from "../helpers/tempDirs";
import { itNeeds } from "../helpers/tools";

const ROOT = path.join(__dirname, "..", "..");
const WRAPPER = path.join(ROOT, ".ci", "git-with-token");
const TOKEN = "test-only-token-4b7e19";

interface Step {
    readonly name?: string;
    readonly run?: string;
    readonly env?: Record<string, string>;
}

function step(file: string, job: string, name: string): Step {
    const wf = parse(readFileSync(path.join(ROOT, ".github", "workflows", file), "utf8")) as { jobs: Record<string, { steps: Step[] }> };
    const s = wf.jobs[job].steps.find((x) => x.name === name);
    if (!s?.run) throw new Error(`${file} ${job}: no step "${name}" with a run: script`);
    return s;
}

/** git isolated from the machine: its own HOME, no system config, never a prompt. */
function gitEnv(home: string, env: Record<string, string>): NodeJS.ProcessEnv {
    return {
        PATH: process.env.PATH,
        HOME: home,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_TERMINAL_PROMPT: "0",
        GIT_AUTHOR_NAME: "T",
        GIT_AUTHOR_EMAIL: "t@example.com",
        GIT_COMMITTER_NAME: "T",
        GIT_COMMITTER_EMAIL: "t@example.com",
        ...env,
    };
}

/** Runs a program with git isolated (the git server answering it lives in this process). */
const run = (cmd: string, args: readonly string[], cwd: string, home: string, env: Record<string, string> = {}): Promise<Finished> => runAsync(cmd, args, cwd, gitEnv(home, env));

/** A step's script as GitHub's `shell: bash` runs it, with git isolated. */
const runStep = (s: Step, cwd: string, home: string, env: Record<string, string>): Promise<Finished> => runStepScript(s.run as string, cwd, gitEnv(home, env));

/** Every file under `dir` whose text contains `needle`, as a path relative to it. */
function filesContaining(dir: string, needle: string): string[] {
    const found: string[] = [];
    const walk = (d: string): void => {
        for (const entry of readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, entry.name);
            if (entry.isDirectory()) walk(p);
            else if (entry.isFile() && readFileSync(p).includes(needle)) found.push(path.relative(dir, p));
        }
    };
    walk(dir);
    return found;
}

describe(".ci/git-with-token and the workflow steps that push or fetch", function () {
    this.timeout(60_000);
    let server: GitHttpServer;
    let served: string;
    let home: string;
    let count = 0;

    before(async () => {
        served = tempDir("git-http-root-");
        server = await gitHttpServer(served, "x-access-token", TOKEN);
    });
    after(() => server.close());
    beforeEach(() => {
        home = tempDir("git-home-");
    });

    /** A new bare repository on the server, and a local repository with one commit whose origin it is. */
    async function repositories(files: Record<string, string> = { "README.md": "app\n" }): Promise<{ bare: string; work: string; url: string }> {
        const name = `repo-${++count}.git`;
        const bare = path.join(served, name);
        expect((await run("git", ["init", "-q", "--bare", "-b", "main", bare], served, home)).code).to.equal(0);
        const work = tempDir("git-work-");
        for (const [file, text] of Object.entries(files)) {
            mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
            writeFileSync(path.join(work, file), text);
        }
        for (const args of [["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "base"], ["remote", "add", "origin", server.url(name)]]) {
            const r = await run("git", args, work, home);
            expect(r.code, r.stderr).to.equal(0);
        }
        return { bare, work, url: server.url(name) };
    }

    const revParse = async (dir: string, rev: string): Promise<string> => (await run("git", ["rev-parse", "--verify", "-q", rev], dir, home)).stdout.trim();

    itNeeds(["shellcheck"], "the CI scripts pass shellcheck", async () => {
        for (const script of readdirSync(path.join(ROOT, ".ci"))) {
            const r = await run("shellcheck", ["--severity=style", path.join(ROOT, ".ci", script)], ROOT, home);
            expect(r.code, `.ci/${script}:\n${r.stdout}`).to.equal(0);
        }
    });

    itNeeds(["git", "bash"], "pushes and fetches with GIT_TOKEN; the same git without it is refused, and no file keeps the token", async () => {
        const { bare, work, url } = await repositories();
        const plain = await run("git", ["push", "origin", "HEAD:refs/heads/main"], work, home);
        expect(plain.code, "a push without a credential").to.not.equal(0);
        expect(plain.stderr).to.match(/could not read Username|Authentication failed/);
        expect(await revParse(bare, "refs/heads/main")).to.equal("");

        const pushed = await run("bash", [WRAPPER, "push", "-q", "origin", "HEAD:refs/heads/main"], work, home, { GIT_TOKEN: TOKEN });
        expect(pushed.code, pushed.stderr).to.equal(0);
        expect(await revParse(bare, "refs/heads/main")).to.equal(await revParse(work, "HEAD"));
        expect(server.users.length).to.be.greaterThan(0);

        const other = tempDir("git-fetch-");
        expect((await run("git", ["init", "-q"], other, home)).code).to.equal(0);
        expect((await run("git", ["fetch", "-q", url, "+refs/heads/main:refs/remotes/pull/head"], other, home)).code, "a fetch without a credential").to.not.equal(0);
        const fetched = await run("bash", [WRAPPER, "fetch", "-q", "--no-tags", url, "+refs/heads/main:refs/remotes/pull/head"], other, home, { GIT_TOKEN: TOKEN });
        expect(fetched.code, fetched.stderr).to.equal(0);
        expect(await revParse(other, "refs/remotes/pull/head")).to.equal(await revParse(work, "HEAD"));

        for (const dir of [work, other, home]) expect(filesContaining(dir, TOKEN), `files under ${path.basename(dir)} holding the token`).to.deep.equal([]);
    });

    itNeeds(["git", "bash"], "a wrong token is refused, and a credential helper configured elsewhere never answers instead", async () => {
        const { bare, work } = await repositories();
        const wrong = await run("bash", [WRAPPER, "push", "-q", "origin", "HEAD:refs/heads/main"], work, home, { GIT_TOKEN: "not-the-token" });
        expect(wrong.code).to.not.equal(0);
        expect(wrong.stderr).to.match(/Authentication failed/);
        // A helper of the user's own config with another credential: plain git uses it (and is
        // refused), the wrapper resets the helper list and sends GIT_TOKEN.
        writeFileSync(path.join(home, ".gitconfig"), `[credential]\n\thelper = "!f() { echo username=someone; echo password=stale-token; }; f"\n`);
        expect((await run("git", ["push", "-q", "origin", "HEAD:refs/heads/main"], work, home)).stderr).to.match(/Authentication failed/);
        const pushed = await run("bash", [WRAPPER, "push", "-q", "origin", "HEAD:refs/heads/main"], work, home, { GIT_TOKEN: TOKEN });
        expect(pushed.code, pushed.stderr).to.equal(0);
        expect(await revParse(bare, "refs/heads/main")).to.equal(await revParse(work, "HEAD"));
    });

    itNeeds(["git", "bash"], "without GIT_TOKEN it says which variable the step must set, and runs no git", async () => {
        const { work } = await repositories();
        const before = server.users.length + server.refused();
        const r = await run("bash", [WRAPPER, "push", "origin", "HEAD:refs/heads/main"], work, home, { GIT_TOKEN: "" });
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(/^::error::\.ci\/git-with-token: GIT_TOKEN is empty; give this step the token in its env: \(GIT_TOKEN: \$\{\{ github\.token \}\}\)$/m);
        expect(server.users.length + server.refused()).to.equal(before);
    });

    /** A gh stand-in that records its arguments and answers `pr list … --jq length` with 0. */
    function ghStandin(): { dir: string; calls: () => string[] } {
        const dir = tempDir("gh-pr-standin-");
        const log = path.join(dir, "calls.txt");
        writeFileSync(
            path.join(dir, "gh"),
            `#!/usr/bin/env bash\n[ -n "$GH_TOKEN" ] || { echo "gh: set GH_TOKEN" >&2; exit 4; }\nprintf '%s\\n' "$*" >> "${log}"\nif [ "$1 $2" = "pr list" ]; then echo 0; fi\n`,
        );
        chmodSync(path.join(dir, "gh"), 0o755);
        return { dir, calls: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []) };
    }

    /** The files a checkout of this repository gives a step that uses the wrapper. */
    const withWrapper = (files: Record<string, string>): Record<string, string> => ({ ...files, ".ci/git-with-token": readFileSync(WRAPPER, "utf8") });

    itNeeds(["git", "bash"], "expire.yml: the pull request step pushes slots/expire with the token only it holds, then opens the pull request", async () => {
        const s = step("expire.yml", "expire", "Open or update the pull request");
        expect(s.env?.GIT_TOKEN).to.equal("${{ secrets.SLOTS_PR_TOKEN || github.token }}");
        expect(s.env?.GH_TOKEN).to.equal("${{ secrets.SLOTS_PR_TOKEN || github.token }}");
        const { bare, work } = await repositories(withWrapper({ "Pulumi.staging.yaml": "config: {}\n" }));
        writeFileSync(path.join(work, "Pulumi.staging.yaml"), "config:\n  staging-slots:claims: {}\n");
        writeFileSync(path.join(work, "expire.txt"), "staging-4: released (expired)\n");
        const gh = ghStandin();
        const r = await runStep(s, work, home, {
            PATH: `${gh.dir}${path.delimiter}${process.env.PATH ?? ""}`,
            BRANCH: s.env?.BRANCH as string,
            TITLE: s.env?.TITLE as string,
            GH_TOKEN: TOKEN,
            GIT_TOKEN: TOKEN,
        });
        expect(r.code, r.stderr).to.equal(0);
        const pushed = await revParse(bare, "refs/heads/slots/expire");
        expect(pushed).to.equal(await revParse(work, "HEAD"));
        expect((await run("git", ["show", "-s", "--format=%s", pushed], bare, home)).stdout.trim()).to.equal("Release expired staging slots");
        expect((await run("git", ["show", `${pushed}:Pulumi.staging.yaml`], bare, home)).stdout).to.equal("config:\n  staging-slots:claims: {}\n");
        expect(gh.calls()).to.deep.equal([
            "pr list --head slots/expire --base main --state open --json number --jq length",
            "pr create --base main --head slots/expire --title Release expired staging slots --body-file body.md",
        ]);
        expect(filesContaining(path.join(work, ".git"), TOKEN)).to.deep.equal([]);
    });

    itNeeds(["git", "bash"], "smoke.yml: the publish step pushes the example app's second commit as smoke-example-app with the token only it holds", async () => {
        const s = step("smoke.yml", "smoke", "Publish examples/app with two commits as the branch smoke-example-app");
        expect(s.env).to.deep.equal({ GIT_TOKEN: "${{ github.token }}" });
        const { bare, work } = await repositories(withWrapper({ "examples/app/server.js": "// app\n", "index.ts": "// program\n" }));
        const githubEnv = path.join(tempDir("github-env-"), "env");
        writeFileSync(githubEnv, "");
        const r = await runStep(s, work, home, { GIT_TOKEN: TOKEN, GITHUB_SHA: await revParse(work, "HEAD"), GITHUB_ENV: githubEnv });
        expect(r.code, r.stderr).to.equal(0);
        const published = await revParse(bare, "refs/heads/smoke-example-app");
        const first = await revParse(bare, `${published}^`);
        expect(readFileSync(githubEnv, "utf8")).to.equal(`SMOKE_APP_COMMITS=${first},${published}\n`);
        expect((await run("git", ["ls-tree", "--name-only", published], bare, home)).stdout).to.equal("server.js\n");
        // The step ends on the commit it started from, with this repository's files.
        expect(await revParse(work, "HEAD")).to.equal(await revParse(work, "main"));
        expect(filesContaining(path.join(work, ".git"), TOKEN)).to.deep.equal([]);
    });

    itNeeds(["git", "bash"], "preview-stack.yml: the step that takes the stack file fetches the pull request's head with the token only it holds", async () => {
        const s = step("preview-stack.yml", "preview", "Take the pull request's stack file as data");
        expect(s.env?.GIT_TOKEN).to.equal("${{ github.token }}");
        const { bare, work } = await repositories(withWrapper({ "Pulumi.staging.yaml": "config: {}\n" }));
        const base = await revParse(work, "HEAD");
        expect((await run("bash", [WRAPPER, "push", "-q", "origin", "HEAD:refs/heads/main"], work, home, { GIT_TOKEN: TOKEN })).code).to.equal(0);
        // The pull request: one commit on the stack file, as GitHub keeps it under refs/pull/N/head.
        const pr = tempDir("git-pr-");
        expect((await run("git", ["clone", "-q", bare, pr], served, home)).code).to.equal(0);
        writeFileSync(path.join(pr, "Pulumi.staging.yaml"), "config:\n  staging-slots:claims: {}\n");
        for (const args of [["commit", "-q", "-am", "claim"], ["push", "-q", bare, "HEAD:refs/pull/7/head"]]) expect((await run("git", args, pr, home)).code).to.equal(0);
        const head = await revParse(pr, "HEAD");
        const output = path.join(tempDir("github-output-"), "output");
        writeFileSync(output, "");
        const r = await runStep(s, work, home, { PR: "7", BASE: base, HEAD: head, GIT_TOKEN: TOKEN, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: path.join(path.dirname(output), "summary") });
        expect(r.code, r.stderr).to.equal(0);
        expect(readFileSync(output, "utf8")).to.equal("stack-only=true\n");
        expect(readFileSync(path.join(work, "Pulumi.staging.yaml"), "utf8")).to.equal("config:\n  staging-slots:claims: {}\n");
        expect(filesContaining(path.join(work, ".git"), TOKEN)).to.deep.equal([]);
    });
});

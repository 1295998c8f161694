// The daily workflow against real git: re-pointing in place, commits that must exist, claims
// chosen against the base branch, checks that judge a pull request by its own claims, and --pr
// opening the pull request (a local bare remote, and a gh stand-in that records its arguments).

import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";

import { describeNeeds } from "../helpers/tools";
import { bareRepository, git, pointAt, pushCommit } from "./gitRepos";
import { STACK_TEXT, run, stackText, tempProject } from "./harness";

function claimsIn(text: string): Record<string, Record<string, unknown>> {
    const config = parseDocument(text).toJS() as { config: Record<string, unknown> };
    return (config.config["staging-slots:claims"] ?? {}) as Record<string, Record<string, unknown>>;
}

const LATER = new Date("2026-11-25T12:00:00Z");

// Every folder these tests make, removed when they are done.
const made: string[] = [];
function kept(dir: string): string {
    made.push(dir);
    return dir;
}
after(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const project = (text?: string): string => kept(tempProject(text));
function appRepository(): ReturnType<typeof bareRepository> {
    const app = bareRepository();
    kept(path.dirname(app.work));
    return app;
}

/** A project folder that is a git clone of a bare "stack" remote, with origin/main fetched. */
function stackClone(): { dir: string; origin: string } {
    const dir = project();
    const origin = path.join(kept(mkdtempSync(path.join(tmpdir(), "slots-origin-"))), "stack.git");
    git(path.dirname(origin), "init", "-q", "--bare", origin);
    git(dir, "init", "-q");
    git(dir, "add", "Pulumi.yaml", "Pulumi.staging.yaml");
    git(dir, "commit", "-q", "-m", "stack");
    git(dir, "remote", "add", "origin", origin);
    git(dir, "push", "-q", "origin", "HEAD:refs/heads/main");
    git(dir, "fetch", "-q", "origin");
    return { dir, origin };
}

/** A second clone of `origin`, as a colleague has it. */
function colleague(origin: string): string {
    const dir = path.join(kept(mkdtempSync(path.join(tmpdir(), "slots-colleague-"))), "stack");
    git(path.dirname(dir), "clone", "-q", origin, dir);
    return dir;
}

const IDENTITY = { GIT_AUTHOR_NAME: "Alice", GIT_AUTHOR_EMAIL: "alice@example.com", GIT_COMMITTER_NAME: "Alice", GIT_COMMITTER_EMAIL: "alice@example.com" };

describeNeeds(["git"], "the daily workflow with git", () => {
    describe("slots repoint", () => {
        it("keeps the slot, URL and database and moves the claim to the branch's new head", async () => {
            const app = appRepository();
            const env = pointAt(app.url);
            const dir = project();
            expect((await run(dir, ["claim", "--task", "JOB-123", "--owner", "alice", "--branch", "feature/login", "--slot", "4"], { env })).code).to.equal(0);
            const before = claimsIn(stackText(dir))["4"];
            const next = pushCommit(app.work, "refs/heads/feature/login");
            const r = await run(dir, ["repoint", "4"], { env });
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.contain(`Re-pointed staging-4 for JOB-123 to feature/login @ ${next.slice(0, 7)}: same URL (https://staging-4.justapply.net), same database.`);
            expect(r.stdout).to.contain(`staging-4: In Use by alice for JOB-123; commit ${app.head.slice(0, 7)} → ${next.slice(0, 7)}`);
            expect(claimsIn(stackText(dir))).to.deep.equal({ "4": { ...before, commit: next } });
        });
        it("takes --branch and --task (any case), and a short SHA the repository resolves", async () => {
            const app = appRepository();
            const env = pointAt(app.url);
            const other = pushCommit(app.work, "refs/heads/feature/other");
            const dir = project();
            expect((await run(dir, ["claim", "--task", "JOB-7", "--owner", "alice", "--branch", "feature/login", "--slot", "7", "--commit", app.head], { env })).code).to.equal(0);
            const r = await run(dir, ["repoint", "--task", "job-7", "--branch", "feature/other", "--commit", other.slice(0, 8).toUpperCase()], { env });
            expect(r.code, r.stderr).to.equal(0);
            expect(claimsIn(stackText(dir))["7"]).to.include({ task: "JOB-7", branch: "feature/other", commit: other });
        });
        it("accepts a commit below a branch tip, and says so when nothing changes", async () => {
            const app = appRepository();
            const env = pointAt(app.url);
            const dir = project();
            expect((await run(dir, ["claim", "--task", "JOB-1", "--owner", "alice", "--branch", "feature/login"], { env })).code).to.equal(0);
            pushCommit(app.work, "refs/heads/feature/login");
            const older = app.head;
            const same = await run(dir, ["repoint", "1", "--commit", older], { env });
            expect(same).to.deep.equal({ code: 0, stdout: `staging-1 already runs feature/login @ ${older.slice(0, 7)}; nothing to change (slots redeploy 1 deploys it again).\n`, stderr: "" });
        });
        it("refuses a commit the repository does not have, naming it, file untouched", async () => {
            const app = appRepository();
            const env = pointAt(app.url);
            const dir = project();
            expect((await run(dir, ["claim", "--task", "JOB-1", "--owner", "alice", "--branch", "feature/login"], { env })).code).to.equal(0);
            const before = stackText(dir);
            const missing = "1".repeat(40);
            for (const argv of [["repoint", "1", "--commit", missing], ["claim", "--task", "JOB-2", "--owner", "bob", "--branch", "feature/login", "--commit", missing]]) {
                const r = await run(dir, argv, { env });
                expect(r.code, argv.join(" ")).to.equal(1);
                expect(r.stderr).to.equal(`--commit: commit ${missing} is not in git@github.com:justapply/job-search-project.git; push it first (git push origin <branch>) or give a commit the repository has (git rev-parse <branch>)\n`);
                expect(stackText(dir)).to.equal(before);
            }
            const short = await run(dir, ["repoint", "1", "--commit", "abcdef1"], { env });
            expect(short.code).to.equal(1);
            expect(short.stderr).to.match(/^--commit: commit abcdef1 is not a full SHA and .* cannot resolve it \(no branch or tag of it starts with it\); pass the full 40-character SHA/);
        });
        it("refuses a commit that is on another branch only, naming both, in claim, repoint and check alike", async () => {
            const app = appRepository();
            // Allow partial fetches, as GitHub does, so the branch history comes as commits only.
            git(path.join(path.dirname(app.work), "app.git"), "config", "uploadpack.allowFilter", "true");
            const env = pointAt(app.url);
            const elsewhere = pushCommit(app.work, "refs/heads/fork/other", "OTHER");
            const dir = project();
            expect((await run(dir, ["claim", "--task", "JOB-1", "--owner", "alice", "--branch", "feature/login", "--slot", "4"], { env })).code).to.equal(0);
            const before = stackText(dir);
            const refusal = `--commit: commit ${elsewhere} is not on branch feature/login in git@github.com:justapply/job-search-project.git (not reachable from its head ${app.head}); claim a commit of that branch (git rev-parse origin/feature/login), or name the branch the commit is on\n`;
            for (const argv of [
                ["repoint", "4", "--commit", elsewhere],
                ["claim", "--task", "JOB-2", "--owner", "bob", "--branch", "feature/login", "--commit", elsewhere],
            ]) {
                const r = await run(dir, argv, { env });
                expect(r.code, argv.join(" ")).to.equal(1);
                expect(r.stderr).to.equal(refusal);
                expect(stackText(dir)).to.equal(before);
            }
            const gone = await run(dir, ["repoint", "4", "--branch", "feature/gone", "--commit", app.head], { env });
            expect(gone.code).to.equal(1);
            expect(gone.stderr).to.match(/^--commit: branch feature\/gone does not exist in git@github\.com:justapply\/job-search-project\.git; push it first/);
            // Named with the branch it is on, it is taken.
            expect((await run(dir, ["repoint", "4", "--branch", "fork/other", "--commit", elsewhere], { env })).code).to.equal(0);
            // A hand edit that names the wrong branch is found by check.
            writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stackText(dir).replace("branch: fork/other", "branch: feature/login"));
            const check = await run(dir, ["check"], { env });
            expect(check.code).to.equal(1);
            expect(check.stderr).to.match(new RegExp(`^Pulumi\\.staging\\.yaml:\\d+: staging-4 commit: commit ${elsewhere} is not on branch feature/login in `));
        });
        it("refuses a free slot and a usage mistake", async () => {
            const dir = project();
            const free = await run(dir, ["repoint", "3"]);
            expect(free.code).to.equal(1);
            expect(free.stderr).to.match(/^staging-3 is not claimed; claim it instead/);
            const both = await run(dir, ["repoint", "3", "--task", "JOB-1"]);
            expect(both.code).to.equal(2);
            expect(both.stderr).to.match(/not both/);
            expect(stackText(dir)).to.equal(STACK_TEXT);
        });
    });

    describe("slots check: every problem at once", () => {
        it("reports every kind of problem in one run, each on its line, whatever else is wrong", async () => {
            const c = "0123456789abcdef0123456789abcdef01234567";
            const claim = (owner: string, task: string, extra = "", claimedAt = "2026-11-23T10:00:00Z", commit = c): string =>
                `\n      owner: ${owner}\n      task: ${task}\n      branch: feature/x\n      commit: "${commit}"\n      claimedAt: "${claimedAt}"${extra}`;
            const text = STACK_TEXT.replace("  staging-slots:region: nyc3", "  staging-slots:region: nyc3\n  staging-slots:colour: blue")
                .replace("    - 203.0.113.0/24", "    - 0.0.0.0/0")
                .replace(
                    "staging-slots:claims: {}",
                    "staging-slots:claims:" +
                        `\n    "2":${claim("alice", "JOB-1", "", "2026-11-23T10:00:00Z", "abc")}` +
                        `\n    "5":${claim("bob", "job-1")}` +
                        `\n    "6":${claim('""', "JOB-6", "\n      colour: red")}` +
                        `\n    "7":${claim("carol", "JOB-7", "", "2026-11-20T10:00:00Z")}` +
                        `\n    8:${claim("dave", "JOB-8")}` +
                        `\n    "8":${claim("erin", "JOB-9")}`,
                );
            const dir = project(text);
            const r = await run(dir, ["check"], { env: pointAt(`file://${path.join(tmpdir(), "slots-no-such-repo.git")}`) });
            expect(r.code).to.equal(1);
            expect(r.stdout).to.equal("");
            const F = "Pulumi.staging.yaml";
            expect(r.stderr.trimEnd().split("\n")).to.deep.equal([
                `${F}:59: staging-8: slot 8 is claimed twice (once as 8 (line 53), once as "8" (line 59)); Pulumi keeps only one: keep one claim`,
                `${F}:8: staging-slots:colour: unknown config key "staging-slots:colour"; the keys are domain, slotCount, repository, adminCidrs, pools, claims, region, dropletSize, dropletImage, sshKeys, deployPublicKey, sshHostKey, acmeEmail, projectName, postgres, appEnv, deployTimeoutSeconds, releaseRemovesCheckout, releaseRemovesVolumes, registryDatabase, taskPattern, hosts, images, registry, waitlist, maxClaimHours, databaseOnNewTask, volumesOnNewTask, seedCommand, pruneAfterHours, minFreeDiskGb, deployPrivateKey, postgresPassword, registryDatabaseUrl, repositoryKey`,
                `${F}:10: staging-slots:adminCidrs[0]: "0.0.0.0/0" is the whole IPv4 address space: it would open SSH and the database to the whole internet; list your own networks`,
                `${F}:32: staging-2 commit: commit "abc" is not a full 40-character lowercase hex SHA; use the full SHA (git rev-parse <branch>)`,
                `${F}:46: staging-6 colour: unknown claim field "colour"; the fields are owner, task, branch, commit, purpose, claimedAt, pool, longRunning, expiresAt, redeploy, resetDatabase`,
                `${F}:41: staging-6 owner: owner must not be empty`,
                `${F}:30: staging-2 task: task JOB-1 also holds staging-5 (as "job-1"); one slot per task: release the others`,
                `${F}:36: staging-5 task: task job-1 also holds staging-2 (as "JOB-1"); one slot per task: release the others`,
                `warning: ${F}:48: staging-7 longRunning: claimed by carol for JOB-7 at 2026-11-20T10:00:00Z, over 24 hours ago, with no longRunning note; release it (slots release 7) or add one (slots extend 7 --long-running "why")`,
                `warning: ${F}:6: staging-slots:repository: could not reach git@github.com:justapply/job-search-project.git ('${path.join(tmpdir(), "slots-no-such-repo.git")}' does not appear to be a git repository); the claimed commits were not verified`,
            ]);
        });
    });

    describe("slots check and the repository", () => {
        it("names a claimed commit the repository does not have, and passes one it has", async () => {
            const app = appRepository();
            const env = pointAt(app.url);
            const dir = project();
            expect((await run(dir, ["claim", "--task", "JOB-1", "--owner", "alice", "--branch", "feature/login"], { env })).code).to.equal(0);
            expect(await run(dir, ["check"], { env })).to.deep.equal({ code: 0, stdout: "Pulumi.staging.yaml: ok (1 of 10 slots claimed)\n", stderr: "" });
            writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stackText(dir).replace(app.head, "2".repeat(40)));
            const r = await run(dir, ["check"], { env });
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/^Pulumi\.staging\.yaml:\d+: staging-1 commit: commit 2{40} is not in git@github\.com:justapply\/job-search-project\.git; push it first/);
            expect((await run(dir, ["check", "--offline"], { env })).code).to.equal(0);
        });
    });

    describe("claims against the base branch", () => {
        it("a claim skips a slot taken on origin/main since this clone last pulled", async () => {
            const app = appRepository();
            const env = pointAt(app.url);
            const { dir, origin } = stackClone();
            const bob = colleague(origin);
            expect((await run(bob, ["claim", "--task", "JOB-9", "--owner", "bob", "--branch", "feature/login"], { env })).code).to.equal(0);
            git(bob, "commit", "-q", "-am", "Claim staging-1 for JOB-9");
            git(bob, "push", "-q", "origin", "HEAD:main");
            git(dir, "fetch", "-q", "origin");
            const r = await run(dir, ["claim", "--task", "JOB-1", "--owner", "alice", "--branch", "feature/login"], { env });
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.match(/^Claimed staging-2 for JOB-1/);
            const taken = await run(dir, ["claim", "--task", "JOB-3", "--owner", "alice", "--branch", "feature/login", "--slot", "1"], { env });
            expect(taken.code).to.equal(1);
            expect(taken.stderr).to.match(/^staging-1 is held on origin\/main by bob for JOB-9 \(feature\/login, since 2026-11-23T12:00:00Z\); pick another slot/);
            const again = await run(dir, ["claim", "--task", "job-9", "--owner", "carol", "--branch", "feature/login"], { env });
            expect(again.code).to.equal(1);
            expect(again.stderr).to.match(/^task job-9 already holds staging-1 on origin\/main; one slot per task/);
        });
        it("check --base names a slot claimed on both sides since the branch started, with the fix", async () => {
            const app = appRepository();
            const env = pointAt(app.url);
            const { dir, origin } = stackClone();
            git(dir, "switch", "-q", "-c", "claim-job-1");
            // Offline, as two people claiming at once would be: neither sees the other's claim.
            expect((await run(dir, ["claim", "--task", "JOB-1", "--owner", "alice", "--branch", "feature/login", "--base", "HEAD"], { env })).code).to.equal(0);
            git(dir, "commit", "-q", "-am", "Claim staging-1 for JOB-1");
            const bob = colleague(origin);
            expect((await run(bob, ["claim", "--task", "JOB-9", "--owner", "bob", "--branch", "feature/login"], { env })).code).to.equal(0);
            git(bob, "commit", "-q", "-am", "Claim staging-1 for JOB-9");
            git(bob, "push", "-q", "origin", "HEAD:main");
            git(dir, "fetch", "-q", "origin");
            const r = await run(dir, ["check", "--base", "origin/main"], { env });
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(
                /^Pulumi\.staging\.yaml:\d+: staging-1: claimed here for JOB-1 \(alice\) and, since this branch started, on origin\/main for JOB-9 \(bob\); the slot cannot hold both: update your branch \(git fetch origin && git rebase origin\/main\), then take a free slot \(slots release 1, then slots claim --task JOB-1 …\)\n$/,
            );
            expect((await run(dir, ["check", "--base", "HEAD"], { env })).code).to.equal(0);
        });
        it("check --strict --base fails for the change's own stale claim only; stale claims elsewhere are warnings", async () => {
            const app = appRepository();
            const env = pointAt(app.url);
            const { dir } = stackClone();
            expect((await run(dir, ["claim", "--task", "JOB-9", "--owner", "bob", "--branch", "feature/login", "--slot", "9"], { env })).code).to.equal(0);
            git(dir, "commit", "-q", "-am", "bob's claim");
            expect((await run(dir, ["claim", "--task", "JOB-1", "--owner", "alice", "--branch", "feature/login", "--slot", "1", "--long-running", "soak"], { env })).code).to.equal(0);
            // Two days later, re-running yesterday's check: bob's claim went stale, ours did not change.
            const rerun = await run(dir, ["check", "--strict", "--base", "HEAD"], { env, now: LATER });
            expect(rerun.code, rerun.stderr).to.equal(0);
            expect(rerun.stderr).to.match(/^warning: Pulumi\.staging\.yaml:\d+: staging-9 longRunning: claimed by bob for JOB-9 at 2026-11-23T12:00:00Z, over 24 hours ago/);
            expect((await run(dir, ["check", "--strict"], { env, now: LATER })).code, "without --base every stale claim counts").to.equal(1);
            writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stackText(dir).replace(/\n +longRunning: "?soak"?/, ""));
            const own = await run(dir, ["check", "--strict", "--base", "HEAD", "--json"], { env, now: LATER });
            expect(own.code).to.equal(1);
            const json = JSON.parse(own.stdout) as { ok: boolean; changedSlots: number[]; problems: { level: string; slot: number; field: string; line: number }[] };
            expect(json.ok).to.equal(false);
            expect(json.changedSlots).to.deep.equal([1]);
            expect(json.problems.map((p) => [p.level, p.slot, p.field])).to.deep.equal([
                ["error", 1, "claims.1.longRunning"],
                ["warning", 9, "claims.9.longRunning"],
            ]);
            expect(json.problems[0].line).to.be.a("number");
        });
    });

    describe("--pr", () => {
        /** A bin folder with git (and a gh stand-in that logs its arguments and answers like gh, when `gh` is set). */
        function bin(gh: "logged-in" | "logged-out" | "absent"): { path: string; log: string } {
            const dir = kept(mkdtempSync(path.join(tmpdir(), "slots-bin-")));
            const log = path.join(dir, "gh.log");
            symlinkSync(execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim(), path.join(dir, "git"));
            if (gh !== "absent") {
                const script = `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n[ "$1 $2" = "auth status" ] && exit ${gh === "logged-in" ? 0 : 1}\n[ "$1 $2" = "pr create" ] && echo https://github.com/justapply/staging-slots/pull/42\nexit 0\n`;
                writeFileSync(path.join(dir, "gh"), script);
                chmodSync(path.join(dir, "gh"), 0o755);
            }
            return { path: dir, log };
        }

        it("claim --pr commits only the stack file on a branch named after the task, pushes it and opens the pull request with gh", async () => {
            const app = appRepository();
            const { dir, origin } = stackClone();
            writeFileSync(path.join(dir, "notes.txt"), "an unrelated change stays out of the pull request\n");
            const b = bin("logged-in");
            const env = { ...pointAt(app.url), ...IDENTITY, PATH: b.path };
            const r = await run(dir, ["claim", "--task", "JOB-123", "--owner", "alice", "--branch", "feature/login", "--purpose", "QA for PR #123", "--pr"], { env });
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.contain("Pull request: https://github.com/justapply/staging-slots/pull/42");
            expect(r.stdout).to.match(/Committed on branch slots\/claim-job-123 \([0-9a-f]{7}\): Claim staging-1 for JOB-123/);
            const pushed = git(origin, "log", "-1", "--format=%s%n%an", "refs/heads/slots/claim-job-123");
            expect(pushed).to.equal("Claim staging-1 for JOB-123\nAlice");
            expect(git(origin, "diff", "--name-only", "main", "slots/claim-job-123")).to.equal("Pulumi.staging.yaml");
            const onBranch = git(origin, "show", "slots/claim-job-123:Pulumi.staging.yaml");
            expect(claimsIn(onBranch)["1"]).to.include({ task: "JOB-123", owner: "alice", commit: app.head, purpose: "QA for PR #123" });
            expect(stackText(dir), "the checkout's stack file is back as committed").to.equal(STACK_TEXT);
            expect(git(dir, "branch", "--show-current")).to.equal("main");
            const calls = readFileSync(b.log, "utf8").trim().split("\n");
            expect(calls[0]).to.equal("auth status");
            expect(calls[1]).to.match(/^pr create --head slots\/claim-job-123 --base main --title Claim staging-1 for JOB-123 --body - staging-1: Available → In Use by alice for JOB-123, feature\/login @ [0-9a-f]{7}/);
        });
        it("without gh (or logged out) pushes the branch and prints the exact command to open the pull request", async () => {
            const app = appRepository();
            for (const gh of ["absent", "logged-out"] as const) {
                const { dir, origin } = stackClone();
                expect((await run(dir, ["claim", "--task", "JOB-5", "--owner", "alice", "--branch", "feature/login", "--slot", "5"], { env: pointAt(app.url) })).code).to.equal(0);
                git(dir, "commit", "-q", "-am", "claim");
                git(dir, "push", "-q", "origin", "HEAD:main");
                const env = { ...pointAt(app.url), ...IDENTITY, PATH: bin(gh).path };
                const r = await run(dir, ["release", "--task", "job-5", "--pr"], { env });
                expect(r.code, r.stderr).to.equal(0);
                const why = gh === "absent" ? "gh (the GitHub CLI) is not installed" : "gh is not logged in (gh auth login)";
                expect(r.stdout).to.contain(`Pushed slots/release-job-5, but ${why}; run:\n  gh pr create --head slots/release-job-5 --base main --title 'Release staging-5 (JOB-5)' --body '- staging-5: In Use by alice for JOB-5 → Available`);
                expect(claimsIn(git(origin, "show", "slots/release-job-5:Pulumi.staging.yaml"))).to.deep.equal({});
                expect(git(origin, "log", "-1", "--format=%s", "slots/release-job-5")).to.equal("Release staging-5 (JOB-5)");
            }
        });
        it("repoint --pr opens the pull request for the re-point, on its own branch", async () => {
            const app = appRepository();
            const { dir, origin } = stackClone();
            expect((await run(dir, ["claim", "--task", "JOB-4", "--owner", "alice", "--branch", "feature/login", "--slot", "4"], { env: pointAt(app.url) })).code).to.equal(0);
            git(dir, "commit", "-q", "-am", "claim");
            const next = pushCommit(app.work, "refs/heads/feature/login");
            const b = bin("logged-in");
            const r = await run(dir, ["repoint", "4", "--pr"], { env: { ...pointAt(app.url), ...IDENTITY, PATH: b.path } });
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.contain("Pull request: https://github.com/justapply/staging-slots/pull/42");
            expect(git(origin, "log", "-1", "--format=%s", "slots/repoint-job-4")).to.equal(`Re-point staging-4 for JOB-4 to feature/login @ ${next.slice(0, 7)}`);
            expect(claimsIn(git(origin, "show", "slots/repoint-job-4:Pulumi.staging.yaml"))["4"]).to.include({ task: "JOB-4", commit: next });
        });
        it("opens no pull request for an edit that changes nothing", async () => {
            const { dir, origin } = stackClone();
            const claim = ["claim", "--task", "JOB-4", "--owner", "alice", "--branch", "feature/login", "--slot", "4", "--commit", "0".repeat(40), "--long-running", "demo"];
            const env = { ...process.env, ...IDENTITY, GIT_SSH_COMMAND: "false" };
            expect((await run(dir, claim, { env })).code).to.equal(0);
            git(dir, "commit", "-q", "-am", "claim");
            const before = stackText(dir);
            const b = bin("logged-in");
            const r = await run(dir, ["extend", "4", "--long-running", "demo", "--pr"], { env: { ...env, PATH: b.path } });
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.contain("Pulumi.staging.yaml is unchanged; no pull request to open.");
            expect(stackText(dir)).to.equal(before);
            expect(git(dir, "branch", "--list", "slots/extend-job-4")).to.equal("");
            expect(git(origin, "branch", "--list", "slots/extend-job-4")).to.equal("");
            expect(existsSync(b.log), "gh was not run").to.equal(false);
        });
        it("refuses, before editing, a stack file with uncommitted changes and a branch that exists", async () => {
            const { dir } = stackClone();
            const env = { ...process.env, ...IDENTITY, GIT_SSH_COMMAND: "false" };
            writeFileSync(path.join(dir, "Pulumi.staging.yaml"), `${STACK_TEXT}# a note\n`);
            const dirty = await run(dir, ["claim", "--task", "JOB-1", "--owner", "a", "--branch", "b", "--commit", "0".repeat(40), "--pr"], { env });
            expect(dirty.code).to.equal(1);
            expect(dirty.stderr).to.match(/Pulumi\.staging\.yaml has uncommitted changes; --pr opens a pull request with this edit only: commit or stash them first/);
            expect(stackText(dir)).to.equal(`${STACK_TEXT}# a note\n`);
            git(dir, "checkout", "-q", "--", "Pulumi.staging.yaml");
            git(dir, "branch", "slots/claim-job-1");
            const exists = await run(dir, ["claim", "--task", "JOB-1", "--owner", "a", "--branch", "b", "--commit", "0".repeat(40), "--pr"], { env });
            expect(exists.code).to.equal(1);
            expect(exists.stderr).to.match(/branch slots\/claim-job-1 already exists; delete it \(git branch -D slots\/claim-job-1\)/);
            expect(stackText(dir)).to.equal(STACK_TEXT);
        });
    });
});

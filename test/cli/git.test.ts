// `slots claim` without --commit asks a real (local, bare) repository for the branch head, and
// `slots diff` reads a real git history. git's own `url.<base>.insteadOf` points the configured
// repository URL at the local one, so the stack file keeps its real-looking URL.

import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { describeNeeds } from "../helpers/tools";
import { bareRepository, git, pointAt } from "./gitRepos";
import { COMMIT, STACK_TEXT, claimArgs, run, stackText, tempProject } from "./harness";

describeNeeds(["git"], "slots command with git", () => {
    describe("claim without --commit", () => {
        const noCommit = ["claim", "--task", "JOB-1", "--owner", "alice"];
        it("writes the branch head from the configured repository", async () => {
            const remote = bareRepository();
            const dir = tempProject();
            const r = await run(dir, [...noCommit, "--branch", "feature/login"], { env: pointAt(remote.url) });
            expect(r.code, r.stderr).to.equal(0);
            expect(stackText(dir)).to.contain(`commit: "${remote.head}"`);
            expect(r.stdout).to.contain(`feature/login @ ${remote.head.slice(0, 7)}`);
        });
        it("refuses a branch the repository does not have, file untouched", async () => {
            const remote = bareRepository();
            const dir = tempProject();
            const r = await run(dir, [...noCommit, "--branch", "feature/nope"], { env: pointAt(remote.url) });
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/branch feature\/nope does not exist in git@github\.com:justapply\/job-search-project\.git; push it first .* or pass --commit SHA/);
            expect(stackText(dir)).to.equal(STACK_TEXT);
        });
        it("refuses when the repository cannot be reached, never guessing", async () => {
            const dir = tempProject();
            const r = await run(dir, [...noCommit, "--branch", "feature/login"], { env: pointAt(`file://${path.join(tmpdir(), "slots-no-such-repo.git")}`) });
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/^could not ask git@github\.com:justapply\/job-search-project\.git for the head of feature\/login: .+; check your access/);
            expect(stackText(dir)).to.equal(STACK_TEXT);
        });
        it("refuses a malformed branch before asking anyone", async () => {
            const dir = tempProject();
            const r = await run(dir, [...noCommit, "--branch=-upload-pack=x"], { env: pointAt("file:///nonexistent") });
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/branch "-upload-pack=x" /);
        });
    });

    describe("diff", () => {
        function history(): string {
            const dir = tempProject();
            git(dir, "init", "-q");
            git(dir, "add", "Pulumi.yaml", "Pulumi.staging.yaml");
            git(dir, "commit", "-q", "-m", "stack");
            return dir;
        }
        it("says nothing changed on a clean tree", async () => {
            const r = await run(history(), ["diff"]);
            expect(r).to.deep.equal({ code: 0, stdout: "No slot changes in Pulumi.staging.yaml since HEAD.\n", stderr: "" });
        });
        it("describes claims, releases and updates against HEAD and an older revision", async () => {
            const dir = history();
            expect((await run(dir, claimArgs("JOB-123", ["--slot", "4"]))).code).to.equal(0);
            expect((await run(dir, claimArgs("JOB-7", ["--slot", "7"]))).code).to.equal(0);
            expect((await run(dir, ["diff"])).stdout).to.equal(
                "staging-4: Available → In Use by alice for JOB-123, feature/login @ 0123456\n" +
                    "staging-7: Available → In Use by alice for JOB-7, feature/login @ 0123456\n",
            );
            git(dir, "commit", "-q", "-am", "claims");
            expect((await run(dir, ["release", "7"])).code).to.equal(0);
            expect((await run(dir, ["redeploy", "4"])).code).to.equal(0);
            const r = await run(dir, ["diff"]);
            expect(r.stdout).to.equal(
                "staging-4: In Use by alice for JOB-123; redeploy 0 → 1 (deploys feature/login @ 0123456 again)\n" +
                    "staging-7: In Use by alice for JOB-7 → Available\n",
            );
            const older = await run(dir, ["diff", "--base", "HEAD~1"]);
            expect(older.stdout).to.equal("staging-4: Available → In Use by alice for JOB-123, feature/login @ 0123456\n");
        });
        it("describes a handover and settings outside the claims, and prints JSON", async () => {
            const dir = history();
            expect((await run(dir, claimArgs("JOB-1", ["--slot", "4"]))).code).to.equal(0);
            git(dir, "commit", "-q", "-am", "claim");
            const text = stackText(dir).replace("owner: alice", "owner: bob").replace("task: JOB-1", "task: JOB-2").replace("LOG_LEVEL: info", "LOG_LEVEL: debug");
            writeFileSync(path.join(dir, "Pulumi.staging.yaml"), text);
            const r = await run(dir, ["diff"]);
            expect(r.stdout).to.equal(
                "staging-4: In Use by alice for JOB-1 → In Use by bob for JOB-2, feature/login @ 0123456 (new task: the deployment empties the slot's database first)\n" +
                    "Also changed outside the claims: staging-slots:appEnv; read the preview (slots plan) for their effect.\n",
            );
            writeFileSync(path.join(dir, "Pulumi.staging.yaml"), text.replace("  staging-slots:waitlist: []", "  staging-slots:databaseOnNewTask: keep\n  staging-slots:waitlist: []"));
            expect((await run(dir, ["diff"])).stdout.split("\n")[0]).to.equal("staging-4: In Use by alice for JOB-1 → In Use by bob for JOB-2, feature/login @ 0123456");
            writeFileSync(path.join(dir, "Pulumi.staging.yaml"), text);
            const json = JSON.parse((await run(dir, ["diff", "--json"])).stdout) as { base: string; changes: { slot: number; change: string; fields: string[]; after: { commit: string } }[]; otherKeys: string[] };
            expect(json.base).to.equal("HEAD");
            expect(json.changes).to.have.length(1);
            expect(json.changes[0]).to.include({ slot: 4, change: "updated" });
            expect(json.changes[0].fields).to.deep.equal(["owner", "task"]);
            expect(json.changes[0].after.commit).to.equal(COMMIT);
            expect(json.otherKeys).to.deep.equal(["staging-slots:appEnv"]);
        });
        it("treats a stack file that is new since the base as all new", async () => {
            const dir = history();
            writeFileSync(path.join(dir, "Pulumi.qa.yaml"), stackText(dir));
            expect((await run(dir, claimArgs("JOB-1", ["--stack", "qa"]))).code).to.equal(0);
            const r = await run(dir, ["diff", "--stack", "qa"]);
            expect(r.stdout).to.equal("Pulumi.qa.yaml is new since HEAD; every claim in it is new.\nstaging-1: Available → In Use by alice for JOB-1, feature/login @ 0123456\n");
        });
        it("refuses a revision that does not exist", async () => {
            const r = await run(history(), ["diff", "--base", "no-such-branch"]);
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/--base no-such-branch: no such commit/);
        });
        it("refuses outside a git repository", async () => {
            const r = await run(tempProject(), ["diff"]);
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/is not inside a git repository/);
        });
    });
});

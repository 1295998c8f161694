// Small robustness points of the edit path: a claim and its release give back the very bytes of
// any file style, a read-only file and odd lock files are explained, counters stay countable.

import { expect } from "chai";
import { chmodSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import * as path from "node:path";

import { COMMIT, STACK_TEXT, claimArgs, run, stackText, tempProject } from "./harness";

const dirs: string[] = [];
// A claim looks its commit up in the repository; unreachable here, it says so in a warning line.
const withoutWarnings = (stderr: string): string => stderr.split("\n").filter((l) => !l.startsWith("warning: ")).join("\n");
function project(text: string): string {
    const dir = tempProject(text);
    dirs.push(dir);
    return dir;
}

describe("slots edits: byte-identical round trips and honest refusals", () => {
    after(() => {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    const held = `{"2": {owner: bob, task: JOB-9, branch: main, commit: "${COMMIT}", claimedAt: "2026-11-23T10:00:00Z"}}`;
    const styles: Array<[string, string]> = [
        ["a CRLF file", STACK_TEXT.replace(/\n/g, "\r\n")],
        ["a file without a final newline", STACK_TEXT.replace(/\n$/, "")],
        ["a CRLF file without a final newline", STACK_TEXT.replace(/\n$/, "").replace(/\n/g, "\r\n")],
        ["a flow-style claims map that holds a claim", STACK_TEXT.replace("staging-slots:claims: {}", `staging-slots:claims: ${held}`)],
    ];
    for (const [name, text] of styles) {
        it(`claim then release leaves ${name} byte-identical`, async () => {
            const dir = project(text);
            const claimed = await run(dir, claimArgs("JOB-1", ["--slot", "4"]));
            expect(claimed.code, claimed.stderr).to.equal(0);
            const during = stackText(dir);
            expect(during).to.include("JOB-1");
            if (text.includes("\r\n")) expect(during.replace(/\r\n/g, "")).to.not.include("\n");
            expect((await run(dir, ["check"])).code).to.equal(0);
            const released = await run(dir, ["release", "4"]);
            expect(released.code, released.stderr).to.equal(0);
            expect(Buffer.from(stackText(dir))).to.deep.equal(Buffer.from(text));
        });
    }

    it("refuses to edit a read-only stack file instead of replacing it", async () => {
        const dir = project(STACK_TEXT);
        const file = path.join(dir, "Pulumi.staging.yaml");
        chmodSync(file, 0o444);
        const r = await run(dir, claimArgs("JOB-1"));
        expect(r.code).to.equal(1);
        expect(withoutWarnings(r.stderr)).to.equal("Pulumi.staging.yaml is read-only (mode 444); nothing was written. If you mean to edit it, make it writable first: chmod u+w Pulumi.staging.yaml\n");
        expect(readFileSync(file, "utf8")).to.equal(STACK_TEXT);
        expect(statSync(file).mode & 0o777).to.equal(0o444);
    });

    it("explains an empty lock file and how to remove it", async () => {
        const dir = project(STACK_TEXT);
        const lock = path.join(dir, "Pulumi.staging.yaml.lock");
        writeFileSync(lock, "");
        const old = new Date(Date.now() - 60_000);
        utimesSync(lock, old, old);
        const r = await run(dir, claimArgs("JOB-1"));
        expect(r.code).to.equal(1);
        expect(withoutWarnings(r.stderr)).to.equal(`Pulumi.staging.yaml.lock is empty or not a lock this command wrote (a slots command stopped while taking it?); nothing was written. If no slots command is running, remove it and try again: rm ${JSON.stringify(lock)}\n`);
        expect(stackText(dir)).to.equal(STACK_TEXT);
    });

    it("explains a lock left by another host and how to remove it", async () => {
        const dir = project(STACK_TEXT);
        const lock = path.join(dir, "Pulumi.staging.yaml.lock");
        writeFileSync(lock, JSON.stringify({ pid: 4242, host: "build-runner-7", at: "2026-11-23T09:00:00Z", token: "t" }));
        const old = new Date(Date.now() - 3600_000);
        utimesSync(lock, old, old);
        const r = await run(dir, claimArgs("JOB-1"));
        expect(r.code).to.equal(1);
        expect(withoutWarnings(r.stderr)).to.match(/^Pulumi\.staging\.yaml\.lock is held by process 4242 on another host, build-runner-7 \(since 2026-11-23T09:00:00Z\), whose processes this machine cannot see; nothing was written\. If no slots command is running there, remove it and try again: rm ".*Pulumi\.staging\.yaml\.lock"\n$/);
        expect(stackText(dir)).to.equal(STACK_TEXT);
    });

    it("refuses a redeploy counter that a bump would no longer change", async () => {
        const top = Number.MAX_SAFE_INTEGER;
        const text = STACK_TEXT.replace(
            "staging-slots:claims: {}",
            `staging-slots:claims:\n    "4":\n      owner: a\n      task: JOB-1\n      branch: main\n      commit: "${COMMIT}"\n      claimedAt: "2026-11-23T10:00:00Z"\n      redeploy: ${top}`,
        );
        const dir = project(text);
        expect((await run(dir, ["check"])).code).to.equal(0);
        const r = await run(dir, ["redeploy", "4"]);
        expect(r.code).to.equal(1);
        expect(r.stderr).to.contain(`staging-4 redeploy: redeploy number ${top + 1} is too large to count up from (at most ${top}); set it back to 0`);
        expect(stackText(dir)).to.equal(text);
        const beyond = project(text.replace(`redeploy: ${top}`, "redeploy: 9007199254740993"));
        const c = await run(beyond, ["check"]);
        expect(c.code).to.equal(1);
        expect(c.stderr).to.match(/staging-4 redeploy: redeploy number 9007199254740992 is too large to count up from/);
    });

    it("one slot per task also for a spelling of the task held", async () => {
        const dir = project(STACK_TEXT);
        expect((await run(dir, claimArgs("JOB-1"))).code).to.equal(0);
        const again = await run(dir, ["claim", "--task", "job-1", "--owner", "bob", "--branch", "main", "--commit", COMMIT]);
        expect(again.code).to.equal(1);
        expect(withoutWarnings(again.stderr)).to.match(/^task job-1 already holds staging-1 \(alice for JOB-1/);
        const released = await run(dir, ["release", "--task", "Job-1"]);
        expect(released.code, released.stderr).to.equal(0);
        expect(stackText(dir)).to.equal(STACK_TEXT);
    });
});

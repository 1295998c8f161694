// The waitlist and expiry through the `slots` command: queueing on a full pool, promotion on
// release (per pool, in queue order, skipping a waiter whose branch is gone), unwait, list, expire
// and check --strict. Run in process on temporary stack files; a refused command leaves the file
// byte for byte, and edits that undo each other give the file back byte for byte.

import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { parseDocument } from "yaml";

import { describeNeeds } from "../helpers/tools";
import { bareRepository, git, pointAt, pushCommit } from "./gitRepos";
import { COMMIT, Run, STACK_TEXT, run, stackText, tempProject } from "./harness";

/** The project's stack file with a small qa pool, so two claims fill it. */
const SMALL = STACK_TEXT.replace("qa: [1, 2, 3, 4, 5, 6, 7, 8, 9]", "qa: [1, 2]");
const OTHER = "fedcba9876543210fedcba9876543210fedcba98";
const LATER = new Date("2026-11-23T15:00:00Z");

function claim(task: string, extra: readonly string[] = []): string[] {
    return ["claim", "--task", task, "--owner", "alice", "--branch", "feature/login", "--commit", COMMIT, ...extra];
}
function wait(task: string, extra: readonly string[] = []): string[] {
    return ["claim", "--task", task, "--owner", "bob", "--branch", "feature/search", "--wait", ...extra];
}

interface Config {
    claims: Record<string, Record<string, unknown>>;
    waitlist: Record<string, unknown>[];
}
function config(text: string): Config {
    const c = (parseDocument(text).toJS() as { config: Record<string, unknown> }).config;
    return { claims: (c["staging-slots:claims"] ?? {}) as Config["claims"], waitlist: (c["staging-slots:waitlist"] ?? []) as Config["waitlist"] };
}
const tasks = (text: string): Record<string, string> => Object.fromEntries(Object.entries(config(text).claims).map(([s, c]) => [s, String(c.task)]));
const queue = (text: string): string[] => config(text).waitlist.map((w) => String(w.task));

async function project(setup: readonly (readonly string[])[], text = SMALL, env?: Record<string, string | undefined>): Promise<string> {
    const dir = tempProject(text);
    for (const argv of setup) {
        const r = await run(dir, argv, env ? { env } : {});
        expect(r.code, `setup ${argv.join(" ")}: ${r.stderr}`).to.equal(0);
    }
    return dir;
}

function refused(r: Run, dir: string, before: string): void {
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(r.stderr, "no stack trace").not.to.match(/\n\s+at /);
    expect(stackText(dir), "the file is untouched").to.equal(before);
}

const FULL = [claim("JOB-1"), claim("JOB-2")];

describe("slots waitlist", () => {
    describe("a full pool", () => {
        const cases: { name: string; setup: string[][]; ahead: number }[] = [
            { name: "nobody waiting", setup: FULL, ahead: 0 },
            { name: "two waiting for it and one for another pool", setup: [...FULL, claim("REL-1", ["--pool", "staging"]), wait("JOB-3", ["--commit", COMMIT]), wait("REL-2", ["--pool", "staging", "--commit", COMMIT]), wait("JOB-4", ["--commit", COMMIT])], ahead: 2 },
        ];
        for (const c of cases) {
            it(`without --wait refuses, saying how many are ahead (${c.name})`, async () => {
                const dir = await project(c.setup);
                const before = stackText(dir);
                const r = await run(dir, claim("JOB-9"));
                refused(r, dir, before);
                expect(r.stderr).to.contain(`pool qa has no free slot; add --wait to queue; ${c.ahead} ahead of you`);
            });
        }
        it("with --wait appends to the waitlist in field order, asking no repository, and says the position", async () => {
            const dir = await project([...FULL, wait("JOB-3", ["--commit", OTHER, "--purpose", "QA for PR #3"])]);
            const r = await run(dir, wait("JOB-4"), { now: LATER });
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.contain("Pool qa is full: JOB-4 joined its waitlist at position 2; when a slot of qa is released, the first waiter takes it in the same edit.");
            const w = config(stackText(dir)).waitlist;
            expect(w).to.deep.equal([
                { owner: "bob", task: "JOB-3", branch: "feature/search", commit: OTHER, purpose: "QA for PR #3", pool: "qa", requestedAt: "2026-11-23T12:00:00Z" },
                { owner: "bob", task: "JOB-4", branch: "feature/search", pool: "qa", requestedAt: "2026-11-23T15:00:00Z" },
            ]);
            expect(stackText(dir)).to.contain(`commit: "${OTHER}"`).and.to.contain('requestedAt: "2026-11-23T15:00:00Z"');
        });
        it("with --wait and a free slot claims it", async () => {
            const dir = await project([claim("JOB-1")]);
            const r = await run(dir, [...claim("JOB-2"), "--wait"]);
            expect(r.code, r.stderr).to.equal(0);
            expect(tasks(stackText(dir))).to.deep.equal({ "1": "JOB-1", "2": "JOB-2" });
            expect(queue(stackText(dir))).to.deep.equal([]);
        });
        const refusals: { name: string; setup: string[][]; argv: string[]; says: RegExp }[] = [
            { name: "a task that already waits", setup: [...FULL, wait("JOB-3", ["--commit", COMMIT])], argv: wait("JOB-3", ["--commit", COMMIT]), says: /task JOB-3 already waits for pool qa since 2026-11-23T12:00:00Z/ },
            { name: "a task that holds a slot", setup: FULL, argv: wait("JOB-1", ["--commit", COMMIT]), says: /task JOB-1 already holds staging-1 .*a task either holds a slot or waits/ },
            { name: "--wait with --slot", setup: FULL, argv: wait("JOB-3", ["--slot", "1"]), says: /leave out --slot/ },
            { name: "a waiter with a bad commit", setup: FULL, argv: wait("JOB-3", ["--commit", "abc"]), says: /waitlist\[0\]\.commit: commit "abc" is not a full 40-character/ },
        ];
        for (const c of refusals) {
            it(`refuses ${c.name}, file untouched`, async () => {
                const dir = await project(c.setup);
                const before = stackText(dir);
                const r = await run(dir, c.argv);
                expect(r.code, r.stdout + r.stderr).to.be.oneOf([1, 2]);
                expect(r.stderr).to.match(c.says);
                expect(stackText(dir)).to.equal(before);
            });
        }
        it("a waiting task that finds a free slot claims it and leaves the queue", async () => {
            const dir = await project([...FULL, wait("JOB-3", ["--commit", COMMIT]), ["release", "2", "--no-promote"]]);
            const r = await run(dir, claim("JOB-3"));
            expect(r.code, r.stderr).to.equal(0);
            expect(tasks(stackText(dir))).to.deep.equal({ "1": "JOB-1", "2": "JOB-3" });
            expect(queue(stackText(dir))).to.deep.equal([]);
        });
    });

    describe("the queue goes first", () => {
        // Slot 2 left free by a release that promoted nobody, while JOB-3 and then JOB-4 wait.
        const owed = [...FULL, wait("JOB-3", ["--commit", COMMIT]), wait("JOB-4", ["--commit", OTHER]), ["release", "2", "--no-promote"]];
        const refusals: { name: string; argv: string[]; says: RegExp[] }[] = [
            {
                name: "a claim of the lowest free slot",
                argv: claim("JOB-5"),
                says: [/^pool qa has 1 free slot \(staging-2\) and 2 tasks waiting for it ahead of you; the queue goes first:$/m, /^ {2}1\. JOB-3 \(bob, feature\/search\), waiting since 2026-11-23T12:00:00Z$/m, /^ {2}2\. JOB-4 /m, /^slots promote moves the waiters into the free slots \(a waiter whose branch is gone stays queued until slots unwait --task T\); add --wait to queue behind them; or, for what cannot wait, claim anyway with --ahead-of-queue and say why in the pull request$/m],
            },
            { name: "a claim of the free slot by number", argv: claim("JOB-5", ["--slot", "2"]), says: [/^pool qa has 1 free slot \(staging-2\) and 2 tasks waiting/m, /; leave out --slot and add --wait to queue behind them;/] },
            { name: "the second waiter's own claim: one task is ahead of it", argv: claim("JOB-4"), says: [/^pool qa has 1 free slot \(staging-2\) and 1 task waiting for it ahead of you/m, /^ {2}1\. JOB-3 /m] },
        ];
        for (const c of refusals) {
            it(`refuses ${c.name}, naming the waiters ahead; file untouched`, async () => {
                const dir = await project(owed);
                const before = stackText(dir);
                const r = await run(dir, c.argv);
                refused(r, dir, before);
                for (const re of c.says) expect(r.stderr).to.match(re);
                expect(r.stderr).not.to.match(/^ {2}\d\. JOB-4 .*\n.*JOB-4/m);
            });
        }
        it("the first waiter takes the slot it is owed, and leaves the queue", async () => {
            const dir = await project(owed);
            const r = await run(dir, claim("JOB-3"));
            expect(r.code, r.stderr).to.equal(0);
            expect(tasks(stackText(dir))).to.deep.equal({ "1": "JOB-1", "2": "JOB-3" });
            expect(queue(stackText(dir))).to.deep.equal(["JOB-4"]);
        });
        it("--wait queues behind the waiters instead", async () => {
            const dir = await project(owed);
            const r = await run(dir, wait("JOB-5", ["--commit", COMMIT]));
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.match(/JOB-5 joined its waitlist at position 3/);
            expect(tasks(stackText(dir))).to.deep.equal({ "1": "JOB-1" });
            expect(queue(stackText(dir))).to.deep.equal(["JOB-3", "JOB-4", "JOB-5"]);
        });
        it("--ahead-of-queue takes the slot, says whom it passed, and leaves the queue as it was", async () => {
            const dir = await project(owed);
            const r = await run(dir, claim("JOB-5", ["--ahead-of-queue"]));
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.match(/^Claimed staging-2 for JOB-5 ahead of the queue \(owed to JOB-3, waiting since 2026-11-23T12:00:00Z\): https:\/\/staging-2\./m);
            expect(tasks(stackText(dir))).to.deep.equal({ "1": "JOB-1", "2": "JOB-5" });
            expect(queue(stackText(dir))).to.deep.equal(["JOB-3", "JOB-4"]);
        });
        it("--wait with --ahead-of-queue is a usage error", async () => {
            const dir = await project(owed);
            const before = stackText(dir);
            const r = await run(dir, wait("JOB-5", ["--ahead-of-queue"]));
            expect(r.code).to.equal(2);
            expect(r.stderr).to.contain("--wait joins the queue and --ahead-of-queue passes it; give one of them");
            expect(stackText(dir)).to.equal(before);
        });
        it("more free slots than waiters: the rest are anybody's", async () => {
            const dir = await project([...FULL, wait("JOB-3", ["--commit", COMMIT]), ["release", "1", "--no-promote"], ["release", "2", "--no-promote"]]);
            // slots list and a claim of slot 1 agree: the first waiter is owed the lowest free slot, as promote would give it.
            expect((await run(dir, ["list"])).stdout).to.contain("Free while tasks wait for them: staging-1; slots promote moves the waiters in.");
            const owed = await run(dir, claim("JOB-5", ["--slot", "1"]));
            expect(owed.code).to.equal(1);
            expect(owed.stderr).to.match(/^staging-1 is owed to JOB-3 \(bob, feature\/search\), waiting for pool qa since 2026-11-23T12:00:00Z; the queue goes first\. Free for you: staging-2 \(leave out --slot to take the lowest\)$/m);
            const r = await run(dir, claim("JOB-5"));
            expect(r.code, r.stderr).to.equal(0);
            expect(tasks(stackText(dir))).to.deep.equal({ "2": "JOB-5" });
            // Now one slot is free and one task waits: that one is owed.
            const before = stackText(dir);
            refused(await run(dir, claim("JOB-6")), dir, before);
        });
        it("overlapping pools: a slot that a waiter of another pool is owed is refused, as promote would give it to that waiter", async () => {
            const overlapping = SMALL.replace("qa: [1, 2]", "qa: [1, 2]\n    hotfix: [2]");
            const dir = await project([...FULL, wait("HOT-1", ["--pool", "hotfix", "--commit", COMMIT]), ["release", "2", "--no-promote"]], overlapping);
            const before = stackText(dir);
            const r = await run(dir, claim("JOB-5"));
            refused(r, dir, before);
            expect(r.stderr).to.match(/^pool qa has 1 free slot \(staging-2\) and 1 task waiting for it ahead of you; the queue goes first:\n {2}1\. HOT-1 \(bob, feature\/search\), waiting for pool hotfix since /m);
            expect((await run(dir, ["promote"])).code).to.equal(0);
            expect(tasks(stackText(dir))).to.deep.equal({ "1": "JOB-1", "2": "HOT-1" });
        });
        it("waiters of another pool do not hold back this pool's free slot", async () => {
            const dir = await project([...FULL, claim("REL-1", ["--pool", "staging"]), wait("REL-2", ["--pool", "staging", "--commit", COMMIT]), ["release", "2"]]);
            const r = await run(dir, claim("JOB-5"));
            expect(r.code, r.stderr).to.equal(0);
            expect(tasks(stackText(dir))).to.deep.equal({ "1": "JOB-1", "2": "JOB-5", "10": "REL-1" });
        });
    });

    it("claims without git installed: no base branch to ask, the commit not verified, the claim written", async () => {
        const dir = await project([]);
        const r = await run(dir, claim("JOB-1"), { env: { PATH: "/nonexistent" } });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.match(/^warning: --commit: .*not verified/m);
        expect(tasks(stackText(dir))).to.deep.equal({ "1": "JOB-1" });
    });

    describe("promote", () => {
        const owed = [...FULL, wait("JOB-3", ["--commit", COMMIT]), wait("JOB-4", ["--commit", OTHER]), ["release", "2", "--no-promote"]];
        it("moves the first waiter into the free slot, as a release would, and a second run has nothing to do", async () => {
            const dir = await project(owed);
            const r = await run(dir, ["promote"], { now: LATER });
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.match(/^Promoted JOB-3 \(bob\) from the waitlist into staging-2: feature\/search @ 0123456$/m);
            expect(r.stdout).to.match(/staging-2: Available → In Use by bob for JOB-3, feature\/search @ 0123456/);
            expect(config(stackText(dir)).claims["2"]).to.include({ task: "JOB-3", owner: "bob", commit: COMMIT, claimedAt: "2026-11-23T15:00:00Z" });
            expect(queue(stackText(dir))).to.deep.equal(["JOB-4"]);
            const after = stackText(dir);
            const again = await run(dir, ["promote"], { now: LATER });
            expect(again.code).to.equal(0);
            expect(again.stdout).to.equal("No slot of a pool with waiters is free; nothing to promote.\n");
            expect(stackText(dir)).to.equal(after);
        });
        const idle: { name: string; setup: string[][]; says: string }[] = [
            {
                name: "fills only its own pool's slots: a staging waiter never takes a qa slot",
                setup: [...FULL, claim("REL-1", ["--pool", "staging"]), wait("REL-2", ["--pool", "staging", "--commit", COMMIT]), ["release", "2"]],
                says: "No slot of a pool with waiters is free; nothing to promote.\n",
            },
            { name: "with an empty waitlist says so", setup: [claim("JOB-1")], says: "The waitlist is empty; nothing to promote.\n" },
        ];
        for (const c of idle) {
            it(`${c.name}, and writes nothing`, async () => {
                const dir = await project(c.setup);
                const before = stackText(dir);
                const r = await run(dir, ["promote"]);
                expect(r.code).to.equal(0);
                expect(r.stdout).to.equal(c.says);
                expect(stackText(dir)).to.equal(before);
            });
        }
        it("wait, release --no-promote and promote give the file of a release with promotion", async () => {
            const promoted = await project(owed);
            expect((await run(promoted, ["promote"], { now: LATER })).code).to.equal(0);
            const released = await project([...FULL, wait("JOB-3", ["--commit", COMMIT]), wait("JOB-4", ["--commit", OTHER])]);
            expect((await run(released, ["release", "2"], { now: LATER })).code).to.equal(0);
            expect(stackText(promoted)).to.equal(stackText(released));
        });
    });

    describe("release promotes", () => {
        const queued = [
            ...FULL,
            claim("REL-1", ["--pool", "staging"]),
            wait("REL-2", ["--pool", "staging", "--commit", OTHER]),
            wait("JOB-3", ["--commit", OTHER]),
            wait("JOB-4", ["--commit", COMMIT]),
        ];
        const cases: { name: string; argv: string[]; claims: Record<string, string>; queue: string[]; stdout: RegExp[] }[] = [
            {
                name: "the first waiter of the slot's pool, not the first of the queue",
                argv: ["release", "2"],
                claims: { "1": "JOB-1", "2": "JOB-3", "10": "REL-1" },
                queue: ["REL-2", "JOB-4"],
                stdout: [/^Released staging-2\.$/m, /Promoted JOB-3 \(bob\) from the waitlist into staging-2: feature\/search @ fedcba9/, /staging-2: In Use by alice for JOB-2 → In Use by bob for JOB-3, feature\/search @ fedcba9/],
            },
            {
                name: "the next waiter on the next release",
                argv: ["release", "--task", "JOB-1"],
                claims: { "1": "JOB-3", "2": "JOB-2", "10": "REL-1" },
                queue: ["REL-2", "JOB-4"],
                stdout: [/Promoted JOB-3/],
            },
            {
                name: "the staging waiter into the staging slot",
                argv: ["release", "10"],
                claims: { "1": "JOB-1", "2": "JOB-2", "10": "REL-2" },
                queue: ["JOB-3", "JOB-4"],
                stdout: [/Promoted REL-2 \(bob\) from the waitlist into staging-10/],
            },
            {
                name: "nobody with --no-promote",
                argv: ["release", "2", "--no-promote"],
                claims: { "1": "JOB-1", "10": "REL-1" },
                queue: ["REL-2", "JOB-3", "JOB-4"],
                stdout: [/Released staging-2; its database is kept\./],
            },
        ];
        for (const c of cases) {
            it(c.name, async () => {
                const dir = await project(queued);
                const r = await run(dir, c.argv, { now: LATER });
                expect(r.code, r.stderr).to.equal(0);
                for (const re of c.stdout) expect(r.stdout).to.match(re);
                expect(tasks(stackText(dir))).to.deep.equal(c.claims);
                expect(queue(stackText(dir))).to.deep.equal(c.queue);
            });
        }
        it("still releases a claim that has a problem, promoting nobody from a file with problems", async () => {
            const dir = await project([...FULL, wait("JOB-3", ["--commit", OTHER])]);
            const broken = stackText(dir).replace(`commit: "${COMMIT}"\n      claimedAt`, 'commit: "abc"\n      claimedAt');
            writeFileSync(`${dir}/Pulumi.staging.yaml`, broken);
            const r = await run(dir, ["release", "1"]);
            expect(r.code, r.stderr).to.equal(0);
            expect(tasks(stackText(dir))).to.deep.equal({ "2": "JOB-2" });
            expect(queue(stackText(dir))).to.deep.equal(["JOB-3"]);
        });
        it("writes the promoted claim with the waiter's fields, the time of the release and the pool", async () => {
            const dir = await project([...queued, ["release", "10"]]);
            expect(config(stackText(dir)).claims["10"]).to.deep.equal({
                owner: "bob", task: "REL-2", branch: "feature/search", commit: OTHER, claimedAt: "2026-11-23T12:00:00Z", pool: "staging",
            });
        });
        it("gives a promoted claim an expiry when maxClaimHours is set", async () => {
            const text = SMALL.replace("  staging-slots:waitlist: []", "  staging-slots:maxClaimHours: 48\n  staging-slots:waitlist: []");
            const dir = await project([...FULL, wait("JOB-3", ["--commit", OTHER]), ["release", "1"]], text);
            expect(config(stackText(dir)).claims["1"]).to.include({ task: "JOB-3", expiresAt: "2026-11-25T12:00:00Z" });
        });
        it("gives back the file byte for byte after wait, promotion and release", async () => {
            const dir = await project([...FULL, wait("JOB-3", ["--commit", OTHER]), ["release", "1"], ["release", "1"], ["release", "2"]]);
            expect(stackText(dir)).to.equal(SMALL);
        });
        it("keeps comments and every line outside the claims and the waitlist", async () => {
            const dir = await project([...FULL, wait("JOB-3", ["--commit", OTHER]), ["release", "1"]]);
            const lines = stackText(dir).split("\n");
            for (const line of SMALL.split("\n").filter((l) => !/staging-slots:(claims|waitlist)/.test(l))) expect(lines).to.include(line);
        });
    });

    describe("unwait", () => {
        it("removes the task's entry and gives back the file byte for byte", async () => {
            const dir = await project([...FULL]);
            const before = stackText(dir);
            for (const argv of [wait("JOB-3", ["--commit", COMMIT]), wait("JOB-4", ["--commit", OTHER])]) expect((await run(dir, argv)).code).to.equal(0);
            const r = await run(dir, ["unwait", "--task", "JOB-3"]);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.contain("JOB-3 (bob) left the waitlist of pool qa.");
            expect(queue(stackText(dir))).to.deep.equal(["JOB-4"]);
            expect((await run(dir, ["unwait", "--task", "JOB-4"])).code).to.equal(0);
            expect(stackText(dir)).to.equal(before);
        });
        it("finds the task in any case, as claim --wait does", async () => {
            const dir = await project([...FULL, wait("JOB-3", ["--commit", COMMIT])]);
            const r = await run(dir, ["unwait", "--task", "job-3"]);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.contain("JOB-3 (bob) left the waitlist of pool qa.");
            expect(queue(stackText(dir))).to.deep.equal([]);
        });
        it("refuses a task that does not wait, file untouched", async () => {
            const dir = await project(FULL);
            const before = stackText(dir);
            const r = await run(dir, ["unwait", "--task", "JOB-9"]);
            refused(r, dir, before);
            expect(r.stderr).to.contain("task JOB-9 is not on the waitlist");
        });
        it("without --task is a usage error", async () => {
            const r = await run(await project([]), ["unwait"]);
            expect(r.code).to.equal(2);
            expect(r.stderr).to.match(/missing --task/);
        });
    });

    describe("list", () => {
        it("shows the queue with positions in the queue and in the pool", async () => {
            const dir = await project([...FULL, claim("REL-1", ["--pool", "staging"]), wait("JOB-3", ["--commit", OTHER]), wait("REL-2", ["--pool", "staging"]), wait("JOB-4")]);
            const r = await run(dir, ["list"], { now: LATER });
            expect(r.stdout).to.contain("Waitlist (3; the first of a pool takes its next released slot):");
            expect(r.stdout).to.contain("  1. qa #1: JOB-3 (bob), feature/search @ fedcba9, waiting 3h 0m");
            expect(r.stdout).to.contain("  2. staging #1: REL-2 (bob), feature/search, waiting 3h 0m");
            expect(r.stdout).to.contain("  3. qa #2: JOB-4 (bob), feature/search, waiting 3h 0m");
            const json = JSON.parse((await run(dir, ["list", "--json"], { now: LATER })).stdout) as { waitlist: Record<string, unknown>[] };
            expect(json.waitlist[2]).to.deep.equal({
                position: 3, poolPosition: 2, owner: "bob", task: "JOB-4", branch: "feature/search", commit: null, purpose: null, pool: "qa", requestedAt: "2026-11-23T12:00:00Z", waitingSeconds: 10800,
            });
        });
        it("names the free slots that waiters are owed, and how to move them in", async () => {
            const dir = await project([...FULL, wait("JOB-3", ["--commit", COMMIT]), ["release", "2", "--no-promote"]]);
            const r = await run(dir, ["list"]);
            expect(r.code).to.equal(0);
            expect(r.stdout).to.match(/\nFree while tasks wait for them: staging-2; slots promote moves the waiters in\.\n$/);
            expect((await run(dir, ["promote"])).code).to.equal(0);
            expect((await run(dir, ["list"])).stdout).not.to.contain("Free while tasks wait");
        });
        it("says the waitlist is empty", async () => {
            expect((await run(await project([]), ["list"])).stdout).to.contain("Waitlist: empty.");
        });
    });

    describe("expiry", () => {
        const MAX = SMALL.replace("  staging-slots:waitlist: []", "  staging-slots:maxClaimHours: 24\n  staging-slots:waitlist: []");
        it("claim --until writes expiresAt, as a time or a duration", async () => {
            const dir = await project([claim("JOB-1", ["--until", "2026-11-24T09:00:00Z"]), claim("JOB-2", ["--until", "36h"])]);
            const c = config(stackText(dir)).claims;
            expect(c["1"].expiresAt).to.equal("2026-11-24T09:00:00Z");
            expect(c["2"].expiresAt).to.equal("2026-11-25T00:00:00Z");
            expect(stackText(dir)).to.contain('expiresAt: "2026-11-24T09:00:00Z"');
        });
        it("maxClaimHours gives every new claim an expiry", async () => {
            const dir = await project([claim("JOB-1")], MAX);
            const r = await run(dir, claim("JOB-2"));
            expect(r.stdout).to.contain("Claimed staging-2 for JOB-2: https://staging-2.justapply.net (expires 2026-11-24T12:00:00Z)");
            expect(config(stackText(dir)).claims["1"].expiresAt).to.equal("2026-11-24T12:00:00Z");
        });
        const bad: { name: string; text: string; until: string; says: RegExp }[] = [
            { name: "beyond maxClaimHours", text: MAX, until: "3d", says: /--until 2026-11-26T12:00:00Z is beyond maxClaimHours \(24h, until 2026-11-24T12:00:00Z\)/ },
            { name: "in the past", text: SMALL, until: "2026-11-23T11:00:00Z", says: /is not in the future/ },
            { name: "that is neither a time nor a duration", text: SMALL, until: "friday", says: /--until "friday" is not a UTC date or time/ },
        ];
        for (const c of bad) {
            it(`claim --until refuses a time ${c.name}, file untouched`, async () => {
                const dir = await project([], c.text);
                const before = stackText(dir);
                const r = await run(dir, claim("JOB-1", ["--until", c.until]));
                refused(r, dir, before);
                expect(r.stderr).to.match(c.says);
            });
        }
        it("expire releases every claim past its expiry, promotes waiters and says what it did", async () => {
            const dir = await project([claim("JOB-1", ["--until", "2h"]), claim("JOB-2", ["--until", "5h"]), claim("REL-1", ["--pool", "staging", "--until", "1h"]), wait("JOB-3", ["--commit", OTHER])]);
            const r = await run(dir, ["expire", "--now", "2026-11-23T14:30:00Z"]);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout.split("\n").slice(0, 3)).to.deep.equal([
                "Released staging-1: alice for JOB-1 expired at 2026-11-23T14:00:00Z",
                "Released staging-10: alice for REL-1 expired at 2026-11-23T13:00:00Z",
                "Promoted JOB-3 (bob) from the waitlist into staging-1: feature/search @ fedcba9",
            ]);
            expect(tasks(stackText(dir))).to.deep.equal({ "1": "JOB-3", "2": "JOB-2" });
            expect(queue(stackText(dir))).to.deep.equal([]);
        });
        it("expire with nothing expired writes nothing", async () => {
            const dir = await project([claim("JOB-1", ["--until", "2h"])]);
            const before = stackText(dir);
            const r = await run(dir, ["expire"]);
            expect(r).to.include({ code: 0 });
            expect(r.stdout).to.equal("No claim has expired at 2026-11-23T12:00:00Z; nothing to release.\n");
            expect(stackText(dir)).to.equal(before);
        });
        it("expire --now with a bad time is a usage error", async () => {
            const r = await run(await project([]), ["expire", "--now", "soon"]);
            expect(r.code).to.equal(2);
            expect(r.stderr).to.match(/--now "soon" is not a UTC time/);
        });
        it("list marks an expired claim", async () => {
            const dir = await project([claim("JOB-1", ["--until", "2h"])]);
            const r = await run(dir, ["list"], { now: LATER });
            expect(r.stdout).to.match(/staging-1 +In Use \(expired\) +alice/);
        });
    });
});

describeNeeds(["git"], "slots waitlist with git", () => {
    function remote(): { env: Record<string, string | undefined>; head: string } {
        const { url, work } = bareRepository();
        return { env: pointAt(url), head: pushCommit(work, "refs/heads/feature/search") };
    }

    it("promotes a waiter without a commit at its branch head", async () => {
        const { env, head } = remote();
        const dir = await project([...FULL, wait("JOB-3")]);
        const r = await run(dir, ["release", "1"], { env });
        expect(r.code, r.stderr).to.equal(0);
        expect(config(stackText(dir)).claims["1"]).to.include({ task: "JOB-3", commit: head });
    });
    it("skips a waiter whose branch is gone, with a note, and promotes the next; the skipped one stays queued", async () => {
        const { env } = remote();
        const gone = ["claim", "--task", "JOB-3", "--owner", "bob", "--branch", "feature/deleted", "--wait"];
        const dir = await project([...FULL, gone, wait("JOB-4", ["--commit", OTHER])]);
        const r = await run(dir, ["release", "2"], { env });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain("Skipped JOB-3 (bob) for staging-2: branch feature/deleted no longer exists in the repository; it stays queued");
        expect(r.stdout).to.contain("Promoted JOB-4 (bob) from the waitlist into staging-2");
        expect(tasks(stackText(dir))).to.deep.equal({ "1": "JOB-1", "2": "JOB-4" });
        expect(queue(stackText(dir))).to.deep.equal(["JOB-3"]);
    });
    it("promote with only a waiter whose branch is gone promotes nobody and writes nothing", async () => {
        const { env } = remote();
        const gone = ["claim", "--task", "JOB-3", "--owner", "bob", "--branch", "feature/deleted", "--wait"];
        const dir = await project([...FULL, gone, ["release", "2", "--no-promote"]]);
        expect(queue(stackText(dir))).to.deep.equal(["JOB-3"]);
        const before = stackText(dir);
        const r = await run(dir, ["promote"], { env });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal(
            "Skipped JOB-3 (bob) for staging-2: branch feature/deleted no longer exists in the repository; it stays queued (slots unwait --task JOB-3 leaves the queue)\nNobody could be promoted; the stack file is unchanged.\n",
        );
        expect(stackText(dir)).to.equal(before);
    });
    it("diff describes the queue: who joins where, who is promoted, who leaves, a new order; never as a setting outside the claims", async () => {
        const dir = await project([...FULL, claim("REL-1", ["--pool", "staging"]), wait("JOB-3", ["--commit", OTHER]), wait("JOB-4"), wait("JOB-5", ["--commit", COMMIT])]);
        git(dir, "init", "-q");
        git(dir, "add", ".");
        git(dir, "commit", "-q", "-m", "stack");
        for (const argv of [["release", "1"], ["unwait", "--task", "JOB-4"], wait("JOB-6", ["--pool", "staging", "--commit", COMMIT]), wait("JOB-7", ["--commit", OTHER])]) {
            expect((await run(dir, argv)).code, argv.join(" ")).to.equal(0);
        }
        const r = await run(dir, ["diff"]);
        expect(r.stdout.split("\n").filter((l) => l.startsWith("waitlist:"))).to.deep.equal([
            "waitlist: JOB-6 (bob) joins the queue for pool staging at position 1, feature/search @ 0123456",
            "waitlist: JOB-7 (bob) joins the queue for pool qa at position 2, feature/search @ fedcba9",
            "waitlist: JOB-3 leaves the queue: promoted into staging-1",
            "waitlist: JOB-4 (bob) leaves the queue",
        ]);
        expect(r.stdout).to.not.contain("outside the claims");
        git(dir, "commit", "-q", "-am", "queue");
        const text = stackText(dir);
        const entry = (t: string) => text.slice(text.indexOf(`    - owner: bob\n      task: ${t}\n`)).split(/\n(?=    - )/)[0].replace(/\n?$/, "\n");
        const [five, six] = [entry("JOB-5"), entry("JOB-6")];
        writeFileSync(`${dir}/Pulumi.staging.yaml`, text.replace(five + six, six + five));
        expect((await run(dir, ["diff"])).stdout).to.contain("waitlist: reordered: JOB-6, JOB-5, JOB-7");
    });

    it("diff names a new claim that takes a slot the queue was owed, and not the first waiter's own", async () => {
        const dir = await project([...FULL, wait("JOB-3", ["--commit", COMMIT]), ["release", "2", "--no-promote"]]);
        git(dir, "init", "-q");
        git(dir, "add", ".");
        git(dir, "commit", "-q", "-m", "stack");
        const before = stackText(dir);
        expect((await run(dir, claim("JOB-5", ["--ahead-of-queue"]))).code).to.equal(0);
        const jumped = await run(dir, ["diff", "--base", "HEAD"]);
        expect(jumped.stdout).to.contain("staging-2: taken ahead of the queue: it was owed to JOB-3 (bob), waiting for pool qa since 2026-11-23T12:00:00Z; the pull request should say why\n");
        const json = JSON.parse((await run(dir, ["diff", "--base", "HEAD", "--json"])).stdout) as { aheadOfQueue: string[] };
        expect(json.aheadOfQueue).to.have.length(1);
        writeFileSync(`${dir}/Pulumi.staging.yaml`, before);
        expect((await run(dir, claim("JOB-3"))).code).to.equal(0);
        const own = await run(dir, ["diff", "--base", "HEAD"]);
        expect(own.stdout).to.contain("staging-2: Available → In Use by alice for JOB-3");
        expect(own.stdout).not.to.contain("ahead of the queue");
    });
    it("check --strict --base holds a warning about the host settings against a host change only, not against a claim", async () => {
        const wide = SMALL.replace("    - 203.0.113.0/24\n", "    - 0.0.0.0/2\n");
        const dir = await project([], wide);
        git(dir, "init", "-q");
        git(dir, "add", ".");
        git(dir, "commit", "-q", "-m", "stack");
        const strict = ["check", "--strict", "--offline", "--base", "HEAD"];
        expect((await run(dir, ["check", "--strict", "--offline"])).code, "without --base every warning counts").to.equal(1);
        expect((await run(dir, claim("JOB-1"))).code).to.equal(0);
        const claimOnly = await run(dir, strict);
        expect(claimOnly.code, claimOnly.stderr).to.equal(0);
        expect(claimOnly.stderr).to.match(/^warning: .*adminCidrs\[0\]: "0\.0\.0\.0\/2" lets 1,073,741,824 addresses reach SSH/m);
        writeFileSync(`${dir}/Pulumi.staging.yaml`, stackText(dir).replace("  staging-slots:region: nyc3\n", "  staging-slots:region: nyc3\n  staging-slots:deployTimeoutSeconds: 900\n"));
        const hostChange = await run(dir, strict);
        expect(hostChange.code, hostChange.stderr).to.equal(1);
        expect(hostChange.stderr).to.match(/^Pulumi\.staging\.yaml:\d+: staging-slots:adminCidrs\[0\]: "0\.0\.0\.0\/2" lets/m);
    });
    it("check --strict fails on an expired claim only when the change touches it (--base)", async () => {
        const dir = await project([claim("JOB-1", ["--until", "2h"]), claim("JOB-2")]);
        git(dir, "init", "-q");
        git(dir, "add", ".");
        git(dir, "commit", "-q", "-m", "stack");
        const strict = ["check", "--strict", "--base", "HEAD"];
        const untouched = await run(dir, strict, { now: LATER });
        expect(untouched.code, untouched.stderr).to.equal(0);
        expect(untouched.stderr).to.match(/^warning: Pulumi\.staging\.yaml:\d+: staging-1 expiresAt: claimed by alice for JOB-1, expired at 2026-11-23T14:00:00Z/);
        expect((await run(dir, ["check", "--strict"], { now: LATER })).code).to.equal(1);
        expect((await run(dir, ["redeploy", "1"])).code).to.equal(0);
        const touched = await run(dir, strict, { now: LATER });
        expect(touched.code).to.equal(1);
        expect(touched.stderr).to.match(/^Pulumi\.staging\.yaml:\d+: staging-1 expiresAt: /);
    });
});

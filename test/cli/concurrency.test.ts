// Claims from separate processes at the same moment: each lands or fails cleanly, and the file is
// never corrupted. Runs the real executable, so this also proves cli/bin.js works unbuilt.

import { expect } from "chai";
import { parseDocument } from "yaml";

import { COMMIT, run, runProcess, stackText, tempProject } from "./harness";

function claimedSlots(text: string): string[] {
    const js = parseDocument(text).toJS() as { config: Record<string, Record<string, unknown>> };
    return Object.keys(js.config["staging-slots:claims"] ?? {});
}

describe("slots command: concurrent claims from separate processes", function () {
    this.timeout(120_000);

    it("claims of different slots all land", async () => {
        const dir = tempProject();
        const slots = [1, 2, 3, 4, 5, 6];
        const results = await Promise.all(
            slots.map((n) => runProcess(dir, ["claim", "--task", `JOB-${n}`, "--owner", `owner${n}`, "--branch", "feature/x", "--commit", COMMIT, "--slot", String(n)])),
        );
        for (const r of results) expect(r.code, r.stderr).to.equal(0);
        expect(claimedSlots(stackText(dir))).to.deep.equal(slots.map(String));
        expect((await run(dir, ["check"], { now: new Date() })).code).to.equal(0);
    });

    it("of two claims on one slot, one lands and the other is refused naming the holder", async () => {
        const dir = tempProject();
        const results = await Promise.all(
            ["JOB-1", "JOB-2", "JOB-3"].map((task) => runProcess(dir, ["claim", "--task", task, "--owner", task.toLowerCase(), "--branch", "b", "--commit", COMMIT, "--slot", "4"])),
        );
        const codes = results.map((r) => r.code).sort();
        expect(codes).to.deep.equal([0, 1, 1]);
        const winner = results.find((r) => r.code === 0);
        const task = /for (JOB-[123])/.exec(winner?.stdout ?? "")?.[1];
        for (const r of results.filter((x) => x.code === 1)) expect(r.stderr).to.match(new RegExp(`staging-4 is held by job-\\d for ${task}`));
        expect(claimedSlots(stackText(dir))).to.deep.equal(["4"]);
        expect((await run(dir, ["check"], { now: new Date() })).code).to.equal(0);
    });

    it("claims without --slot each get their own slot", async () => {
        const dir = tempProject();
        const results = await Promise.all([1, 2, 3, 4].map((n) => runProcess(dir, ["claim", "--task", `JOB-${n}`, "--owner", "o", "--branch", "b", "--commit", COMMIT])));
        for (const r of results) expect(r.code, r.stderr).to.equal(0);
        expect(claimedSlots(stackText(dir))).to.deep.equal(["1", "2", "3", "4"]);
    });
});

// How long `slots check --strict` takes on a 100-slot stack file with every slot claimed: its own
// work in process (read, parse, validate, locate problems), and the whole executable end to end.
// Run: npx tsx test/cli/bench-check.ts
// A script rather than a timed test: timings depend on the machine, a test must not.

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as path from "node:path";

import { cli } from "../../cli/index";
import { ROOT, STACK_TEXT, tempProject } from "./harness";

function hundredSlotStack(): string {
    const claims = Array.from({ length: 100 }, (_, i) => {
        const n = i + 1;
        return [
            `    "${n}":`,
            `      owner: owner-${n}`,
            `      task: JOB-${1000 + n}`,
            `      branch: feature/task-${n}`,
            `      commit: "${n.toString(16).padStart(40, "0")}"`,
            `      purpose: QA for PR ${n}`,
            `      claimedAt: "2026-11-23T10:00:00Z"`,
            ...(n === 100 ? ["      pool: staging"] : []),
        ].join("\n");
    });
    return STACK_TEXT.replace("staging-slots:slotCount: 10", "staging-slots:slotCount: 100")
        .replace("qa: [1, 2, 3, 4, 5, 6, 7, 8, 9]", `qa: [${Array.from({ length: 99 }, (_, i) => i + 1).join(", ")}]`)
        .replace("staging: [10]", "staging: [100]")
        .replace("staging-slots:claims: {}", `staging-slots:claims:\n${claims.join("\n")}`);
}

async function main(): Promise<void> {
    const dir = tempProject();
    writeFileSync(path.join(dir, "Pulumi.staging.yaml"), hundredSlotStack());
    const now = new Date("2026-11-23T12:00:00Z");
    let out = "";
    const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (out += t), cwd: dir, env: {}, isTTY: false, now: () => now };
    const first = await cli(["check", "--strict", "--offline"], io);
    if (first !== 0) throw new Error(`check failed on the benchmark file:\n${out}`);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
        const start = process.hrtime.bigint();
        await cli(["check", "--strict", "--offline"], io);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];

    const start = process.hrtime.bigint();
    const child = spawnSync(process.execPath, [path.join(ROOT, "cli", "bin.js"), "check", "--strict", "--offline"], { cwd: dir, encoding: "utf8" });
    const wall = Number(process.hrtime.bigint() - start) / 1e6;
    process.stdout.write(
        `slots check --strict, 100 slots all claimed (${out.trim().split("\n")[0]})\n` +
            `  own work in process: median ${median.toFixed(1)} ms, fastest ${times[0].toFixed(1)} ms, slowest ${times[times.length - 1].toFixed(1)} ms (30 runs after one warm-up)\n` +
            `  whole executable (node start, TypeScript transpile, check): ${wall.toFixed(0)} ms, exit ${child.status}\n`,
    );
}

main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});

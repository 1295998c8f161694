// `npm run bench`: how the offline evaluation scales with the pool, every slot claimed, for 10,
// 50 and 100 slots, measured side by side (rounds interleave the sizes so machine noise hits all
// of them alike). Two measurements, two gates:
//  - end to end, as `npm run plan` costs a user (a fresh process: load, validate, evaluate,
//    print): 100 slots must take at most 5x the time of 10;
//  - in process, the evaluation alone: the time per resource at 100 slots must stay within 1.5x
//    of that at 10, i.e. the program's own cost grows no faster than linearly.
// A third pool, 100 slots spread over 10 hosts (`staging-slots:hosts`), is measured the same way
// and gated end to end against 10 slots on one host: at most 5x.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";

import { evaluate } from "./recorder";
import { EngineConfig, parseStackConfig } from "./stackFile";

const SIZES = [10, 50, 100] as const;
/** The multi-host pool: 100 slots, ten to a host. */
const SPREAD = { slots: 100, hosts: 10 } as const;
const SPREAD_STACK = `bench${SPREAD.slots}x${SPREAD.hosts}`;
const ROUNDS = 5;
const END_TO_END_LIMIT = 5;
const PER_RESOURCE_LIMIT = 1.5;
const NOW = new Date("2026-11-23T12:00:00Z");

/**
 * The stack file text of a pool of `n` slots, every slot claimed (the last from the staging pool);
 * with `hosts` > 1, the slots are spread over that many hosts in consecutive runs.
 */
export function benchStackFile(n: number, hosts = 1): string {
    const claims: Record<string, unknown> = {};
    for (let slot = 1; slot <= n; slot++) {
        claims[String(slot)] = {
            owner: `owner-${slot}`,
            task: `JOB-${slot}`,
            branch: `feature/slot-${slot}`,
            commit: slot.toString(16).padStart(40, "0"),
            purpose: "benchmark",
            claimedAt: "2026-11-23T10:00:00Z",
            ...(slot === n && n > 1 ? { pool: "staging" } : {}),
        };
    }
    return stringify({
        config: {
            "staging-slots:domain": "justapply.net",
            "staging-slots:slotCount": n,
            "staging-slots:repository": "git@github.com:justapply/job-search-project.git",
            "staging-slots:adminCidrs": ["203.0.113.0/24"],
            "staging-slots:deployPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBench deploy@bench",
            "staging-slots:deployPrivateKey": { secure: "v1:bench" },
            "staging-slots:claims": claims,
            ...(hosts > 1 ? { "staging-slots:hosts": spreadHosts(n, hosts) } : {}),
        },
    });
}

function spreadHosts(n: number, hosts: number): Record<string, { slots: number[] }> {
    const per = Math.ceil(n / hosts);
    const out: Record<string, { slots: number[] }> = {};
    for (let h = 0; h < hosts; h++) {
        const slots = Array.from({ length: Math.min(per, n - h * per) }, (_, i) => h * per + i + 1);
        if (slots.length > 0) out[h === 0 ? "staging" : `staging-h${h + 1}`] = { slots };
    }
    return out;
}

/** The engine config of `benchStackFile(n)`. */
export function benchConfig(n: number): EngineConfig {
    return parseStackConfig(benchStackFile(n), `Pulumi.bench${n}.yaml`);
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

function endToEnd(dir: string, stack: string): number {
    const start = performance.now();
    const run = spawnSync(
        process.execPath,
        ["-r", require.resolve("tsx/cjs"), path.join(__dirname, "plan.ts"), "--stack", stack],
        { cwd: dir, encoding: "utf8" },
    );
    const ms = performance.now() - start;
    if (run.status !== 0) throw new Error(`plan of ${stack} failed:\n${run.stderr}`);
    return ms;
}

async function main(): Promise<number> {
    const dir = mkdtempSync(path.join(tmpdir(), "staging-slots-bench-"));
    try {
        for (const n of SIZES) writeFileSync(path.join(dir, `Pulumi.bench${n}.yaml`), benchStackFile(n));
        writeFileSync(path.join(dir, `Pulumi.${SPREAD_STACK}.yaml`), benchStackFile(SPREAD.slots, SPREAD.hosts));
        const spreadConfig = parseStackConfig(benchStackFile(SPREAD.slots, SPREAD.hosts), `Pulumi.${SPREAD_STACK}.yaml`);
        const spreadE2e: number[] = [];
        const spreadInProcess: number[] = [];
        let spreadTotal = 0;
        const e2e = new Map<number, number[]>(SIZES.map((n) => [n, []]));
        const inProcess = new Map<number, number[]>(SIZES.map((n) => [n, []]));
        const perSlot = new Map<number, number>();
        const total = new Map<number, number>();
        // One unmeasured round warms up module loading and the JIT.
        for (const n of SIZES) await evaluate(benchConfig(n), { now: NOW });
        for (let round = 0; round < ROUNDS; round++) {
            for (const n of SIZES) {
                (e2e.get(n) as number[]).push(endToEnd(dir, `bench${n}`));
                const config = benchConfig(n);
                const start = performance.now();
                const ev = await evaluate(config, { now: NOW });
                (inProcess.get(n) as number[]).push(performance.now() - start);
                if (ev.error) throw ev.error;
                perSlot.set(n, ev.resources.filter((r) => r.slot !== null).length / n);
                total.set(n, ev.resources.length);
            }
            spreadE2e.push(endToEnd(dir, SPREAD_STACK));
            const start = performance.now();
            const ev = await evaluate(spreadConfig, { now: NOW });
            spreadInProcess.push(performance.now() - start);
            if (ev.error) throw ev.error;
            spreadTotal = ev.resources.length;
        }
        const out = (s: string) => process.stdout.write(s);
        out("slots  resources  per slot  end-to-end ms  evaluation ms  evaluation us/resource\n");
        for (const n of SIZES) {
            const ev = median(inProcess.get(n) as number[]);
            out(
                `${String(n).padStart(5)}  ${String(total.get(n)).padStart(9)}  ${String(perSlot.get(n)).padStart(8)}  ` +
                    `${median(e2e.get(n) as number[]).toFixed(0).padStart(13)}  ${ev.toFixed(1).padStart(13)}  ` +
                    `${((ev * 1000) / (total.get(n) as number)).toFixed(0).padStart(22)}\n`,
            );
        }
        out(
            `${`${SPREAD.slots}/${SPREAD.hosts}h`.padStart(5)}  ${String(spreadTotal).padStart(9)}  ${"".padStart(8)}  ` +
                `${median(spreadE2e).toFixed(0).padStart(13)}  ${median(spreadInProcess).toFixed(1).padStart(13)}  ` +
                `${((median(spreadInProcess) * 1000) / spreadTotal).toFixed(0).padStart(22)}\n`,
        );
        const e2eRatio = median(e2e.get(100) as number[]) / median(e2e.get(10) as number[]);
        const spreadRatio = median(spreadE2e) / median(e2e.get(10) as number[]);
        const spreadOk = spreadRatio <= END_TO_END_LIMIT;
        const perResource = (n: number) => median(inProcess.get(n) as number[]) / (total.get(n) as number);
        const resourceRatio = perResource(100) / perResource(10);
        const e2eOk = e2eRatio <= END_TO_END_LIMIT;
        const linearOk = resourceRatio <= PER_RESOURCE_LIMIT;
        out(`end to end: 100 slots take ${e2eRatio.toFixed(2)}x the time of 10 (limit ${END_TO_END_LIMIT}x): ${e2eOk ? "ok" : "TOO SLOW"}\n`);
        out(`in process: time per resource at 100 slots is ${resourceRatio.toFixed(2)}x that at 10 (limit ${PER_RESOURCE_LIMIT}x): ${linearOk ? "ok" : "SUPERLINEAR"}\n`);
        out(`several hosts: ${SPREAD.slots} slots over ${SPREAD.hosts} hosts take ${spreadRatio.toFixed(2)}x the time of 10 slots on one host (limit ${END_TO_END_LIMIT}x): ${spreadOk ? "ok" : "TOO SLOW"}\n`);
        return e2eOk && linearOk && spreadOk ? 0 : 1;
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (e: unknown) => {
            process.stderr.write(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
            process.exit(3);
        },
    );
}

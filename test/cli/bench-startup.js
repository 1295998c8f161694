#!/usr/bin/env node
// Benchmark: how long `npx slots list` takes from start to exit, against its budget (300 ms on a
// 2-core machine). Plain JavaScript, so that it measures every way of running the TypeScript
// sources the same way. Run: npm run bench:startup [-- --runs N] [--budget-ms MS]
//
// It also times `node cli/bin.js list` (the command without npx's own start-up) and prints the
// machine's load, because a busy machine makes every number larger.
"use strict";

const { spawnSync } = require("node:child_process");
const os = require("node:os");
const path = require("node:path");
const { parseArgs } = require("node:util");

const root = path.join(__dirname, "..", "..");
const { values } = parseArgs({
    options: { runs: { type: "string", default: "10" }, "budget-ms": { type: "string", default: "300" } },
});
const runs = Number(values.runs);
const budget = Number(values["budget-ms"]);
if (!Number.isInteger(runs) || runs < 1 || !(budget > 0)) {
    process.stderr.write("usage: bench-startup.js [--runs N] [--budget-ms MS]\n");
    process.exit(2);
}

function time(command, args) {
    const samples = [];
    // One warm-up run fills the file system cache, as a user's second command would find it.
    for (let i = 0; i <= runs; i++) {
        const start = process.hrtime.bigint();
        const result = spawnSync(command, args, { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        if (result.status !== 0) {
            process.stderr.write(`${command} ${args.join(" ")} exited with ${result.status}:\n${result.stderr}`);
            process.exit(1);
        }
        if (i > 0) samples.push(ms);
    }
    samples.sort((a, b) => a - b);
    return { median: samples[Math.floor(samples.length / 2)], min: samples[0], max: samples[samples.length - 1] };
}

function line(label, t) {
    return `${label.padEnd(26)} median ${t.median.toFixed(0).padStart(5)} ms   min ${t.min.toFixed(0).padStart(5)} ms   max ${t.max.toFixed(0).padStart(5)} ms`;
}

const npx = time("npx", ["--no-install", "slots", "list"]);
const bin = time(process.execPath, [path.join(root, "cli", "bin.js"), "list"]);
process.stdout.write(
    `node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}, ${runs} runs each\n` +
        `${line("npx slots list", npx)}\n${line("node cli/bin.js list", bin)}\n`,
);
if (npx.median > budget) {
    process.stdout.write(`FAIL: npx slots list takes ${npx.median.toFixed(0)} ms (median), over its ${budget} ms budget\n`);
    process.exit(1);
}
process.stdout.write(`ok: npx slots list within its ${budget} ms budget\n`);

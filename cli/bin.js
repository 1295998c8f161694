#!/usr/bin/env node
// The `slots` executable: runs the TypeScript sources directly (no build step). tsx compiles each
// file with esbuild on first use and caches the result, so a second run starts from the cache;
// it only strips types: `npm test` and `npm run typecheck` are where types are checked. Only its
// `require` hook: the commands loaded on demand are required too (cli/index.ts), and the ESM
// hook's loader thread would cost every command about 30 ms of start-up.
"use strict";

const path = require("node:path");

// V8 keeps the code it compiles for each module (tsx's output included) in a cache on disk that
// Node manages (os.tmpdir()/node-compile-cache), so the next command skips that work.
require("node:module").enableCompileCache?.();

// A fresh clone (a pre-commit hook before anyone ran npm ci) has no node_modules: say so in one
// line instead of a stack trace.
function load() {
    try {
        // The plain JavaScript packages every command loads are required before tsx's hook, which
        // would otherwise look at each of their files and double their load time. Only a matter
        // of speed: a package missing here still loads, through the hook.
        for (const dependency of ["yaml", "fastest-levenshtein", "ip-address"]) require(dependency);
        require("tsx/cjs/api").register();
        return require("./index.ts");
    } catch (error) {
        if (error && error.code === "MODULE_NOT_FOUND" && /node_modules|Cannot find module '(?!\.)/.test(String(error.message))) {
            process.stderr.write(`slots: the project's dependencies are not installed; run npm ci first (in ${path.resolve(__dirname, "..")})\n`);
            process.exit(1);
        }
        throw error;
    }
}

const { cli, projectRoot } = load();

const io = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: projectRoot(process.cwd()),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
    columns: process.stdout.columns,
    now: () => new Date(),
};

cli(process.argv.slice(2), io).then(
    (code) => {
        process.exitCode = code;
    },
    (error) => {
        process.stderr.write(`slots: internal error (please report it): ${error && error.stack ? error.stack : String(error)}\n`);
        process.exitCode = 3;
    },
);

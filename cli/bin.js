#!/usr/bin/env node
// The `slots` executable: runs the TypeScript sources directly (no build step). tsx compiles each
// file with esbuild on first use and caches the result, so a second run starts from the cache;
// it only strips types: `npm test` and `npm run typecheck` are where types are checked. Both of
// its hooks: `require` for the static imports, `import()` for the commands loaded on demand.
"use strict";

const path = require("node:path");

// A fresh clone (a pre-commit hook before anyone ran npm ci) has no node_modules: say so in one
// line instead of a stack trace.
function load() {
    try {
        require("tsx/cjs/api").register();
        require("tsx/esm/api").register();
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

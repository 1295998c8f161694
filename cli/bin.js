#!/usr/bin/env node
// The `slots` executable: runs the TypeScript sources directly (no build step), with the project's
// own compiler settings wherever the command is started from.
"use strict";

const path = require("node:path");

// A fresh clone (a pre-commit hook before anyone ran npm ci) has no node_modules: say so in one
// line instead of a stack trace.
function load() {
    try {
        require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
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

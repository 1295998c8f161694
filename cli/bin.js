#!/usr/bin/env node
// The `slots` executable: runs the TypeScript sources directly (no build step), with the project's
// own compiler settings wherever the command is started from.
"use strict";

const path = require("node:path");

require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });

const { cli, projectRoot } = require("./index.ts");

const io = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: projectRoot(process.cwd()),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
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

// A throwaway git repository holding a stack file, for commands that compare the working tree
// against a revision (`slots plan --base`, `slots guard --base`), and an Io that records output.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";

import { Io } from "../../cli/io";
import { NOW } from "../helpers/config";

/** Stack file text for plain values (keys without the project prefix) plus the deploy key as a secure value. */
export function stackYaml(values: Record<string, unknown>): string {
    const config: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(values)) config[`staging-slots:${k}`] = v;
    config["staging-slots:deployPrivateKey"] = { secure: "v1:test-only-ciphertext" };
    return stringify({ config });
}

export class StackRepo {
    readonly dir: string;

    constructor() {
        this.dir = mkdtempSync(path.join(os.tmpdir(), "slots-plan-"));
        this.git("init", "-q", "-b", "main");
        this.git("config", "user.email", "test@example.com");
        this.git("config", "user.name", "test");
        this.git("config", "commit.gpgsign", "false");
    }

    git(...args: string[]): string {
        return execFileSync("git", args, { cwd: this.dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    }

    /** Writes Pulumi.staging.yaml in the working tree. */
    write(values: Record<string, unknown>, file = "Pulumi.staging.yaml"): void {
        writeFileSync(path.join(this.dir, file), stackYaml(values));
    }

    /** Writes and commits the stack file; returns the commit. */
    commit(values: Record<string, unknown>, message = "stack"): string {
        this.write(values);
        this.git("add", "Pulumi.staging.yaml");
        this.git("commit", "-q", "-m", message);
        return this.git("rev-parse", "HEAD").trim();
    }

    remove(): void {
        rmSync(this.dir, { recursive: true, force: true });
    }
}

/** An Io writing into strings, with the tests' fixed clock. */
export function captureIo(cwd: string): { io: Io; stdout: () => string; stderr: () => string } {
    const out: string[] = [];
    const err: string[] = [];
    return {
        io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd, env: {}, isTTY: false, now: () => NOW },
        stdout: () => out.join(""),
        stderr: () => err.join(""),
    };
}

/** What one in-process command run printed. */
export interface CommandRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs a `slots` command function (e.g. planCommand, guardCommand) in `dir` with the tests' clock. */
export async function runCommand(command: (argv: string[], io: Io) => Promise<number>, dir: string, argv: string[]): Promise<CommandRun> {
    const cap = captureIo(dir);
    const code = await command(argv, cap.io);
    return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

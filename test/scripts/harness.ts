// Runs a slot's deploy and release commands the way the droplet does: the exact command text and
// stdin the program hands to remote.Command (captured from an offline evaluation), executed with
// bash in a temporary folder standing in for /home/deploy, with the docker stand-in first on PATH.

import { ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";

import { probe } from "../../cli/probe";
import { evaluate } from "../../offline/recorder";
import { NOW, baseValues, claim, engineConfig } from "../helpers/config";

/** The docker stand-in's folder; goes first on PATH. */
export const STANDIN_BIN = path.join(__dirname, "..", "fixtures", "bin");

/** What the program hands to one slot's remote.Command. */
export interface SlotCommand {
    readonly create: string;
    readonly stdin: string;
    readonly delete: string;
}

/**
 * Evaluates the real program with `claims` (slot → claim overrides) on top of the test base
 * config and `values` (and `secrets`, default the deploy key only), and returns each claimed
 * slot's command. Throws the program's error.
 */
export async function slotCommands(
    claims: Record<string, Record<string, unknown>>,
    values: Record<string, unknown> = {},
    secrets?: Parameters<typeof engineConfig>[1],
): Promise<Map<number, SlotCommand>> {
    const claimMap = Object.fromEntries(Object.entries(claims).map(([slot, c]) => [slot, claim(c)]));
    const evaluation = await evaluate(engineConfig({ ...baseValues(), ...values, claims: claimMap }, secrets), { now: NOW });
    if (evaluation.error) throw evaluation.error;
    const out = new Map<number, SlotCommand>();
    for (const r of evaluation.resources) {
        if (r.type !== "command:remote:Command" || r.slot === null) continue;
        const { create, stdin, delete: del } = r.inputs;
        if (typeof create !== "string" || typeof stdin !== "string" || typeof del !== "string") {
            throw new Error(`slot ${r.slot}'s command has no create, stdin or delete text`);
        }
        out.set(r.slot, { create, stdin, delete: del });
    }
    return out;
}

/** The program's error for a config, or undefined when it evaluates. */
export async function programError(
    claims: Record<string, Record<string, unknown>>,
    values: Record<string, unknown> = {},
): Promise<string | undefined> {
    const claimMap = Object.fromEntries(Object.entries(claims).map(([slot, c]) => [slot, claim(c)]));
    const evaluation = await evaluate(engineConfig({ ...baseValues(), ...values, claims: claimMap }), { now: NOW });
    return evaluation.error?.message;
}

/** The outcome of one command run. */
export interface RunResult {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** Where one test's droplet lives. */
export interface Droplet {
    /** Stands in for /home/deploy. */
    readonly root: string;
    /** The docker stand-in's state: calls.log, events.log, pid files. */
    readonly state: string;
}

/** A fresh droplet folder under `parent`. */
export function newDroplet(parent: string): Droplet {
    const base = mkdtempSync(path.join(parent, "droplet-"));
    const root = path.join(base, "home-deploy");
    const state = path.join(base, "docker");
    mkdirSync(root);
    mkdirSync(state);
    return { root, state };
}

const running = new Set<ChildProcess>();

/** Kills every command `run` started that has not ended: a test that timed out leaves none behind. */
export function stopRuns(): void {
    for (const child of running) child.kill("SIGKILL");
    running.clear();
}

/**
 * Runs `text` as `bash -c text` with `stdin` piped, as remote.Command does over SSH. Killed after
 * `limitMs` so that a hanging script fails its test instead of the whole run.
 */
export function run(droplet: Droplet, text: string, stdin = "", env: Record<string, string> = {}, limitMs = 45_000): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn("bash", ["-c", text], {
            env: {
                ...process.env,
                PATH: `${STANDIN_BIN}${path.delimiter}${process.env.PATH ?? ""}`,
                STAGING_ROOT: droplet.root,
                DOCKER_STANDIN_STATE: droplet.state,
                STANDIN_NODE: process.execPath,
                STANDIN_NODE_PATH: path.join(__dirname, "..", "..", "node_modules"),
                ...env,
            },
            stdio: ["pipe", "pipe", "pipe"],
        });
        running.add(child);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            running.delete(child);
            resolve({ code, stdout, stderr });
        });
        child.stdin.end(stdin);
    });
}

/** The docker stand-in's recorded calls, one argument string per call. */
export function dockerCalls(droplet: Droplet): string[] {
    const file = path.join(droplet.state, "calls.log");
    return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** The docker stand-in's up-start / up-end / down events, in order. */
export function dockerEvents(droplet: Droplet): string[] {
    const file = path.join(droplet.state, "events.log");
    return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/**
 * The TLS settings of each `docker run` (psql), one line per run: `PGSSLMODE=… [PGSSLROOTCERT=…]`
 * as the container sees them, then ` -v SRC:DST:ro` for a mounted file.
 */
export function dockerRuns(droplet: Droplet): string[] {
    const file = path.join(droplet.state, "runs.log");
    return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** Stops every fixture server the stand-in started for this droplet. */
export function stopServers(droplet: Droplet): void {
    if (!existsSync(droplet.state)) return;
    for (const f of readdirSync(droplet.state)) {
        if (!f.endsWith(".pid")) continue;
        const pid = Number(readFileSync(path.join(droplet.state, f), "utf8").trim());
        try {
            if (pid > 0) process.kill(pid);
        } catch {
            // Already gone: `compose down` stopped it.
        }
    }
}

/**
 * GETs http://127.0.0.1:port/api/version with `slots status`'s own probe; the body, or undefined
 * when nothing answers. Not fetch: it refuses ports 5060 and 5061 (slots 60 and 61) unasked.
 */
export async function apiVersion(port: number): Promise<string | undefined> {
    // Generous: on a loaded machine the app may take a while to answer; a closed port fails at once.
    const result = await probe(`http://127.0.0.1:${port}/api/version`, 10_000);
    return result.kind === "answer" ? result.body : undefined;
}

/** Replaces the value of one `KEY=` line of a deploy stdin. */
export function withStdinLine(stdin: string, key: string, value: string): string {
    const lines = stdin.split("\n");
    const i = lines.findIndex((l) => l.startsWith(`${key}=`));
    if (i < 0) throw new Error(`no ${key}= line in the deploy stdin`);
    lines[i] = `${key}=${value}`;
    return lines.join("\n");
}

function portFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = createServer();
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
}

/**
 * `count` slots among `from`..`to` whose Campaign UI ports (5000 + N) are free on loopback, tried
 * in random order: another run of these tests on the same machine then most likely takes other
 * slots, and neither sees the other's fixture app.
 */
export async function freeSlots(count: number, from: number, to: number): Promise<number[]> {
    const candidates = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    for (let i = candidates.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
    }
    const chosen: number[] = [];
    for (const slot of candidates) {
        if (chosen.length === count) break;
        if (await portFree(5000 + slot)) chosen.push(slot);
    }
    if (chosen.length < count) throw new Error(`fewer than ${count} free loopback ports among ${5000 + from}..${5000 + to}`);
    return chosen.sort((a, b) => a - b);
}

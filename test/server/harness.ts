// The dashboard server against real git: a local bare repository plays the configured remote
// (holding Pulumi.yaml and a stack file), test/fixtures/gh/gh plays GitHub and records every pull
// request it is asked to open, and tokens are signed here with the server's secret.

import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import type { FastifyInstance } from "fastify";
import { SignJWT } from "jose";

import { buildServer, ServerOptions } from "../../server/app";
import { ROOT } from "../cli/harness";
import { NOW } from "../helpers/config";

/** The HMAC secret the test servers check tokens with. */
export const SECRET = "test-secret-for-the-dashboard-0123456789abcdef";

/** The token the stand-in gh must receive in its environment, never in its arguments. */
export const GH_TOKEN = "ghs_testTokenThatMustNeverBePrinted";

/** The folder of the recording stand-in for gh, put first on the server's PATH. */
export const FAKE_GH_DIR = path.join(ROOT, "test", "fixtures", "gh");

function git(cwd: string, ...args: string[]): string {
    return execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", ...args], {
        cwd,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
}

/** A bare remote whose main holds Pulumi.yaml and Pulumi.staging.yaml with `stackText`. */
export interface Remote {
    readonly root: string;
    readonly url: string;
    /** Every ref of the remote with its commit, as `git ls-remote` prints them. */
    refs(): string;
    /** The stack file on a branch of the remote. */
    fileAt(branch: string): string;
    /** Commits `text` as the stack file on main (as a merged pull request would). */
    commitOnMain(text: string, message: string): void;
    /** Moves main to `branch` (a merge without a merge commit). */
    fastForwardMain(branch: string): void;
    /** The pull requests the stand-in gh opened. */
    pullRequests(): Array<{ args: string[]; body: string; token: string; tokenInArgs: boolean; url: string }>;
    readonly recordFile: string;
    remove(): void;
}

export function createRemote(stackText: string): Remote {
    const root = mkdtempSync(path.join(tmpdir(), "slots-remote-"));
    const bare = path.join(root, "staging-slots.git");
    git(root, "init", "-q", "--bare", bare);
    const work = path.join(root, "work");
    git(root, "init", "-q", work);
    writeFileSync(path.join(work, "Pulumi.yaml"), readFileSync(path.join(ROOT, "Pulumi.yaml")));
    writeFileSync(path.join(work, "Pulumi.staging.yaml"), stackText);
    git(work, "add", ".");
    git(work, "commit", "-q", "-m", "stack");
    git(work, "push", "-q", bare, "HEAD:refs/heads/main");
    const recordFile = path.join(root, "gh-record.jsonl");
    return {
        root,
        url: `file://${bare}`,
        recordFile,
        refs: () => git(root, "ls-remote", bare),
        fileAt: (branch) => git(root, "--git-dir", bare, "show", `${branch}:Pulumi.staging.yaml`),
        commitOnMain: (text, message) => {
            git(work, "pull", "-q", "--ff-only", bare, "main");
            writeFileSync(path.join(work, "Pulumi.staging.yaml"), text);
            git(work, "commit", "-q", "-am", message);
            git(work, "push", "-q", bare, "HEAD:refs/heads/main");
        },
        fastForwardMain: (branch) => {
            git(root, "--git-dir", bare, "update-ref", "refs/heads/main", `refs/heads/${branch}`);
        },
        pullRequests: () =>
            existsSync(recordFile)
                ? readFileSync(recordFile, "utf8")
                      .split("\n")
                      .filter(Boolean)
                      .map((l) => JSON.parse(l))
                : [],
        remove: () => rmSync(root, { recursive: true, force: true }),
    };
}

/** Signs a token with `claims`, valid for an hour unless `exp` says otherwise. */
export async function token(claims: Record<string, unknown> = { admin: true }, options: { secret?: string; exp?: number | null; sub?: string } = {}): Promise<string> {
    let jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject(options.sub ?? "qa-tester").setIssuedAt();
    if (options.exp !== null) jwt = jwt.setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 3600);
    return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

/** A running test server and where it listens. */
export interface TestServer {
    readonly app: FastifyInstance;
    readonly url: string;
    close(): Promise<void>;
}

/** The environment a test server runs git and gh with: the stand-in gh first on PATH, its token and record file. */
export function serverEnv(remote: Remote, env: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    // As in the CLI's tests, ssh "fails" at once: no test reaches a real host.
    return { ...process.env, GIT_SSH_COMMAND: "false", PATH: `${FAKE_GH_DIR}${path.delimiter}${process.env.PATH ?? ""}`, GH_TOKEN, FAKE_GH_RECORD: remote.recordFile, ...env };
}

/** Starts the server on a free port against `remote`, with the stand-in gh. */
export async function startServer(remote: Remote, overrides: Partial<ServerOptions> = {}, env: Record<string, string | undefined> = {}): Promise<TestServer> {
    const app = await buildServer({
        stack: "staging",
        remote: { url: remote.url, baseBranch: "main", env: serverEnv(remote, env) },
        auth: { secret: SECRET },
        readAuth: "open",
        writesPerMinute: 1000,
        refreshSeconds: 0,
        now: () => NOW,
        ...overrides,
    });
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    return { app, url, close: () => app.close() };
}

/** What every refusal answers. */
export interface ErrorBody {
    readonly error: string;
    readonly lines: readonly string[];
}

/** One HTTP exchange, body parsed as JSON (of the type the caller expects) when it is JSON. */
export async function call<T = ErrorBody>(
    url: string,
    method: string,
    options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; json: T; text: string }> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !headers["content-type"]) headers["content-type"] = "application/json";
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    let json: T;
    try {
        json = JSON.parse(text) as T;
    } catch {
        json = undefined as T;
    }
    return { status: res.status, headers: res.headers, json, text };
}

/** `slots serve` started as a user starts it: the real executable, in its own process. */
export interface ServeProcess {
    readonly url: string;
    /** What it printed on stdout before it listened. */
    readonly stdout: string;
    /** Sends SIGTERM and answers the exit code and stderr. */
    stop(): Promise<{ code: number | null; stderr: string }>;
    /** Kills it if it still runs (for finally blocks). */
    kill(): void;
}

/** Spawns `slots serve --port 0 --remote URL ARGS…` in `cwd` and waits until it listens. */
export async function spawnServe(cwd: string, remote: Remote, args: readonly string[], env: Record<string, string | undefined> = {}): Promise<ServeProcess> {
    const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, "cli", "bin.js"), "serve", "--port", "0", "--remote", remote.url, ...args], {
        cwd,
        env: { ...process.env, SLOTS_JWT_SECRET: SECRET, ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    const kill = (): void => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    try {
        const url = await new Promise<string>((resolve, reject) => {
            child.stdout?.on("data", (d: Buffer) => {
                out += d.toString();
                const m = /at (http:\/\/127\.0\.0\.1:\d+)\/staging /.exec(out);
                if (m) resolve(m[1]);
            });
            child.on("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
        });
        return {
            url,
            stdout: out,
            stop: () =>
                new Promise((resolve) => {
                    child.on("exit", (code) => resolve({ code, stderr: err }));
                    child.kill("SIGTERM");
                }),
            kill,
        };
    } catch (e) {
        kill();
        throw e;
    }
}

// `slots serve` as a user starts it: usage and settings mistakes end with exit 2 or 1 and a
// sentence, and the real executable serves the dashboard until it is sent SIGTERM.

import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import * as path from "node:path";

import { expect } from "chai";

import { SERVE_HELP } from "../../cli/help";
import { ApiSlots } from "../../server/view";
import { ROOT, STACK_TEXT, run, tempProject } from "../cli/harness";
import { describeNeeds } from "../helpers/tools";
import { SECRET, call, createRemote } from "./harness";

describe("slots serve: starting", () => {
    const env = (extra: Record<string, string | undefined>): Record<string, string | undefined> => ({ ...process.env, SLOTS_JWT_SECRET: undefined, SLOTS_REMOTE: undefined, ...extra });
    const cases: ReadonlyArray<{ argv: string[]; env: Record<string, string | undefined>; code: number; stderr: RegExp }> = [
        { argv: [], env: { SLOTS_JWT_SECRET: SECRET }, code: 2, stderr: /^slots: which repository\? pass --remote URL \(or set SLOTS_REMOTE\)/ },
        { argv: ["--remote", "file:///nowhere.git"], env: {}, code: 1, stderr: /^writes need a way to check tokens: set SLOTS_JWT_SECRET/ },
        { argv: ["--remote", "file:///nowhere.git"], env: { SLOTS_JWT_SECRET: "short" }, code: 1, stderr: /^SLOTS_JWT_SECRET is shorter than 32 bytes/ },
        { argv: ["--remote", "file:///nowhere.git", "--read-auth", "maybe"], env: { SLOTS_JWT_SECRET: SECRET }, code: 2, stderr: /^slots: --read-auth is open or token, got "maybe"/ },
        { argv: ["--remote", "file:///nowhere.git", "--port", "99999"], env: { SLOTS_JWT_SECRET: SECRET }, code: 2, stderr: /^slots: --port must be a whole number from 0 to 65535/ },
        { argv: ["--remote", "file:///nowhere.git", "--github-repo", "not a repo"], env: { SLOTS_JWT_SECRET: SECRET }, code: 2, stderr: /^slots: --github-repo must be OWNER\/NAME/ },
        { argv: ["--remote", "--port"], env: { SLOTS_JWT_SECRET: SECRET }, code: 2, stderr: /^slots: Option '--remote' argument is ambiguous/ },
    ];
    for (const c of cases) {
        it(`${c.argv.join(" ") || "(no options)"}${c.env.SLOTS_JWT_SECRET === undefined ? ", no secret" : c.env.SLOTS_JWT_SECRET === SECRET ? "" : ", a short secret"} → exit ${c.code}`, async () => {
            const dir = tempProject();
            const r = await run(dir, ["serve", ...c.argv], { env: env(c.env) }).finally(() => rmSync(dir, { recursive: true, force: true }));
            expect(r.code).to.equal(c.code);
            expect(r.stderr).to.match(c.stderr);
            if (c.code === 2) expect(r.stderr).to.contain("\nUsage: slots serve --remote URL [--port 8080]");
            expect(r.stderr).not.to.contain("    at ");
        });
    }
    it("--help prints the usage", async () => {
        const dir = tempProject();
        const r = await run(dir, ["serve", "--help"]).finally(() => rmSync(dir, { recursive: true, force: true }));
        expect(r.code).to.equal(0);
        expect(r.stdout).to.equal(SERVE_HELP);
    });
});

describeNeeds(["git"], "slots serve: the executable", () => {
    it("serves the remote's slots until SIGTERM, then exits 0", async () => {
        const remote = createRemote(STACK_TEXT);
        const project = tempProject();
        const child = spawn(process.execPath, [path.join(ROOT, "cli", "bin.js"), "serve", "--port", "0", "--remote", remote.url], {
            cwd: project,
            env: { ...process.env, SLOTS_JWT_SECRET: SECRET },
            stdio: ["ignore", "pipe", "pipe"],
        });
        try {
            let out = "";
            let err = "";
            child.stderr.on("data", (d: Buffer) => (err += d.toString()));
            const url = await new Promise<string>((resolve, reject) => {
                child.stdout.on("data", (d: Buffer) => {
                    out += d.toString();
                    const m = /at (http:\/\/127\.0\.0\.1:\d+)\/staging /.exec(out);
                    if (m) resolve(m[1]);
                });
                child.on("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
            });
            expect(out).to.match(/^Staging Dashboard for stack staging at http:\/\/127\.0\.0\.1:\d+\/staging \(API: .*\/api\/staging\/slots\); pull requests go to main\. Stop with Ctrl-C\.\n$/);
            const r = await call<ApiSlots>(`${url}/api/staging/slots`, "GET");
            expect(r.status).to.equal(200);
            expect(r.json.slots).to.have.length(10);
            const code = await new Promise<number | null>((resolve) => {
                child.on("exit", resolve);
                child.kill("SIGTERM");
            });
            expect(code, err).to.equal(0);
        } finally {
            if (child.exitCode === null) child.kill("SIGKILL");
            remote.remove();
            rmSync(project, { recursive: true, force: true });
        }
    });
});

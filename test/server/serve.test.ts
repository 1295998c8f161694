// `slots serve` as a user starts it: usage and settings mistakes end with exit 2 or 1 and a
// sentence, and the real executable serves the dashboard until it is sent SIGTERM.

import { rmSync } from "node:fs";

import { expect } from "chai";

import { SERVE_HELP } from "../../cli/help";
import { ApiSlots } from "../../server/view";
import { STACK_TEXT, run, tempProject } from "../cli/harness";
import { describeNeeds } from "../helpers/tools";
import { Behaviour, useSlotServers } from "../cli/statusServers";
import { SECRET, ServeProcess, call, createRemote, spawnServe } from "./harness";

const OTHER = "fedcba9876543210fedcba9876543210fedcba98";

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
        { argv: ["--remote", "file:///nowhere.git", "--timeout", "0"], env: { SLOTS_JWT_SECRET: SECRET }, code: 2, stderr: /^slots: --timeout must be a number of seconds above 0 and at most 60, got "0"/ },
        { argv: ["--remote", "file:///nowhere.git", "--url-template", "http://127.0.0.1:{port}"], env: { SLOTS_JWT_SECRET: SECRET }, code: 2, stderr: /^slots: --url-template: unknown placeholder \{port\}/ },
        { argv: ["--remote", "file:///nowhere.git", "--live-seconds", "1.5"], env: { SLOTS_JWT_SECRET: SECRET }, code: 2, stderr: /^slots: --live-seconds must be a whole number from 0 to 3600/ },
        { argv: ["--remote", "file:///nowhere.git", "--no-live", "--timeout", "2"], env: { SLOTS_JWT_SECRET: SECRET }, code: 2, stderr: /^slots: --no-live turns probing off; leave out --url-template/ },
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
    const slotServers = useSlotServers(new Map<number, Behaviour>([[1, { kind: "commit", commit: OTHER }], [2, { kind: "free" }]]));

    it("serves the remote's slots with their live state until SIGTERM, then exits 0", async () => {
        const remote = createRemote(STACK_TEXT);
        const project = tempProject();
        let serve: ServeProcess | undefined;
        try {
            serve = await spawnServe(project, remote, ["--url-template", slotServers().template, "--timeout", "0.5"]);
            expect(serve.stdout).to.match(/^Staging Dashboard for stack staging at http:\/\/127\.0\.0\.1:\d+\/staging \(API: .*\/api\/staging\/slots\); pull requests go to main\. Stop with Ctrl-C\.\n$/);
            const r = await call<ApiSlots>(`${serve.url}/api/staging/slots`, "GET");
            expect(r.status).to.equal(200);
            expect(r.json.slots).to.have.length(10);
            // The options reach the prober: slot 1's stand-in answers with a commit nobody claimed.
            expect(r.json.slots.map((s) => s.live?.state)).to.deep.equal(["occupied", "free", "free", "free", "free", "free", "free", "free", "free", "free"]);
            expect(r.json.slots[0].live).to.deep.include({ commit_sha: OTHER, deployed_at: null, registry_read: false });
            const stopped = await serve.stop();
            expect(stopped.code, stopped.stderr).to.equal(0);
        } finally {
            serve?.kill();
            remote.remove();
            rmSync(project, { recursive: true, force: true });
        }
    });

    it("--no-live probes nothing: live is null", async () => {
        const remote = createRemote(STACK_TEXT);
        const project = tempProject();
        let serve: ServeProcess | undefined;
        try {
            serve = await spawnServe(project, remote, ["--no-live"]);
            const r = await call<ApiSlots>(`${serve.url}/api/staging/slots`, "GET");
            expect(r.json.slots.map((s) => s.live)).to.deep.equal(Array(10).fill(null));
            expect((await serve.stop()).code).to.equal(0);
        } finally {
            serve?.kill();
            remote.remove();
            rmSync(project, { recursive: true, force: true });
        }
    });
});

// git never blocks the dashboard server: a stand-in git first on PATH (test/fixtures/gated-git)
// holds every git call of the server until the test lets it go, and while each call waits the
// test asks the server for what needs no git. A git run synchronously anywhere on a request path
// would hold the whole server still, and the question would go unanswered. The server runs as a
// user starts it (its own process) for that reason: a blocked server must not block the test.

import { once } from "node:events";
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import * as path from "node:path";

import { expect } from "chai";

import { ApiSlots } from "../../server/view";
import { WriteResult } from "../../server/writes";
import { COMMIT, ROOT, tempProject } from "../cli/harness";
import { tempDir } from "../helpers/tempDirs";
import { describeNeeds } from "../helpers/tools";
import { FAKE_GH_DIR, GH_TOKEN, Remote, ServeProcess, TestServer, call, createRemote, spawnServe, startServer, token } from "./harness";

/** The folder of the gated stand-in for git. */
const GATED_GIT_DIR = path.join(ROOT, "test", "fixtures", "gated-git");

/** Generous: an answer that does not come within this long is held up by git, not slow. */
const ANSWER_MS = 10_000;

/** The test's side of the gated git: which calls wait, letting them go, and the log of every call. */
class Gate {
    readonly dir = tempDir("slots-gated-git-");
    private readonly released = new Set<string>();

    close(): void {
        writeFileSync(path.join(this.dir, "closed"), "");
    }

    /** Opens the gate and lets every waiting call go. */
    open(): void {
        rmSync(path.join(this.dir, "closed"), { force: true });
        for (const w of this.waiting()) this.release(w);
    }

    /** The calls waiting now, oldest first: the names of their wait files. */
    waiting(): string[] {
        return readdirSync(this.dir)
            .filter((f) => /^wait\.[^.]+$/.test(f) && !this.released.has(f))
            .sort((a, b) => statSync(path.join(this.dir, a)).mtimeMs - statSync(path.join(this.dir, b)).mtimeMs || a.localeCompare(b));
    }

    /** A waiting call's working folder, a tab and its arguments ("" while the stand-in is still writing them). */
    args(call: string): string {
        return readFileSync(path.join(this.dir, call), "utf8").trim();
    }

    release(call: string): void {
        this.released.add(call);
        writeFileSync(path.join(this.dir, `${call}.go`), "");
    }

    /** Every call so far, one line each: its working folder, a tab, its arguments. */
    log(): string[] {
        const file = path.join(this.dir, "log");
        return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : [];
    }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Lets the gated calls go one at a time until `inFlight` settles; before each goes, `whileWaiting`
 * runs with the waiting call's arguments. Answers the calls stepped through.
 */
async function stepThrough(gate: Gate, inFlight: Promise<unknown>, whileWaiting: (args: string) => Promise<void>, only: (args: string) => boolean = () => true): Promise<string[]> {
    let settled = false;
    void inFlight.then(
        () => (settled = true),
        () => (settled = true),
    );
    const stepped: string[] = [];
    const deadline = Date.now() + 120_000;
    while (!settled) {
        if (Date.now() > deadline) throw new Error(`the request did not finish; stepped through ${stepped.join(" | ")}`);
        const next = gate.waiting().find((w) => only(gate.args(w)));
        if (next === undefined) {
            await sleep(20);
            continue;
        }
        // The stand-in writes the arguments just after it makes the file.
        let args = gate.args(next);
        for (let i = 0; args === "" && i < 50; i++) {
            await sleep(10);
            args = gate.args(next);
        }
        await whileWaiting(args);
        stepped.push(args);
        gate.release(next);
    }
    await inFlight;
    return stepped;
}

/** GET `url`; rejects, saying what was waiting, when no answer comes within ANSWER_MS. */
async function answers(url: string, waitingOn: string): Promise<{ status: number; text: string }> {
    try {
        const res = await fetch(url, { signal: AbortSignal.timeout(ANSWER_MS) });
        return { status: res.status, text: await res.text() };
    } catch (e) {
        throw new Error(`GET ${url} had no answer within ${ANSWER_MS / 1000} s while \`git ${waitingOn.split("\t")[1] ?? waitingOn}\` waited (${(e as Error).message})`);
    }
}

describeNeeds(["git"], "slots serve: git never blocks the server", function () {
    let gate: Gate;
    let remote: Remote | undefined;
    let serve: ServeProcess | undefined;
    let server: TestServer | undefined;
    let project: string | undefined;

    beforeEach(() => {
        gate = new Gate();
    });
    afterEach(async () => {
        gate.open();
        serve?.kill();
        await server?.close();
        remote?.remove();
        if (project) rmSync(project, { recursive: true, force: true });
        serve = undefined;
        server = undefined;
        remote = undefined;
        project = undefined;
    });

    /** The environment the server runs git and gh with: the gated git first, then the stand-in gh. */
    const env = (r: Remote): Record<string, string> => ({
        PATH: [GATED_GIT_DIR, FAKE_GH_DIR, process.env.PATH ?? ""].join(path.delimiter),
        GATED_GIT_DIR: gate.dir,
        GH_TOKEN,
        FAKE_GH_RECORD: r.recordFile,
        GIT_SSH_COMMAND: "false",
    });

    async function start(refreshSeconds: number): Promise<ServeProcess> {
        remote = createRemote(readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8"));
        project = tempProject();
        serve = await spawnServe(project, remote, ["--no-live", "--refresh-seconds", String(refreshSeconds)], env(remote));
        return serve;
    }

    it("while a read's refresh waits on each of its git calls and on gh, the health check answers", async () => {
        const s = await start(0);
        // A claim waiting for review, so that the refresh also asks gh for its pull request.
        const claim = await call<WriteResult>(`${s.url}/api/staging/slots`, "PUT", { token: await token(), body: { owner: "carol", task: "JOB-9", branch: "feature/login", commit_sha: COMMIT } });
        expect(claim.status, claim.text).to.equal(202);
        gate.close();
        const read = call<ApiSlots>(`${s.url}/api/staging/slots`, "GET");
        const stepped = await stepThrough(gate, read, async (args) => {
            const health = await answers(`${s.url}/healthz`, args);
            expect(health.status).to.equal(200);
        });
        // The refresh fetched the remote and read the stack file, every step while the server answered.
        expect(stepped.some((a) => /\tfetch /.test(a)), stepped.join("\n")).to.equal(true);
        expect(stepped.some((a) => /\tshow /.test(a)), stepped.join("\n")).to.equal(true);
        // The stand-in gh asks git for the remote's branches while it lists the pull requests.
        expect(stepped.some((a) => /slots-serve-read-[^\t]*\tls-remote origin$/.test(a)), stepped.join("\n")).to.equal(true);
        const r = await read;
        expect(r.status, r.text).to.equal(200);
        expect(r.json.in_review.map((x) => [x.branch, x.pull_request_url])).to.deep.equal([["slots/claim-job-9", claim.json.pull_request_url]]);
    });

    it("while a claim waits on each of its git calls, the health check and a read within --refresh-seconds answer", async () => {
        const s = await start(3600);
        const first = await call<ApiSlots>(`${s.url}/api/staging/slots`, "GET");
        expect(first.status).to.equal(200);
        const admin = await token();
        const calls = gate.log().length;
        gate.close();
        const claim = call<WriteResult>(`${s.url}/api/staging/slots`, "PUT", { token: admin, body: { owner: "carol", task: "JOB-9", branch: "feature/login", commit_sha: COMMIT } });
        const stepped = await stepThrough(gate, claim, async (args) => {
            expect((await answers(`${s.url}/healthz`, args)).status).to.equal(200);
            const cached = await answers(`${s.url}/api/staging/slots`, args);
            expect(cached.status).to.equal(200);
            expect((JSON.parse(cached.text) as ApiSlots).source.commit).to.equal(first.json.source.commit);
        });
        const r = await claim;
        expect(r.status, r.text).to.equal(202);
        expect(r.json.branch).to.equal("slots/claim-job-9");
        // The claim cloned, read the base branch's claims and pushed, each step while the server answered;
        // the reads in between ran no git of their own.
        expect(stepped.some((a) => /\tpush /.test(a)), stepped.join("\n")).to.equal(true);
        expect(stepped.some((a) => /\trev-parse --verify --quiet origin\/main\^\{commit\}/.test(a)), stepped.join("\n")).to.equal(true);
        expect(gate.log().length - calls).to.equal(stepped.length);
    });

    it("two reads arriving together run one refresh: git fetches once", async () => {
        const s = await start(0);
        const fetches = (): number => gate.log().filter((l) => /\tfetch /.test(l)).length;
        const before = fetches();
        gate.close();
        const reads = Promise.all([call<ApiSlots>(`${s.url}/api/staging/slots`, "GET"), call<ApiSlots>(`${s.url}/staging/slots`, "GET")]);
        // The first call waits until both requests are in: the second is sent before the health
        // check, which is answered only after the server has read what came before it.
        let first = true;
        await stepThrough(gate, reads, async (args) => {
            if (first) await answers(`${s.url}/healthz`, args);
            first = false;
        });
        const [json, page] = await reads;
        expect([json.status, page.status]).to.deep.equal([200, 200]);
        expect(fetches()).to.equal(before + 1);
    });
});

describeNeeds(["git"], "slots serve: reads after a write", function () {
    let gate: Gate;
    let remote: Remote | undefined;
    let server: TestServer | undefined;

    beforeEach(() => {
        gate = new Gate();
    });
    afterEach(async () => {
        gate.open();
        await server?.close();
        remote?.remove();
        server = undefined;
        remote = undefined;
    });

    it("closing while a read is being answered and a spare connection is open: the answer comes with Connection: close, and close() waits for nothing else", async () => {
        remote = createRemote(readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8"));
        const started = await startServer(remote, {}, { PATH: [GATED_GIT_DIR, FAKE_GH_DIR, process.env.PATH ?? ""].join(path.delimiter), GATED_GIT_DIR: gate.dir });
        gate.close();
        // fetch keeps its connection alive, as a browser does; a browser also opens spare
        // connections it has sent nothing on yet.
        const read = fetch(`${started.url}/api/staging/slots`);
        const { port } = new URL(started.url);
        const spare = connect(Number(port), "127.0.0.1");
        const spareEnded = once(spare, "close");
        await once(spare, "connect");
        while (gate.waiting().length === 0) await sleep(20);
        const t = Date.now();
        const closed = started.close();
        gate.open();
        const res = await read;
        expect(res.status).to.equal(200);
        expect(res.headers.get("connection")).to.equal("close");
        await res.text();
        await closed;
        await spareEnded;
        // Node alone would keep both open: the answered one until keepAliveTimeout (72 s), the spare until its headers time out.
        expect(Date.now() - t, "close() waited on a connection").to.be.below(20_000);
    });

    it("a read arriving after a claim does not share a refresh that fetched before it: it refreshes again and shows the claim", async () => {
        remote = createRemote(readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8"));
        server = await startServer(remote, {}, { PATH: [GATED_GIT_DIR, FAKE_GH_DIR, process.env.PATH ?? ""].join(path.delimiter), GATED_GIT_DIR: gate.dir });
        const url = server.url;
        gate.close();
        // A read whose refresh has fetched (before the claim) and waits to list the pending branches.
        const early = call<ApiSlots>(`${url}/api/staging/slots`, "GET");
        const isRead = (args: string): boolean => args.includes("slots-serve-read-");
        for (;;) {
            const w = gate.waiting().find((c) => isRead(gate.args(c)));
            if (w === undefined) {
                await sleep(20);
                continue;
            }
            if (/\tfor-each-ref /.test(gate.args(w))) break;
            gate.release(w);
        }
        // The claim runs meanwhile, its git let through (it does not touch the read clone).
        const claim = call<WriteResult>(`${url}/api/staging/slots`, "PUT", { token: await token(), body: { owner: "carol", task: "JOB-9", branch: "feature/login", commit_sha: COMMIT } });
        await stepThrough(gate, claim, async () => undefined, (args) => !isRead(args));
        expect((await claim).status).to.equal(202);
        const late = call<ApiSlots>(`${url}/api/staging/slots`, "GET");
        gate.open();
        // The late read keeps the gate open for its own refresh.
        const [, after] = await Promise.all([early, late]);
        expect(after.status, after.text).to.equal(200);
        expect(after.json.slots[0].pending.map((p) => p.branch)).to.deep.equal(["slots/claim-job-9"]);
    });
});

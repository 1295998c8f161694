// The deploy script's data policy and disk hygiene, executed: the exact command text and stdin of
// an offline evaluation, run with bash against a local git repository and the docker stand-in,
// with the slot's database on a real PostgreSQL (the stand-in's `docker run` runs the host's
// psql). A new task gets an empty database (rows gone, the role and other slots' databases
// untouched), a re-point or redeploy of the same task keeps it, and a deployment refuses to start
// on a nearly full disk.

import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { APP_CA_PATH, dataOwnerKey } from "../../components/scripts";
import { AppRepo, createAppRepo } from "../fixtures/appRepo";
import { SECRETS } from "../helpers/config";
import { usePostgres } from "../helpers/postgres";
import { describeNeeds } from "../helpers/tools";
import { SlotDatabase, createSlotDatabase, query } from "./slotDatabase";
import { Droplet, apiVersion, dockerCalls, dockerEvents, dockerRuns, freeSlots, newDroplet, run, slotCommands, stopRuns, stopServers, withStdinLine } from "./harness";

const TOOLS = ["bash", "git", "flock", "curl", "timeout", "setsid", "psql"];

describeNeeds(TOOLS, "slot data on a new task, and disk hygiene, executed", function () {
    this.timeout(90_000);
    const postgres = usePostgres();
    let tmp: string;
    let repo: AppRepo;
    let droplet: Droplet;
    let adminUrl: string;
    const droplets: Droplet[] = [];
    let A = 0;
    let dbA: SlotDatabase;
    let dbB: SlotDatabase;

    /** Tables and rows the previous task left: a schema of its own and a table in public. */
    async function fill(db: SlotDatabase, marker: string): Promise<void> {
        await query(db.url, "CREATE SCHEMA IF NOT EXISTS app");
        await query(db.url, "CREATE TABLE IF NOT EXISTS app.campaigns (name text)");
        await query(db.url, "CREATE TABLE IF NOT EXISTS public.jobs (title text)");
        await query(db.url, `INSERT INTO app.campaigns VALUES ('${marker}'); INSERT INTO public.jobs VALUES ('${marker}')`);
    }
    async function rows(db: SlotDatabase): Promise<{ campaigns: number | null; jobs: number | null }> {
        const tables = await query(db.url, "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('app', 'public')");
        const names = tables.map((r) => String(r.t));
        const count = async (t: string): Promise<number | null> => (names.includes(t) ? Number((await query(db.url, `SELECT count(*) AS n FROM ${t}`))[0].n) : null);
        return { campaigns: await count("app.campaigns"), jobs: await count("public.jobs") };
    }

    async function deploy(claim: Record<string, unknown>, values: Record<string, unknown> = {}, db: SlotDatabase = dbA) {
        const cmd = (await slotCommands({ [String(A)]: claim }, { repository: repo.url, slotCount: 100, ...values })).get(A);
        if (!cmd) throw new Error("no deployment");
        return run(droplet, cmd.create, withStdinLine(cmd.stdin, "DATABASE_URL", db.url));
    }
    function ok(r: { code: number | null; stderr: string }): void {
        expect(r.code, `exit code; stderr:\n${r.stderr}`).to.equal(0);
    }
    const events = (): string[] => dockerEvents(droplet).filter((e) => !e.startsWith("up-"));

    before(async function () {
        tmp = mkdtempSync(path.join(os.tmpdir(), "staging-data-"));
        repo = createAppRepo(tmp);
        [A] = await freeSlots(1, 11, 99);
        const first = await postgres().freshDatabase();
        adminUrl = first;
        dbA = await createSlotDatabase(postgres());
        dbB = await createSlotDatabase(postgres());
    });
    beforeEach(async function () {
        droplet = newDroplet(tmp);
        droplets.push(droplet);
        for (const db of [dbA, dbB]) {
            await query(db.url, "DROP SCHEMA IF EXISTS app CASCADE; DROP TABLE IF EXISTS public.jobs");
        }
        await fill(dbA, "previous task");
        await fill(dbB, "another slot");
    });
    afterEach(function () {
        stopRuns();
        stopServers(droplet);
    });
    after(async function () {
        droplets.forEach(stopServers);
        // The embedded server is gone by now (its hook ran first); a shared one keeps roles, which
        // outlive the databases dropped when the server was released.
        const shared = process.env.TEST_DATABASE_URL;
        if (shared) {
            for (const db of [dbA, dbB].filter(Boolean)) await query(shared, `DROP ROLE IF EXISTS ${db.role}`);
        }
        if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it("a slot this droplet never ran keeps its database for the first task, and records the task", async function () {
        ok(await deploy({ commit: repo.first, task: "JOB-1" }));
        expect(await rows(dbA)).to.deep.equal({ campaigns: 1, jobs: 1 });
        expect(events()).to.deep.equal([]);
        expect(readFileSync(path.join(droplet.root, `staging-${A}`, "data-owner"), "utf8")).to.equal(`${dataOwnerKey("JOB-1")}\n0\n`);
    });

    it("a new task: the app is stopped, its volumes removed, every object of the role dropped and its schemas recreated; the role, its login and the other slot's rows stay", async function () {
        ok(await deploy({ commit: repo.first, task: "JOB-1" }));
        const r = await deploy({ commit: repo.second, task: "JOB-2", owner: "bob" });
        ok(r);
        expect(events()).to.deep.equal(["run psql", `down staging-${A}`, `volumes-removed staging-${A}`, "run psql"]);
        expect(r.stderr).to.contain(`the claim is for another task: emptied the database of staging-${A}`);
        expect(await rows(dbA)).to.deep.equal({ campaigns: null, jobs: null });
        const schema = await query(dbA.url, "SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'app'");
        expect(schema).to.deep.equal([{ owner: dbA.role }]);
        expect(await query(adminUrl, `SELECT rolname FROM pg_roles WHERE rolname = '${dbA.role}' AND rolcanlogin`)).to.have.length(1);
        expect(await rows(dbB)).to.deep.equal({ campaigns: 1, jobs: 1 });
        expect(readFileSync(path.join(droplet.root, `staging-${A}`, "data-owner"), "utf8")).to.equal(`${dataOwnerKey("JOB-2")}\n0\n`);
        // The connection settings went to psql in a file that is gone, never on a command line:
        // once to check the connection before anything stopped, once to empty the database.
        const runs = dockerCalls(droplet).filter((c) => c.startsWith("run "));
        expect(runs).to.have.length(2);
        expect(runs[0]).to.match(/^run --rm -i --network host --env-file \S+ postgres:16-alpine psql -X -q -v ON_ERROR_STOP=1 -c SELECT 1$/);
        expect(runs[1]).to.match(/^run --rm -i --network host --env-file \S+ postgres:16-alpine psql -X -q -v ON_ERROR_STOP=1$/);
        expect(dockerCalls(droplet).join("\n")).to.not.contain(new URL(dbA.url).password);
    });

    it("a re-point or redeploy of the same task keeps the rows", async function () {
        ok(await deploy({ commit: repo.first, task: "JOB-1" }));
        ok(await deploy({ commit: repo.second, task: "JOB-1" }));
        ok(await deploy({ commit: repo.second, task: "JOB-1", redeploy: 1 }));
        expect(events()).to.deep.equal([]);
        expect(await rows(dbA)).to.deep.equal({ campaigns: 1, jobs: 1 });
    });

    it("resetDatabase empties the database for the same task, once per bump", async function () {
        ok(await deploy({ commit: repo.first, task: "JOB-1" }));
        const r = await deploy({ commit: repo.first, task: "JOB-1", resetDatabase: 1 });
        ok(r);
        expect(r.stderr).to.contain("resetDatabase is now 1: emptied the database");
        expect(events()).to.deep.equal(["run psql", `down staging-${A}`, "run psql"]);
        expect(await rows(dbA)).to.deep.equal({ campaigns: null, jobs: null });
        await fill(dbA, "after the reset");
        ok(await deploy({ commit: repo.second, task: "JOB-1", resetDatabase: 1 }));
        expect(await rows(dbA)).to.deep.equal({ campaigns: 1, jobs: 1 });
    });

    it("resetDatabase lower than the recorded counter (the same task claimed again from 0) keeps the data and records it; the next bump above it resets", async function () {
        const owner = path.join(droplet.root, `staging-${A}`, "data-owner");
        ok(await deploy({ commit: repo.first, task: "JOB-1" }));
        ok(await deploy({ commit: repo.first, task: "JOB-1", resetDatabase: 2 }));
        expect(readFileSync(owner, "utf8")).to.equal(`${dataOwnerKey("JOB-1")}\n2\n`);
        await fill(dbA, "after the reset");
        const stopsBefore = events().length;

        const again = await deploy({ commit: repo.second, task: "JOB-1", claimedAt: "2026-11-23T11:00:00Z" });
        ok(again);
        expect(events().slice(stopsBefore)).to.deep.equal([]);
        expect(await rows(dbA)).to.deep.equal({ campaigns: 1, jobs: 1 });
        expect(readFileSync(owner, "utf8")).to.equal(`${dataOwnerKey("JOB-1")}\n0\n`);
        expect(again.stderr).to.contain(`staging-${A}: resetDatabase 0 is lower than the recorded 2: recorded, the data kept`);

        const bump = await deploy({ commit: repo.second, task: "JOB-1", resetDatabase: 1 });
        ok(bump);
        expect(bump.stderr).to.contain(`resetDatabase is now 1: emptied the database of staging-${A}`);
        expect(await rows(dbA)).to.deep.equal({ campaigns: null, jobs: null });
        expect(readFileSync(owner, "utf8")).to.equal(`${dataOwnerKey("JOB-1")}\n1\n`);
    });

    it("a reset counter in data-owner that is not a number keeps the data and records the claim's", async function () {
        const owner = path.join(droplet.root, `staging-${A}`, "data-owner");
        ok(await deploy({ commit: repo.first, task: "JOB-1" }));
        writeFileSync(owner, `${dataOwnerKey("JOB-1")}\nlots\n`);
        const r = await deploy({ commit: repo.first, task: "JOB-1", resetDatabase: 3 });
        ok(r);
        expect(r.stderr).to.contain(`staging-${A}: the reset counter in ${owner} is not a whole number; the data is kept and resetDatabase 3 recorded`);
        expect(events()).to.deep.equal([]);
        expect(await rows(dbA)).to.deep.equal({ campaigns: 1, jobs: 1 });
        expect(readFileSync(owner, "utf8")).to.equal(`${dataOwnerKey("JOB-1")}\n3\n`);
    });

    it("databaseOnNewTask and volumesOnNewTask keep: a new task takes the data as it is", async function () {
        const keep = { databaseOnNewTask: "keep", volumesOnNewTask: "keep" };
        ok(await deploy({ commit: repo.first, task: "JOB-1" }, keep));
        ok(await deploy({ commit: repo.first, task: "JOB-2" }, keep));
        expect(events()).to.deep.equal([]);
        expect(await rows(dbA)).to.deep.equal({ campaigns: 1, jobs: 1 });
        // Recorded under keep: the first claim after the policy changes adopts the data, the next
        // task gets fresh volumes.
        ok(await deploy({ commit: repo.first, task: "JOB-3" }, { databaseOnNewTask: "keep" }));
        expect(events()).to.deep.equal([]);
        ok(await deploy({ commit: repo.first, task: "JOB-4" }, { databaseOnNewTask: "keep" }));
        expect(events()).to.deep.equal([`down staging-${A}`, `volumes-removed staging-${A}`]);
        expect(await rows(dbA)).to.deep.equal({ campaigns: 1, jobs: 1 });
    });

    it("a slot deployed before data-owner existed adopts its data, whatever the task; the next task starts fresh", async function () {
        ok(await deploy({ commit: repo.first, task: "JOB-1" }));
        unlinkSync(path.join(droplet.root, `staging-${A}`, "data-owner"));
        ok(await deploy({ commit: repo.second, task: "JOB-2" }));
        expect(events()).to.deep.equal([]);
        expect(await rows(dbA)).to.deep.equal({ campaigns: 1, jobs: 1 });
        ok(await deploy({ commit: repo.second, task: "JOB-3" }));
        expect(events()).to.deep.equal(["run psql", `down staging-${A}`, `volumes-removed staging-${A}`, "run psql"]);
        expect(await rows(dbA)).to.deep.equal({ campaigns: null, jobs: null });
    });

    it("never sends the task's name to the droplet, only its digest", async function () {
        const cmd = (await slotCommands({ [String(A)]: { commit: repo.first, task: "SECRETPROJECT-42" } }, { repository: repo.url, slotCount: 100 })).get(A);
        expect(cmd?.stdin).to.not.contain("SECRETPROJECT-42");
        expect(cmd?.stdin).to.contain(`DATA_OWNER=${dataOwnerKey("secretproject-42")}`);
        const keep = (await slotCommands({ [String(A)]: { commit: repo.first } }, { repository: repo.url, slotCount: 100, databaseOnNewTask: "keep", volumesOnNewTask: "keep" })).get(A);
        expect(keep?.stdin).to.not.contain("DATA_OWNER=");
    });

    it("the seed command runs after a reset only, with its arguments as data", async function () {
        const marker = path.join(tmp, `pwned-${randomBytes(4).toString("hex")}`);
        const seedCommand = { service: "campaign-ui", args: ["python", "-m", "seed", `$(touch ${marker})`, "; touch x"] };
        ok(await deploy({ commit: repo.first, task: "JOB-1" }, { seedCommand }));
        expect(events()).to.deep.equal([]);
        ok(await deploy({ commit: repo.first, task: "JOB-2" }, { seedCommand }));
        expect(events()).to.deep.equal(["run psql", `down staging-${A}`, `volumes-removed staging-${A}`, "run psql", `seed-build staging-${A}`, `seed staging-${A} campaign-ui python -m seed $(touch ${marker}) ; touch x`]);
        expect(dockerCalls(droplet).filter((c) => c.includes(" run --rm --build "))).to.have.length(1);
        expect(existsSync(marker)).to.equal(false);
    });

    it("a database the role cannot reach fails the deployment before anything is stopped: the app still runs, version.json as it was", async function () {
        ok(await deploy({ commit: repo.first, task: "JOB-1" }));
        const version = readFileSync(path.join(droplet.root, `staging-${A}`, "version.json"), "utf8");
        const wrong = { ...dbA, url: dbA.url.replace(/:([0-9a-f]{24})@/, ":wrong-password@") };
        const r = await deploy({ commit: repo.second, task: "JOB-2" }, {}, wrong);
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.contain(`cannot connect to the database of staging-${A} as its role to empty it (the claim is for another task); nothing was stopped or changed, version.json left as it was`);
        expect(r.stderr).to.contain("password authentication failed");
        expect(r.stderr).to.not.contain("wrong-password");
        expect(readFileSync(path.join(droplet.root, `staging-${A}`, "version.json"), "utf8")).to.equal(version);
        expect(events()).to.deep.equal(["run psql"]);
        expect(await apiVersion(5000 + A)).to.contain(repo.first);
        expect(await rows(dbA)).to.deep.equal({ campaigns: 1, jobs: 1 });
        // Nothing recorded either: the next deployment for JOB-2 still resets.
        expect(readFileSync(path.join(droplet.root, `staging-${A}`, "data-owner"), "utf8")).to.equal(`${dataOwnerKey("JOB-1")}\n0\n`);
    });

    it("refuses to start, changing nothing, when free disk is under minFreeDiskGb", async function () {
        const r = await deploy({ commit: repo.first, task: "JOB-1" }, { minFreeDiskGb: 1_000_000 });
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.match(/only [\d.]+ GB free on the droplet \(.*\), under the floor of 1000000 GB \(minFreeDiskGb\); nothing was changed/);
        expect(dockerCalls(droplet)).to.deep.equal([]);
        expect(existsSync(path.join(droplet.root, `staging-${A}`, "job-search-project"))).to.equal(false);
        expect(existsSync(path.join(droplet.root, `staging-${A}`, "version.json"))).to.equal(false);
    });

    it("prunes after a successful deployment only, scoped to the slot's compose project, with the configured cache age", async function () {
        ok(await deploy({ commit: repo.first, task: "JOB-1" }, { pruneAfterHours: 12 }));
        expect(dockerCalls(droplet).slice(1)).to.deep.equal([`image prune --all --force --filter label=com.docker.compose.project=staging-${A}`, "builder prune --force --filter until=12h"]);
        const before = dockerCalls(droplet).length;
        const r = await deploy({ commit: repo.broken, branch: "feature/broken", task: "JOB-1" }, { deployTimeoutSeconds: 60 });
        expect(r.code).to.not.equal(0);
        expect(dockerCalls(droplet).slice(before).filter((c) => c.includes("prune"))).to.deep.equal([]);
    });
});

// The reset's psql over TLS, against a real server with a certificate of its own: verified with
// the CA the app gets where the program hands one over (a managed cluster with appSslmode
// verify-full), refused before anything stops where it hands none (an existing instance with
// sslmode verify-ca or verify-full), and a CA that does not sign the server stops nothing.
describeNeeds([...TOOLS, "openssl"], "a data reset over TLS, executed", function () {
    this.timeout(90_000);
    let tmp = "";
    let pems: { ca: string; otherCa: string; cert: string; key: string } | undefined;

    /** A CA, a server certificate it signs for localhost, and an unrelated second CA. */
    function certificates(): { ca: string; otherCa: string; cert: string; key: string } {
        if (pems) return pems;
        tmp = mkdtempSync(path.join(os.tmpdir(), "staging-data-tls-"));
        const ssl = (...args: string[]): void => void execFileSync("openssl", args, { cwd: tmp, stdio: "pipe" });
        writeFileSync(path.join(tmp, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        for (const name of ["ca", "other-ca"]) {
            ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.pem`);
        }
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr");
        ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem");
        const file = (f: string): string => readFileSync(path.join(tmp, f), "utf8");
        pems = { ca: file("ca.pem"), otherCa: file("other-ca.pem"), cert: file("server.pem"), key: file("server.key") };
        return pems;
    }

    const postgres = usePostgres(() => ({ tls: { cert: certificates().cert, key: certificates().key } }));
    let repo: AppRepo;
    let droplet: Droplet;
    let db: SlotDatabase;
    let A = 0;
    const droplets: Droplet[] = [];
    const MANAGED_VERIFY = { postgres: { mode: "managed", appSslmode: "verify-full" } };
    const existing = (sslmode: string) => ({ postgres: { mode: "existing", host: "db.example.com", user: "admin", sslmode } });

    before(async function () {
        certificates(); // made by the server's hook already; it makes tmp too
        repo = createAppRepo(tmp);
        [A] = await freeSlots(1, 11, 99);
        db = await createSlotDatabase(postgres());
    });
    beforeEach(async function () {
        droplet = newDroplet(tmp);
        droplets.push(droplet);
        await query(db.url, "DROP TABLE IF EXISTS public.jobs; CREATE TABLE public.jobs (title text); INSERT INTO public.jobs VALUES ('previous task')");
    });
    afterEach(function () {
        stopRuns();
        stopServers(droplet);
    });
    after(async function () {
        droplets.forEach(stopServers);
        if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    const jobs = async (): Promise<number> => Number((await query(db.url, "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'jobs'"))[0].n);
    const events = (): string[] => dockerEvents(droplet).filter((e) => !e.startsWith("up-"));

    /**
     * Deploys the claim with the program's own DATABASE_URL query (its sslmode, and sslrootcert
     * where it names one) pointed at the test server by its host name, and `ca` (default: the
     * program's, the mocked cluster CA) as the CA the program hands over, when it hands one.
     */
    async function deploy(claim: Record<string, unknown>, values: Record<string, unknown>, ca?: string) {
        const secrets = { deployPrivateKey: SECRETS.deployPrivateKey, postgresPassword: SECRETS.postgresPassword };
        const cmd = (await slotCommands({ [String(A)]: claim }, { repository: repo.url, slotCount: 100, ...values }, secrets)).get(A);
        if (!cmd) throw new Error("no deployment");
        const programUrl = cmd.stdin.split("\n").find((l) => l.startsWith("DATABASE_URL="));
        const query = programUrl?.slice(programUrl.indexOf("?")) ?? "";
        let stdin = withStdinLine(cmd.stdin, "DATABASE_URL", `postgresql://${db.role}:${db.password}@localhost:${db.port}/${db.database}${query}`);
        if (ca !== undefined) stdin = withStdinLine(stdin, "DATABASE_CA_CERT", Buffer.from(ca).toString("base64"));
        return run(droplet, cmd.create, stdin);
    }
    function ok(r: { code: number | null; stderr: string }): void {
        expect(r.code, `exit code; stderr:\n${r.stderr}`).to.equal(0);
    }

    it("managed, appSslmode verify-full: psql verifies the server with the CA the app gets, mounted where DATABASE_URL names it", async function () {
        ok(await deploy({ commit: repo.first, task: "JOB-1" }, MANAGED_VERIFY, certificates().ca));
        const r = await deploy({ commit: repo.second, task: "JOB-2" }, MANAGED_VERIFY, certificates().ca);
        ok(r);
        expect(r.stderr).to.contain(`the claim is for another task: emptied the database of staging-${A}`);
        expect(await jobs()).to.equal(0);
        const ca = path.join(droplet.root, `staging-${A}`, "db-ca.crt");
        expect(readFileSync(ca, "utf8")).to.equal(certificates().ca);
        // The check before anything stops and the reset itself, each verifying with that CA.
        const tls = `PGSSLMODE=verify-full PGSSLROOTCERT=${APP_CA_PATH} -v ${ca}:${APP_CA_PATH}:ro`;
        expect(dockerRuns(droplet)).to.deep.equal([tls, tls]);
        expect(events()).to.deep.equal(["run psql", `down staging-${A}`, `volumes-removed staging-${A}`, "run psql"]);
    });

    it("managed, appSslmode verify-full with a CA that does not sign the server: the deployment fails before anything is stopped", async function () {
        ok(await deploy({ commit: repo.first, task: "JOB-1" }, MANAGED_VERIFY, certificates().ca));
        const version = readFileSync(path.join(droplet.root, `staging-${A}`, "version.json"), "utf8");
        const r = await deploy({ commit: repo.second, task: "JOB-2" }, MANAGED_VERIFY, certificates().otherCa);
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.contain("certificate verify failed");
        expect(r.stderr).to.contain(`cannot connect to the database of staging-${A} as its role to empty it (the claim is for another task); nothing was stopped or changed`);
        expect(r.stderr).to.contain("postgres.appSslmode: verify-full");
        expect(events()).to.deep.equal(["run psql"]);
        expect(await apiVersion(5000 + A)).to.contain(repo.first);
        expect(readFileSync(path.join(droplet.root, `staging-${A}`, "version.json"), "utf8")).to.equal(version);
        expect(await jobs()).to.equal(1);
    });

    it("a URL naming sslrootcert without the CA that goes with it, or not as a path, is refused before anything is stopped", async function () {
        ok(await deploy({ commit: repo.first, task: "JOB-1" }, MANAGED_VERIFY, certificates().ca));
        const cmd = (await slotCommands({ [String(A)]: { commit: repo.first, task: "JOB-2" } }, { repository: repo.url, slotCount: 100, ...MANAGED_VERIFY })).get(A);
        if (!cmd) throw new Error("no deployment");
        const stdin = cmd.stdin
            .split("\n")
            .filter((l) => !l.startsWith("DATABASE_CA_CERT="))
            .join("\n");
        const r = await run(droplet, cmd.create, withStdinLine(stdin, "DATABASE_URL", `postgresql://${db.role}:${db.password}@localhost:${db.port}/${db.database}?sslmode=verify-full&sslrootcert=${APP_CA_PATH}`));
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.contain(`staging-${A}: DATABASE_URL names sslrootcert ${APP_CA_PATH} but no DATABASE_CA_CERT came with it`);
        // A mount point it could not be (docker run -v SRC:DST:ro) is refused as well.
        const colon = await run(droplet, cmd.create, withStdinLine(cmd.stdin, "DATABASE_URL", `postgresql://${db.role}:${db.password}@localhost:${db.port}/${db.database}?sslmode=verify-full&sslrootcert=/run/x:rw`));
        expect(colon.code).to.not.equal(0);
        expect(colon.stderr).to.contain(`staging-${A}: DATABASE_URL's sslrootcert must be an absolute path`);
        expect(events()).to.deep.equal([]);
        expect(await apiVersion(5000 + A)).to.contain(repo.first);
    });

    for (const sslmode of ["verify-ca", "verify-full"]) {
        it(`existing, sslmode ${sslmode}: no CA reaches the droplet, so a reset is refused before anything is stopped, naming the setting and the fix`, async function () {
            ok(await deploy({ commit: repo.first, task: "JOB-1" }, existing(sslmode)));
            expect(existsSync(path.join(droplet.root, `staging-${A}`, "db-ca.crt"))).to.equal(false);
            const owner = readFileSync(path.join(droplet.root, `staging-${A}`, "data-owner"), "utf8");

            const r = await deploy({ commit: repo.second, task: "JOB-2" }, existing(sslmode));
            expect(r.code).to.not.equal(0);
            expect(r.stderr).to.contain(
                `cannot empty the database of staging-${A} (the claim is for another task): postgres.sslmode is ${sslmode}, and no CA certificate reaches the droplet for it (postgres.mode: existing hands none over), so psql cannot verify the server; nothing was stopped or changed, version.json left as it was. Set databaseOnNewTask: keep (the new task takes the data as it is), or postgres.sslmode: require (encrypted, the server not verified) in a pull request of its own`,
            );
            const bump = await deploy({ commit: repo.first, task: "JOB-1", resetDatabase: 1 }, existing(sslmode));
            expect(bump.code).to.not.equal(0);
            expect(bump.stderr).to.contain(`cannot empty the database of staging-${A} (resetDatabase is now 1): postgres.sslmode is ${sslmode}`);
            expect(bump.stderr).to.contain("Set the claim's resetDatabase back to 0 (the recorded counter), or postgres.sslmode: require");

            expect(events()).to.deep.equal([]);
            expect(dockerRuns(droplet)).to.deep.equal([]);
            expect(await apiVersion(5000 + A)).to.contain(repo.first);
            expect(readFileSync(path.join(droplet.root, `staging-${A}`, "data-owner"), "utf8")).to.equal(owner);
            expect(await jobs()).to.equal(1);

            // The fixes the message names work: keep hands the data over, require resets.
            ok(await deploy({ commit: repo.second, task: "JOB-2" }, { ...existing(sslmode), databaseOnNewTask: "keep" }));
            expect(await jobs()).to.equal(1);
            ok(await deploy({ commit: repo.second, task: "JOB-3" }, existing("require")));
            expect(await jobs()).to.equal(0);
            expect(dockerRuns(droplet)).to.deep.equal(["PGSSLMODE=require", "PGSSLMODE=require"]);
        });
    }
});

// The example app (examples/app) as a user's first real run uses it: its server answers with the
// commit it was built from and whether the slot's database answers (a real PostgreSQL here), and
// its compose file is valid with a slot's env file.

import { expect } from "chai";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

import { freePort, usePostgres } from "../helpers/postgres";
import { itNeeds } from "../helpers/tools";

const APP = path.join(__dirname, "..", "..", "examples", "app");
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** Starts `node server.js ROLE` with `env`; resolves once it answers on `route`. */
async function startApp(role: string, route: string, env: Record<string, string>): Promise<{ port: number; child: ChildProcess; get(): Promise<Record<string, unknown>> }> {
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(APP, "server.js"), role], {
        cwd: APP,
        env: { PATH: process.env.PATH ?? "", PORT: String(port), APP_COMMIT: COMMIT, ...env },
        stdio: "ignore",
    });
    const get = async (): Promise<Record<string, unknown>> => {
        const res = await fetch(`http://127.0.0.1:${port}${route}`, { signal: AbortSignal.timeout(10_000) });
        expect(res.status).to.equal(200);
        return (await res.json()) as Record<string, unknown>;
    };
    for (let i = 0; i < 100; i++) {
        try {
            await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) });
            return { port, child, get };
        } catch {
            await new Promise((r) => setTimeout(r, 50));
        }
    }
    child.kill();
    throw new Error(`the example app (${role}) did not start on port ${port}`);
}

describe("examples/app", function () {
    this.timeout(60_000);
    const server = usePostgres();
    const children: ChildProcess[] = [];
    afterEach(function () {
        for (const c of children.splice(0)) c.kill();
    });

    it("the Campaign UI answers /api/version with its commit, branch and slot, and that the database answers", async function () {
        const url = new URL(await server().freshDatabase());
        url.searchParams.set("sslmode", "disable");
        const app = await startApp("campaign-ui", "/api/version", { DATABASE_URL: url.toString(), APP_BRANCH: "feature/login", STAGING_SLOT: "staging-4" });
        children.push(app.child);
        expect(await app.get()).to.deep.equal({ service: "campaign-ui", commit: COMMIT, branch: "feature/login", slot: "staging-4", database: "ok" });
    });

    it("reports a database that does not answer, without its URL or password", async function () {
        const closed = await freePort();
        const app = await startApp("campaign-ui", "/api/version", { DATABASE_URL: `postgresql://slot:s3cret-pw@127.0.0.1:${closed}/job_search_staging_4?sslmode=require` });
        children.push(app.child);
        const body = await app.get();
        expect(body.database).to.equal("unreachable: ECONNREFUSED");
        expect(JSON.stringify(body)).to.not.contain("s3cret-pw");
    });

    it("the Airflow stand-in answers /health, and only there", async function () {
        const app = await startApp("airflow", "/health", {});
        children.push(app.child);
        expect(await app.get()).to.deep.equal({ service: "airflow", commit: COMMIT, branch: null, slot: null, database: "not configured" });
        expect((await fetch(`http://127.0.0.1:${app.port}/api/version`)).status).to.equal(404);
    });

    itNeeds(["docker-compose"], "its compose file is valid with a slot's env file: loopback ports, the commit as build argument", function () {
        const dir = mkdtempSync(path.join(tmpdir(), "example-app-"));
        try {
            const env = path.join(dir, ".env.staging-4");
            writeFileSync(
                env,
                [
                    "STAGING_SLOT=staging-4",
                    "COMPOSE_PROJECT_NAME=staging-4",
                    "CAMPAIGN_UI_PORT=5004",
                    "AIRFLOW_PORT=8084",
                    `APP_COMMIT=${COMMIT}`,
                    "APP_BRANCH=feature/login",
                    "DATABASE_URL=postgresql://job_search_staging_4:pw@db.internal:25060/job_search_staging_4?sslmode=verify-full&sslrootcert=/run/staging-slots/db-ca.crt",
                    `DATABASE_CA_FILE=${path.join(dir, "db-ca.crt")}`,
                    "",
                ].join("\n"),
            );
            const text = execFileSync("docker-compose", ["-f", path.join(APP, "docker-compose.yml"), "--env-file", env, "config"], { cwd: APP, encoding: "utf8", env: { ...process.env, HOME: dir } });
            const config = parse(text) as { services: Record<string, { ports: string[]; volumes: string[]; build: { args: Record<string, string> } }> };
            expect(Object.keys(config.services).sort()).to.deep.equal(["airflow", "campaign-ui"]);
            expect(config.services["campaign-ui"].ports).to.deep.equal(["127.0.0.1:5004:8000/tcp"]);
            expect(config.services.airflow.ports).to.deep.equal(["127.0.0.1:8084:8080/tcp"]);
            expect(config.services["campaign-ui"].build.args).to.deep.equal({ APP_COMMIT: COMMIT });
            // The CA file the deploy script writes, where DATABASE_URL's sslrootcert points.
            for (const service of ["campaign-ui", "airflow"]) {
                expect(config.services[service].volumes, service).to.include(`${path.join(dir, "db-ca.crt")}:/run/staging-slots/db-ca.crt:ro`);
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

// The program's registry wiring under Pulumi's mock runtime: one row per slot with the right
// inputs, no secret anywhere in them, only the claimed slot's row moving on a claim edit, the
// row waiting for the deployment, and the serialized provider (what the state stores) working.

import { spawnSync } from "node:child_process";
import Module from "node:module";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { Client } from "pg";

import { stagingSlots } from "../../components/program";
import { PROVIDER_VERSION, REGISTRY_URL_ENV, RowState, SlotRegistryProvider } from "../../components/registry/provider";
import { Evaluation, MOCK_DEPLOYED_AT, RecordedResource, evaluate } from "../../offline/recorder";
import { NOW, SECRETS, baseValues, claim, engineConfig } from "../helpers/config";
import { usePostgres } from "../helpers/postgres";

const ROW_TYPE = "pulumi-nodejs:dynamic:Resource";
const REGISTRY_URL = "postgresql://registry_writer:TEST-ONLY-registry-pw-81c4@prod-db.example:5432/jobsearch";

function rows(ev: Evaluation): RecordedResource[] {
    if (ev.error) throw ev.error;
    return ev.resources.filter((r) => r.type === ROW_TYPE);
}

function rowOf(ev: Evaluation, slot: number): Record<string, unknown> {
    const found = rows(ev).filter((r) => r.slot === slot);
    expect(found, `rows of slot ${slot}`).to.have.length(1);
    return found[0].inputs as Record<string, unknown>;
}

function withClaims(claims: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { ...baseValues(), claims, ...extra };
}

/** Loads the provider text stored in state the way the engine's dynamic provider host does. */
function loadSerialized(text: string): SlotRegistryProvider {
    const m = new Module("serialized-provider.js") as Module & { _compile(code: string, filename: string): void };
    m.paths = module.paths;
    m._compile(text, "serialized-provider.js");
    return (m.exports as { handler(): SlotRegistryProvider }).handler();
}

describe("registry rows in the program", function () {
    this.timeout(60_000);

    it("registers exactly one row per slot, In Use for a claim and Available otherwise", async () => {
        const ev = await evaluate(engineConfig(withClaims({ "4": claim() })), { now: NOW });
        const all = rows(ev);
        expect(all.map((r) => r.name).sort()).to.deep.equal(Array.from({ length: 10 }, (_, i) => `staging-${i + 1}-registry`).sort());
        expect(all.map((r) => r.slot).sort((a, b) => (a ?? 0) - (b ?? 0))).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

        const { __provider, ...claimed } = rowOf(ev, 4);
        expect(__provider).to.be.a("string");
        expect(claimed).to.deep.equal({
            providerVersion: PROVIDER_VERSION,
            target: { kind: "managed", clusterId: "staging-postgres-cluster-id", database: "staging_registry" },
            slot: 4,
            identifier: "staging-4",
            subdomain: "staging-4.justapply.net",
            campaignUiPort: 5004,
            airflowPort: 8084,
            database: "job_search_staging_4",
            status: "In Use",
            owner: "alice",
            task: "JOB-123",
            branch: "feature/login",
            commit: "0123456789abcdef0123456789abcdef01234567",
            purpose: "QA for PR #123",
            longRunning: null,
            claimedAt: "2026-11-23T10:30:00Z",
            // The deployed time comes from the deployment's result line, never from a clock here.
            deployedAt: MOCK_DEPLOYED_AT,
        });
        const { __provider: _p, ...free } = rowOf(ev, 7);
        expect(free).to.include({ slot: 7, status: "Available", owner: null, task: null, branch: null, commit: null, deployedAt: null, claimedAt: null });

        const registryDb = ev.resources.filter((r) => r.type === "postgresql:index/database:Database" && r.name === "staging-registry-db");
        expect(registryDb).to.have.length(1);
        expect(registryDb[0].inputs).to.include({ name: "staging_registry" });
        expect(registryDb[0].protect).to.equal(true);
    });

    it("the same config gives byte-identical row inputs", async () => {
        const a = await evaluate(engineConfig(withClaims({ "4": claim() })), { now: NOW });
        const b = await evaluate(engineConfig(withClaims({ "4": claim() })), { now: new Date("2026-11-23T13:00:00Z") });
        expect(JSON.stringify(rows(a).map((r) => [r.name, r.inputs]))).to.equal(JSON.stringify(rows(b).map((r) => [r.name, r.inputs])));
    });

    it("a claim edit changes only the claimed slot's row", async () => {
        const before = await evaluate(engineConfig(withClaims({ "4": claim(), "6": claim({ task: "JOB-600", owner: "bob" }) })), { now: NOW });
        const after = await evaluate(
            engineConfig(withClaims({ "4": claim({ commit: "89abcdef0123456789abcdef0123456789abcdef", longRunning: "soak test" }), "6": claim({ task: "JOB-600", owner: "bob" }) })),
            { now: NOW },
        );
        const changed = Array.from({ length: 10 }, (_, i) => i + 1).filter(
            (slot) => JSON.stringify(rowOf(before, slot)) !== JSON.stringify(rowOf(after, slot)),
        );
        expect(changed).to.deep.equal([4]);
        expect(rowOf(after, 4)).to.include({ commit: "89abcdef0123456789abcdef0123456789abcdef", longRunning: "soak test" });
    });

    it("with registryDatabaseUrl set, rows target it without carrying it, and no registry database is created", async () => {
        const ev = await evaluate(
            engineConfig(withClaims({ "4": claim() }), { deployPrivateKey: SECRETS.deployPrivateKey, registryDatabaseUrl: REGISTRY_URL } as Record<string, string>),
            { now: NOW },
        );
        expect(rowOf(ev, 4).target).to.deep.equal({ kind: "url" });
        expect(ev.resources.some((r) => r.name === "staging-registry-db")).to.equal(false);
        for (const r of rows(ev)) {
            const text = JSON.stringify(r.inputs);
            expect(text).to.not.contain("TEST-ONLY-registry-pw");
            expect(text).to.not.contain("prod-db.example");
            expect(text).to.not.contain(SECRETS.deployPrivateKey.split("\n")[1]);
            // Nothing in a row is secret, so the redacted view equals the plain one.
            expect(r.redacted).to.deep.equal(r.inputs);
        }
    });

    it("on an existing instance, rows carry its host and user but not its password", async () => {
        const ev = await evaluate(
            engineConfig(
                withClaims({}, { postgres: { mode: "existing", host: "pg.internal.example", user: "admin", database: "postgres" } }),
                { deployPrivateKey: SECRETS.deployPrivateKey, postgresPassword: SECRETS.postgresPassword },
            ),
            { now: NOW },
        );
        expect(rowOf(ev, 1).target).to.deep.equal({ kind: "instance", host: "pg.internal.example", port: 5432, user: "admin", sslmode: "require", database: "staging_registry" });
        for (const r of rows(ev)) expect(JSON.stringify(r.inputs)).to.not.contain(SECRETS.postgresPassword);
    });

    it("a claimed slot's row depends on its deployment and on the registry database", async () => {
        const deps = new Map<string, string[]>();
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, ...(args.type.endsWith("DatabaseCluster") ? { port: 25060 } : {}), ...(args.type.endsWith("ReservedIp") ? { ipAddress: "203.0.113.10" } : {}) } }),
                call: () => ({}),
            },
            "staging-slots",
            "staging",
            false,
        );
        const config = engineConfig(withClaims({ "4": claim() }));
        pulumi.runtime.setAllConfig(config.values, config.secretKeys);
        type Req = { getName(): string; getDependenciesList(): string[] };
        const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: Req, cb: unknown): unknown };
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, cb) => {
            deps.set(req.getName(), req.getDependenciesList().map((urn) => urn.split("::").pop() as string));
            return register(req, cb);
        };
        await pulumi.runtime.runInPulumiStack(async () => ({ ...stagingSlots({ now: NOW, warn: () => {} }) }));
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

        expect(deps.get("staging-4-registry")).to.include.members(["staging-4-deploy", "staging-registry-db"]);
        expect(deps.get("staging-5-registry")).to.include("staging-registry-db");
        expect(deps.get("staging-5-registry")).to.not.include("staging-5-deploy");
    });

    describe("the serialized provider, as stored in state", () => {
        const server = usePostgres();

        it("passes check on every row and writes a row to a real database", async () => {
            const ev = await evaluate(engineConfig(withClaims({ "4": claim() })), { now: NOW });
            const text = rowOf(ev, 4).__provider as string;
            const provider = loadSerialized(text);
            for (const r of rows(ev)) {
                const result = await provider.check({} as RowState, r.inputs as unknown as RowState);
                expect(result.failures, r.name).to.equal(undefined);
            }
            const url = await server().freshDatabase();
            const saved = process.env[REGISTRY_URL_ENV];
            process.env[REGISTRY_URL_ENV] = url;
            try {
                const { __provider: _p, ...inputs } = rowOf(ev, 4);
                await provider.create({ ...(inputs as unknown as RowState), deployedAt: "2026-11-23T10:41:07Z" });
            } finally {
                if (saved === undefined) delete process.env[REGISTRY_URL_ENV];
                else process.env[REGISTRY_URL_ENV] = saved;
            }
            const client = new Client({ connectionString: url });
            await client.connect();
            try {
                const { rows: found } = await client.query("SELECT slot_id, status, owner FROM marts.staging_slots");
                expect(found).to.deep.equal([{ slot_id: 4, status: "In Use", owner: "alice" }]);
            } finally {
                await client.end();
            }
        });

        it("is small, holds no secret and no module's code: pg and exponential-backoff are required when a method runs", async () => {
            const ev = await evaluate(
                engineConfig(withClaims({ "4": claim() }), { deployPrivateKey: SECRETS.deployPrivateKey, repositoryKey: SECRETS.repositoryKey }),
                { now: NOW },
            );
            const text = rowOf(ev, 4).__provider as string;
            // Every row stores it, so ten slots store it ten times.
            expect(text.length, "serialized provider size").to.be.below(64 * 1024);
            for (const secret of [SECRETS.deployPrivateKey, SECRETS.repositoryKey, "TEST-ONLY"]) expect(text).to.not.contain(secret);
            expect(text).to.match(/require\("pg"\)/);
            expect(text).to.match(/require\("exponential-backoff"\)/);
            // Module code would show as its classes and the SDK's runtime; none is inlined.
            expect(text).to.not.match(/class Client extends|class Pool extends|function backOff\(|runtime\/settings/);
        });

        it("runs as the engine's dynamic provider host runs it: require-from-string in the project folder, pg from its node_modules", async () => {
            const ev = await evaluate(engineConfig(withClaims({ "4": claim() })), { now: NOW });
            const { __provider: text, ...inputs } = rowOf(ev, 4);
            const url = await server().freshDatabase();
            // @pulumi/pulumi's cmd/dynamic-provider/index.js: provider = requireFromString(props.__provider).handler(),
            // in a process of its own whose working folder is the project's.
            const host = `
                const provider = require("require-from-string")(process.env.PROVIDER_TEXT).handler();
                const inputs = JSON.parse(process.env.ROW_INPUTS);
                (async () => {
                    const created = await provider.create(inputs);
                    const read = await provider.read(created.id, created.outs);
                    const diff = await provider.diff(created.id, read.props, inputs);
                    process.stdout.write(JSON.stringify({ id: created.id, same: JSON.stringify(read.props) === JSON.stringify(created.outs), changes: diff.changes }));
                })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`;
            const run = spawnSync(process.execPath, ["-e", host], {
                cwd: path.join(__dirname, "..", ".."),
                encoding: "utf8",
                env: { ...process.env, PROVIDER_TEXT: String(text), ROW_INPUTS: JSON.stringify({ ...inputs, deployedAt: "2026-11-23T10:41:07Z" }), [REGISTRY_URL_ENV]: url },
            });
            expect(run.status, run.stderr).to.equal(0);
            // A refresh right after the up reads back exactly what was written, and the next preview sees no change.
            expect(JSON.parse(run.stdout)).to.deep.equal({ id: "staging-4", same: true, changes: false });
        });
    });
});

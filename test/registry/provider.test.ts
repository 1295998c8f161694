// The registry provider against a real PostgreSQL server: every method called as the engine
// calls it, every effect checked with SQL.

import { execFile } from "node:child_process";
import { promisify } from "node:util";

import { expect } from "chai";
import { Client } from "pg";

import {
    PROVIDER_VERSION,
    REGISTRY_URL_ENV,
    RegistryTarget,
    RowState,
    SlotRegistryProvider,
    SlotsTableRow,
} from "../../components/registry/provider";
import { usePostgres } from "../helpers/postgres";
import { itNeeds } from "../helpers/tools";

const run = promisify(execFile);

const COMMIT_A = "0123456789abcdef0123456789abcdef01234567";
const COMMIT_B = "89abcdef0123456789abcdef0123456789abcdef";
const URL_TARGET: RegistryTarget = { kind: "url" };

function available(slot: number): RowState {
    return {
        providerVersion: PROVIDER_VERSION,
        target: URL_TARGET,
        slot,
        identifier: `staging-${slot}`,
        subdomain: `staging-${slot}.justapply.net`,
        campaignUiPort: 5000 + slot,
        airflowPort: 8080 + slot,
        database: `job_search_staging_${slot}`,
        status: "Available",
        owner: null,
        task: null,
        branch: null,
        commit: null,
        purpose: null,
        longRunning: null,
        claimedAt: null,
        deployedAt: null,
    };
}

function inUse(slot: number, overrides: Partial<RowState> = {}): RowState {
    return {
        ...available(slot),
        status: "In Use",
        owner: "alice",
        task: "JOB-123",
        branch: "feature/login",
        commit: COMMIT_A,
        purpose: "QA for PR #123",
        longRunning: null,
        claimedAt: "2026-11-23T10:30:00Z",
        deployedAt: "2026-11-23T10:41:07Z",
        ...overrides,
    };
}

async function sql<T extends object = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
        return (await client.query<T>(text, params)).rows;
    } finally {
        await client.end();
    }
}

async function providerFor(url: string): Promise<SlotRegistryProvider> {
    const p = new SlotRegistryProvider();
    await p.configure({
        config: {
            get: (key) => (key === "staging-slots:registryDatabaseUrl" ? url : undefined),
            require: (key) => {
                throw new Error(`unexpected config ${key}`);
            },
        },
    });
    return p;
}

/** A whole row of marts.staging_slots, as SELECT * returns it. */
type SlotRow = SlotsTableRow & { readonly updated_at: Date };

interface EventRow {
    slot_id: number;
    event: string;
    owner: string | null;
    task: string | null;
    commit_sha: string | null;
}

const slotRow = async (url: string, slot: number): Promise<SlotRow | undefined> =>
    (await sql<SlotRow>(url, "SELECT * FROM marts.staging_slots WHERE slot_id = $1", [slot]))[0];
const events = (url: string): Promise<EventRow[]> =>
    sql<EventRow>(url, "SELECT slot_id, event, owner, task, commit_sha FROM marts.staging_slot_events ORDER BY event_id");

describe("registry provider against PostgreSQL", function () {
    this.timeout(120_000);
    const server = usePostgres();
    let savedEnv: string | undefined;
    let url: string;

    before(() => {
        // The override would redirect every connection; these tests choose their own.
        savedEnv = process.env[REGISTRY_URL_ENV];
        delete process.env[REGISTRY_URL_ENV];
    });
    after(() => {
        if (savedEnv !== undefined) process.env[REGISTRY_URL_ENV] = savedEnv;
    });
    beforeEach(async () => {
        url = await server().freshDatabase();
    });

    it("creates the schema and an Available row with empty usage columns and no event", async () => {
        const p = await providerFor(url);
        const result = await p.create(available(4));
        expect(result.id).to.equal("staging-4");
        const row = await slotRow(url, 4);
        expect(row).to.include({ status: "Available", owner: null, task: null, branch: null, commit_sha: null, deployed_at: null });
        const layout = await sql(url, "SELECT identifier, subdomain, campaign_ui_port, airflow_port, database_name FROM marts.staging_slots");
        expect(layout).to.deep.equal([
            { identifier: "staging-4", subdomain: "staging-4.justapply.net", campaign_ui_port: 5004, airflow_port: 8084, database_name: "job_search_staging_4" },
        ]);
        expect(await events(url)).to.deep.equal([]);
    });

    it("claim, re-point, extend, release and delete each change the row and record one event", async () => {
        const p = await providerFor(url);
        const free = available(4);
        await p.create(free);

        const claimed = inUse(4);
        await p.update("staging-4", free, claimed);
        let row = await slotRow(url, 4);
        expect(row).to.include({ status: "In Use", owner: "alice", task: "JOB-123", branch: "feature/login", commit_sha: COMMIT_A, purpose: "QA for PR #123" });
        expect(row?.deployed_at?.toISOString()).to.equal("2026-11-23T10:41:07.000Z");
        expect(row?.claimed_at?.toISOString()).to.equal("2026-11-23T10:30:00.000Z");

        const repointed = inUse(4, { branch: "feature/login-v2", commit: COMMIT_B, deployedAt: "2026-11-23T11:02:00Z" });
        await p.update("staging-4", claimed, repointed);
        row = await slotRow(url, 4);
        expect(row).to.include({ branch: "feature/login-v2", commit_sha: COMMIT_B });
        expect(row?.deployed_at?.toISOString()).to.equal("2026-11-23T11:02:00.000Z");

        const extended = { ...repointed, longRunning: "soak test until Friday" };
        await p.update("staging-4", repointed, extended);
        expect((await slotRow(url, 4))?.long_running).to.equal("soak test until Friday");

        await p.update("staging-4", extended, free);
        row = await slotRow(url, 4);
        expect(row).to.include({ status: "Available", owner: null, task: null, branch: null, commit_sha: null, purpose: null, long_running: null, deployed_at: null, claimed_at: null });

        expect(await events(url)).to.deep.equal([
            { slot_id: 4, event: "claimed", owner: "alice", task: "JOB-123", commit_sha: COMMIT_A },
            { slot_id: 4, event: "redeployed", owner: "alice", task: "JOB-123", commit_sha: COMMIT_B },
            { slot_id: 4, event: "extended", owner: "alice", task: "JOB-123", commit_sha: COMMIT_B },
            // The release names who let the slot go and what it ran.
            { slot_id: 4, event: "released", owner: "alice", task: "JOB-123", commit_sha: COMMIT_B },
        ]);

        await p.delete("staging-4", free);
        expect(await slotRow(url, 4)).to.equal(undefined);
        // History outlives the row.
        expect(await events(url)).to.have.length(4);
    });

    it("records a new holder taking over a slot as a claim", async () => {
        const p = await providerFor(url);
        const alice = inUse(5);
        await p.create(alice);
        await p.update("staging-5", alice, inUse(5, { owner: "bob", task: "JOB-200" }));
        expect((await events(url)).map((e) => [e.event, e.owner, e.task])).to.deep.equal([
            ["claimed", "alice", "JOB-123"],
            ["claimed", "bob", "JOB-200"],
        ]);
    });

    it("an update that changes nothing in the row records no event", async () => {
        const p = await providerFor(url);
        const row = inUse(6);
        await p.create(row);
        await p.update("staging-6", row, { ...row, providerVersion: PROVIDER_VERSION + 1 });
        expect(await events(url)).to.have.length(1);
    });

    it("read detects a row changed out of band, diff reports it, and update puts it back", async () => {
        const p = await providerFor(url);
        const wanted = inUse(4);
        const created = await p.create(wanted);
        const state = created.outs as RowState;

        const clean = await p.read("staging-4", state);
        expect(clean.props).to.deep.equal(state);
        expect((await p.diff("staging-4", clean.props as RowState, wanted)).changes).to.equal(false);

        // The dashboard releases the slot and someone scribbles on the commit.
        await sql(url, "UPDATE marts.staging_slots SET owner = 'mallory', commit_sha = $1, deployed_at = now() WHERE slot_id = 4", [COMMIT_B]);
        const drifted = await p.read("staging-4", state);
        expect(drifted.id).to.equal("staging-4");
        expect(drifted.props).to.include({ owner: "mallory", commit: COMMIT_B });
        expect(drifted.props?.deployedAt).to.not.equal(wanted.deployedAt);
        const diff = await p.diff("staging-4", drifted.props as RowState, wanted);
        expect(diff.changes).to.equal(true);
        expect(diff.replaces).to.deep.equal([]);

        await p.update("staging-4", drifted.props as RowState, wanted);
        const row = await slotRow(url, 4);
        expect(row).to.include({ owner: "alice", commit_sha: COMMIT_A });
        expect(row?.deployed_at?.toISOString()).to.equal("2026-11-23T10:41:07.000Z");
        const repaired = await p.read("staging-4", state);
        expect(repaired.props).to.deep.equal(state);
    });

    it("read reports a row deleted out of band as gone, so the next up writes it again", async () => {
        const p = await providerFor(url);
        const created = await p.create(inUse(7));
        await sql(url, "DELETE FROM marts.staging_slots WHERE slot_id = 7");
        const result = await p.read("staging-7", created.outs as RowState);
        expect(result.id).to.equal(undefined);
    });

    it("refuses an incompatible existing table with every problem named, and never alters it", async () => {
        await sql(
            url,
            `CREATE SCHEMA marts;
             CREATE TABLE marts.staging_slots (slot_id integer PRIMARY KEY, identifier text, subdomain text,
               campaign_ui_port integer, airflow_port integer, database_name text, status text, owner text, task text,
               branch text, commit_sha text, deployed_at text, purpose text, claimed_at timestamptz, updated_at timestamptz,
               team text NOT NULL);
             CREATE TABLE marts.staging_slot_events (event_id bigserial PRIMARY KEY, slot_id integer, event text, owner text,
               task text, branch text, commit_sha text, occurred_at timestamptz);`,
        );
        const columnsBefore = await sql(url, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'marts' ORDER BY table_name, ordinal_position");
        const p = await providerFor(url);
        let message = "";
        try {
            await p.create(inUse(4));
        } catch (e) {
            message = (e as Error).message;
        }
        expect(message).to.contain("never alters an existing table");
        expect(message).to.contain("marts.staging_slots has no column long_running (text)");
        expect(message).to.contain("marts.staging_slots.deployed_at is text; it must be timestamp with time zone");
        expect(message).to.contain("marts.staging_slots.team is NOT NULL without a default");
        const columnsAfter = await sql(url, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'marts' ORDER BY table_name, ordinal_position");
        expect(columnsAfter).to.deep.equal(columnsBefore);
        expect(await sql(url, "SELECT * FROM marts.staging_slots")).to.deep.equal([]);
    });

    it("refuses a table whose slot_id is not unique", async () => {
        await sql(
            url,
            `CREATE SCHEMA marts;
             CREATE TABLE marts.staging_slots (slot_id integer, identifier text, subdomain text, campaign_ui_port integer,
               airflow_port integer, database_name text, status text, owner text, task text, branch text, commit_sha text,
               deployed_at timestamptz, purpose text, long_running text, claimed_at timestamptz, updated_at timestamptz);`,
        );
        const p = await providerFor(url);
        let message = "";
        try {
            await p.create(available(1));
        } catch (e) {
            message = (e as Error).message;
        }
        expect(message).to.contain("marts.staging_slots.slot_id is not a primary key or unique");
    });

    const slotsTable = (slotId: string, columns: Record<string, string> = {}, extra = ""): string => {
        const cols: Record<string, string> = {
            slot_id: slotId, identifier: "text UNIQUE", subdomain: "text", campaign_ui_port: "integer", airflow_port: "integer",
            database_name: "text", status: "text", owner: "text", task: "text", branch: "text", commit_sha: "text",
            deployed_at: "timestamptz", purpose: "text", long_running: "text", claimed_at: "timestamptz", updated_at: "timestamptz",
            ...columns,
        };
        return `CREATE SCHEMA marts; CREATE TABLE marts.staging_slots (${Object.entries(cols).map(([n, t]) => `${n} ${t}`).join(", ")}${extra});`;
    };
    const refusal = async (ddl: string): Promise<string> => {
        await sql(url, ddl);
        const p = await providerFor(url);
        try {
            await p.create(inUse(1));
        } catch (e) {
            return (e as Error).message;
        }
        return "";
    };

    it("refuses a slot_id uniqueness ON CONFLICT cannot use: a partial unique index", async () => {
        const message = await refusal(`${slotsTable("integer")} CREATE UNIQUE INDEX slots_live ON marts.staging_slots (slot_id) WHERE status = 'In Use';`);
        expect(message).to.contain("marts.staging_slots.slot_id is unique only through an index INSERT … ON CONFLICT (slot_id) cannot use (marts.slots_live is partial (WHERE …))");
        expect(await sql(url, "SELECT * FROM marts.staging_slots")).to.deep.equal([]);
    });

    it("refuses a slot_id uniqueness ON CONFLICT cannot use: a deferrable constraint", async () => {
        const message = await refusal(slotsTable("integer", {}, ", CONSTRAINT slots_once UNIQUE (slot_id) DEFERRABLE INITIALLY DEFERRED"));
        expect(message).to.contain("(marts.slots_once is DEFERRABLE); it needs a plain PRIMARY KEY or UNIQUE (slot_id), not partial and not deferrable");
    });

    it("refuses columns narrower than what the program writes, naming each with the width it needs", async () => {
        const message = await refusal(slotsTable("integer PRIMARY KEY", { owner: "varchar(32)", commit_sha: "varchar(40)", purpose: "character varying(100)", identifier: "varchar(10) UNIQUE" }));
        expect(message).to.contain("marts.staging_slots.owner is character varying(32), narrower than the 64 characters the program may write; it must be text or at least character varying(64)");
        expect(message).to.contain("marts.staging_slots.purpose is character varying(100), narrower than the 200 characters");
        expect(message).to.contain("marts.staging_slots.identifier is character varying(10), narrower than the 11 characters");
        expect(message).to.not.contain("commit_sha");
    });

    it("the column widths it checks are the validator's limits", async () => {
        const { FIELD_LIMITS } = await import("../../components/validation");
        const { SLOT_COLUMNS, EVENT_COLUMNS } = await import("../../components/registry/schema");
        const width = (cols: typeof SLOT_COLUMNS, name: string) => cols.find((c) => c.name === name)?.maxLength;
        for (const cols of [SLOT_COLUMNS, EVENT_COLUMNS]) {
            expect([width(cols, "owner"), width(cols, "task"), width(cols, "branch")]).to.deep.equal([FIELD_LIMITS.owner, FIELD_LIMITS.task, FIELD_LIMITS.branch]);
        }
        expect([width(SLOT_COLUMNS, "purpose"), width(SLOT_COLUMNS, "long_running")]).to.deep.equal([FIELD_LIMITS.purpose, FIELD_LIMITS.longRunning]);
    });

    it("puts back identifiers swapped by hand between two rows instead of failing on their UNIQUE", async () => {
        const p = await providerFor(url);
        await p.create(inUse(3, { task: "JOB-3" }));
        await p.create(inUse(4, { task: "JOB-4" }));
        await sql(url, "UPDATE marts.staging_slots SET identifier = CASE slot_id WHEN 3 THEN 'tmp' ELSE identifier END");
        await sql(url, "UPDATE marts.staging_slots SET identifier = CASE slot_id WHEN 4 THEN 'staging-3' ELSE identifier END");
        await sql(url, "UPDATE marts.staging_slots SET identifier = 'staging-4' WHERE slot_id = 3");
        expect(await sql(url, "SELECT slot_id, identifier FROM marts.staging_slots ORDER BY slot_id")).to.deep.equal([
            { slot_id: 3, identifier: "staging-4" },
            { slot_id: 4, identifier: "staging-3" },
        ]);
        await p.update("staging-3", inUse(3, { task: "JOB-3" }), inUse(3, { task: "JOB-3" }));
        expect(await sql(url, "SELECT slot_id, identifier FROM marts.staging_slots ORDER BY slot_id")).to.deep.equal([
            { slot_id: 3, identifier: "staging-3" },
            { slot_id: 4, identifier: "staging-4" },
        ]);
    });

    it("accepts an existing compatible table with extra nullable columns, and leaves them alone", async () => {
        const p = await providerFor(url);
        await p.create(available(2));
        await sql(url, "ALTER TABLE marts.staging_slots ADD COLUMN dashboard_note text");
        await sql(url, "UPDATE marts.staging_slots SET dashboard_note = 'kept' WHERE slot_id = 2");
        await p.update("staging-2", available(2), inUse(2));
        expect(await sql(url, "SELECT dashboard_note, status FROM marts.staging_slots")).to.deep.equal([{ dashboard_note: "kept", status: "In Use" }]);
    });

    it("writes ten slots concurrently into a fresh database: one row and one event each", async () => {
        const p = await providerFor(url);
        await Promise.all(Array.from({ length: 10 }, (_, i) => p.create(inUse(i + 1, { task: `JOB-${i + 1}` }))));
        const rows = await sql<{ slot_id: number; task: string }>(url, "SELECT slot_id, task FROM marts.staging_slots ORDER BY slot_id");
        expect(rows).to.deep.equal(Array.from({ length: 10 }, (_, i) => ({ slot_id: i + 1, task: `JOB-${i + 1}` })));
        const evs = await events(url);
        expect(evs.map((e) => e.slot_id).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it("a failure inside the transaction leaves neither the row change nor the event", async () => {
        const p = await providerFor(url);
        const claimed = inUse(3);
        await p.create(claimed);
        const before = await slotRow(url, 3);
        // The history insert is the transaction's last statement; make it fail.
        await sql(
            url,
            `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'history is read-only'; END $$;
             CREATE TRIGGER refuse BEFORE INSERT ON marts.staging_slot_events FOR EACH ROW EXECUTE FUNCTION refuse();`,
        );
        let failed = false;
        try {
            await p.update("staging-3", claimed, available(3));
        } catch (e) {
            failed = true;
            expect((e as Error).message).to.contain("history is read-only");
        }
        expect(failed).to.equal(true);
        expect(await slotRow(url, 3)).to.deep.equal(before);
        expect(await events(url)).to.have.length(1);
    });

    it("delete of a row whose tables were never created succeeds without creating them", async () => {
        const p = await providerFor(url);
        await p.delete("staging-9", available(9));
        expect(await sql(url, "SELECT to_regclass('marts.staging_slots') AS t")).to.deep.equal([{ t: null }]);
    });

    itNeeds(["psql"], "plain psql shows the seed's columns and values", async () => {
        const p = await providerFor(url);
        await p.create(inUse(4));
        await p.create(available(5));
        const { stdout } = await run("psql", [
            url,
            "--no-psqlrc",
            "--csv",
            "-c",
            "SELECT slot_id, identifier, subdomain, campaign_ui_port, airflow_port, database_name, status, owner, branch, commit_sha, deployed_at, purpose FROM marts.staging_slots ORDER BY slot_id",
        ], { env: { ...process.env, PGTZ: "UTC" } });
        const lines = stdout.trim().split("\n");
        expect(lines[0]).to.equal("slot_id,identifier,subdomain,campaign_ui_port,airflow_port,database_name,status,owner,branch,commit_sha,deployed_at,purpose");
        expect(lines[1]).to.equal(`4,staging-4,staging-4.justapply.net,5004,8084,job_search_staging_4,In Use,alice,feature/login,${COMMIT_A},2026-11-23 10:41:07+00,QA for PR #123`);
        expect(lines[2]).to.equal("5,staging-5,staging-5.justapply.net,5005,8085,job_search_staging_5,Available,,,,,");
        const described = await run("psql", [url, "--no-psqlrc", "-c", "\\d marts.staging_slot_events"]);
        for (const column of ["slot_id", "event", "owner", "task", "branch", "commit_sha", "occurred_at"]) {
            expect(described.stdout).to.match(new RegExp(`^ ${column} +\\|`, "m"));
        }
    });

    describe("connection", () => {
        it("uses the environment override before the stack config", async () => {
            const p = new SlotRegistryProvider();
            await p.configure({ config: { get: () => "postgresql://nobody@127.0.0.1:1/none", require: () => "" } });
            process.env[REGISTRY_URL_ENV] = url;
            try {
                await p.create(available(8));
            } finally {
                delete process.env[REGISTRY_URL_ENV];
            }
            expect(await slotRow(url, 8)).to.include({ status: "Available" });
        });

        it("without a connection string says which secret to set", async () => {
            const p = new SlotRegistryProvider();
            let message = "";
            try {
                await p.create(available(1));
            } catch (e) {
                message = (e as Error).message;
            }
            expect(message).to.contain("pulumi config set --secret registryDatabaseUrl");
            expect(message).to.contain(REGISTRY_URL_ENV);
        });

        it("an existing-instance target without postgresPassword names that secret", async () => {
            const p = new SlotRegistryProvider();
            const target: RegistryTarget = { kind: "instance", host: "db.example", port: 5432, user: "admin", sslmode: "require", database: "staging_registry" };
            let message = "";
            try {
                await p.create({ ...available(1), target });
            } catch (e) {
                message = (e as Error).message;
            }
            expect(message).to.contain("pulumi config set --secret postgresPassword");
        });

        it("never returns the connection string or a password in outputs", async () => {
            const p = await providerFor(url);
            const created = await p.create(inUse(4));
            const read = await p.read("staging-4", created.outs as RowState);
            const password = new URL(url).password;
            for (const out of [created.outs, read.props]) {
                const text = JSON.stringify(out);
                expect(text).to.not.contain(url);
                if (password) expect(text).to.not.contain(password);
            }
        });
    });
});

// The dynamic provider that keeps one row of marts.staging_slots equal to the stack config.
//
// Pulumi serializes this module's provider object into the state and runs it in a separate
// process, so: modules are `require`d inside the functions (never captured), nothing here holds
// a secret at serialization time, and the connection string is resolved at run time from the
// stack config handed to `configure()` or from an environment variable. Delete and read run the
// code stored in state, so PROVIDER_VERSION is bumped whenever this file changes behaviour.

import type * as dynamic from "@pulumi/pulumi/dynamic";
import type * as pg from "pg";

import {
    EVENTS_TABLE,
    EVENT_COLUMNS,
    EventKind,
    FAMILY_TYPES,
    REGISTRY_SCHEMA,
    SLOTS_TABLE,
    SLOT_COLUMNS,
    ColumnSpec,
    CREATE_SQL,
} from "./schema";
import { HttpStatusError, REGISTRY_RETRY, RetryPolicy, withRetries } from "./retries";

/** Bump when this file changes what create/update/read/delete do. */
export const PROVIDER_VERSION = 3;

/**
 * When set, every registry row connects with this connection string instead of the one derived
 * from the stack config (for CI runners and SSH tunnels). Never stored anywhere.
 */
export const REGISTRY_URL_ENV = "STAGING_SLOTS_REGISTRY_URL";

/** The stack config key of the registry's connection string (a secret). */
export const REGISTRY_URL_KEY = "staging-slots:registryDatabaseUrl";

/**
 * Where the registry lives, without any secret: the secret half comes from config or the
 * environment when a method runs.
 */
export type RegistryTarget =
    /** The secret `registryDatabaseUrl` (e.g. the production database, per the later seed). */
    | { readonly kind: "url" }
    /** An existing PostgreSQL instance; the password is the secret `postgresPassword`. */
    | {
          readonly kind: "instance";
          readonly host: string;
          readonly port: number;
          readonly user: string;
          readonly sslmode: "require" | "verify-ca" | "verify-full";
          readonly database: string;
      }
    /** The managed cluster this stack owns; its credentials are read from DigitalOcean's API. */
    | { readonly kind: "managed"; readonly clusterId: string; readonly database: string };

export type RowStatus = "In Use" | "Available";

/** A row's inputs, and its outputs (the provider returns exactly what it wrote or read). */
export interface RowState {
    readonly providerVersion: number;
    readonly target: RegistryTarget;
    readonly slot: number;
    readonly identifier: string;
    readonly subdomain: string;
    readonly campaignUiPort: number;
    readonly airflowPort: number;
    readonly database: string;
    readonly status: RowStatus;
    readonly owner: string | null;
    readonly task: string | null;
    readonly branch: string | null;
    readonly commit: string | null;
    readonly purpose: string | null;
    readonly longRunning: string | null;
    /** `YYYY-MM-DDTHH:MM:SSZ`. */
    readonly claimedAt: string | null;
    /** `YYYY-MM-DDTHH:MM:SSZ`, from the deploy script's result line. */
    readonly deployedAt: string | null;
}

/** The fields that are columns of the row, in the order the upsert writes them. */
export const ROW_FIELDS = [
    "identifier",
    "subdomain",
    "campaignUiPort",
    "airflowPort",
    "database",
    "status",
    "owner",
    "task",
    "branch",
    "commit",
    "purpose",
    "longRunning",
    "claimedAt",
    "deployedAt",
] as const;
const USAGE_FIELDS = ["owner", "task", "branch", "commit", "purpose", "longRunning", "claimedAt", "deployedAt"] as const;

// What the engine sends for a value not known yet (during preview).
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The secret-bearing config the provider reads in configure(). */
export interface StackConnectionConfig {
    readonly registryDatabaseUrl?: string;
    readonly postgresPassword?: string;
    readonly digitaloceanToken?: string;
}

/**
 * The shape of one marts.staging_slots row as node-postgres returns it (every column but
 * updated_at). A type only: nothing of it is in the serialized provider, and `slots status`
 * reads the same row type (cli/registryRead.ts) without loading this module.
 */
export interface SlotsTableRow {
    slot_id: number;
    identifier: string;
    subdomain: string;
    campaign_ui_port: number;
    airflow_port: number;
    database_name: string;
    status: string;
    owner: string | null;
    task: string | null;
    branch: string | null;
    commit_sha: string | null;
    purpose: string | null;
    long_running: string | null;
    claimed_at: Date | null;
    deployed_at: Date | null;
}

function quoteIdent(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
}

const SLOTS = `${REGISTRY_SCHEMA}.${SLOTS_TABLE}`;
const EVENTS = `${REGISTRY_SCHEMA}.${EVENTS_TABLE}`;
// Serializes schema creation across the rows that `pulumi up` writes in parallel: concurrent
// CREATE TABLE IF NOT EXISTS can otherwise fail on the catalog's unique index.
const SCHEMA_LOCK = 7_412_530_193;
/** Advisory lock key serializing row writes (see upsertRow). */
const ROW_LOCK = 7_412_530_194;

/** The DigitalOcean API's address: DIGITALOCEAN_API_URL when set, as the DigitalOcean provider reads it. */
function digitaloceanApi(env: Readonly<Record<string, string | undefined>>): string {
    // terraform-provider-digitalocean: api_endpoint defaults to DIGITALOCEAN_API_URL, else
    // https://api.digitalocean.com (pulumi-digitalocean's provider/resources.go maps the same variable).
    return (env.DIGITALOCEAN_API_URL || "https://api.digitalocean.com").replace(/\/+$/, "");
}

/** GET one DigitalOcean API document, retried on 429, 5xx and timeouts. */
async function digitaloceanGet<T>(api: string, resource: string, token: string, what: string, retry: RetryPolicy): Promise<T> {
    return withRetries(
        `${what} (GET ${api}${resource})`,
        async () => {
            const response = await fetch(`${api}${resource}`, {
                headers: { Authorization: `Bearer ${token}` },
                signal: AbortSignal.timeout(15_000),
            });
            if (!response.ok) {
                throw new HttpStatusError(`${what} failed with HTTP ${response.status}; check the token's read scope on databases`, response.status);
            }
            return (await response.json()) as T;
        },
        retry,
    );
}

/** Options of clientConfig that tests change. */
export interface ClientConfigOptions {
    /** Retry policy of the DigitalOcean API calls; default REGISTRY_RETRY. */
    readonly retry?: RetryPolicy;
}

/** Connection settings for node-postgres, resolved at run time; never stored. */
export async function clientConfig(
    target: RegistryTarget,
    stack: StackConnectionConfig,
    env: Readonly<Record<string, string | undefined>>,
    options: ClientConfigOptions = {},
): Promise<pg.ClientConfig> {
    const common = { connectionTimeoutMillis: 15_000, query_timeout: 60_000, application_name: "staging-slots" };
    const override = env[REGISTRY_URL_ENV];
    if (override) return { ...common, connectionString: override };
    switch (target.kind) {
        case "url": {
            if (!stack.registryDatabaseUrl) {
                throw new Error(
                    `the registry's connection string is not set: pulumi config set --secret registryDatabaseUrl 'postgresql://…' (or set ${REGISTRY_URL_ENV})`,
                );
            }
            return { ...common, connectionString: stack.registryDatabaseUrl };
        }
        case "instance": {
            if (!stack.postgresPassword) {
                throw new Error(
                    `the registry lives on the existing PostgreSQL instance but its password is not set: pulumi config set --secret postgresPassword (or set ${REGISTRY_URL_ENV})`,
                );
            }
            return {
                ...common,
                host: target.host,
                port: target.port,
                user: target.user,
                password: stack.postgresPassword,
                database: target.database,
                // libpq's "require" encrypts without verifying the certificate; node-postgres needs it spelled out.
                ssl: target.sslmode === "require" ? { rejectUnauthorized: false } : true,
            };
        }
        case "managed": {
            const token = stack.digitaloceanToken ?? env.DIGITALOCEAN_TOKEN ?? env.DIGITALOCEAN_ACCESS_TOKEN;
            if (!token) {
                throw new Error(
                    `reading the managed cluster's credentials needs a DigitalOcean token: pulumi config set --secret digitalocean:token, or DIGITALOCEAN_TOKEN (or set ${REGISTRY_URL_ENV} or registryDatabaseUrl)`,
                );
            }
            const api = digitaloceanApi(env);
            const retry = options.retry ?? REGISTRY_RETRY;
            const cluster = `/v2/databases/${encodeURIComponent(target.clusterId)}`;
            const body = await digitaloceanGet<{ database?: { connection?: { host?: string; port?: number; user?: string; password?: string } } }>(
                api,
                cluster,
                token,
                `reading database cluster ${target.clusterId} from DigitalOcean`,
                retry,
            );
            const c = body.database?.connection;
            if (!c?.host || !c.port || !c.user || !c.password) {
                throw new Error(`DigitalOcean returned no connection details for database cluster ${target.clusterId}`);
            }
            // The cluster's own CA signs its server certificate (DigitalOcean API: GET
            // /v2/databases/{id}/ca, base64 of the PEM). With it node-postgres verifies the chain,
            // and Node's default checkServerIdentity the host name: libpq's sslmode=verify-full.
            const ca = await digitaloceanGet<{ ca?: { certificate?: string } }>(
                api,
                `${cluster}/ca`,
                token,
                `reading the CA certificate of database cluster ${target.clusterId} from DigitalOcean`,
                retry,
            );
            const pem = ca.ca?.certificate ? Buffer.from(ca.ca.certificate, "base64").toString("utf8") : "";
            if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
                throw new Error(`DigitalOcean returned no CA certificate for database cluster ${target.clusterId}; the registry will not connect unverified`);
            }
            return {
                ...common,
                host: c.host,
                port: c.port,
                user: c.user,
                password: c.password,
                database: target.database,
                ssl: { ca: pem, rejectUnauthorized: true },
            };
        }
    }
}

/** Where a connection goes, for error messages: never the password or the full connection string. */
export function describeConnection(config: pg.ClientConfig): string {
    if (config.connectionString) {
        try {
            const u = new URL(config.connectionString);
            return `${u.hostname}:${u.port || 5432}${u.pathname}`;
        } catch {
            return "the configured connection string";
        }
    }
    return `${config.host}:${config.port}/${config.database}`;
}

/** A connected client; the connect is retried on refused connections, timeouts and a server starting up. */
export async function connect(config: pg.ClientConfig, retry: RetryPolicy = REGISTRY_RETRY): Promise<pg.Client> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require("pg") as typeof import("pg");
    return withRetries(
        `connecting to the registry database at ${describeConnection(config)}`,
        async () => {
            // A client that failed to connect cannot connect again: each try gets a new one.
            const client = new Client(config);
            try {
                await client.connect();
                return client;
            } catch (e) {
                await client.end().catch(() => undefined);
                throw e;
            }
        },
        retry,
    );
}

async function withClient<T>(
    target: RegistryTarget,
    stack: StackConnectionConfig,
    work: (client: pg.Client) => Promise<T>,
): Promise<T> {
    const client = await connect(await clientConfig(target, stack, process.env));
    try {
        return await work(client);
    } finally {
        await client.end();
    }
}

async function tablesPresent(client: pg.Client): Promise<{ slots: boolean; events: boolean }> {
    const { rows } = await client.query<{ slots: boolean; events: boolean }>(
        "SELECT to_regclass($1) IS NOT NULL AS slots, to_regclass($2) IS NOT NULL AS events",
        [SLOTS, EVENTS],
    );
    return rows[0];
}

/** Every way the existing tables fall short of what the provider writes; empty when compatible. */
export async function incompatibilities(client: pg.Client): Promise<string[]> {
    const { rows } = await client.query<{
        table_name: string;
        column_name: string;
        data_type: string;
        is_nullable: string;
        column_default: string | null;
        is_identity: string;
        character_maximum_length: number | null;
    }>(
        `SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity, character_maximum_length
           FROM information_schema.columns WHERE table_schema = $1 AND table_name IN ($2, $3)`,
        [REGISTRY_SCHEMA, SLOTS_TABLE, EVENTS_TABLE],
    );
    const problems: string[] = [];
    const check = (table: string, specs: readonly ColumnSpec[], inserted: readonly string[]): void => {
        const actual = rows.filter((r) => r.table_name === table);
        for (const spec of specs) {
            const col = actual.find((r) => r.column_name === spec.name);
            const wanted = FAMILY_TYPES[spec.family];
            if (!col) {
                problems.push(`${REGISTRY_SCHEMA}.${table} has no column ${spec.name} (${wanted[0]})`);
            } else if (!wanted.includes(col.data_type)) {
                problems.push(`${REGISTRY_SCHEMA}.${table}.${spec.name} is ${col.data_type}; it must be ${wanted.join(" or ")}`);
            } else if (spec.maxLength !== undefined && col.character_maximum_length !== null && col.character_maximum_length < spec.maxLength) {
                problems.push(
                    `${REGISTRY_SCHEMA}.${table}.${spec.name} is ${col.data_type}(${col.character_maximum_length}), narrower than the ${spec.maxLength} characters the program may write; it must be text or at least ${col.data_type}(${spec.maxLength})`,
                );
            }
        }
        for (const col of actual) {
            if (!inserted.includes(col.column_name) && col.is_nullable === "NO" && col.column_default === null && col.is_identity !== "YES") {
                problems.push(`${REGISTRY_SCHEMA}.${table}.${col.column_name} is NOT NULL without a default, so no row can be inserted without it`);
            }
        }
    };
    check(SLOTS_TABLE, SLOT_COLUMNS, SLOT_COLUMNS.map((c) => c.name));
    check(EVENTS_TABLE, EVENT_COLUMNS, EVENT_COLUMNS.filter((c) => c.name !== "event_id").map((c) => c.name));
    const eventId = rows.find((r) => r.table_name === EVENTS_TABLE && r.column_name === "event_id");
    if (eventId && eventId.column_default === null && eventId.is_identity !== "YES") {
        problems.push(`${REGISTRY_SCHEMA}.${EVENTS_TABLE}.event_id has no default; it must be generated (bigserial or identity)`);
    }
    if (rows.some((r) => r.table_name === SLOTS_TABLE && r.column_name === "slot_id")) {
        // ON CONFLICT (slot_id) infers a unique index on exactly slot_id that is valid, not
        // partial and checked immediately (PostgreSQL: INSERT … ON CONFLICT, "conflict_target";
        // a deferrable constraint or a partial index without a matching WHERE is not inferred).
        const unique = await client.query<{ partial: boolean; deferrable: boolean; valid: boolean; name: string }>(
            `SELECT i.indpred IS NOT NULL AS partial, NOT i.indimmediate AS deferrable, i.indisvalid AS valid,
                    i.indexrelid::regclass::text AS name
               FROM pg_index i
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
              WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indnkeyatts = 1 AND i.indnatts = 1
                AND a.attname = 'slot_id' AND i.indexprs IS NULL`,
            [SLOTS],
        );
        if (unique.rowCount === 0) {
            problems.push(`${SLOTS}.slot_id is not a primary key or unique; one row per slot needs it`);
        } else if (!unique.rows.some((u) => !u.partial && !u.deferrable && u.valid)) {
            const why = unique.rows.map((u) => `${u.name} is ${[u.partial ? "partial (WHERE …)" : "", u.deferrable ? "DEFERRABLE" : "", u.valid ? "" : "invalid"].filter(Boolean).join(", ")}`);
            problems.push(
                `${SLOTS}.slot_id is unique only through an index INSERT … ON CONFLICT (slot_id) cannot use (${why.join("; ")}); it needs a plain PRIMARY KEY or UNIQUE (slot_id), not partial and not deferrable`,
            );
        }
    }
    return problems;
}

/** Throws one error listing every incompatibility of the existing tables. */
async function assertCompatible(client: pg.Client): Promise<void> {
    const problems = await incompatibilities(client);
    if (problems.length === 0) return;
    const db = (await client.query<{ db: string }>("SELECT current_database() AS db")).rows[0].db;
    throw new Error(
        `the registry tables in database ${db} do not match what staging-slots writes, and it never alters an existing table:\n` +
            problems.map((p) => `  - ${p}`).join("\n") +
            "\nFix the table by hand (see the README's registry section) or point registryDatabase / registryDatabaseUrl at another database, then run pulumi up again.",
    );
}

/** Creates the schema and tables when missing, then checks the existing ones. */
export async function ensureSchema(client: pg.Client): Promise<void> {
    const present = await tablesPresent(client);
    if (!present.slots || !present.events) {
        await client.query("BEGIN");
        try {
            await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
            await client.query(CREATE_SQL);
            await client.query("COMMIT");
        } catch (e) {
            await client.query("ROLLBACK");
            throw e;
        }
    }
    await assertCompatible(client);
}

function isoSeconds(d: Date): string {
    return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function sameInstant(a: string | null, b: string | null): boolean {
    if (a === null || b === null) return a === b;
    return new Date(a).getTime() === new Date(b).getTime();
}

/** The row as state: the stored text of a timestamp is kept when the instant is unchanged. */
export function stateFromDb(row: SlotsTableRow, old: RowState): RowState {
    const time = (d: Date | null, before: string | null): string | null => {
        if (d === null) return null;
        return before !== null && new Date(before).getTime() === d.getTime() ? before : isoSeconds(d);
    };
    return {
        providerVersion: old.providerVersion,
        target: old.target,
        slot: row.slot_id,
        identifier: row.identifier,
        subdomain: row.subdomain,
        campaignUiPort: row.campaign_ui_port,
        airflowPort: row.airflow_port,
        database: row.database_name,
        status: row.status as RowStatus,
        owner: row.owner,
        task: row.task,
        branch: row.branch,
        commit: row.commit_sha,
        purpose: row.purpose,
        longRunning: row.long_running,
        claimedAt: time(row.claimed_at, old.claimedAt),
        deployedAt: time(row.deployed_at, old.deployedAt),
    };
}

/** The history event a change of the row amounts to, or undefined when usage did not change. */
export function eventFor(before: RowState | undefined, after: RowState): { kind: EventKind; from: RowState } | undefined {
    if (after.status === "Available") {
        return before?.status === "In Use" ? { kind: "released", from: before } : undefined;
    }
    if (!before || before.status !== "In Use" || before.owner !== after.owner || before.task !== after.task) {
        return { kind: "claimed", from: after };
    }
    if (before.commit !== after.commit || before.branch !== after.branch || !sameInstant(before.deployedAt, after.deployedAt)) {
        return { kind: "redeployed", from: after };
    }
    if (before.longRunning !== after.longRunning || before.purpose !== after.purpose || !sameInstant(before.claimedAt, after.claimedAt)) {
        return { kind: "extended", from: after };
    }
    return undefined;
}

async function selectRow(client: pg.Client, slot: number, lock: boolean): Promise<SlotsTableRow | undefined> {
    const { rows } = await client.query<SlotsTableRow>(
        `SELECT slot_id, identifier, subdomain, campaign_ui_port, airflow_port, database_name, status, owner, task,
                branch, commit_sha, purpose, long_running, claimed_at, deployed_at
           FROM ${SLOTS} WHERE slot_id = $1${lock ? " FOR UPDATE" : ""}`,
        [slot],
    );
    return rows[0];
}

/** Writes the row and its history event in one transaction: both land, or neither does. */
export async function upsertRow(client: pg.Client, row: RowState): Promise<EventKind | undefined> {
    await client.query("BEGIN");
    try {
        // Rows write one at a time: freeing an identifier below touches another slot's row, and
        // two rows doing that for each other at once would deadlock.
        await client.query("SELECT pg_advisory_xact_lock($1)", [ROW_LOCK]);
        const current = await selectRow(client, row.slot, true);
        // An identifier swapped by hand onto another slot's row would make this write a
        // duplicate-key error on the identifier's UNIQUE: move it out of the way, write this row,
        // then give that row its own identifier back when it is free.
        const displaced = await client.query<{ slot_id: number }>(
            `UPDATE ${SLOTS} SET identifier = '#displaced:' || slot_id WHERE identifier = $1 AND slot_id <> $2 RETURNING slot_id`,
            [row.identifier, row.slot],
        );
        const event = eventFor(current ? stateFromDb(current, row) : undefined, row);
        const columns = SLOT_COLUMNS.map((c) => c.name).filter((n) => n !== "updated_at");
        const values = [
            row.slot,
            row.identifier,
            row.subdomain,
            row.campaignUiPort,
            row.airflowPort,
            row.database,
            row.status,
            row.owner,
            row.task,
            row.branch,
            row.commit,
            row.deployedAt,
            row.purpose,
            row.longRunning,
            row.claimedAt,
        ];
        await client.query(
            `INSERT INTO ${SLOTS} (${columns.map(quoteIdent).join(", ")}, updated_at)
             VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")}, now())
             ON CONFLICT (slot_id) DO UPDATE SET ${columns
                 .filter((n) => n !== "slot_id")
                 .map((n) => `${quoteIdent(n)} = EXCLUDED.${quoteIdent(n)}`)
                 .join(", ")}, updated_at = now()`,
            values,
        );
        const prefix = row.identifier.endsWith(String(row.slot)) ? row.identifier.slice(0, -String(row.slot).length) : undefined;
        if (prefix !== undefined) {
            for (const { slot_id } of displaced.rows) {
                await client.query(
                    `UPDATE ${SLOTS} SET identifier = $1 WHERE slot_id = $2 AND NOT EXISTS (SELECT 1 FROM ${SLOTS} WHERE identifier = $1)`,
                    [`${prefix}${slot_id}`, slot_id],
                );
            }
        }
        if (event) {
            const f = event.from;
            await client.query(
                `INSERT INTO ${EVENTS} (slot_id, event, owner, task, branch, commit_sha, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, now())`,
                [row.slot, event.kind, f.owner, f.task, f.branch, f.commit],
            );
        }
        await client.query("COMMIT");
        return event?.kind;
    } catch (e) {
        await client.query("ROLLBACK");
        throw e;
    }
}

/** The row's state without the engine's bookkeeping (`__provider`), in a fixed key order. */
export function rowState(props: RowState): RowState {
    return {
        providerVersion: props.providerVersion,
        target: props.target,
        slot: props.slot,
        identifier: props.identifier,
        subdomain: props.subdomain,
        campaignUiPort: props.campaignUiPort,
        airflowPort: props.airflowPort,
        database: props.database,
        status: props.status,
        owner: props.owner ?? null,
        task: props.task ?? null,
        branch: props.branch ?? null,
        commit: props.commit ?? null,
        purpose: props.purpose ?? null,
        longRunning: props.longRunning ?? null,
        claimedAt: props.claimedAt ?? null,
        deployedAt: props.deployedAt ?? null,
    };
}

/** Every problem with a row's inputs; values not known yet (preview) are not judged. */
export function checkRow(news: Partial<Record<keyof RowState, unknown>>): dynamic.CheckFailure[] {
    const failures: dynamic.CheckFailure[] = [];
    const known = (v: unknown): boolean => v !== UNKNOWN;
    const fail = (property: string, reason: string): void => void failures.push({ property, reason });
    const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0;
    const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

    if (!Number.isInteger(news.providerVersion)) fail("providerVersion", "must be a whole number");
    const target = news.target as Partial<Record<string, unknown>> | undefined;
    if (known(target)) {
        if (typeof target !== "object" || target === null) fail("target", "must say where the registry lives");
        else if (target.kind === "instance") {
            if (!isText(target.host) || !Number.isInteger(target.port) || !isText(target.user) || !isText(target.database)) {
                fail("target", "an instance target needs host, port, user and database");
            }
        } else if (target.kind === "managed") {
            if (known(target.clusterId) && !isText(target.clusterId)) fail("target", "a managed target needs the cluster id");
            if (!isText(target.database)) fail("target", "a managed target needs the database name");
        } else if (target.kind !== "url") fail("target", `unknown target kind ${String(target.kind)}; use url, instance or managed`);
    }
    if (!Number.isInteger(news.slot) || (news.slot as number) < 1 || (news.slot as number) > 100) fail("slot", "must be a slot number from 1 to 100");
    for (const f of ["identifier", "subdomain", "database"] as const) if (!isText(news[f])) fail(f, `${f} is required`);
    for (const f of ["campaignUiPort", "airflowPort"] as const) {
        const v = news[f];
        if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535) fail(f, "must be a TCP port");
    }
    if (news.status === "In Use") {
        for (const f of ["owner", "task", "branch", "claimedAt"] as const) if (known(news[f]) && !isText(news[f])) fail(f, `${f} is required while the slot is In Use`);
        if (known(news.commit) && !(typeof news.commit === "string" && /^[0-9a-f]{40}$/.test(news.commit))) {
            fail("commit", "must be the full 40-character lowercase hex SHA");
        }
        for (const f of ["claimedAt", "deployedAt"] as const) {
            const v = news[f];
            if (known(v) && v !== null && v !== undefined && !(typeof v === "string" && time.test(v) && !Number.isNaN(Date.parse(v)))) {
                fail(f, `must be a UTC time like 2026-11-23T10:30:00Z, got ${JSON.stringify(v)}`);
            }
        }
    } else if (news.status === "Available") {
        for (const f of USAGE_FIELDS) {
            if (news[f] !== null && news[f] !== undefined) fail(f, `must be empty while the slot is Available (it is ${JSON.stringify(news[f])})`);
        }
    } else {
        fail("status", `must be "In Use" or "Available", got ${JSON.stringify(news.status)}`);
    }
    return failures;
}

/**
 * The provider. One instance serves every row; `configure()` receives the stack config (with
 * secrets decrypted) in the provider's own process, so the connection string never passes
 * through the program, the inputs or the outputs.
 */
export class SlotRegistryProvider implements dynamic.ResourceProvider<RowState, RowState> {
    stack: StackConnectionConfig = {};

    async configure(req: dynamic.ConfigureRequest): Promise<void> {
        const get = (key: string): string | undefined => req.config.get(key) || undefined;
        this.stack = {
            registryDatabaseUrl: get("staging-slots:registryDatabaseUrl"),
            postgresPassword: get("staging-slots:postgresPassword"),
            digitaloceanToken: get("digitalocean:token"),
        };
    }

    async check(_olds: RowState, news: RowState): Promise<dynamic.CheckResult<RowState>> {
        const failures = checkRow(news);
        return failures.length > 0 ? { inputs: news, failures } : { inputs: news };
    }

    async diff(_id: string, olds: RowState, news: RowState): Promise<dynamic.DiffResult> {
        const replaces: string[] = [];
        if (olds.slot !== news.slot) replaces.push("slot");
        // A row moving to another database is replaced old-row-first: written first and deleted
        // after, it would delete the row just written whenever both targets are one database.
        if (JSON.stringify(olds.target) !== JSON.stringify(news.target)) replaces.push("target");
        const changed =
            replaces.length > 0 ||
            olds.providerVersion !== news.providerVersion ||
            ROW_FIELDS.some((f) => (olds[f] ?? null) !== (news[f] ?? null));
        return { changes: changed, replaces, deleteBeforeReplace: replaces.length > 0 };
    }

    async create(inputs: RowState): Promise<dynamic.CreateResult<RowState>> {
        const row = rowState(inputs);
        await withClient(row.target, this.stack, async (client) => {
            await ensureSchema(client);
            await upsertRow(client, row);
        });
        return { id: row.identifier, outs: row };
    }

    async update(_id: string, _olds: RowState, news: RowState): Promise<dynamic.UpdateResult<RowState>> {
        const row = rowState(news);
        await withClient(row.target, this.stack, async (client) => {
            await ensureSchema(client);
            await upsertRow(client, row);
        });
        return { outs: row };
    }

    async read(id: string, props?: RowState): Promise<dynamic.ReadResult<RowState>> {
        if (!props) return {};
        const old = rowState(props);
        return withClient(old.target, this.stack, async (client) => {
            const present = await tablesPresent(client);
            if (!present.slots) return {};
            await assertCompatible(client);
            const current = await selectRow(client, old.slot, false);
            // A missing row reads as a deleted resource: the next up writes it again.
            return current ? { id, props: stateFromDb(current, old) } : {};
        });
    }

    async delete(_id: string, props: RowState): Promise<void> {
        const old = rowState(props);
        await withClient(old.target, this.stack, async (client) => {
            if (!(await tablesPresent(client)).slots) return;
            await client.query(`DELETE FROM ${SLOTS} WHERE slot_id = $1`, [old.slot]);
        });
    }
}

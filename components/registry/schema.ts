// The registry's tables: the DDL that creates them when missing and the column contract an
// existing table must meet. Plain data, so the dynamic provider's serialized code carries it by
// value and the tests and the README read the same definitions.

/** Schema of the registry tables (the later seed's `marts`). */
export const REGISTRY_SCHEMA = "marts";
/** One row per slot: the static layout and the current usage. */
export const SLOTS_TABLE = "staging_slots";
/** Append-only history of usage changes. */
export const EVENTS_TABLE = "staging_slot_events";

/** The kinds of event the history records. */
export const EVENT_KINDS = ["claimed", "redeployed", "released", "extended"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** The type families a column may have in an existing table; the first is the one created. */
export type ColumnFamily = "integer" | "text" | "timestamptz" | "bigint";

/** One column the program reads or writes. */
export interface ColumnSpec {
    readonly name: string;
    readonly family: ColumnFamily;
    /**
     * The longest text the program writes into it (a character varying(n) narrower than this is
     * refused). Taken from the validator's limits (components/validation.ts FIELD_LIMITS, a test
     * holds them equal) and the layout: identifier staging-100, a subdomain under a 253-character
     * domain, job_search_staging_100, the longest status and event kind.
     */
    readonly maxLength?: number;
}

// information_schema.columns.data_type values accepted for each family. Wider integer types and
// varchar hold every value the program writes, so an existing table using them is compatible.
export const FAMILY_TYPES: Readonly<Record<ColumnFamily, readonly string[]>> = {
    integer: ["integer", "bigint"],
    bigint: ["bigint"],
    text: ["text", "character varying"],
    timestamptz: ["timestamp with time zone"],
};

export const SLOT_COLUMNS: readonly ColumnSpec[] = [
    { name: "slot_id", family: "integer" },
    { name: "identifier", family: "text", maxLength: "staging-100".length },
    { name: "subdomain", family: "text", maxLength: "staging-100.".length + 253 },
    { name: "campaign_ui_port", family: "integer" },
    { name: "airflow_port", family: "integer" },
    { name: "database_name", family: "text", maxLength: "job_search_staging_100".length },
    { name: "status", family: "text", maxLength: "Available".length },
    { name: "owner", family: "text", maxLength: 64 },
    { name: "task", family: "text", maxLength: 64 },
    { name: "branch", family: "text", maxLength: 200 },
    { name: "commit_sha", family: "text", maxLength: 40 },
    { name: "deployed_at", family: "timestamptz" },
    { name: "purpose", family: "text", maxLength: 200 },
    { name: "long_running", family: "text", maxLength: 200 },
    { name: "claimed_at", family: "timestamptz" },
    { name: "updated_at", family: "timestamptz" },
];

export const EVENT_COLUMNS: readonly ColumnSpec[] = [
    { name: "event_id", family: "bigint" },
    { name: "slot_id", family: "integer" },
    { name: "event", family: "text", maxLength: "redeployed".length },
    { name: "owner", family: "text", maxLength: 64 },
    { name: "task", family: "text", maxLength: 64 },
    { name: "branch", family: "text", maxLength: 200 },
    { name: "commit_sha", family: "text", maxLength: 40 },
    { name: "occurred_at", family: "timestamptz" },
];

/**
 * Creates what is missing and nothing else: `IF NOT EXISTS` everywhere, no ALTER. An existing
 * table is checked against SLOT_COLUMNS / EVENT_COLUMNS instead, never changed.
 */
export const CREATE_SQL = `
CREATE SCHEMA IF NOT EXISTS ${REGISTRY_SCHEMA};

CREATE TABLE IF NOT EXISTS ${REGISTRY_SCHEMA}.${SLOTS_TABLE} (
    slot_id          integer PRIMARY KEY CHECK (slot_id BETWEEN 1 AND 100),
    identifier       text NOT NULL UNIQUE,
    subdomain        text NOT NULL,
    campaign_ui_port integer NOT NULL,
    airflow_port     integer NOT NULL,
    database_name    text NOT NULL,
    status           text NOT NULL CHECK (status IN ('In Use', 'Available')),
    owner            text,
    task             text,
    branch           text,
    commit_sha       text CHECK (commit_sha ~ '^[0-9a-f]{40}$'),
    deployed_at      timestamptz,
    purpose          text,
    long_running     text,
    claimed_at       timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'In Use' OR (owner IS NULL AND task IS NULL AND branch IS NULL AND commit_sha IS NULL
        AND deployed_at IS NULL AND purpose IS NULL AND long_running IS NULL AND claimed_at IS NULL))
);

COMMENT ON TABLE ${REGISTRY_SCHEMA}.${SLOTS_TABLE} IS
    'One row per staging slot, written by pulumi up from the staging-slots stack config; edits made here are put back on the next up.';

CREATE TABLE IF NOT EXISTS ${REGISTRY_SCHEMA}.${EVENTS_TABLE} (
    event_id    bigserial PRIMARY KEY,
    slot_id     integer NOT NULL,
    event       text NOT NULL CHECK (event IN (${EVENT_KINDS.map((k) => `'${k}'`).join(", ")})),
    owner       text,
    task        text,
    branch      text,
    commit_sha  text,
    occurred_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS ${EVENTS_TABLE}_slot_time ON ${REGISTRY_SCHEMA}.${EVENTS_TABLE} (slot_id, occurred_at);
`;

// Reading the registry table for `slots status`, `table` and `comment`: what `pulumi up` last
// wrote for each slot. Read-only (a READ ONLY transaction, one SELECT) and bounded in time
// (connect, statement and query timeouts), so a slow or unreachable database costs a note,
// never a hang. The connection string comes from --registry-url or STAGING_REGISTRY_URL and is
// never printed: errors name the failure, not the URL.

import type { Client } from "pg";

import { utcTimestamp } from "../components/expiry";
import type { SlotsTableRow } from "../components/registry/provider";
import { REGISTRY_SCHEMA, SLOTS_TABLE } from "../components/registry/schema";

/** The environment variable `slots` reads the registry's connection string from. */
export const STATUS_REGISTRY_ENV = "STAGING_REGISTRY_URL";

/** One slot's row as `pulumi up` last wrote it. */
export interface RegistryRow {
    readonly slot: number;
    readonly status: string;
    readonly owner: string | null;
    readonly task: string | null;
    readonly branch: string | null;
    readonly commit: string | null;
    /** `YYYY-MM-DDTHH:MM:SSZ`, or null when Available. */
    readonly deployedAt: string | null;
    /** `YYYY-MM-DDTHH:MM:SSZ`, or null when Available. */
    readonly claimedAt: string | null;
}

/** What reading the registry gave: its rows, or why there are none. */
export type RegistryReading =
    | { readonly kind: "rows"; readonly rows: ReadonlyMap<number, RegistryRow> }
    | { readonly kind: "skipped"; readonly note: string };

/** The columns `slots` reads, one list for the SELECT and the type of its rows. */
const READ_COLUMNS = ["slot_id", "status", "owner", "task", "branch", "commit_sha", "deployed_at", "claimed_at"] as const;
type ReadRow = Pick<SlotsTableRow, (typeof READ_COLUMNS)[number]>;

function isoSeconds(d: Date | null): string | null {
    return d === null ? null : utcTimestamp(d);
}

/** The registry URL a command was given (option first, then the environment), if any. */
export function registryUrl(option: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
    return option ?? (env[STATUS_REGISTRY_ENV] || undefined);
}

// The failure without the connection string: pg's messages name hosts and users, not passwords,
// but a malformed URL's message may quote it.
function failure(e: unknown): string {
    const err = e as { code?: string; message?: string };
    const message = (err.message ?? String(e)).split("\n")[0];
    if (err.code === "57014") return "the query ran past its statement timeout";
    if (e instanceof TypeError) return "the connection string is not a valid postgresql:// URL";
    return message.length > 120 ? `${message.slice(0, 117)}...` : message;
}

/**
 * Reads every row of marts.staging_slots; never throws. `url` undefined skips the read with a note
 * saying how to ask for it.
 */
export async function readRegistry(url: string | undefined, timeoutMs: number): Promise<RegistryReading> {
    if (url === undefined) {
        return { kind: "skipped", note: `registry not read (pass --registry-url or set ${STATUS_REGISTRY_ENV} to compare with what pulumi up recorded)` };
    }
    // Loaded only when asked for, so that `slots check` in a pre-commit hook does not pay for it.
    const pg = await import("pg");
    let client: Client;
    try {
        client = new pg.Client({
            connectionString: url,
            connectionTimeoutMillis: timeoutMs,
            statement_timeout: timeoutMs,
            // The server's statement timeout ends a slow query first, with a clear error; this one
            // covers a server that stops answering altogether.
            query_timeout: timeoutMs + 1000,
            application_name: "slots-status",
        });
    } catch (e) {
        return { kind: "skipped", note: `registry not read: ${failure(e)}` };
    }
    // An error event after connect (the server going away) must not crash the command.
    client.on("error", () => {});
    try {
        await client.connect();
        await client.query("BEGIN TRANSACTION READ ONLY");
        const result = await client.query<ReadRow>(`SELECT ${READ_COLUMNS.join(", ")} FROM ${REGISTRY_SCHEMA}.${SLOTS_TABLE} ORDER BY slot_id`);
        await client.query("COMMIT");
        const rows = new Map<number, RegistryRow>();
        for (const r of result.rows) {
            rows.set(Number(r.slot_id), {
                slot: Number(r.slot_id),
                status: r.status,
                owner: r.owner,
                task: r.task,
                branch: r.branch,
                commit: r.commit_sha,
                deployedAt: isoSeconds(r.deployed_at),
                claimedAt: isoSeconds(r.claimed_at),
            });
        }
        return { kind: "rows", rows };
    } catch (e) {
        return { kind: "skipped", note: `registry not read: ${failure(e)}` };
    } finally {
        await client.end().catch(() => {});
    }
}

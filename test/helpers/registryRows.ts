// Rows of marts.staging_slots as `pulumi up` would have written them, for tests of the commands
// that read the registry: the table is created with the provider's own DDL.

import { Client } from "pg";

import { CREATE_SQL } from "../../components/registry/schema";

/** One row: In Use by owner-N for JOB-N on feature/N when `commit` is set, else Available. */
export interface RegistrySeed {
    readonly slot: number;
    readonly commit: string | null;
    /** Default 2026-11-23T10:05:00Z. */
    readonly deployedAt?: string;
}

/** Creates the registry tables in `url` and inserts `rows`, each claimed at `claimedAt`. */
export async function seedRegistry(url: string, rows: readonly RegistrySeed[], claimedAt: string): Promise<void> {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
        await c.query(CREATE_SQL);
        for (const r of rows) {
            const inUse = r.commit !== null;
            await c.query(
                `INSERT INTO marts.staging_slots (slot_id, identifier, subdomain, campaign_ui_port, airflow_port, database_name, status, owner, task, branch, commit_sha, deployed_at, claimed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
                [r.slot, `staging-${r.slot}`, `staging-${r.slot}.justapply.net`, 5000 + r.slot, 8080 + r.slot, `job_search_staging_${r.slot}`, inUse ? "In Use" : "Available",
                    inUse ? `owner-${r.slot}` : null, inUse ? `JOB-${r.slot}` : null, inUse ? `feature/${r.slot}` : null, r.commit, inUse ? r.deployedAt ?? "2026-11-23T10:05:00Z" : null, inUse ? claimedAt : null],
            );
        }
    } finally {
        await c.end();
    }
}

// The static layout of the slot pool: pure arithmetic and naming, no resources.
// Everything that identifies slot N on the droplet, in DNS and in PostgreSQL is derived here so
// that the program, the scripts, the registry and the `slots` command agree by construction.

/** The largest pool the layout supports: ports 5001..5100 and 8081..8180 never overlap. */
export const MAX_SLOTS = 100;

/** The pool size when `staging-slots:slotCount` is not set (the seeds' ten slots). */
export const DEFAULT_SLOT_COUNT = 10;

/** The droplet folder that holds one sub-folder per slot (seed: "Slot Directory Structure"). */
export const DEPLOY_ROOT = "/home/deploy";

/** The fixed layout of one slot. */
export interface SlotLayout {
    /** Slot number, 1-based. */
    readonly slot: number;
    /** `staging-N`: compose project name, folder name and the slot's id everywhere. */
    readonly identifier: string;
    /** `staging-N.<domain>`. */
    readonly subdomain: string;
    /** `https://staging-N.<domain>`. */
    readonly url: string;
    /** Campaign UI port on the droplet's loopback, `5000 + N`. */
    readonly campaignUiPort: number;
    /** Airflow port on the droplet's loopback, `8080 + N`. */
    readonly airflowPort: number;
    /** PostgreSQL database, `job_search_staging_N`. */
    readonly database: string;
    /** PostgreSQL login role that owns the database (same name as the database). */
    readonly role: string;
    /** `/home/deploy/staging-N`. */
    readonly directory: string;
    /** `/home/deploy/staging-N/job-search-project`: the git checkout. */
    readonly checkout: string;
    /** `/home/deploy/staging-N/.env.staging-N`. */
    readonly envFile: string;
    /** `/home/deploy/staging-N/version.json`. */
    readonly versionFile: string;
}

/** Throws unless `n` is a whole number within 1..MAX_SLOTS. */
export function assertSlotCount(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > MAX_SLOTS) {
        throw new Error(`slotCount must be a whole number from 1 to ${MAX_SLOTS}, got ${String(n)}`);
    }
}

/** The layout of slot `slot` under `domain`. */
export function slotLayout(slot: number, domain: string): SlotLayout {
    if (!Number.isInteger(slot) || slot < 1 || slot > MAX_SLOTS) {
        throw new Error(`slot must be a whole number from 1 to ${MAX_SLOTS}, got ${String(slot)}`);
    }
    const identifier = `staging-${slot}`;
    const subdomain = `${identifier}.${domain}`;
    const directory = `${DEPLOY_ROOT}/${identifier}`;
    return {
        slot,
        identifier,
        subdomain,
        url: `https://${subdomain}`,
        campaignUiPort: 5000 + slot,
        airflowPort: 8080 + slot,
        database: `job_search_staging_${slot}`,
        role: `job_search_staging_${slot}`,
        directory,
        checkout: `${directory}/job-search-project`,
        envFile: `${directory}/.env.${identifier}`,
        versionFile: `${directory}/version.json`,
    };
}

/** Every slot of a pool of `count` slots, in slot order. */
export function catalogue(count: number, domain: string): SlotLayout[] {
    assertSlotCount(count);
    return Array.from({ length: count }, (_, i) => slotLayout(i + 1, domain));
}

/** The seeds' default pools: every slot but the last for QA, the last one for staging. */
export function defaultPools(count: number): Record<string, number[]> {
    assertSlotCount(count);
    if (count === 1) {
        return { qa: [1] };
    }
    return {
        qa: Array.from({ length: count - 1 }, (_, i) => i + 1),
        staging: [count],
    };
}

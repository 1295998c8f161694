// The typed shape of the stack config once validated. Key names are a contract with users'
// stack files (design.md): add keys, never rename them.

import type { ImageSettings } from "./images";

/** The Pulumi project name; every config key is `staging-slots:<key>`. */
export const PROJECT = "staging-slots";

/** A claim on one slot, as written under `staging-slots:claims."N"`. */
export interface Claim {
    /** Who holds the slot (a person or an agent identifier). */
    readonly owner: string;
    /** The task (issue key) the slot is used for; one slot per task. */
    readonly task: string;
    /** The git branch being tested. */
    readonly branch: string;
    /** The full 40-hex commit deployed; always a string in YAML. */
    readonly commit: string;
    /** A short description; empty when not given. */
    readonly purpose: string;
    /** ISO 8601 UTC time of the claim, `YYYY-MM-DDTHH:MM:SSZ`. */
    readonly claimedAt: string;
    /** The pool the claim draws from; default `qa`. */
    readonly pool: string;
    /** Why the claim may stay past 24 hours; absent for short claims. */
    readonly longRunning?: string;
    /** ISO 8601 UTC time the claim ends (`YYYY-MM-DDTHH:MM:SSZ`): quiet until then, stale after. */
    readonly expiresAt?: string;
    /** Bumped to redeploy the same commit; default 0. */
    readonly redeploy: number;
    /** Bumped to empty the slot's database on the next deployment, for the same task; default 0. */
    readonly resetDatabase: number;
}

/** A would-be claim waiting for a slot of its pool, as written under `staging-slots:waitlist`. */
export interface WaitEntry {
    readonly owner: string;
    /** One entry per task; a task that holds a slot may not wait. */
    readonly task: string;
    readonly branch: string;
    /** The commit to deploy when promoted; absent means the branch head at promotion time. */
    readonly commit?: string;
    /** Empty when not given. */
    readonly purpose: string;
    /** The pool whose next free slot the entry takes; default `qa`. */
    readonly pool: string;
    /** ISO 8601 UTC time the entry was queued. */
    readonly requestedAt: string;
}

/** What a deployment does with a slot's data when the slot goes to another task. */
export type DataPolicy = "reset" | "keep";

/** A compose service and its arguments, run once after a data reset. */
export interface SeedCommand {
    readonly service: string;
    readonly args: readonly string[];
}

/** A PostgreSQL cluster created and owned by this program. */
export interface ManagedPostgres {
    readonly mode: "managed";
    /** DigitalOcean database size slug; default `db-s-1vcpu-2gb`. */
    readonly size: string;
    /** PostgreSQL major version; default `16`. */
    readonly version: string;
    /** Number of nodes; default 1. */
    readonly nodeCount: number;
    /**
     * How the slots' apps connect: absent means `require` (encrypted, not verified);
     * `verify-full` hands them the cluster's CA certificate and verifies the server with it.
     */
    readonly appSslmode?: "verify-full";
}

/** An existing PostgreSQL instance; its password is the secret `postgresPassword`. */
export interface ExistingPostgres {
    readonly mode: "existing";
    readonly host: string;
    /** Default 5432. */
    readonly port: number;
    readonly user: string;
    /** The maintenance database the provider connects to; default `postgres`. */
    readonly database: string;
    /** Default `require`. */
    readonly sslmode: "require" | "verify-ca" | "verify-full";
}

export type PostgresSettings = ManagedPostgres | ExistingPostgres;

/** One droplet of the pool, as written under `staging-slots:hosts.<name>` (or the default host). */
export interface HostSettings {
    /** The host's name: its StagingHost component, droplet and firewall are named after it. */
    readonly name: string;
    /** Droplet size slug; default `dropletSize`. Resized in place. */
    readonly size: string;
    /** Droplet image slug; default `dropletImage`. Changing it replaces the droplet. */
    readonly image: string;
    /** DigitalOcean region; default `region`. */
    readonly region: string;
    /** The slots this host runs, ascending; every slot of the pool is on exactly one host. */
    readonly slots: readonly number[];
    /** The droplet's SSH host key; when set, deployments verify it. */
    readonly sshHostKey?: string;
}

/** Everything the program reads from the stack config, validated, with defaults applied. */
export interface Settings {
    /** Apex domain; slot N lives at `staging-N.<domain>`. */
    readonly domain: string;
    /** Number of slots; default 10, at most 100. */
    readonly slotCount: number;
    /** Git URL of the app repository the droplet fetches from. */
    readonly repository: string;
    /** CIDRs allowed to reach SSH (22) and the managed database. */
    readonly adminCidrs: readonly string[];
    /** Pool name → the slots a claim of that pool may take. */
    readonly pools: Readonly<Record<string, readonly number[]>>;
    /** Slot number → claim; an absent slot is Available. */
    readonly claims: ReadonlyMap<number, Claim>;
    /** DigitalOcean region of the droplet and database; default `nyc3`. */
    readonly region: string;
    /** Droplet size slug; default `s-4vcpu-8gb`. Resized in place. */
    readonly dropletSize: string;
    /** Droplet image slug; default `ubuntu-24-04-x64`. Changing it replaces the droplet. */
    readonly dropletImage: string;
    /** DigitalOcean SSH key ids or fingerprints with root access; default none. */
    readonly sshKeys: readonly string[];
    /** OpenSSH public key of the `deploy` user (its private key is the secret `deployPrivateKey`). */
    readonly deployPublicKey: string;
    /** The droplet's SSH host key (`ssh-ed25519 AAAA…`); when set, deployments verify it. */
    readonly sshHostKey?: string;
    /** Contact address for Let's Encrypt; optional. */
    readonly acmeEmail?: string;
    /** DigitalOcean project grouping the resources; default `job-search-staging`. */
    readonly projectName: string;
    /** Shared PostgreSQL: created here (default) or an existing instance. */
    readonly postgres: PostgresSettings;
    /** Plain app settings written into every slot's env file. */
    readonly appEnv: Readonly<Record<string, string>>;
    /** Upper bound for one deployment, seconds; default 900. */
    readonly deployTimeoutSeconds: number;
    /** Remove the checkout when a slot is released; default false. */
    readonly releaseRemovesCheckout: boolean;
    /** Remove the compose project's named volumes when a slot is released; default false. */
    readonly releaseRemovesVolumes: boolean;
    /**
     * Database on the shared PostgreSQL instance that holds `marts.staging_slots`; default
     * `staging_registry`. Ignored when the secret `registryDatabaseUrl` names another database.
     */
    readonly registryDatabase: string;
    /**
     * The regular expression every claim's task must match in full; default a tracker key such
     * as JOB-123 (`[A-Za-z][A-Za-z0-9]*-[0-9]+`: ASCII only, so look-alikes in other scripts fail).
     */
    readonly taskPattern: string;
    /**
     * The droplets and the slots each one runs, sorted by name. Without `staging-slots:hosts`, one
     * host named `staging` with the top-level droplet settings and every slot.
     */
    readonly hosts: readonly HostSettings[];
    /**
     * Images built once per claimed commit and pulled by digest (`staging-slots:images` and
     * `registry`); absent means every deployment builds on the droplet.
     */
    readonly images?: ImageSettings;
    /** Would-be claims in queue order; they change no resource. Default empty. */
    readonly waitlist: readonly WaitEntry[];
    /** Every new claim written by `slots claim` expires this many hours later; default none. */
    readonly maxClaimHours?: number;
    /** Empty the slot's database when its claim goes to another task; default `reset`. */
    readonly databaseOnNewTask: DataPolicy;
    /** Remove the slot's named compose volumes when its claim goes to another task; default `reset`. */
    readonly volumesOnNewTask: DataPolicy;
    /** Run after a database reset (`docker compose -p staging-N run --rm SERVICE ARGS…`); default none. */
    readonly seedCommand?: SeedCommand;
    /** Build cache older than this many hours is pruned after a deployment; default 72. */
    readonly pruneAfterHours: number;
    /** A deployment refuses to start with less free disk than this, in GB; default 5 (0: no floor). */
    readonly minFreeDiskGb: number;
}

/**
 * The per-slot list keys: editing them claims, re-points or releases slots. Every other config
 * key (of this project, of a provider, a secret) is a host setting, whatever the preview shows:
 * `slots guard` refuses a change to one without --allow-shared.
 */
export const SLOT_LIST_KEYS: readonly string[] = ["claims", "waitlist"];

/** Secret keys: read with `requireSecret`/`getSecret`, never inside `claims`. */
export const SECRET_KEYS = ["deployPrivateKey", "postgresPassword", "registryDatabaseUrl", "repositoryKey"] as const;

/** Defaults for the optional keys. */
export const DEFAULTS = {
    region: "nyc3",
    dropletSize: "s-4vcpu-8gb",
    dropletImage: "ubuntu-24-04-x64",
    projectName: "job-search-staging",
    postgresSize: "db-s-1vcpu-2gb",
    postgresVersion: "16",
    deployTimeoutSeconds: 900,
    registryDatabase: "staging_registry",
    pool: "qa",
    /** The host that holds every slot when `staging-slots:hosts` is not set. */
    host: "staging",
    /** A claim older than this without a `longRunning` note is stale (seed: "longer than 24 hours"). */
    staleAfterHours: 24,
    /** Clock skew tolerated before a claimedAt counts as "in the future". */
    futureSkewMinutes: 5,
    dataOnNewTask: "reset",
    pruneAfterHours: 72,
    minFreeDiskGb: 5,
} as const;

// Renders the command text and stdin that a slot's remote.Command hands to the droplet. Pure:
// the scripts are files beside this module, read once; everything a claim contributes travels
// on stdin as data, so no config value is ever parsed by a shell.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";

import { SlotLayout } from "./catalogue";
import { Claim, DataPolicy, SeedCommand } from "./settings";
import { taskKey } from "./validation";

function script(name: string): string {
    return readFileSync(path.join(__dirname, "scripts", name), "utf8");
}

/** The deploy script's text (components/scripts/deploy.sh). */
export const DEPLOY_SCRIPT = script("deploy.sh");
/** The release script's text (components/scripts/release.sh). */
export const RELEASE_SCRIPT = script("release.sh");
/** The wrapper that runs the deploy script with images built once (components/scripts/images.sh). */
export const IMAGES_SCRIPT = script("images.sh");

/** Quotes `s` as one single-quoted shell word. */
export function shellQuote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Identifies one deployment of a claim: the same slot, branch, commit, redeploy and reset
 * counters give the same id. The release script compares it with the slot's current deployment so
 * that the delete of a replaced deployment never stops its successor. The reset counter joins the
 * id only once it is bumped, so claims that never asked for a reset keep the id they had.
 */
export function deploymentId(slot: number, claim: Pick<Claim, "branch" | "commit" | "redeploy"> & { readonly resetDatabase?: number }): string {
    const reset = claim.resetDatabase ? [claim.resetDatabase] : [];
    return createHash("sha256")
        .update(JSON.stringify([slot, claim.branch, claim.commit, claim.redeploy, ...reset]))
        .digest("hex")
        .slice(0, 16);
}

/** The part of a claim that decides what runs; the rest (owner, purpose) never reaches a deployment. */
export type DeployedClaim = Pick<Claim, "branch" | "commit" | "redeploy"> & Partial<Pick<Claim, "resetDatabase">>;
/** What replaces a slot's deployment (remote.Command `triggers`): a new commit, branch, redeploy or reset. */
export function deployTriggers(claim: DeployedClaim): Array<string | number> {
    return [claim.commit, claim.branch, claim.redeploy, ...(claim.resetDatabase ? [claim.resetDatabase] : [])];
}

/** The data-owner digest of a task: the same for `JOB-1` and `job-1`, and no way back to the name. */
export function dataOwnerKey(task: string): string {
    return createHash("sha256").update(taskKey(task)).digest("hex").slice(0, 16);
}

/** The image whose psql empties a slot's database; pinned, pulled on the droplet the first time. */
export const PSQL_IMAGE = "postgres:16-alpine";

/** What a deployment does with the slot's data and disk (stack config). */
export interface DataOptions {
    /** Empty the database when the claim's task is not the one whose data it holds. */
    readonly databaseOnNewTask: DataPolicy;
    /** Remove the compose project's named volumes in that case. */
    readonly volumesOnNewTask: DataPolicy;
    /** Run after a database reset, as `docker compose run --rm SERVICE ARGS…`. */
    readonly seedCommand?: SeedCommand;
    /** Build cache older than this is pruned after a successful deployment. */
    readonly pruneAfterHours: number;
    /** The deployment refuses to start with less free disk than this (GB); 0 for no floor. */
    readonly minFreeDiskGb: number;
}

/** Parameters of one deployment, as the deploy script reads them from stdin. */
export interface DeployParams {
    readonly layout: SlotLayout;
    readonly claim: DeployedClaim;
    readonly repository: string;
    /** postgres://role:password@host:port/db?sslmode=require; secret. */
    readonly databaseUrl: string;
    readonly appEnv: Readonly<Record<string, string>>;
    /** Seconds the health check waits for /api/version to report the commit. */
    readonly healthTimeoutSeconds: number;
    /** The database's CA certificate (PEM), when the app verifies the server; written beside the env file. */
    readonly databaseCaCertificate?: string;
    /** `<service>=<repository>@sha256:…` pins of images built once; none means build on the droplet. */
    readonly images?: readonly string[];
    readonly data: DataOptions;
    /**
     * Whose data the slot's database should hold: a digest of the claim's task (never the task
     * itself), so that a claim for another task is a change the deployment sees. Absent when
     * both data policies are keep: then whose data it is does not matter.
     */
    readonly dataOwner?: string;
}

/**
 * Where the app finds the database's CA certificate inside its containers: its compose file
 * mounts `${DATABASE_CA_FILE}` there (examples/app does), and DATABASE_URL names it as
 * sslrootcert.
 */
export const APP_CA_PATH = "/run/staging-slots/db-ca.crt";

/**
 * The deploy script's stdin: `KEY=VALUE` lines. Values never contain line breaks (validation
 * refuses control characters), and the script reads them as data, never as shell. Only what
 * changes what runs is here: owner, task and purpose are the registry row's, so editing them
 * never redeploys the slot.
 */
export function deployStdin(p: DeployParams): string {
    const lines: Array<[string, string]> = [
        ["SLOT", String(p.layout.slot)],
        ["BRANCH", p.claim.branch],
        ["COMMIT", p.claim.commit],
        ["REPOSITORY", p.repository],
        ["DEPLOYMENT_ID", deploymentId(p.layout.slot, p.claim)],
        ["HEALTH_TIMEOUT", String(p.healthTimeoutSeconds)],
        ["DATABASE_URL", p.databaseUrl],
        // Base64: a PEM has line breaks, and every parameter is one line.
        ...(p.databaseCaCertificate ? [["DATABASE_CA_CERT", Buffer.from(p.databaseCaCertificate).toString("base64")] as [string, string]] : []),
        ["DATABASE_ON_NEW_TASK", p.data.databaseOnNewTask],
        ["VOLUMES_ON_NEW_TASK", p.data.volumesOnNewTask],
        ["RESET_DATABASE", String(p.claim.resetDatabase ?? 0)],
        ["DATABASE_CLIENT", PSQL_IMAGE],
        ...(p.data.seedCommand
            ? [["SEED_SERVICE", p.data.seedCommand.service] as [string, string], ...p.data.seedCommand.args.map((a): [string, string] => ["SEED_ARG", a])]
            : []),
        ["PRUNE_AFTER_HOURS", String(p.data.pruneAfterHours)],
        ["MIN_FREE_DISK_GB", String(p.data.minFreeDiskGb)],
        ...(p.dataOwner ? [["DATA_OWNER", p.dataOwner] as [string, string]] : []),
        ...Object.keys(p.appEnv)
            .sort()
            .map((name): [string, string] => ["APP_ENV", `${name}=${p.appEnv[name]}`]),
        ...(p.images ?? []).map((pin): [string, string] => ["IMAGE", pin]),
    ];
    for (const [key, value] of lines) {
        if (/[\r\n\0]/.test(value)) throw new Error(`deploy parameter ${key} contains a line break`);
    }
    return lines.map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}

/**
 * How long the deploy script waits for /api/version after `compose up`, given the deployment's
 * whole time budget: half of what remains after 40 seconds kept for fetching, printing the
 * compose logs and writing version.json, and never under 10 seconds. It stays below the budget,
 * so a failing health check ends with its logs printed instead of being killed by `timeout`.
 */
export function healthTimeoutSeconds(deployTimeoutSeconds: number): number {
    return Math.max(10, Math.floor((deployTimeoutSeconds - 40) / 2));
}

/**
 * The command text of a slot's deployment: the deploy script, bounded in time. With images built
 * once, the images wrapper runs that same script: without images the text is what it always was.
 */
export function deployCommand(timeoutSeconds: number, withImages = false): string {
    if (withImages) {
        return `timeout --kill-after=30 ${timeoutSeconds} bash -c ${shellQuote(IMAGES_SCRIPT)} staging-deploy-images ${shellQuote(DEPLOY_SCRIPT)}`;
    }
    return `timeout --kill-after=30 ${timeoutSeconds} bash -c ${shellQuote(DEPLOY_SCRIPT)} staging-deploy`;
}

/** Options of a release, from the stack config. */
export interface ReleaseOptions {
    readonly removeVolumes: boolean;
    readonly removeCheckout: boolean;
}

/** The delete command of a slot's deployment: the release script for exactly that deployment. */
export function releaseCommand(slot: number, id: string, opts: ReleaseOptions): string {
    const args = [String(slot), id, String(opts.removeVolumes), String(opts.removeCheckout)];
    return `timeout --kill-after=30 600 bash -c ${shellQuote(RELEASE_SCRIPT)} staging-release ${args.map(shellQuote).join(" ")}`;
}

/** The line the deploy script prints last. */
export interface DeployResult {
    readonly slot: number;
    readonly commit: string;
    readonly deployedAt: string;
    /** Free disk on the droplet after the deployment and its prune, in GB (one decimal). */
    readonly freeDiskGb?: number;
}

/** Finds the deploy script's result line in its stdout; undefined when absent or malformed. */
export function parseDeployResult(stdout: string): DeployResult | undefined {
    const line = stdout
        .split("\n")
        .reverse()
        .find((l) => l.startsWith("STAGING_DEPLOY_RESULT "));
    if (!line) return undefined;
    try {
        const parsed: unknown = JSON.parse(line.slice("STAGING_DEPLOY_RESULT ".length));
        if (
            typeof parsed === "object" && parsed !== null &&
            typeof (parsed as DeployResult).slot === "number" &&
            typeof (parsed as DeployResult).commit === "string" &&
            typeof (parsed as DeployResult).deployedAt === "string" &&
            ["number", "undefined"].includes(typeof (parsed as DeployResult).freeDiskGb)
        ) {
            return parsed as DeployResult;
        }
    } catch {
        // A malformed line is treated like a missing one: the deployment did not report.
    }
    return undefined;
}

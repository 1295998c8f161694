// Validation of the stack config: the one set of rules shared by the Pulumi program and the
// `slots` command. Pure: it takes plain values (already parsed from YAML or from the engine's
// config) and a clock reading, and returns typed settings or every problem at once.

import { closest, distance } from "fastest-levenshtein";

import { DEFAULT_SLOT_COUNT, MAX_SLOTS, defaultPools, slotLayout } from "./catalogue";
import { Cidr, parseCidr, wholeSpaceCovered } from "./cidr";
import { FOREIGN_SECRET_KEYS, PLAINTEXT_SECRET } from "./configDecode";
import { CONTROL, describe, isPlainObject } from "./configValues";
import { validateHosts } from "./hosts";
import { validateImages } from "./images";
import {
    Claim,
    DEFAULTS,
    DataPolicy,
    PROJECT,
    PostgresSettings,
    SECRET_KEYS,
    SeedCommand,
    Settings,
    WaitEntry,
} from "./settings";

/** One thing wrong (or worth a warning) in the stack config. */
export interface Problem {
    /** The slot the problem belongs to, when it belongs to one. */
    readonly slot?: number;
    /** Dotted path of the offending key, e.g. `claims.4.commit` or `adminCidrs`. */
    readonly field: string;
    /** What is wrong and how to fix it. */
    readonly message: string;
    /** The 1-based line of the stack file, for problems found in its text rather than its values. */
    readonly line?: number;
}

/** Renders a problem as one line: `staging-4 commit: …` or `staging-slots:domain: …`. */
export function formatProblem(p: Problem): string {
    if (p.slot !== undefined) {
        const field = p.field.replace(/^claims\.\d+\.?/, "");
        return `staging-${p.slot}${field ? ` ${field}` : ""}: ${p.message}`;
    }
    // A problem of the file as a whole (a top-level key given twice) has no field.
    if (p.field === "") return p.message;
    // A key of another namespace (digitalocean:token, a misspelled prefix) is named as written.
    return `${p.field.split(".")[0].includes(":") ? "" : `${PROJECT}:`}${p.field}: ${p.message}`;
}

/** Namespaces other than this project's whose keys a stack file may hold: the providers' and Pulumi's. */
const PROVIDER_NAMESPACES = ["digitalocean", "postgresql", "command", "random", "pulumi"] as const;

/** `; did you mean X?` for the known word closest to `word`, or the whole list when none is close. */
function closestKey(word: string, known: readonly string[], list = true, prefix = ""): string {
    const best = closest(word, known);
    if (distance(word.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(word.length / 3))) return `; did you mean ${prefix}${best}?`;
    return list ? `; the keys are ${known.join(", ")}` : "";
}

/** Thrown by the program when the config is invalid; carries every problem. */
export class ConfigError extends Error {
    constructor(public readonly problems: readonly Problem[]) {
        super(
            `invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

export interface ValidationResult {
    /** Present only when there are no errors. */
    readonly settings?: Settings;
    readonly errors: readonly Problem[];
    /** Stale claims and other things worth saying that do not block a deployment. */
    readonly warnings: readonly Problem[];
}

/** The claim fields users may write, in the order the `slots` command writes them. */
export const CLAIM_FIELDS = [
    "owner",
    "task",
    "branch",
    "commit",
    "purpose",
    "claimedAt",
    "pool",
    "longRunning",
    "expiresAt",
    "redeploy",
    "resetDatabase",
] as const;
/** The fields of a waitlist entry, in the order the `slots` command writes them. */
export const WAIT_FIELDS = ["owner", "task", "branch", "commit", "purpose", "pool", "requestedAt"] as const;
const REQUIRED_CLAIM_FIELDS = ["owner", "task", "branch", "commit", "claimedAt"] as const;

/** Every non-secret top-level key the program reads. */
export const CONFIG_KEYS = [
    "domain",
    "slotCount",
    "repository",
    "adminCidrs",
    "pools",
    "claims",
    "region",
    "dropletSize",
    "dropletImage",
    "sshKeys",
    "deployPublicKey",
    "sshHostKey",
    "acmeEmail",
    "projectName",
    "postgres",
    "appEnv",
    "deployTimeoutSeconds",
    "releaseRemovesCheckout",
    "releaseRemovesVolumes",
    "registryDatabase",
    "taskPattern",
    "hosts",
    "images",
    "registry",
    "waitlist",
    "maxClaimHours",
    "databaseOnNewTask",
    "volumesOnNewTask",
    "seedCommand",
    "pruneAfterHours",
    "minFreeDiskGb",
] as const;

/** The longest owner, task, purpose, long-running note and branch a claim may have. */
export const FIELD_LIMITS = { owner: 64, task: 64, purpose: 200, longRunning: 200, branch: 200 } as const;

// Characters that show as nothing or reorder what is shown: format characters (zero-width
// spaces and joiners, bidirectional embeddings, overrides and isolates such as U+202E, the BOM,
// soft hyphens, tag characters), private-use and lone surrogates, variation selectors and the
// blank fillers (Hangul, Braille, Mongolian). A task "JOB-1\u200B" would look like JOB-1 and be
// another task; a purpose with U+202E would read backwards in the registry table.
const INVISIBLE = /[\p{Cf}\p{Co}\p{Cs}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u2800\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]/u;
const COMMIT = /^[0-9a-f]{40}$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const POOL_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
// The deploy script sets these itself; a shared app setting must not override a slot's own.
const RESERVED_ENV = new Set([
    "DATABASE_URL",
    "CAMPAIGN_UI_PORT",
    "AIRFLOW_PORT",
    "STAGING_SLOT",
    "COMPOSE_PROJECT_NAME",
    "APP_COMMIT",
    "APP_BRANCH",
    "DATABASE_CA_FILE",
]);
// Compose reads COMPOSE_* (COMPOSE_FILE, COMPOSE_PROJECT_NAME, COMPOSE_PROFILES…) from the env
// file's environment and docker reads DOCKER_* (DOCKER_HOST…): either would change what runs or
// where, for every slot at once, from a setting meant for the app.
const RESERVED_ENV_PREFIX = /^(COMPOSE_|DOCKER_)/;

/** The first invisible or bidirectional control character in `v`, as U+XXXX, if any. */
export function invisibleCharacter(v: string): string | undefined {
    const m = INVISIBLE.exec(v);
    return m ? `U+${(m[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0")}` : undefined;
}

/** What is wrong with `v` and the fix, when it holds an invisible or bidirectional control character. */
function invisibleProblem(v: string): string | undefined {
    const invisible = invisibleCharacter(v);
    return invisible === undefined ? undefined : `contains the invisible or bidirectional control character ${invisible}; retype it without that character`;
}

/**
 * The form tasks are compared in, so that one task cannot hold two slots by its spelling:
 * Unicode compatibility normalisation (NFKC: full-width letters, ligatures), trimmed, case-folded
 * (upper then lower case, so that ß and SS, ı and I meet).
 */
export function taskKey(task: string): string {
    return task.normalize("NFKC").trim().toUpperCase().toLowerCase().normalize("NFKC");
}

/** The default `taskPattern`: a tracker key such as JOB-123, ASCII letters, a dash, digits. */
export const DEFAULT_TASK_PATTERN = "[A-Za-z][A-Za-z0-9]*-[0-9]+";

/**
 * Why `branch` is not acceptable, or undefined when it is. Follows the rules of
 * `git check-ref-format --branch` and, on top of them, refuses anything a shell would treat
 * specially: the branch travels to the droplet as data, but it also lands in tables and comments.
 */
export function branchProblem(branch: string): string | undefined {
    if (branch.length === 0) return "must not be empty";
    if (branch.length > FIELD_LIMITS.branch) return `is ${branch.length} characters long; the limit is ${FIELD_LIMITS.branch}`;
    if (!/^[A-Za-z0-9._/@+-]+$/.test(branch)) {
        return "may contain only letters, digits and . _ / @ + - (no whitespace, quotes or shell metacharacters)";
    }
    if (branch.startsWith("-")) return "must not start with '-'";
    if (branch === "@") return "must not be '@'";
    if (branch.includes("..")) return "must not contain '..'";
    if (branch.includes("@{")) return "must not contain '@{'";
    if (branch.startsWith("/") || branch.endsWith("/") || branch.includes("//")) {
        return "must not start or end with '/' or contain '//'";
    }
    if (branch.endsWith(".")) return "must not end with '.'";
    for (const part of branch.split("/")) {
        if (part.startsWith(".")) return `has a component starting with '.' ("${part}")`;
        if (part.endsWith(".lock")) return `has a component ending with '.lock' ("${part}")`;
    }
    if (branch === "HEAD") return "must not be HEAD; name the branch";
    return undefined;
}

/** Parses a strict `YYYY-MM-DDTHH:MM:SSZ` timestamp; undefined when malformed or not a real date. */
export function parseTimestamp(text: string): Date | undefined {
    const m = TIMESTAMP.exec(text);
    if (!m) return undefined;
    const d = new Date(text);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 19) + "Z" !== text) return undefined;
    return d;
}

/**
 * Whether a claim should be let go: `expired` past its expiresAt, `stale` past 24 hours with
 * neither a longRunning note nor an end, `open-ended` with a note and no end, else `quiet`. The
 * one reading of a claim's age, shared by the validator's warnings and `slots list`.
 */
export function staleness(claim: { readonly claimedAt: string; readonly longRunning?: string; readonly expiresAt?: string }, now: Date): "quiet" | "open-ended" | "stale" | "expired" {
    if (claim.expiresAt !== undefined) {
        const end = parseTimestamp(claim.expiresAt);
        return end !== undefined && now.getTime() > end.getTime() ? "expired" : "quiet";
    }
    if (claim.longRunning) return "open-ended";
    const at = parseTimestamp(claim.claimedAt);
    return at !== undefined && now.getTime() - at.getTime() > DEFAULTS.staleAfterHours * 3600_000 ? "stale" : "quiet";
}

export { isCidr } from "./cidr";

/** Prefixes shorter than these let a large part of the internet reach SSH; worth a warning. */
const WIDE_PREFIX = { 4: 16, 6: 32 } as const;

function validateAdminCidrs(c: Collector, raw: unknown): string[] {
    if (raw === undefined || raw === null) {
        c.error("adminCidrs", "adminCidrs is required: the CIDRs allowed to SSH to the droplet, e.g. [\"203.0.113.0/24\"]");
    }
    const parsed: Array<{ text: string; cidr: Cidr }> = [];
    const seen = new Map<string, number>();
    const list = stringList(c, "adminCidrs", raw, () => undefined);
    const indexed = Array.isArray(raw) ? raw.map((v, i) => ({ v, i })).filter((x): x is { v: string; i: number } => typeof x.v === "string") : [];
    for (const { v: text, i } of indexed) {
        const field = `adminCidrs[${i}]`;
        const cidr = parseCidr(text);
        if (!cidr) {
            c.error(field, `"${text}" is not a CIDR block like 203.0.113.0/24`);
        } else if (cidr.prefix === 0) {
            c.error(field, `"${text}" is the whole IPv${cidr.family} address space: it would open SSH and the database to the whole internet; list your own networks`);
        } else if (cidr.canonical !== text) {
            c.error(
                field,
                cidr.hostBitsSet
                    ? `"${text}" has address bits set beyond /${cidr.prefix}; write the network ${cidr.canonical}, or /${cidr.family === 4 ? 32 : 128} for that one host`
                    : `"${text}" is not in canonical form; write ${cidr.canonical}`,
            );
        } else if (seen.has(cidr.canonical)) {
            c.error(field, `"${text}" is listed twice (also adminCidrs[${seen.get(cidr.canonical) as number}]); list it once`);
        } else {
            seen.set(cidr.canonical, i);
            parsed.push({ text, cidr });
            if (cidr.prefix < WIDE_PREFIX[cidr.family]) {
                c.warn(field, `"${text}" lets ${cidr.family === 4 ? (2 ** (32 - cidr.prefix)).toLocaleString("en-US") : `2^${128 - cidr.prefix}`} addresses reach SSH and the database; prefer a /${WIDE_PREFIX[cidr.family]} or narrower`);
            }
        }
    }
    for (const family of wholeSpaceCovered(parsed.map((p) => p.cidr))) {
        const blocks = parsed.filter((p) => p.cidr.family === family).map((p) => p.text);
        c.error("adminCidrs", `${blocks.join(", ")} together cover the whole IPv${family} address space: SSH and the database would be open to the whole internet; list your own networks`);
    }
    if (Array.isArray(raw) && raw.length === 0) {
        c.error("adminCidrs", "adminCidrs must list at least one CIDR, or nobody can reach SSH");
    }
    return list.filter((t) => parsed.some((p) => p.text === t));
}

/**
 * Whether a repository URL is one git on the droplet can fetch: scp-like, ssh://, https://, or
 * file:/// with an absolute path (a mirror on the droplet itself; git's file transport runs no
 * shell and no helper, unlike `ext::`).
 */
export function isRepositoryUrl(text: string): boolean {
    if (CONTROL.test(text) || /\s|['"`$\\;&|<>]/.test(text)) return false;
    return (
        // Each form starts with a letter or digit: a leading '-' would read as an option to git.
        /^[A-Za-z0-9][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.-]*:[A-Za-z0-9._/~-]+$/.test(text) ||
        /^(ssh|https):\/\/[^\s/]+\/\S+$/.test(text) ||
        /^file:\/\/\/[A-Za-z0-9._/~-]+$/.test(text)
    );
}

class Collector {
    readonly errors: Problem[] = [];
    readonly warnings: Problem[] = [];
    error(field: string, message: string, slot?: number): void {
        this.errors.push(slot === undefined ? { field, message } : { slot, field, message });
    }
    warn(field: string, message: string, slot?: number): void {
        this.warnings.push(slot === undefined ? { field, message } : { slot, field, message });
    }
}

function text(c: Collector, field: string, v: unknown, opts: { required: boolean; max: number; slot?: number }): string | undefined {
    const fieldName = field.split(".").pop() as string;
    if (v === undefined || v === null) {
        if (opts.required) c.error(field, `${fieldName} is required`, opts.slot);
        return undefined;
    }
    if (typeof v !== "string") {
        c.error(field, `${fieldName} must be a string, got ${describe(v)}; quote it in YAML`, opts.slot);
        return undefined;
    }
    if (v.trim() === "") {
        c.error(field, `${fieldName} must not be empty`, opts.slot);
        return undefined;
    }
    if (CONTROL.test(v)) {
        c.error(field, `${fieldName} contains a control character or line break; write it on one line`, opts.slot);
        return undefined;
    }
    const invisible = invisibleProblem(v);
    if (invisible) {
        c.error(field, `${fieldName} ${invisible}`, opts.slot);
        return undefined;
    }
    if (v.length > opts.max) {
        c.error(field, `${fieldName} is ${v.length} characters long; the limit is ${opts.max}`, opts.slot);
        return undefined;
    }
    return v;
}

function optionalInt(c: Collector, field: string, v: unknown, def: number, min: number, max: number): number {
    if (v === undefined || v === null) return def;
    const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
        c.error(field, `must be a whole number from ${min} to ${max}, got ${describe(v)}`);
        return def;
    }
    return n;
}

function optionalBool(c: Collector, field: string, v: unknown): boolean {
    if (v === undefined || v === null) return false;
    if (v === true || v === "true") return true;
    if (v === false || v === "false") return false;
    c.error(field, `must be true or false, got ${describe(v)}`);
    return false;
}

function stringList(c: Collector, field: string, v: unknown, check: (s: string) => string | undefined): string[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
        c.error(field, `must be a list of strings, got ${describe(v)}`);
        return [];
    }
    const out: string[] = [];
    v.forEach((item, i) => {
        if (typeof item !== "string") {
            c.error(`${field}[${i}]`, `must be a string, got ${describe(item)}`);
            return;
        }
        const why = check(item);
        if (why) c.error(`${field}[${i}]`, why);
        else out.push(item);
    });
    return out;
}

function validatePools(c: Collector, raw: unknown, slotCount: number): Record<string, number[]> {
    if (raw === undefined || raw === null) return defaultPools(slotCount);
    if (!isPlainObject(raw)) {
        c.error("pools", `must be a map of pool name to a list of slot numbers, got ${describe(raw)}`);
        return {};
    }
    const pools: Record<string, number[]> = {};
    for (const [name, slots] of Object.entries(raw)) {
        if (!POOL_NAME.test(name)) {
            c.error(`pools.${name}`, `pool name "${name}" must be lowercase letters, digits and '-', starting with a letter`);
            continue;
        }
        if (!Array.isArray(slots) || slots.length === 0) {
            c.error(`pools.${name}`, `must be a non-empty list of slot numbers, got ${describe(slots)}`);
            continue;
        }
        const seen = new Set<number>();
        for (const s of slots) {
            if (typeof s !== "number" || !Number.isInteger(s) || s < 1 || s > slotCount) {
                c.error(`pools.${name}`, `slot ${describe(s)} is not a slot of this pool of ${slotCount}; use numbers 1 to ${slotCount}`);
            } else if (seen.has(s)) {
                c.error(`pools.${name}`, `slot ${s} is listed twice; list each slot once`);
            } else {
                seen.add(s);
            }
        }
        pools[name] = [...seen].sort((a, b) => a - b);
    }
    return pools;
}

function validateClaim(
    c: Collector,
    slot: number,
    raw: unknown,
    pools: Record<string, number[]>,
    now: Date,
    taskPattern: RegExp | undefined,
): Claim | undefined {
    const base = `claims.${slot}`;
    if (!isPlainObject(raw)) {
        c.error(base, `the claim must be a map with ${REQUIRED_CLAIM_FIELDS.join(", ")}; got ${describe(raw)} (remove the key to release the slot)`, slot);
        return undefined;
    }
    const before = c.errors.length;
    for (const key of Object.keys(raw)) {
        if (!(CLAIM_FIELDS as readonly string[]).includes(key)) {
            const best = closestKey(key, CLAIM_FIELDS, false);
            c.error(`${base}.${key}`, `unknown claim field "${key}"${best || `; the fields are ${CLAIM_FIELDS.join(", ")}`}`, slot);
        }
    }
    const owner = text(c, `${base}.owner`, raw.owner, { required: true, max: FIELD_LIMITS.owner, slot });
    const task = text(c, `${base}.task`, raw.task, { required: true, max: FIELD_LIMITS.task, slot });
    checkTaskPattern(c, `${base}.task`, task, taskPattern, slot);
    const purpose = text(c, `${base}.purpose`, raw.purpose, { required: false, max: FIELD_LIMITS.purpose, slot });
    const longRunning = text(c, `${base}.longRunning`, raw.longRunning, { required: false, max: FIELD_LIMITS.longRunning, slot });

    const branch = branchField(c, `${base}.branch`, raw.branch, slot);
    const commit = commitField(c, `${base}.commit`, raw.commit, true, slot);
    const claimedAt = pastTimestamp(c, `${base}.claimedAt`, raw.claimedAt, now, { what: "the UTC time of the claim", use: "the time you claimed the slot" }, slot);

    const pool = poolField(c, `${base}.pool`, raw.pool, pools, slot);
    if (pool !== undefined) {
        const members = pools[pool];
        if (!members.includes(slot)) {
            c.error(`${base}.pool`, `slot ${slot} is not in pool "${pool}" (slots ${members.join(", ")}); claim one of those slots or set pool to one that holds slot ${slot}`, slot);
        }
    }

    let expiresAt: string | undefined;
    if (raw.expiresAt !== undefined && raw.expiresAt !== null) {
        if (typeof raw.expiresAt !== "string" || !parseTimestamp(raw.expiresAt)) {
            c.error(`${base}.expiresAt`, `expiresAt ${describe(raw.expiresAt)} is not a UTC time like "2026-12-01T00:00:00Z"; quote it and use that form (slots extend ${slot} --until 2026-12-01 writes it)`, slot);
        } else if (claimedAt !== undefined && raw.expiresAt <= claimedAt) {
            c.error(`${base}.expiresAt`, `expiresAt ${raw.expiresAt} is not after claimedAt ${claimedAt}; set a later end (slots extend ${slot} --until DATE)`, slot);
        } else {
            expiresAt = raw.expiresAt;
        }
    }

    const redeploy = counterField(c, `${base}.redeploy`, raw.redeploy, slot);
    const resetDatabase = counterField(c, `${base}.resetDatabase`, raw.resetDatabase, slot);

    if (c.errors.length !== before || !owner || !task || !branch || !commit || !claimedAt || !pool) return undefined;
    const stale = staleness({ claimedAt, ...(longRunning ? { longRunning } : {}), ...(expiresAt ? { expiresAt } : {}) }, now);
    if (stale === "expired") {
        c.warn(
            `${base}.expiresAt`,
            `claimed by ${owner} for ${task}, expired at ${expiresAt}; release it (slots release ${slot}) or extend it (slots extend ${slot} --until DATE)`,
            slot,
        );
    } else if (stale === "stale") {
        c.warn(
            `${base}.longRunning`,
            `claimed by ${owner} for ${task} at ${claimedAt}, over ${DEFAULTS.staleAfterHours} hours ago, with no longRunning note; release it (slots release ${slot}) or add one (slots extend ${slot} --long-running "why")`,
            slot,
        );
    }
    return {
        owner,
        task,
        branch,
        commit,
        purpose: purpose ?? "",
        claimedAt,
        pool,
        ...(longRunning ? { longRunning } : {}),
        ...(expiresAt ? { expiresAt } : {}),
        redeploy,
        resetDatabase,
    };
}

/** Refuses a task that does not match `taskPattern` (claims and waitlist entries alike). */
function checkTaskPattern(c: Collector, field: string, task: string | undefined, taskPattern: RegExp | undefined, slot?: number): void {
    // The pattern judges the task as compared (NFKC, trimmed): full-width ＪＯＢ-１ is JOB-1 and
    // collides with it; a letter of another script stays what it is and fails the pattern.
    if (task === undefined || !taskPattern || taskPattern.test(task.normalize("NFKC").trim())) return;
    const foreign = [...task].find((ch) => (ch.codePointAt(0) as number) > 0x7e);
    const hint = foreign ? `; it contains ${JSON.stringify(foreign)} (U+${(foreign.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0")}), which is not an ASCII letter: retype the key` : "";
    c.error(field, `task ${describe(task)} does not match the taskPattern ${taskPattern.source} (a tracker key such as JOB-123)${hint}`, slot);
}

function validateTaskPattern(c: Collector, raw: unknown): RegExp | undefined {
    const source = raw ?? DEFAULT_TASK_PATTERN;
    if (typeof source !== "string" || source.trim() === "") {
        c.error("taskPattern", `must be a regular expression every task matches, e.g. "${DEFAULT_TASK_PATTERN}", got ${describe(raw)}`);
        return undefined;
    }
    try {
        // Anchored, so the pattern describes the whole task; the u flag makes \p{…} and code points work.
        return new RegExp(`^(?:${source})$`, "u");
    } catch (e) {
        c.error("taskPattern", `is not a valid regular expression (${(e as Error).message}); write one like "${DEFAULT_TASK_PATTERN}"`);
        return undefined;
    }
}

function branchField(c: Collector, field: string, v: unknown, slot?: number): string | undefined {
    if (v === undefined || v === null) {
        c.error(field, "branch is required", slot);
    } else if (typeof v !== "string") {
        c.error(field, `branch must be a string, got ${describe(v)}; quote it in YAML`, slot);
    } else {
        const why = branchProblem(v);
        if (why) c.error(field, `branch ${describe(v)} ${why}`, slot);
        else return v;
    }
    return undefined;
}

function commitField(c: Collector, field: string, v: unknown, required: boolean, slot?: number): string | undefined {
    if (v === undefined || v === null) {
        if (required) c.error(field, "commit is required: the full 40-character SHA (git rev-parse <branch>)", slot);
    } else if (typeof v === "number" || typeof v === "bigint") {
        c.error(field, `commit was read as a YAML number (${String(v)}); write it as a quoted string: commit: "<40-hex sha>"`, slot);
    } else if (typeof v !== "string") {
        c.error(field, `commit must be a quoted string, got ${describe(v)}`, slot);
    } else if (/^[0-9a-fA-F]{40}$/.test(v) && !COMMIT.test(v)) {
        c.error(field, `commit ${describe(v)} has upper-case letters; write it in lowercase: "${v.toLowerCase()}"`, slot);
    } else if (!COMMIT.test(v)) {
        c.error(field, `commit ${describe(v)} is not a full 40-character lowercase hex SHA; use the full SHA (git rev-parse <branch>)`, slot);
    } else {
        return v;
    }
    return undefined;
}

/** A required UTC timestamp that is not in the future (claimedAt, requestedAt). */
function pastTimestamp(c: Collector, field: string, v: unknown, now: Date, say: { what: string; use: string }, slot?: number): string | undefined {
    const name = field.split(".").pop() as string;
    if (v === undefined || v === null) {
        c.error(field, `${name} is required: ${say.what}, e.g. "2026-11-23T10:30:00Z"`, slot);
    } else if (typeof v !== "string" || !parseTimestamp(v)) {
        c.error(field, `${name} ${describe(v)} is not a UTC time like "2026-11-23T10:30:00Z"; quote it and use that form`, slot);
    } else if ((parseTimestamp(v) as Date).getTime() > now.getTime() + DEFAULTS.futureSkewMinutes * 60_000) {
        c.error(field, `${name} ${v} is in the future; use ${say.use} (date -u +%Y-%m-%dT%H:%M:%SZ)`, slot);
    } else {
        return v;
    }
    return undefined;
}

/** The pool a claim or waitlist entry draws from (default qa), or undefined when it is not defined. */
function poolField(c: Collector, field: string, v: unknown, pools: Record<string, number[]>, slot?: number): string | undefined {
    if (v !== undefined && v !== null) {
        if (typeof v === "string" && Object.hasOwn(pools, v)) return v;
        c.error(field, `pool ${describe(v)} is not defined; the pools are ${Object.keys(pools).join(", ") || "(none)"}`, slot);
        return undefined;
    }
    if (!Object.hasOwn(pools, DEFAULTS.pool)) {
        c.error(field, `no pool given and there is no "${DEFAULTS.pool}" pool; set pool to one of ${Object.keys(pools).join(", ")}`, slot);
        return undefined;
    }
    return DEFAULTS.pool;
}

function counterField(c: Collector, field: string, v: unknown, slot?: number): number {
    const name = field.split(".").pop() as string;
    if (v === undefined || v === null) return 0;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
        c.error(field, `${name} must be a whole number 0 or more, got ${describe(v)}`, slot);
        return 0;
    }
    if (!Number.isSafeInteger(v)) {
        // Past 2^53 - 1 a bump no longer changes the number (2^53 + 1 === 2^53), so it would deploy nothing.
        c.error(field, `${name} ${describe(v)} is too large to count up from (at most ${Number.MAX_SAFE_INTEGER}); set it back to 0 (a change of ${name} deploys again)`, slot);
        return 0;
    }
    return v;
}

/**
 * The waitlist: would-be claims in queue order. Same field rules as claims; one entry per task;
 * a task that holds a slot may not also wait.
 */
function validateWaitlist(c: Collector, raw: unknown, pools: Record<string, number[]>, claims: ReadonlyMap<number, Claim>, now: Date, taskPattern: RegExp | undefined): WaitEntry[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
        c.error("waitlist", `must be a list of entries (- owner: …, task: …, branch: …, requestedAt: …), got ${describe(raw)}`);
        return [];
    }
    const out: WaitEntry[] = [];
    const seen = new Map<string, number>();
    raw.forEach((entry: unknown, i) => {
        const base = `waitlist[${i}]`;
        if (!isPlainObject(entry)) {
            c.error(base, `each waitlist entry must be a map with owner, task, branch, requestedAt; got ${describe(entry)}`);
            return;
        }
        const before = c.errors.length;
        for (const key of Object.keys(entry)) {
            if (!(WAIT_FIELDS as readonly string[]).includes(key)) {
                c.error(`${base}.${key}`, `unknown waitlist field "${key}"; the fields are ${WAIT_FIELDS.join(", ")}`);
            }
        }
        const owner = text(c, `${base}.owner`, entry.owner, { required: true, max: FIELD_LIMITS.owner });
        const task = text(c, `${base}.task`, entry.task, { required: true, max: FIELD_LIMITS.task });
        checkTaskPattern(c, `${base}.task`, task, taskPattern);
        const purpose = text(c, `${base}.purpose`, entry.purpose, { required: false, max: FIELD_LIMITS.purpose });
        const branch = branchField(c, `${base}.branch`, entry.branch);
        const commit = commitField(c, `${base}.commit`, entry.commit, false);
        const requestedAt = pastTimestamp(c, `${base}.requestedAt`, entry.requestedAt, now, { what: "the UTC time the entry was queued", use: "the time you queued" });
        const pool = poolField(c, `${base}.pool`, entry.pool, pools);
        if (task !== undefined) {
            const held = [...claims].find(([, claim]) => taskKey(claim.task) === taskKey(task));
            if (held) {
                c.error(`${base}.task`, `task ${task} holds ${slotLayout(held[0], "x").identifier} and also waits; a task either holds a slot or waits: remove this entry (slots unwait --task ${task})`);
            }
            const first = seen.get(taskKey(task));
            if (first !== undefined) {
                c.error(`${base}.task`, `task ${task} waits twice (entries ${first + 1} and ${i + 1}); one entry per task: remove one`);
            } else {
                seen.set(taskKey(task), i);
            }
        }
        if (c.errors.length !== before || !owner || !task || !branch || !requestedAt || !pool) return;
        out.push({ owner, task, branch, ...(commit ? { commit } : {}), purpose: purpose ?? "", pool, requestedAt });
    });
    return out;
}

function dataPolicy(c: Collector, field: string, v: unknown): DataPolicy {
    if (v === undefined || v === null) return DEFAULTS.dataOnNewTask;
    if (v === "reset" || v === "keep") return v;
    c.error(field, `must be reset or keep, got ${describe(v)}`);
    return DEFAULTS.dataOnNewTask;
}

// A compose service name (compose's own rule) and arguments that travel as data, one per line.
const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function validateSeedCommand(c: Collector, raw: unknown): SeedCommand | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (!isPlainObject(raw)) {
        c.error("seedCommand", `must be a map {service: NAME, args: [ARG, …]}, got ${describe(raw)}`);
        return undefined;
    }
    for (const key of Object.keys(raw)) {
        if (key !== "service" && key !== "args") c.error(`seedCommand.${key}`, `unknown key "${key}"; the keys are service, args`);
    }
    const service = text(c, "seedCommand.service", raw.service, { required: true, max: 63 });
    if (service !== undefined && !SERVICE_NAME.test(service)) {
        c.error("seedCommand.service", `service "${service}" is not a compose service name (letters, digits, _ . -)`);
        return undefined;
    }
    const args = stringList(c, "seedCommand.args", raw.args, (a) => (CONTROL.test(a) ? "must be one line with no control characters" : a.length > 1000 ? "is over 1000 characters" : undefined));
    return service === undefined ? undefined : { service, args };
}

function validatePostgres(c: Collector, raw: unknown): PostgresSettings {
    const managedDefault: PostgresSettings = {
        mode: "managed",
        size: DEFAULTS.postgresSize,
        version: DEFAULTS.postgresVersion,
        nodeCount: 1,
    };
    if (raw === undefined || raw === null) return managedDefault;
    if (!isPlainObject(raw)) {
        c.error("postgres", `must be a map with mode: managed or mode: existing, got ${describe(raw)}`);
        return managedDefault;
    }
    const mode = raw.mode ?? "managed";
    const known = mode === "existing" ? ["mode", "host", "port", "user", "database", "sslmode"] : ["mode", "size", "version", "nodeCount", "appSslmode"];
    for (const key of Object.keys(raw)) {
        if (!known.includes(key)) c.error(`postgres.${key}`, `unknown key for mode ${String(mode)}${closestKey(key, known)}`);
    }
    if (mode === "managed") {
        const size = raw.size === undefined ? DEFAULTS.postgresSize : text(c, "postgres.size", raw.size, { required: true, max: 64 });
        const version = raw.version === undefined ? DEFAULTS.postgresVersion : String(raw.version);
        if (!/^\d{2}$/.test(version)) c.error("postgres.version", `must be a PostgreSQL major version like 16, got ${describe(raw.version)}`);
        const nodeCount = optionalInt(c, "postgres.nodeCount", raw.nodeCount, 1, 1, 3);
        const appSslmode = raw.appSslmode ?? "require";
        if (appSslmode !== "require" && appSslmode !== "verify-full") {
            c.error("postgres.appSslmode", `must be require or verify-full (the apps verify the cluster's certificate), got ${describe(raw.appSslmode)}`);
        }
        return { mode, size: size ?? DEFAULTS.postgresSize, version, nodeCount, ...(appSslmode === "verify-full" ? { appSslmode } : {}) };
    }
    if (mode === "existing") {
        const host = text(c, "postgres.host", raw.host, { required: true, max: 253 }) ?? "";
        if (host && !/^[A-Za-z0-9.-]+$/.test(host)) c.error("postgres.host", `host ${describe(host)} must be a hostname or IPv4 address`);
        const user = text(c, "postgres.user", raw.user, { required: true, max: 63 }) ?? "";
        const database = raw.database === undefined ? "postgres" : text(c, "postgres.database", raw.database, { required: true, max: 63 }) ?? "postgres";
        const port = optionalInt(c, "postgres.port", raw.port, 5432, 1, 65535);
        const sslmode = raw.sslmode ?? "require";
        if (sslmode !== "require" && sslmode !== "verify-ca" && sslmode !== "verify-full") {
            c.error("postgres.sslmode", `must be require, verify-ca or verify-full (never disable), got ${describe(sslmode)}`);
            return { mode, host, port, user, database, sslmode: "require" };
        }
        return { mode, host, port, user, database, sslmode };
    }
    c.error("postgres.mode", `must be managed or existing, got ${describe(mode)}`);
    return managedDefault;
}

/**
 * Every key is one the program reads, spelled right; every secret is a secret. A key of another
 * namespace is fine (the providers read theirs) unless its namespace is one letter or two away
 * from this project's or a provider's: then it is a typo that would be silently ignored.
 */
function validateKeys(c: Collector, raw: Readonly<Record<string, unknown>>): void {
    const known = [...CONFIG_KEYS, ...SECRET_KEYS];
    for (const key of Object.keys(raw)) {
        const colon = key.indexOf(":");
        if (colon < 0) {
            if (!(known as readonly string[]).includes(key)) {
                c.error(key, `unknown config key "${PROJECT}:${key}"${closestKey(key, known, true, `${PROJECT}:`)}`);
            }
            continue;
        }
        const namespace = key.slice(0, colon);
        const name = key.slice(colon + 1);
        if ((PROVIDER_NAMESPACES as readonly string[]).includes(namespace)) continue;
        const near = closest(namespace, [PROJECT, ...PROVIDER_NAMESPACES]);
        if (distance(namespace.toLowerCase(), near) <= 3 || namespace.replace(/[-_.]/g, "").toLowerCase() === near.replace(/-/g, "")) {
            const fix = near === PROJECT ? `${PROJECT}:${(known as readonly string[]).includes(name) ? name : closest(name, known)}` : `${near}:${name}`;
            c.error(key, `"${key}" is under the namespace "${namespace}", which nothing reads: the prefix is misspelled; did you mean ${fix}?`);
        }
    }
    for (const key of [...SECRET_KEYS, ...FOREIGN_SECRET_KEYS]) {
        if (raw[key] === PLAINTEXT_SECRET) {
            const full = key.includes(":") ? key : `${PROJECT}:${key}`;
            c.error(
                key,
                `${full} is a secret but the stack file holds it in plain text, readable by anyone who can read the repository: delete the line and set it with pulumi config set --secret ${key} (then rotate the value, which has been exposed)`,
            );
        }
    }
}

/**
 * Validates the stack config. `raw` maps each key without its `staging-slots:` prefix to its
 * value as plain data (strings, numbers, lists, maps); secret keys may be present and are not
 * inspected. `now` is used only to judge claimedAt; it never reaches a resource input.
 */
export function validateSettings(raw: Readonly<Record<string, unknown>>, now: Date): ValidationResult {
    const c = new Collector();
    validateKeys(c, raw);

    const domain = text(c, "domain", raw.domain, { required: true, max: 253 });
    if (domain !== undefined && !HOSTNAME.test(domain)) {
        c.error("domain", `domain "${domain}" is not a lowercase DNS name like justapply.net`);
    }
    const slotCount = optionalInt(c, "slotCount", raw.slotCount, DEFAULT_SLOT_COUNT, 1, MAX_SLOTS);
    const repository = text(c, "repository", raw.repository, { required: true, max: 500 });
    if (repository !== undefined && !isRepositoryUrl(repository)) {
        c.error("repository", `repository "${repository}" must be a git URL like git@github.com:org/job-search-project.git, https://… or file:///absolute/path`);
    }
    const adminCidrs = validateAdminCidrs(c, raw.adminCidrs);
    const pools = validatePools(c, raw.pools, slotCount);
    const taskPattern = validateTaskPattern(c, raw.taskPattern);

    const claims = new Map<number, Claim>();
    if (raw.claims !== undefined && raw.claims !== null && !isPlainObject(raw.claims)) {
        c.error("claims", `must be a map keyed by slot number ("4": {...}), got ${describe(raw.claims)}`);
    } else if (isPlainObject(raw.claims)) {
        for (const [key, value] of Object.entries(raw.claims)) {
            const slot = Number(key);
            if (!/^[1-9]\d*$/.test(key) || slot > slotCount) {
                c.error(`claims.${key}`, `"${key}" is not a slot id; use a slot number from 1 to ${slotCount}`);
                continue;
            }
            const claim = validateClaim(c, slot, value, pools, now, taskPattern);
            if (claim) claims.set(slot, claim);
        }
        // Judged on the task as written, so a claim with other problems still counts: every rule
        // runs on every run, and fixing one error never reveals another. Tasks meet in their
        // compared form (taskKey): "JOB-1", " job-1" and "ＪＯＢ-１" are one task.
        const written = new Map<number, string>();
        const byTask = new Map<string, number[]>();
        for (const [key, value] of Object.entries(raw.claims)) {
            const slot = Number(key);
            if (!/^[1-9]\d*$/.test(key) || slot > slotCount || !isPlainObject(value)) continue;
            if (typeof value.task !== "string" || value.task.trim() === "") continue;
            written.set(slot, value.task);
            const k = taskKey(value.task);
            byTask.set(k, [...(byTask.get(k) ?? []), slot]);
        }
        for (const slots of byTask.values()) {
            if (slots.length > 1) {
                const sorted = [...slots].sort((a, b) => a - b);
                for (const slot of sorted) {
                    const task = written.get(slot) as string;
                    const others = sorted.filter((s) => s !== slot).map((s) => {
                        const spelled = written.get(s) as string;
                        return `${slotLayout(s, "x").identifier}${spelled === task ? "" : ` (as ${describe(spelled)})`}`;
                    });
                    c.error(
                        `claims.${slot}.task`,
                        `task ${task} also holds ${others.join(", ")}; one slot per task: release the others`,
                        slot,
                    );
                }
            }
        }
    }

    const region = text(c, "region", raw.region ?? DEFAULTS.region, { required: true, max: 32 }) ?? DEFAULTS.region;
    const dropletSize = text(c, "dropletSize", raw.dropletSize ?? DEFAULTS.dropletSize, { required: true, max: 64 }) ?? DEFAULTS.dropletSize;
    const dropletImage = text(c, "dropletImage", raw.dropletImage ?? DEFAULTS.dropletImage, { required: true, max: 64 }) ?? DEFAULTS.dropletImage;
    const projectName = text(c, "projectName", raw.projectName ?? DEFAULTS.projectName, { required: true, max: 175 }) ?? DEFAULTS.projectName;
    const sshKeys = stringList(c, "sshKeys", raw.sshKeys, (s) => (/^[0-9a-f:]+$|^\d+$/.test(s) ? undefined : `"${s}" is not a DigitalOcean SSH key id or fingerprint`));
    const deployPublicKey = text(c, "deployPublicKey", raw.deployPublicKey, { required: true, max: 4096 });
    if (deployPublicKey !== undefined && !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( [^\s]+)?$/.test(deployPublicKey)) {
        c.error("deployPublicKey", "must be one OpenSSH public key line, e.g. \"ssh-ed25519 AAAA… deploy@staging\"");
    }
    const sshHostKey = text(c, "sshHostKey", raw.sshHostKey, { required: false, max: 4096 });
    const acmeEmail = text(c, "acmeEmail", raw.acmeEmail, { required: false, max: 254 });
    if (acmeEmail !== undefined && !/^[^\s@"'`$\\{}]+@[A-Za-z0-9.-]+$/.test(acmeEmail)) {
        c.error("acmeEmail", `"${acmeEmail}" is not an email address`);
    }
    const postgres = validatePostgres(c, raw.postgres);

    const appEnv: Record<string, string> = {};
    if (raw.appEnv !== undefined && raw.appEnv !== null) {
        if (!isPlainObject(raw.appEnv)) {
            c.error("appEnv", `must be a map of NAME: value, got ${describe(raw.appEnv)}`);
        } else {
            for (const [name, value] of Object.entries(raw.appEnv)) {
                if (!ENV_NAME.test(name)) c.error(`appEnv.${name}`, "names must be UPPER_SNAKE_CASE");
                else if (RESERVED_ENV.has(name)) c.error(`appEnv.${name}`, `${name} is set per slot by the deploy script; remove it`);
                else if (RESERVED_ENV_PREFIX.test(name)) {
                    c.error(`appEnv.${name}`, `${name} would change how docker compose itself runs every slot (COMPOSE_* and DOCKER_* are compose's and docker's own settings); remove it`);
                }
                else if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
                    c.error(`appEnv.${name}`, `must be a string, number or boolean, got ${describe(value)}`);
                } else {
                    const setting = String(value);
                    const invisible = invisibleProblem(setting);
                    if (CONTROL.test(setting)) {
                        c.error(`appEnv.${name}`, "must be one line with no control characters");
                    } else if (invisible) {
                        c.error(`appEnv.${name}`, invisible);
                    } else if (/['\\]/.test(setting)) {
                        // The env file quotes values in single quotes for compose; these cannot be carried.
                        c.error(`appEnv.${name}`, "must not contain ' or \\ (a compose env file cannot carry them literally)");
                    } else {
                        appEnv[name] = setting;
                    }
                }
            }
        }
    }
    if (raw.deployPrivateKey === undefined) {
        c.error("deployPrivateKey", "the deploy user's SSH private key is required as a secret: pulumi config set --secret deployPrivateKey < deploy_key");
    }
    if (postgres.mode === "existing" && raw.postgresPassword === undefined) {
        c.error("postgresPassword", "postgres.mode is existing, so its password is required as a secret: pulumi config set --secret postgresPassword");
    }
    const deployTimeoutSeconds = optionalInt(c, "deployTimeoutSeconds", raw.deployTimeoutSeconds, DEFAULTS.deployTimeoutSeconds, 60, 3600);
    const releaseRemovesCheckout = optionalBool(c, "releaseRemovesCheckout", raw.releaseRemovesCheckout);
    const releaseRemovesVolumes = optionalBool(c, "releaseRemovesVolumes", raw.releaseRemovesVolumes);
    const waitlist = validateWaitlist(c, raw.waitlist, pools, claims, now, taskPattern);
    const maxClaimHours = raw.maxClaimHours === undefined || raw.maxClaimHours === null ? undefined : optionalInt(c, "maxClaimHours", raw.maxClaimHours, 0, 1, 24 * 365);
    const databaseOnNewTask = dataPolicy(c, "databaseOnNewTask", raw.databaseOnNewTask);
    const volumesOnNewTask = dataPolicy(c, "volumesOnNewTask", raw.volumesOnNewTask);
    // The deploy script refuses a data reset it cannot verify: an existing instance's CA never
    // reaches the droplet, so the reset's psql has none for verify-ca/verify-full
    // (components/scripts/deploy.sh, psql_settings). Said here, before a claim meets it.
    if (postgres.mode === "existing" && postgres.sslmode !== "require" && databaseOnNewTask === "reset") {
        c.warn(
            "databaseOnNewTask",
            `postgres.sslmode is ${postgres.sslmode} on an existing instance, whose CA the droplet does not have, so the deployment refuses every database reset (a new task, a resetDatabase bump); set databaseOnNewTask: keep (and bump no claim's resetDatabase), or postgres.sslmode: require, in a host change of its own`,
        );
    }
    const seedCommand = validateSeedCommand(c, raw.seedCommand);
    const pruneAfterHours = optionalInt(c, "pruneAfterHours", raw.pruneAfterHours, DEFAULTS.pruneAfterHours, 1, 24 * 365);
    const minFreeDiskGb = optionalInt(c, "minFreeDiskGb", raw.minFreeDiskGb, DEFAULTS.minFreeDiskGb, 0, 1_000_000);
    const registryDatabase = raw.registryDatabase ?? DEFAULTS.registryDatabase;
    if (typeof registryDatabase !== "string" || !/^[a-z_][a-z0-9_]{0,62}$/.test(registryDatabase)) {
        c.error("registryDatabase", `must be a PostgreSQL database name of lowercase letters, digits and _ (at most 63), got ${describe(registryDatabase)}`);
    }

    const placement = validateHosts(raw.hosts, {
        slotCount,
        region,
        dropletSize,
        dropletImage,
        ...(sshHostKey ? { sshHostKey } : {}),
        postgresMode: postgres.mode,
    });
    c.errors.push(...placement.problems);
    const images = validateImages(raw.images, raw.registry, projectName);
    c.errors.push(...images.problems);

    if (c.errors.length > 0 || domain === undefined || repository === undefined || deployPublicKey === undefined) {
        return { errors: c.errors, warnings: c.warnings };
    }
    const settings: Settings = {
        domain,
        slotCount,
        repository,
        adminCidrs,
        pools,
        claims,
        region,
        dropletSize,
        dropletImage,
        sshKeys,
        deployPublicKey,
        ...(sshHostKey ? { sshHostKey } : {}),
        ...(acmeEmail ? { acmeEmail } : {}),
        projectName,
        postgres,
        appEnv,
        deployTimeoutSeconds,
        releaseRemovesCheckout,
        releaseRemovesVolumes,
        registryDatabase: registryDatabase as string,
        taskPattern: typeof raw.taskPattern === "string" ? raw.taskPattern : DEFAULT_TASK_PATTERN,
        hosts: placement.hosts,
        ...(images.images ? { images: images.images } : {}),
        waitlist,
        ...(maxClaimHours !== undefined ? { maxClaimHours } : {}),
        databaseOnNewTask,
        volumesOnNewTask,
        ...(seedCommand ? { seedCommand } : {}),
        pruneAfterHours,
        minFreeDiskGb,
    };
    return { settings, errors: c.errors, warnings: c.warnings };
}

/** Validates and returns the settings, or throws a ConfigError listing every problem. */
export function requireValidSettings(raw: Readonly<Record<string, unknown>>, now: Date): { settings: Settings; warnings: readonly Problem[] } {
    const result = validateSettings(raw, now);
    if (!result.settings) throw new ConfigError(result.errors);
    return { settings: result.settings, warnings: result.warnings };
}

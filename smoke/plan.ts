// The live smoke test's decisions, kept pure so they are tested without a cloud account: what it
// needs to run (and the one line it prints without it), the ephemeral stack's name and config,
// what it costs, and how the deploy key is spelled for the droplet.

import { generateKeyPairSync, randomBytes } from "node:crypto";

/** The environment variables the smoke test reads. */
export const SMOKE_ENV = {
    domain: "SMOKE_DOMAIN",
    repository: "SMOKE_APP_REPOSITORY",
    commits: "SMOKE_APP_COMMITS",
    repositoryKey: "SMOKE_APP_REPOSITORY_KEY",
    adminCidr: "SMOKE_ADMIN_CIDR",
    region: "SMOKE_REGION",
} as const;

/** What the smoke test runs with, once everything it needs is there. */
export interface SmokeInputs {
    /** A DigitalOcean-hosted test domain; the slots become staging-N.<domain>. */
    readonly domain: string;
    /** A git URL whose top level is examples/app. */
    readonly repository: string;
    /** Two commits of that repository: the first deployment, then the re-point. */
    readonly commits: readonly [string, string];
    /** Read key for a private repository; optional. */
    readonly repositoryKey?: string;
    /** Where `pulumi up` runs from (SSH and PostgreSQL are open to it only); optional, looked up when absent. */
    readonly adminCidr?: string;
    readonly region: string;
}

/** Either the inputs, or everything that is missing (each named as the variable or tool to provide). */
export type Readiness = { readonly ok: true; readonly inputs: SmokeInputs } | { readonly ok: false; readonly missing: readonly string[]; readonly invalid: readonly string[] };

const SHA = /^[0-9a-f]{40}$/;

/** Checks the environment and the Pulumi CLI's presence; never throws. */
export function readiness(env: Readonly<Record<string, string | undefined>>, pulumiOnPath: boolean): Readiness {
    const missing: string[] = [];
    const invalid: string[] = [];
    if (!pulumiOnPath) missing.push("the pulumi CLI on PATH");
    if (!env.DIGITALOCEAN_TOKEN) missing.push("DIGITALOCEAN_TOKEN");
    if (!env.PULUMI_ACCESS_TOKEN && !env.PULUMI_BACKEND_URL) missing.push("PULUMI_ACCESS_TOKEN (or PULUMI_BACKEND_URL)");
    const domain = env[SMOKE_ENV.domain];
    if (!domain) missing.push(`${SMOKE_ENV.domain} (a test domain hosted on DigitalOcean DNS)`);
    else if (!/^(?=.{1,200}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/.test(domain)) invalid.push(`${SMOKE_ENV.domain} is not a domain name: ${domain}`);
    const repository = env[SMOKE_ENV.repository];
    if (!repository) missing.push(`${SMOKE_ENV.repository} (a git URL whose top level is examples/app)`);
    const commitsText = env[SMOKE_ENV.commits];
    const commits = (commitsText ?? "").split(",").map((c) => c.trim());
    if (!commitsText) missing.push(`${SMOKE_ENV.commits} (two commits of that repository, comma-separated)`);
    else if (commits.length !== 2 || !commits.every((c) => SHA.test(c)) || commits[0] === commits[1]) {
        invalid.push(`${SMOKE_ENV.commits} must be two different full 40-hex commit SHAs separated by a comma`);
    }
    const adminCidr = env[SMOKE_ENV.adminCidr];
    if (adminCidr && !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(adminCidr)) invalid.push(`${SMOKE_ENV.adminCidr} is not an IPv4 CIDR: ${adminCidr}`);
    if (missing.length > 0 || invalid.length > 0) return { ok: false, missing, invalid };
    return {
        ok: true,
        inputs: {
            domain: domain as string,
            repository: repository as string,
            commits: [commits[0], commits[1]],
            ...(env[SMOKE_ENV.repositoryKey] ? { repositoryKey: env[SMOKE_ENV.repositoryKey] } : {}),
            ...(adminCidr ? { adminCidr } : {}),
            region: env[SMOKE_ENV.region] || "nyc3",
        },
    };
}

/** The single line printed when the smoke test cannot run: a skip, never a pass. */
export function skipLine(r: Extract<Readiness, { ok: false }>): string {
    const parts = [...(r.missing.length > 0 ? [`missing ${r.missing.join(", ")}`] : []), ...r.invalid];
    return `smoke: SKIPPED, nothing was tested: ${parts.join("; ")} (see the README's "Live smoke test")`;
}

/** A stack name no other run uses: smoke-<UTC date and time>-<random>. */
export function stackName(now: Date, random: string = randomBytes(3).toString("hex")): string {
    const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "").replace("T", "-").toLowerCase();
    return `smoke-${stamp}-${random}`;
}

/** The smallest sizes: what the smoke stack runs on, and what each costs per hour (USD, DigitalOcean's list prices). */
export const SMOKE_SIZES = {
    droplet: { slug: "s-1vcpu-2gb", hourly: 0.01786 },
    cluster: { slug: "db-s-1vcpu-1gb", hourly: 0.02232 },
} as const;

/** The cost line printed before anything is created. */
export function costEstimate(hours: number): string {
    const perHour = SMOKE_SIZES.droplet.hourly + SMOKE_SIZES.cluster.hourly;
    return (
        `smoke: creates a ${SMOKE_SIZES.droplet.slug} droplet ($${SMOKE_SIZES.droplet.hourly}/h), a ${SMOKE_SIZES.cluster.slug} ` +
        `PostgreSQL cluster ($${SMOKE_SIZES.cluster.hourly}/h), a reserved IP (free while assigned) and two DNS records; ` +
        `about $${(perHour * hours).toFixed(2)} for a run of up to ${hours} h, every resource destroyed at the end`
    );
}

/** A claim of slot 1 for the example app at `commit`. */
export function smokeClaim(name: string, commit: string, claimedAt: Date): Record<string, unknown> {
    return {
        "1": {
            owner: "smoke-test",
            task: name.toUpperCase(),
            branch: "smoke-example-app",
            commit,
            purpose: "live smoke test of staging-slots",
            claimedAt: claimedAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
        },
    };
}

/** The deploy user's key pair: an ed25519 key, the private half PKCS#8 PEM, the public half OpenSSH. */
export function deployKeyPair(): { privateKey: string; publicKey: string } {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
    const field = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const blob = Buffer.concat([field(Buffer.from("ssh-ed25519")), field(raw)]);
    return {
        privateKey: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
        publicKey: `ssh-ed25519 ${blob.toString("base64")} staging-slots-smoke`,
    };
}

/** The ephemeral stack's config: two slots, the smallest sizes, slot 1 claimed or not; the keys as secrets. */
export function smokeConfig(
    inputs: SmokeInputs,
    name: string,
    adminCidr: string,
    keys: { readonly privateKey: string; readonly publicKey: string },
    claims: Record<string, unknown>,
): Record<string, { value: string; secret?: boolean }> {
    const plain = (value: unknown) => ({ value: typeof value === "string" ? value : JSON.stringify(value) });
    return {
        "staging-slots:domain": plain(inputs.domain),
        "staging-slots:slotCount": plain(2),
        "staging-slots:repository": plain(inputs.repository),
        "staging-slots:adminCidrs": plain([adminCidr]),
        "staging-slots:region": plain(inputs.region),
        "staging-slots:dropletSize": plain(SMOKE_SIZES.droplet.slug),
        "staging-slots:postgres": plain({ mode: "managed", size: SMOKE_SIZES.cluster.slug, version: "16", nodeCount: 1 }),
        "staging-slots:projectName": plain(name),
        "staging-slots:deployPublicKey": plain(keys.publicKey),
        "staging-slots:deployPrivateKey": { value: keys.privateKey, secret: true },
        ...(inputs.repositoryKey ? { "staging-slots:repositoryKey": { value: inputs.repositoryKey, secret: true } } : {}),
        "staging-slots:deployTimeoutSeconds": plain(1200),
        "staging-slots:claims": plain(claims),
        // The smoke claim's task is the stack's own name (SMOKE-20261201-…), not a tracker key.
        "staging-slots:taskPattern": plain("SMOKE-[A-Z0-9-]+"),
    };
}

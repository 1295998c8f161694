// Stack configs for tests, in the engine's form (`staging-slots:key` → string), built from plain
// values so each test states only what it changes.

import { EngineConfig } from "../../offline/stackFile";

/** A fixed clock for tests: claims are judged against it, never against the real time. */
export const NOW = new Date("2026-11-23T12:00:00Z");

/** A valid claim on a slot of the qa pool; override any field. */
export function claim(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        owner: "alice",
        task: "JOB-123",
        branch: "feature/login",
        commit: "0123456789abcdef0123456789abcdef01234567",
        purpose: "QA for PR #123",
        claimedAt: "2026-11-23T10:30:00Z",
        ...overrides,
    };
}

/** The plain (non-secret) config of a valid ten-slot stack with no claims. */
export function baseValues(): Record<string, unknown> {
    return {
        domain: "justapply.net",
        slotCount: 10,
        repository: "git@github.com:justapply/job-search-project.git",
        adminCidrs: ["203.0.113.0/24"],
        deployPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKeyOnly deploy@test",
        appEnv: { APP_ENV: "staging" },
        claims: {},
    };
}

/** Secret values tests set; each must never appear in anything printed or output in plain text. */
export const SECRETS = {
    deployPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nTEST-ONLY-deploy-key-7f3a9c\n-----END OPENSSH PRIVATE KEY-----\n",
    postgresPassword: "TEST-ONLY-pg-password-5d2e1b",
    repositoryKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nTEST-ONLY-repository-key-a41c07\n-----END OPENSSH PRIVATE KEY-----\n",
} as const;

/**
 * Turns plain values into engine config: strings as they are, everything else JSON, every key
 * under the project's namespace. `deployPrivateKey` is always set as a secret unless `secrets`
 * says otherwise; an `undefined` value leaves the key out.
 */
export function engineConfig(
    values: Record<string, unknown>,
    secrets: Partial<Record<keyof typeof SECRETS, string>> = { deployPrivateKey: SECRETS.deployPrivateKey },
): EngineConfig {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) {
        if (v === undefined) continue;
        out[`staging-slots:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(secrets)) {
        if (v === undefined) continue;
        out[`staging-slots:${k}`] = v;
        secretKeys.push(`staging-slots:${k}`);
    }
    return { values: out, secretKeys };
}

// Decodes the engine's config map into plain values for validation. The engine hands every value
// over as a string (objects and lists JSON-encoded), so non-string keys are decoded here; anything
// that does not decode is passed on as the string and the validator names it. Kept free of
// @pulumi/pulumi so the `slots` command reads a stack file exactly as the program does without
// loading the SDK.

import { PROJECT, SECRET_KEYS } from "./settings";

// Keys whose values are strings as written; everything else is JSON (numbers, lists, maps).
const STRING_KEYS = new Set([
    "domain",
    "repository",
    "region",
    "dropletSize",
    "dropletImage",
    "deployPublicKey",
    "sshHostKey",
    "acmeEmail",
    "projectName",
    "databaseOnNewTask",
    "volumesOnNewTask",
]);

/** A secret key's value when the engine holds it as a secret: the value itself is never decoded. */
export const SECRET_VALUE = "[secret]";

/**
 * A secret key's value when the stack file holds it in plain text. The value is not passed on
 * (it must not reach a message or a table); the validator refuses the key.
 */
export const PLAINTEXT_SECRET: unique symbol = Symbol("secret key given in plain text");

/** Keys outside this project whose values are secrets (the DigitalOcean provider's token). */
export const FOREIGN_SECRET_KEYS = ["digitalocean:token"] as const;

/**
 * Decodes the engine's config map (`project:key` → string) into plain values keyed by bare key.
 * Keys of other namespaces keep their `namespace:` prefix, so the validator can name a misspelled
 * project prefix and a provider secret given in plain text. `secretKeys` lists the full keys the
 * engine marks secret.
 */
export function decodeEngineConfig(all: Readonly<Record<string, string>>, secretKeys: readonly string[]): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(all)) {
        const ours = fullKey.startsWith(`${PROJECT}:`);
        const key = ours ? fullKey.slice(PROJECT.length + 1) : fullKey;
        if ((ours && (SECRET_KEYS as readonly string[]).includes(key)) || (FOREIGN_SECRET_KEYS as readonly string[]).includes(fullKey)) {
            raw[key] = secretKeys.includes(fullKey) ? SECRET_VALUE : PLAINTEXT_SECRET;
        } else if (!ours && secretKeys.includes(fullKey)) {
            raw[key] = SECRET_VALUE;
        } else if (ours && STRING_KEYS.has(key)) {
            raw[key] = value;
        } else {
            try {
                raw[key] = JSON.parse(value) as unknown;
            } catch {
                raw[key] = value;
            }
        }
    }
    return raw;
}

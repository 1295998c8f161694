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

/** Decodes the engine's config map (`project:key` → string) into plain values keyed by bare key. */
export function decodeEngineConfig(all: Readonly<Record<string, string>>): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(all)) {
        if (!fullKey.startsWith(`${PROJECT}:`)) continue;
        const key = fullKey.slice(PROJECT.length + 1);
        if ((SECRET_KEYS as readonly string[]).includes(key)) {
            raw[key] = "[secret]";
        } else if (STRING_KEYS.has(key)) {
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

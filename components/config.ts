// Reads the stack config from the Pulumi engine into plain values for validation; the decoding
// itself lives in configDecode.ts, shared with the `slots` command.

import * as pulumi from "@pulumi/pulumi";

import { decodeEngineConfig } from "./configDecode";

export { decodeEngineConfig };

// The SDK marks which keys hold secrets (PULUMI_CONFIG_SECRET_KEYS) but types the reader as
// internal (sdk/nodejs/runtime/config.ts isConfigSecret); the setMocks runtime fills it too.
const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };

/** The stack's non-secret config as plain values; secret keys only as whether they are secret. */
export function readStackConfig(): Record<string, unknown> {
    const all = pulumi.runtime.allConfig();
    const isSecret = runtime.isConfigSecret;
    if (typeof isSecret !== "function") {
        throw new Error("this Pulumi SDK no longer exposes runtime.isConfigSecret; staging-slots needs it to refuse secrets given in plain text");
    }
    return decodeEngineConfig(all, Object.keys(all).filter((k) => isSecret(k)));
}

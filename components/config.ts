// Reads the stack config from the Pulumi engine into plain values for validation; the decoding
// itself lives in configDecode.ts, shared with the `slots` command.

import * as pulumi from "@pulumi/pulumi";

import { decodeEngineConfig } from "./configDecode";

export { decodeEngineConfig };

/** The stack's non-secret config as plain values. */
export function readStackConfig(): Record<string, unknown> {
    return decodeEngineConfig(pulumi.runtime.allConfig());
}

// A snapshot of what an existing single-host stack registers: every resource's URN, parent and
// options, and a digest of its inputs. Recorded once from the program as it was before
// `staging-slots:hosts` existed (test/fixtures/single-host-baseline.json), it lets a test prove
// that a stack without `hosts` still sees no change at all.
//
// Two kinds of input are left out of the digests because other changes own them and they do not
// depend on where a slot runs: a deployment's stdin (the claim's data and the script's
// parameters) and the registry rows' inputs (the dynamic provider's code and version). Their
// identity, parent and options stay in the snapshot, and a deployment's connection is digested.

import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import * as path from "node:path";

import { canonicalJson } from "../../offline/planDiff";
import { Evaluation, RecordedResource } from "../../offline/recorder";
import { claim } from "./config";

/** The config the baseline is recorded with: ten slots, slot 4 claimed, the repository key set. */
export function baselineValues(base: Record<string, unknown>): Record<string, unknown> {
    return { ...base, claims: { "4": claim() } };
}

/** One resource of the snapshot. */
export interface BaselineResource {
    readonly urn: string;
    readonly parent: string;
    readonly protect: boolean;
    readonly deleteBeforeReplace: boolean;
    readonly additionalSecretOutputs: readonly string[];
    /** sha256 of the canonical JSON of the compared inputs. */
    readonly inputs: string;
}

const DEPLOY = /^staging-\d+-deploy$/;
const REGISTRY_ROW = /^staging-\d+-registry$/;

function comparedInputs(r: RecordedResource): Record<string, unknown> {
    const inputs = Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !k.startsWith("__")));
    if (r.type === "command:remote:Command" && DEPLOY.test(r.name)) return { connection: inputs.connection };
    if (r.type === "pulumi-nodejs:dynamic:Resource" && REGISTRY_ROW.test(r.name)) return {};
    return inputs;
}

/** The snapshot of an evaluation, sorted by URN. */
export function baselineOf(ev: Evaluation): BaselineResource[] {
    return ev.resources
        .map((r) => ({
            urn: r.urn,
            parent: r.parent,
            protect: r.protect,
            deleteBeforeReplace: r.deleteBeforeReplace,
            additionalSecretOutputs: [...r.additionalSecretOutputs].sort(),
            inputs: createHash("sha256").update(canonicalJson(comparedInputs(r))).digest("hex"),
        }))
        .sort((a, b) => a.urn.localeCompare(b.urn));
}

/** Where the recorded snapshot lives. */
export const BASELINE_FILE = path.join(__dirname, "..", "fixtures", "single-host-baseline.json");

/** Writes the snapshot (only by hand, from the program before the change it guards). */
export function writeBaseline(ev: Evaluation): void {
    writeFileSync(BASELINE_FILE, JSON.stringify(baselineOf(ev), null, 2) + "\n");
}

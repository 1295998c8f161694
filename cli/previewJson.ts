// The document `pulumi preview --json` prints, as types: what `slots guard` reads and what its
// fixtures are generated from. Field names and JSON tags are those of pulumi/pulumi
// sdk/go/common/display/json.go (PreviewDigest, PreviewStep, PropertyDiff, PreviewDiagnostic)
// and of apitype.ResourceV3 (sdk/go/common/apitype/core.go); the step ops are the engine's
// StepOp values (pkg/resource/deploy/step.go), which @pulumi/pulumi's Automation API exports as
// OpType. A rename on either side breaks the type check or the fixture test.

import type { OpType } from "@pulumi/pulumi/automation";

/** One step op, as the engine names it. */
export type StepOp = OpType;

/**
 * Every op the engine has. The type below fails to compile when the SDK adds or renames one, so
 * the guard's reading of each op is revisited then.
 */
export const STEP_OPS = [
    "same",
    "create",
    "update",
    "delete",
    "replace",
    "create-replacement",
    "delete-replaced",
    "read",
    "read-replacement",
    "refresh",
    "discard",
    "discard-replaced",
    "remove-pending-replace",
    "import",
    "import-replacement",
] as const satisfies readonly StepOp[];
type Unlisted = Exclude<StepOp, (typeof STEP_OPS)[number]>;
/** True only when STEP_OPS lists every StepOp (a compile-time check). */
export const STEP_OPS_COMPLETE: [Unlisted] extends [never] ? true : Unlisted = true;

/** apitype.ResourceV3: the fields the preview prints that this project's fixtures carry. */
export interface ResourceV3 {
    readonly urn: string;
    readonly custom: boolean;
    readonly delete?: boolean;
    readonly id?: string;
    readonly type: string;
    readonly inputs?: Readonly<Record<string, unknown>>;
    readonly outputs?: Readonly<Record<string, unknown>>;
    readonly parent?: string;
    readonly protect?: boolean;
    readonly provider?: string;
    readonly additionalSecretOutputs?: readonly string[];
    readonly retainOnDelete?: boolean;
    readonly deleteBeforeReplace?: boolean;
}

/** display.PropertyDiff. */
export interface PropertyDiff {
    readonly kind: "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";
    readonly inputDiff: boolean;
}

/** display.PreviewStep. */
export interface PreviewStepJson {
    readonly op: StepOp;
    readonly urn: string;
    readonly provider?: string;
    readonly oldState?: ResourceV3;
    readonly newState?: ResourceV3;
    /** For updating steps only. */
    readonly diffReasons?: readonly string[];
    /** For replacement steps only. */
    readonly replaceReasons?: readonly string[];
    /** No omitempty in json.go: printed as null when there is none. */
    readonly detailedDiff: Readonly<Record<string, PropertyDiff>> | null;
}

/** display.PreviewDiagnostic. */
export interface PreviewDiagnostic {
    readonly urn?: string;
    readonly prefix?: string;
    readonly message?: string;
    readonly severity?: "debug" | "info" | "info#err" | "warning" | "error";
}

/** display.PreviewDigest: the whole document. */
export interface PreviewDigest {
    /** Secrets blinded as "[secret]". */
    readonly config?: Readonly<Record<string, string>>;
    readonly steps?: readonly PreviewStepJson[];
    readonly diagnostics?: readonly PreviewDiagnostic[];
    /** A Go time.Duration: nanoseconds. */
    readonly duration?: number;
    readonly changeSummary?: Partial<Readonly<Record<StepOp, number>>>;
    readonly maybeCorrupt?: boolean;
}

/** The field names the guard reads from each step; kept here beside the type they must exist in. */
export const GUARD_STEP_FIELDS = ["op", "urn"] as const satisfies readonly (keyof PreviewStepJson)[];

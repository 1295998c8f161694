// The rules `slots guard` applies to a real `pulumi preview --json` before `pulumi up` may run:
// nothing protected is replaced or deleted, and nothing changes outside the slots whose claims
// changed. Pure: it takes the preview's text and the set of changed slots and returns what is
// wrong, one entry per offending resource.

import { SlotMove, describeMove } from "../components/hosts";
import { parseImageResourceName } from "../components/images";
import { Claim } from "../components/settings";
import { canonicalJson } from "../offline/planDiff";
import type { StepOp } from "./previewJson";

/** One step of the preview: the only two fields the guard relies on (see previewJson.ts). */
export interface PreviewStep {
    /** A StepOp (same, create, update, delete, replace, create-replacement, …); a string, since a newer engine may add ops. */
    readonly op: string;
    readonly urn: string;
}

/** Thrown when the preview file is not what `pulumi preview --json` prints. */
export class PreviewFormatError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PreviewFormatError";
    }
}

/**
 * Reads the steps of a `pulumi preview --json` document. A successful preview always has at least
 * the root stack's step, so an empty or missing list means the preview failed.
 */
export function parsePreview(text: string, file: string): PreviewStep[] {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new PreviewFormatError(`${file} is not JSON (${(e as Error).message}); write it with: pulumi preview --json > ${file}`);
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
        throw new PreviewFormatError(`${file} is not the output of pulumi preview --json: expected an object with a steps list`);
    }
    const steps = (doc as Record<string, unknown>).steps;
    if (!Array.isArray(steps) || steps.length === 0) {
        throw new PreviewFormatError(`${file} has no steps: the preview probably failed (its errors are in its diagnostics and log); fix that and preview again`);
    }
    return steps.map((s: unknown, i) => {
        const step = s as Record<string, unknown> | null;
        if (typeof step !== "object" || step === null || typeof step.op !== "string" || typeof step.urn !== "string") {
            throw new PreviewFormatError(`${file}: steps[${i}] has no op and urn strings; is this the output of pulumi preview --json?`);
        }
        return { op: step.op, urn: step.urn };
    });
}

/**
 * Reads the steps `pulumi up` executed from its engine event log (`pulumi up --event-log FILE`:
 * one JSON event a line, pulumi/pulumi sdk/go/common/apitype/events.go). Each resourcePreEvent
 * names a step's op and URN in its metadata; those marked `planning` belong to the preview that
 * `up` runs first and are left out, so what remains is what was done. A log without any
 * executed step, or whose update did not finish, still counts: the guard judges what is there.
 */
export function parseEventLog(text: string, file: string): PreviewStep[] {
    const steps: PreviewStep[] = [];
    let events = 0;
    text.split("\n").forEach((line, i) => {
        if (line.trim() === "") return;
        let event: unknown;
        try {
            event = JSON.parse(line);
        } catch (e) {
            throw new PreviewFormatError(`${file}:${i + 1} is not JSON (${(e as Error).message}); write the file with: pulumi up --event-log ${file}`);
        }
        events += 1;
        const pre = (event as { resourcePreEvent?: { metadata?: { op?: unknown; urn?: unknown }; planning?: unknown } } | null)?.resourcePreEvent;
        if (pre === undefined || pre.planning === true) return;
        if (typeof pre.metadata?.op !== "string" || typeof pre.metadata.urn !== "string") {
            throw new PreviewFormatError(`${file}:${i + 1}: a resourcePreEvent without op and urn strings; is this pulumi's event log?`);
        }
        steps.push({ op: pre.metadata.op, urn: pre.metadata.urn });
    });
    if (events === 0) throw new PreviewFormatError(`${file} holds no engine event; write it with: pulumi up --event-log ${file}`);
    return steps;
}

/** A resource URN taken apart: `urn:pulumi:<stack>::<project>::<parent types $ type>::<name>`. */
export interface ParsedUrn {
    readonly stack: string;
    readonly project: string;
    /** The ancestors' types then the resource's own, outermost first. */
    readonly typeChain: readonly string[];
    readonly type: string;
    readonly name: string;
}

/** Parses a URN; undefined when it is not one. */
export function parseUrn(urn: string): ParsedUrn | undefined {
    if (!urn.startsWith("urn:pulumi:")) return undefined;
    const parts = urn.slice("urn:pulumi:".length).split("::");
    if (parts.length < 4) return undefined;
    const [stack, project, qualifiedType, ...rest] = parts;
    // A name may itself contain "::"; everything after the type belongs to it.
    const name = rest.join("::");
    const typeChain = qualifiedType.split("$");
    return { stack, project, typeChain, type: typeChain[typeChain.length - 1], name };
}

/** The type of an image built once per service and commit (`image-<service>-<commit>`). */
export const IMAGE_TYPE = "docker:index/image:Image";

/** The component type every slot's resources live under. */
export const SLOT_TYPE = "jobsearch:staging:StagingSlot";

/**
 * The slot a resource belongs to: the slot component itself (`staging-N`) or anything under it,
 * whose names all derive from the component's (`staging-N-…`). Null for resources outside every
 * slot; NaN when the resource is under a slot component but its name does not say which.
 */
export function slotOfUrn(urn: ParsedUrn): number | null {
    if (!urn.typeChain.includes(SLOT_TYPE)) return null;
    const m = /^staging-(\d+)(?:-|$)/.exec(urn.name);
    return m ? Number(m[1]) : NaN;
}

/** Resources whose replacement or deletion would lose data or the address every slot's DNS points at. */
export const PROTECTED_TYPES: Readonly<Record<string, string>> = {
    "digitalocean:index/droplet:Droplet": "the droplet",
    "digitalocean:index/reservedIp:ReservedIp": "the reserved IP",
    "digitalocean:index/databaseCluster:DatabaseCluster": "the database cluster",
    "postgresql:index/database:Database": "a slot database",
    "postgresql:index/role:Role": "a slot database role",
};

/**
 * Resources that may be replaced (a droplet rebuild re-points the reserved IP; a firewall may be
 * recreated) but never deleted outright, even with --allow-shared: without them the droplet is
 * open to the internet, the managed database accepts connections from anywhere (a cluster with
 * no trusted sources is reachable by every address), or the droplet is unreachable at the address
 * DNS points at.
 */
export const NEVER_DELETED_TYPES: Readonly<Record<string, string>> = {
    "digitalocean:index/firewall:Firewall": "the droplet's firewall",
    "digitalocean:index/databaseFirewall:DatabaseFirewall": "the database cluster's trusted sources",
    "digitalocean:index/reservedIpAssignment:ReservedIpAssignment": "the reserved IP's assignment to the droplet",
};

// Steps that leave the resource as it is in the cloud.
const NO_CHANGE: ReadonlySet<string> = new Set<StepOp>(["same", "read", "refresh"]);
// Steps that keep a resource in place. Anything else (delete, replace and its create/delete
// halves, discards, ops a newer engine may add) counts as destroying it: the guard fails closed.
const KEEPS_RESOURCE: ReadonlySet<string> = new Set<StepOp>(["same", "read", "refresh", "create", "update", "import"]);

/** How the guard reads one step op: no change, a change that keeps the resource, or its loss. */
export function opEffect(op: string): "none" | "keeps" | "destroys" {
    if (NO_CHANGE.has(op)) return "none";
    return KEEPS_RESOURCE.has(op) ? "keeps" : "destroys";
}

/** One resource the preview must not touch as it would. */
export interface Violation {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Every op the preview has for the resource (a replacement may show as three steps). */
    readonly ops: readonly string[];
    /** The slot the resource belongs to, or null for shared resources. */
    readonly slot: number | null;
    /** Why it is refused, as a reviewer reads it. */
    readonly reason: string;
}

/** What the preview is judged against. */
export interface GuardPolicy {
    /** Slots whose claims differ from the base revision: their resources may change. */
    readonly changedSlots: ReadonlySet<number>;
    /** Also allow changes outside those slots (a deliberate host change); protected resources stay guarded. */
    readonly allowShared: boolean;
    /** Names the base in messages, e.g. `HEAD` or a commit. */
    readonly base: string;
    /**
     * Slots on another host than at the base; `claimed` when the slot is claimed on both sides.
     * Default none.
     */
    readonly moves?: ReadonlyArray<SlotMove & { readonly claimed: boolean }>;
    /**
     * Commit → the slots claiming it at the base or now. An image built once for a commit
     * belongs to those slots: it may change when all of them are among the changed slots.
     */
    readonly commitSlots?: ReadonlyMap<string, readonly number[]>;
}

function allowed(policy: GuardPolicy): string {
    const slots = [...policy.changedSlots].sort((a, b) => a - b).map((s) => `staging-${s}`);
    return slots.length === 0
        ? `no claim changed since ${policy.base}, so nothing may change`
        : `only ${slots.join(", ")} may change (claims changed since ${policy.base})`;
}

/** Every resource the preview would touch against the policy; empty when it may go ahead. */
export function judgePreview(steps: readonly PreviewStep[], policy: GuardPolicy): Violation[] {
    const byUrn = new Map<string, string[]>();
    for (const s of steps) byUrn.set(s.urn, [...(byUrn.get(s.urn) ?? []), s.op]);

    const violations: Violation[] = [];
    for (const [urn, ops] of byUrn) {
        const changing = ops.filter((op) => !NO_CHANGE.has(op));
        if (changing.length === 0) continue;
        const parsed = parseUrn(urn);
        if (!parsed) {
            violations.push({ urn, type: "?", name: urn, ops, slot: null, reason: `${changing.join("+")} of a resource whose URN the guard cannot read; refusing to guess` });
            continue;
        }
        const slot = slotOfUrn(parsed);
        const base = { urn, type: parsed.type, name: parsed.name, ops: changing };
        const what = PROTECTED_TYPES[parsed.type];
        const destructive = changing.filter((op) => !KEEPS_RESOURCE.has(op));
        if (what && destructive.length > 0) {
            violations.push({
                ...base,
                slot: Number.isNaN(slot) ? null : slot,
                reason: `${destructive.join("+")} of ${what}, which is protected: a deployment must never replace or delete it (find the input that forces it in the preview's replaceReasons)`,
            });
            continue;
        }
        const mustStay = NEVER_DELETED_TYPES[parsed.type];
        if (mustStay && changing.includes("delete")) {
            violations.push({
                ...base,
                slot: null,
                reason: `delete of ${mustStay}, which must never go away (not even with --allow-shared); a replace is fine, a delete is not`,
            });
            continue;
        }
        if (slot !== null && Number.isNaN(slot)) {
            violations.push({ ...base, slot: null, reason: `${changing.join("+")} of a resource inside a slot component whose name does not say which slot; refusing to guess` });
            continue;
        }
        const move = slot === null ? undefined : policy.moves?.find((m) => m.slot === slot);
        if (move?.claimed) {
            // The deployment would start on the new host while the old one keeps running the app.
            violations.push({
                ...base,
                slot,
                reason: `${changing.join("+")} in staging-${move.slot}, which is claimed and ${describeMove(move)}; release it first, move it, then claim it again (not even --allow-shared moves a claimed slot)`,
            });
            continue;
        }
        if (policy.allowShared) continue;
        const image = parsed.type === IMAGE_TYPE ? parseImageResourceName(parsed.name) : undefined;
        if (image) {
            const users = policy.commitSlots?.get(image.commit) ?? [];
            const outside = users.filter((s) => !policy.changedSlots.has(s));
            if (users.length > 0 && outside.length === 0) continue;
            violations.push({
                ...base,
                slot: null,
                reason: users.length === 0
                    ? `${changing.join("+")} of the image of a commit no claim names; ${allowed(policy)}`
                    : `${changing.join("+")} of the image ${users.map((s) => `staging-${s}`).join(", ")} ${users.length === 1 ? "runs" : "run"}, and ${outside.map((s) => `staging-${s}`).join(", ")} did not change since ${policy.base}; ${allowed(policy)}`,
            });
            continue;
        }
        if (move) {
            violations.push({
                ...base,
                slot,
                reason: `${changing.join("+")} in staging-${move.slot}, which ${describeMove(move)}; review it as its own pull request and run with --allow-shared`,
            });
            continue;
        }
        if (slot === null) {
            violations.push({
                ...base,
                slot,
                reason: `${changing.join("+")} of a shared resource, outside every slot; ${allowed(policy)}; a deliberate host change runs with --allow-shared`,
            });
        } else if (!policy.changedSlots.has(slot)) {
            violations.push({
                ...base,
                slot,
                reason: `${changing.join("+")} in staging-${slot}, whose claim did not change since ${policy.base}; ${allowed(policy)}`,
            });
        }
    }
    return violations;
}

/** The type a changed config key carries in violations: it is no resource. */
export const CONFIG_KEY_TYPE = "config key";

/** One line naming the offending resource (or config key) and why. */
export function formatViolation(v: Violation): string {
    return v.type === CONFIG_KEY_TYPE ? `${v.name}: ${v.reason}` : `${v.name} (${v.type}): ${v.reason}`;
}

/** Slots whose claim differs between two sets of validated claims, in slot order. */
export function changedClaimSlots(base: ReadonlyMap<number, Claim>, head: ReadonlyMap<number, Claim>): number[] {
    const slots = new Set([...base.keys(), ...head.keys()]);
    return [...slots]
        .filter((s) => canonicalJson(base.get(s) ?? null) !== canonicalJson(head.get(s) ?? null))
        .sort((a, b) => a - b);
}

/** How many steps change something, for the summary line of a passing guard. */
export function countChanges(steps: readonly PreviewStep[]): number {
    return new Set(steps.filter((s) => !NO_CHANGE.has(s.op)).map((s) => s.urn)).size;
}

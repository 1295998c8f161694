// Compares two offline evaluations of the program (the stack file at a git revision and in the
// working tree) resource by resource, the way a reviewer reads a pull request: what is created,
// updated or deleted, in which slot, and which inputs change. Pure: it takes recorded resources
// and returns data or text; only input key names ever leave it, never values.

import { SlotMove, formatMove } from "../components/hosts";
import { parseImageResourceName } from "../components/images";
import type { RecordedResource } from "./recorder";
import { replacingKeys } from "./replacement";

/** What happens to one resource between the two evaluations. */
export type ChangeOp = "create" | "update" | "replace" | "delete";

/** One resource that differs; the shape `slots plan --json` prints. */
export interface Change {
    readonly op: ChangeOp;
    /** The slot whose StagingSlot contains the resource, or null for host and shared resources. */
    readonly slot: number | null;
    readonly type: string;
    readonly name: string;
    /**
     * For an update or a replace, the top-level input keys whose values differ, then the resource
     * options that differ as `opts.<name>`; empty for a create or a delete.
     */
    readonly keys: readonly string[];
    /** For a replace, the keys among `keys` that force it (the providers' force-new inputs). */
    readonly replaceKeys?: readonly string[];
}

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
    return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (typeof value === "object" && value !== null) {
        const o = value as Record<string, unknown>;
        return Object.fromEntries(
            Object.keys(o)
                .sort()
                .map((k) => [k, sortKeys(o[k])]),
        );
    }
    return value;
}

// Options that change what the engine does with a resource, compared besides the inputs.
const OPTIONS = ["protect", "retainOnDelete", "deleteBeforeReplace", "parent", "additionalSecretOutputs"] as const;

function identity(r: RecordedResource): string {
    return `${r.type}::${r.name}`;
}

function changedKeys(before: RecordedResource, after: RecordedResource): string[] {
    // The unwrapped inputs are compared, not the redacted ones: a claim's owner or purpose reaches
    // the deployment only inside its secret stdin, and the real preview updates the deployment
    // when it changes. Only the key names are reported, so no secret value can leak from here.
    const keys = new Set([...Object.keys(before.inputs), ...Object.keys(after.inputs)]);
    const inputs = [...keys]
        .filter((k) => !k.startsWith("__"))
        .filter((k) => canonicalJson(before.inputs[k]) !== canonicalJson(after.inputs[k]))
        .sort();
    const options = OPTIONS.filter((o) => canonicalJson(before[o]) !== canonicalJson(after[o])).map((o) => `opts.${o}`);
    return [...inputs, ...options];
}

function compareChanges(a: Change, b: Change): number {
    // Slots in number order, shared resources last: a reviewer reads the claimed slot first.
    const slotA = a.slot ?? Number.MAX_SAFE_INTEGER;
    const slotB = b.slot ?? Number.MAX_SAFE_INTEGER;
    return slotA - slotB || a.name.localeCompare(b.name) || a.type.localeCompare(b.type);
}

/**
 * The resources created, updated and deleted going from `base` to `head`, matched by type and
 * name (a resource's identity within the stack), sorted by slot then name.
 */
export function diffEvaluations(base: readonly RecordedResource[], head: readonly RecordedResource[]): Change[] {
    const before = new Map(base.map((r) => [identity(r), r]));
    const after = new Map(head.map((r) => [identity(r), r]));
    const changes: Change[] = [];
    for (const [id, r] of after) {
        const old = before.get(id);
        if (!old) {
            changes.push({ op: "create", slot: r.slot, type: r.type, name: r.name, keys: [] });
            continue;
        }
        const keys = changedKeys(old, r);
        if (keys.length === 0) continue;
        const replaceKeys = replacingKeys(r.type, keys, old.inputs, r.inputs);
        changes.push(
            replaceKeys.length > 0
                ? { op: "replace", slot: r.slot, type: r.type, name: r.name, keys, replaceKeys }
                : { op: "update", slot: r.slot, type: r.type, name: r.name, keys },
        );
    }
    for (const [id, r] of before) {
        if (!after.has(id)) changes.push({ op: "delete", slot: r.slot, type: r.type, name: r.name, keys: [] });
    }
    return changes.sort(compareChanges);
}

/** The document `slots plan --json` prints. */
export function changesJson(changes: readonly Change[], moves: readonly SlotMove[] = []): string {
    const doc = {
        changes: changes.map((c) => ({
            op: c.op,
            slot: c.slot,
            type: c.type,
            name: c.name,
            keys: [...c.keys],
            ...(c.replaceKeys ? { replaceKeys: [...c.replaceKeys] } : {}),
        })),
        // Only when a slot changes host: the shape scripts already read stays as it was otherwise.
        ...(moves.length > 0 ? { moves: moves.map((m) => ({ slot: m.slot, from: m.from, to: m.to })) } : {}),
    };
    return JSON.stringify(doc, null, 2) + "\n";
}

// Pulumi's own signs: `+-` is a replacement (create the new resource, then delete the old one).
const SIGN: Record<ChangeOp, string> = { create: "+", update: "~", replace: "+-", delete: "-" };
const SHARED = "shared (host, database, project)";

/** Options of the text rendering. */
export interface RenderOptions {
    /** What the working tree is compared against, e.g. `HEAD` or `origin/main`. */
    readonly base: string;
    /** The stack file's name, e.g. `Pulumi.staging.yaml`. */
    readonly file: string;
    /** Input keys that hold a secret in the working tree, by `type::name`; marked so a reviewer knows why no value shows. */
    readonly secretKeys?: ReadonlyMap<string, ReadonlySet<string>>;
    /** The base was evaluated with its own program code (which differs from the working tree's). */
    readonly ownProgram?: boolean;
    /** Printed under the header: why the comparison is less than it should be. */
    readonly warning?: string;
    /**
     * Slots that move to another host; listed with the shared resources, since a move is a host
     * change. `claimed`: claimed before and after, which the deploy guard refuses.
     */
    readonly moves?: ReadonlyArray<SlotMove & { readonly claimed?: boolean }>;
    /** Commit → the slots claiming it; an image built for a commit is listed with those slots. */
    readonly commitSlots?: ReadonlyMap<string, readonly number[]>;
}

function plural(n: number, word: string): string {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * The text `slots plan` prints: one group per slot (`staging-4`), then the shared resources,
 * each change with its op, type, name and changed keys. Deterministic for the same changes.
 */
export function renderChanges(changes: readonly Change[], opts: RenderOptions): string {
    const header = [
        opts.ownProgram
            ? `${opts.file} and the program: working tree against ${opts.base} (offline evaluation of each side with its own program)`
            : `${opts.file}: working tree against ${opts.base} (offline evaluation of the program)`,
        ...(opts.warning ? [`warning: ${opts.warning}`] : []),
    ].join("\n");
    if (changes.length === 0) return `${header}\nNo resource changes.\n`;
    const groups = new Map<string, Change[]>();
    for (const c of changes) {
        const title = c.slot === null ? imageTitle(c, opts.commitSlots) ?? SHARED : `staging-${c.slot}`;
        groups.set(title, [...(groups.get(title) ?? []), c]);
    }
    const lines = [header];
    const moves = opts.moves ?? [];
    if (moves.length > 0 && !groups.has(SHARED)) groups.set(SHARED, []);
    for (const [title, group] of groups) {
        lines.push("", title);
        if (title === SHARED) {
            lines.push(...moves.map((m) => `  > ${formatMove(m)}${m.claimed ? `; staging-${m.slot} stays claimed, which the deploy guard refuses: release it first` : ""}`));
        }
        for (const c of group) {
            const secret = opts.secretKeys?.get(`${c.type}::${c.name}`);
            const forcing = new Set(c.replaceKeys ?? []);
            const keys = c.keys.map((k) => `${k}${secret?.has(k) ? " [secret]" : ""}${forcing.has(k) ? " (forces replacement)" : ""}`);
            lines.push(`  ${SIGN[c.op]} ${c.op} ${c.type} ${c.name}${keys.length ? `: ${keys.join(", ")}` : ""}`);
        }
    }
    const count = (op: ChangeOp): number => changes.filter((c) => c.op === op).length;
    lines.push(
        "",
        `${plural(changes.length, "change")}: ${count("create")} to create, ${count("update")} to update, ${count("replace")} to replace, ${count("delete")} to delete.`,
    );
    return lines.join("\n") + "\n";
}

// An image built once for a commit belongs to the slots that claim the commit: one slot's image
// is read under that slot, an image several slots share under all of them.
function imageTitle(c: Change, commitSlots: ReadonlyMap<string, readonly number[]> | undefined): string | undefined {
    const image = c.type === "docker:index/image:Image" ? parseImageResourceName(c.name) : undefined;
    const slots = image ? commitSlots?.get(image.commit) ?? [] : [];
    if (slots.length === 0) return undefined;
    return slots.length === 1 ? `staging-${slots[0]}` : `${slots.map((s) => `staging-${s}`).join(", ")} (one image, shared)`;
}

/** For each resource, the input keys whose value is (or holds) a secret, by `type::name`. */
export function secretInputKeys(resources: readonly RecordedResource[]): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const r of resources) {
        const keys = Object.keys(r.redacted).filter((k) => canonicalJson(r.redacted[k]).includes('"[secret]"'));
        if (keys.length > 0) out.set(identity(r), new Set(keys));
    }
    return out;
}

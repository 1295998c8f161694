// What the commands that compare two revisions of the stack file (`slots plan --base`, `slots
// guard --base`) need of each: its validated settings, and the slots whose host differs.

import { decodeEngineConfig } from "../components/configDecode";
import { SlotMove, movedSlots } from "../components/hosts";
import { Settings } from "../components/settings";
import { formatProblem, validateSettings } from "../components/validation";
import { EngineConfig } from "../offline/stackFile";
import { UserError } from "./io";

/** The validated settings of a stack config; every problem is the user's to fix, named with `where`. */
export function settingsOfConfig(config: EngineConfig, where: string, now: Date): Settings {
    const result = validateSettings(decodeEngineConfig(config.values, config.secretKeys), now);
    if (!result.settings) throw new UserError(result.errors.map((p) => `${where}: ${formatProblem(p)}`));
    return result.settings;
}

/** A slot that changes host, and whether it is claimed on both sides (so a deployment would follow it). */
export interface PlacementChange extends SlotMove {
    readonly claimed: boolean;
}

/** The slots that change host between `base` and `head`, in slot order. */
export function placementChanges(base: Settings | undefined, head: Settings): PlacementChange[] {
    if (!base) return [];
    return movedSlots(base.hosts, head.hosts).map((m) => ({ ...m, claimed: base.claims.has(m.slot) && head.claims.has(m.slot) }));
}

/**
 * Commit → the slots claiming it in `base` or `head`, ascending: an image built for a commit
 * (`image-<service>-<commit>`) belongs to those slots, so a change of it is inside them.
 */
export function commitSlots(base: Settings | undefined, head: Settings): Map<string, number[]> {
    const out = new Map<string, Set<number>>();
    for (const claims of [base?.claims, head.claims]) {
        for (const [slot, c] of claims ?? []) out.set(c.commit, (out.get(c.commit) ?? new Set<number>()).add(slot));
    }
    return new Map([...out].map(([commit, slots]) => [commit, [...slots].sort((a, b) => a - b)]));
}

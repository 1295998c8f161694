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
    const result = validateSettings(decodeEngineConfig(config.values), now);
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

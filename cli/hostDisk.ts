// Free disk per host, for `slots status`: each deployment's result line reports the free disk on
// its droplet after it ran (components/scripts/deploy.sh), the stack outputs keep it per slot
// (`slots[].freeDiskGb`, with `slots[].host`), and a host's figure is the one its latest
// deployment reported. Pure: the outputs in, one entry per host out, "unknown" never left out.

import { HostSettings } from "../components/settings";
import { Deployment } from "./deployments";

/** One host in `slots status`: its slots, and the free disk its latest deployment reported. */
export interface HostStatus {
    readonly name: string;
    readonly slots: readonly number[];
    /** GB free after the latest deployment on this host; null when unknown (see `note`). */
    readonly freeDiskGb: number | null;
    /** The slot whose deployment reported it, and when that deployment ran; null when unknown. */
    readonly reportedBy: { readonly slot: number; readonly deployedAt: string } | null;
    /** Why the free disk is unknown; null when it is known. */
    readonly note: string | null;
}

/** Why every host's free disk is unknown when the stack outputs were not read. */
export const OUTPUTS_NOT_READ = "stack outputs not read (pass --from-stack)";
const NOT_REPORTED = "no deployment on this host has reported it yet (pulumi up deploys a claimed slot)";

/**
 * Each host of `hosts` (in their order) with the free disk its latest deployment reported: among
 * the slots the config places on it whose outputs place them there too (a slot moved but not yet
 * redeployed still reports its old droplet), the latest deployedAt wins; ties go to the lower slot.
 * `deployments` undefined means the outputs were not read.
 */
export function hostDisk(hosts: readonly HostSettings[], deployments: ReadonlyMap<number, Deployment> | undefined): HostStatus[] {
    return hosts.map((h) => {
        const slots = [...h.slots].sort((a, b) => a - b);
        if (!deployments) return { name: h.name, slots, freeDiskGb: null, reportedBy: null, note: OUTPUTS_NOT_READ };
        let best: { slot: number; deployedAt: string; freeDiskGb: number } | undefined;
        for (const slot of slots) {
            const d = deployments.get(slot);
            if (!d || d.host !== h.name || d.freeDiskGb === null || d.deployedAt === null) continue;
            // ISO 8601 UTC times of one format order as text.
            if (!best || d.deployedAt > best.deployedAt) best = { slot, deployedAt: d.deployedAt, freeDiskGb: d.freeDiskGb };
        }
        return best
            ? { name: h.name, slots, freeDiskGb: best.freeDiskGb, reportedBy: { slot: best.slot, deployedAt: best.deployedAt }, note: null }
            : { name: h.name, slots, freeDiskGb: null, reportedBy: null, note: NOT_REPORTED };
    });
}

/** "1-4, 7": slot numbers as ranges. */
export function slotRanges(slots: readonly number[]): string {
    const parts: string[] = [];
    for (let i = 0; i < slots.length; ) {
        let j = i;
        while (j + 1 < slots.length && slots[j + 1] === slots[j] + 1) j++;
        parts.push(j === i ? String(slots[i]) : `${slots[i]}-${slots[j]}`);
        i = j + 1;
    }
    return parts.join(", ");
}

/** A host's free disk as `slots status` prints it: "41.5 GB (staging-4, deployed …)" or "unknown (why)". */
export function freeDiskText(h: HostStatus): string {
    return h.freeDiskGb !== null && h.reportedBy
        ? `${h.freeDiskGb.toFixed(1)} GB (after staging-${h.reportedBy.slot}'s deployment at ${h.reportedBy.deployedAt})`
        : `unknown (${h.note ?? NOT_REPORTED})`;
}

// The dashboard's live state: `slots status` itself (cli/status.ts slotStatus: the same prober,
// the same bounded concurrency and timeouts, the same registry read and the same judgement),
// shaped for the API and kept for a short while, so that page refreshes from many browsers cost
// the slots one probe per interval. Read-only, like `slots status`; the only credential it may
// use is the registry connection string the server was started with.

import { Settings } from "../components/settings";
import { StatusOptions, StatusReport, slotStatus } from "../cli/status";
import { LiveState, LiveStateSource } from "./view";

/** How `slots serve` probes: the options of `slots status`, and how long an answer is kept. */
export interface LiveOptions extends Omit<StatusOptions, "slots"> {
    readonly stack: string;
    /** How long one probe of the slots is shown before the next read probes again; 0 = every read. */
    readonly cacheSeconds: number;
}

/** One slot's row of a status report as the API's `live`. */
export function liveStates(report: StatusReport): Map<number, LiveState> {
    return new Map(
        report.slots.map((r) => [
            r.slot,
            { state: r.state, commit_sha: r.reported, deployed_at: r.registry?.deployedAt ?? null, detail: r.detail, action: r.action, registry_read: report.registry.read },
        ]),
    );
}

// What the judgement depends on besides the network: a changed claim, or a slot moved to
// another host (the {host} of a URL template), is probed again at once.
function cacheKey(settings: Settings): string {
    return JSON.stringify([settings.domain, settings.slotCount, settings.hosts, [...settings.claims].sort(([a], [b]) => a - b)]);
}

/**
 * The live state source of `slots serve`: a probe of every slot through slotStatus, shared by
 * the reads that arrive while it runs and reused for `cacheSeconds`.
 */
export function statusLiveSource(options: LiveOptions, clock: () => number = Date.now): LiveStateSource {
    let cached: { key: string; at: number; states: Map<number, LiveState> } | undefined;
    let running: { key: string; promise: Promise<Map<number, LiveState>> } | undefined;
    return (settings) => {
        const key = cacheKey(settings);
        if (cached && cached.key === key && clock() - cached.at < options.cacheSeconds * 1000) return Promise.resolve(cached.states);
        if (running && running.key === key) return running.promise;
        const started = clock();
        const promise = slotStatus(settings, { stack: options.stack, name: `Pulumi.${options.stack}.yaml` }, options)
            .then((report) => {
                const states = liveStates(report);
                cached = { key, at: started, states };
                return states;
            })
            .finally(() => {
                if (running?.promise === promise) running = undefined;
            });
        running = { key, promise };
        return promise;
    };
}

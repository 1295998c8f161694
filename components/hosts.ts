// Placement of slots on hosts: the rules of `staging-slots:hosts` and what follows from them
// (which host runs a slot, which slots moved between two configs). Pure: plain values in, plain
// values and problems out; validation.ts calls it, the program, the `slots` command and the
// guard read its results.

import { CONTROL, describe, isPlainObject } from "./configValues";
import { DEFAULTS, HostSettings } from "./settings";
import type { Problem } from "./validation";

/** The top-level settings a host entry falls back to, and what its checks depend on. */
export interface HostDefaults {
    readonly slotCount: number;
    readonly region: string;
    readonly dropletSize: string;
    readonly dropletImage: string;
    /** The top-level `sshHostKey`, if set. */
    readonly sshHostKey?: string;
    /** Where the shared PostgreSQL lives: a managed cluster is reached on its region's private network. */
    readonly postgresMode: "managed" | "existing";
}

/** The keys a host entry may have. */
export const HOST_FIELDS = ["slots", "size", "image", "region", "sshHostKey"] as const;

// A DigitalOcean droplet name that is also a DNS label; `staging-N` is a slot's name everywhere
// else, so a host may not look like one.
const HOST_NAME = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
const SLOT_NAME = /^staging-\d+$/;

function range(n: number): number[] {
    return Array.from({ length: n }, (_, i) => i + 1);
}

/** The single host a stack without `staging-slots:hosts` has: `staging`, holding every slot. */
export function defaultHosts(d: HostDefaults): HostSettings[] {
    return [
        {
            name: DEFAULTS.host,
            size: d.dropletSize,
            image: d.dropletImage,
            region: d.region,
            slots: range(d.slotCount),
            ...(d.sshHostKey ? { sshHostKey: d.sshHostKey } : {}),
        },
    ];
}

function optionalText(problems: Problem[], field: string, v: unknown, def: string, max: number): string {
    if (v === undefined || v === null) return def;
    const name = field.split(".").pop() as string;
    if (typeof v !== "string" || v.trim() === "" || CONTROL.test(v) || v.length > max) {
        problems.push({ field, message: `${name} must be a one-line string of at most ${max} characters, got ${describe(v)}` });
        return def;
    }
    return v;
}

/**
 * Validates `staging-slots:hosts`. Absent means the default single host. Every slot of the pool
 * must be on exactly one host; problems name the slot and the hosts involved.
 */
export function validateHosts(raw: unknown, d: HostDefaults): { hosts: HostSettings[]; problems: Problem[] } {
    if (raw === undefined || raw === null) return { hosts: defaultHosts(d), problems: [] };
    const problems: Problem[] = [];
    const shape = "a map of host name to {slots: [N, …], size?, image?, region?, sshHostKey?}";
    if (!isPlainObject(raw)) {
        return { hosts: [], problems: [{ field: "hosts", message: `must be ${shape}, got ${describe(raw)}` }] };
    }
    const names = Object.keys(raw).sort();
    if (names.length === 0) {
        return { hosts: [], problems: [{ field: "hosts", message: `lists no host; give at least one (${shape}), or remove the key for the single host ${DEFAULTS.host}` }] };
    }
    if (names.length > 1 && d.sshHostKey) {
        problems.push({
            field: "sshHostKey",
            message: `names one droplet's host key, but hosts lists ${names.length} hosts; move it to the host it belongs to (hosts.<name>.sshHostKey) and set each host's own`,
        });
    }

    const hosts: HostSettings[] = [];
    const placedOn = new Map<number, string[]>();
    for (const name of names) {
        const base = `hosts.${name}`;
        if (!HOST_NAME.test(name)) {
            problems.push({ field: base, message: `host name "${name}" must be lowercase letters, digits and '-' (at most 32, starting with a letter, not ending with '-')` });
            continue;
        }
        if (SLOT_NAME.test(name)) {
            problems.push({ field: base, message: `host name "${name}" reads as a slot's name; name hosts e.g. staging, staging-b` });
            continue;
        }
        const entry = raw[name];
        if (!isPlainObject(entry)) {
            problems.push({ field: base, message: `must be a map with slots: [N, …] (and optional size, image, region, sshHostKey), got ${describe(entry)}` });
            continue;
        }
        for (const key of Object.keys(entry)) {
            if (!(HOST_FIELDS as readonly string[]).includes(key)) {
                problems.push({ field: `${base}.${key}`, message: `unknown host field "${key}"; the fields are ${HOST_FIELDS.join(", ")}` });
            }
        }
        const slots = new Set<number>();
        if (!Array.isArray(entry.slots) || entry.slots.length === 0) {
            problems.push({ field: `${base}.slots`, message: `must be a non-empty list of slot numbers, got ${describe(entry.slots)}` });
        } else {
            for (const s of entry.slots as unknown[]) {
                if (typeof s !== "number" || !Number.isInteger(s) || s < 1 || s > d.slotCount) {
                    problems.push({ field: `${base}.slots`, message: `slot ${describe(s)} is not a slot of this pool of ${d.slotCount}; use numbers 1 to ${d.slotCount}` });
                } else if (slots.has(s)) {
                    problems.push({ slot: s, field: `${base}.slots`, message: `slot ${s} is listed twice on host ${name}; list each slot once` });
                } else {
                    slots.add(s);
                    placedOn.set(s, [...(placedOn.get(s) ?? []), name]);
                }
            }
        }
        const region = optionalText(problems, `${base}.region`, entry.region, d.region, 32);
        if (d.postgresMode === "managed" && region !== d.region) {
            problems.push({
                field: `${base}.region`,
                message: `host ${name} is in ${region}, but the managed PostgreSQL cluster is in ${d.region} and slots reach it on that region's private network; use region ${d.region}, or postgres.mode: existing`,
            });
        }
        const size = optionalText(problems, `${base}.size`, entry.size, d.dropletSize, 64);
        const image = optionalText(problems, `${base}.image`, entry.image, d.dropletImage, 64);
        const hostKey = entry.sshHostKey === undefined ? (names.length === 1 ? d.sshHostKey : undefined) : optionalText(problems, `${base}.sshHostKey`, entry.sshHostKey, "", 4096);
        hosts.push({ name, size, image, region, slots: [...slots].sort((a, b) => a - b), ...(hostKey ? { sshHostKey: hostKey } : {}) });
    }

    for (const slot of range(d.slotCount)) {
        const on = placedOn.get(slot) ?? [];
        if (on.length === 0) {
            problems.push({ slot, field: "hosts", message: `slot ${slot} is on no host; add it to the slots of exactly one host under hosts` });
        } else if (on.length > 1) {
            // Pointed at the later host's list: the line a reviewer most likely just edited.
            problems.push({ slot, field: `hosts.${on[on.length - 1]}.slots`, message: `slot ${slot} is on hosts ${on.join(" and ")}; a slot runs on exactly one host: keep it in one slots list` });
        }
    }
    return { hosts, problems };
}

/** Slot number → the name of the host that runs it. */
export function hostOfSlot(hosts: readonly HostSettings[]): Map<number, string> {
    const out = new Map<number, string>();
    for (const h of hosts) for (const s of h.slots) out.set(s, h.name);
    return out;
}

/** A slot that runs on another host in `head` than in `base`. */
export interface SlotMove {
    readonly slot: number;
    readonly from: string;
    readonly to: string;
}

/**
 * The slots on another host in `head` than in `base`, in slot order. A slot in only one of the
 * two (the pool grew or shrank) did not move.
 */
export function movedSlots(base: readonly HostSettings[], head: readonly HostSettings[]): SlotMove[] {
    const before = hostOfSlot(base);
    const after = hostOfSlot(head);
    const moves: SlotMove[] = [];
    for (const [slot, to] of [...after].sort((a, b) => a[0] - b[0])) {
        const from = before.get(slot);
        if (from !== undefined && from !== to) moves.push({ slot, from, to });
    }
    return moves;
}

/** What a move is, without the slot's name: `moves from host a to host b: a host change (…)`. */
export function describeMove(m: SlotMove): string {
    return `moves from host ${m.from} to host ${m.to}: a host change (its DNS record and deployment follow it; both hosts' Caddy configs change)`;
}

/** One line saying a slot moves, as the plan prints it. */
export function formatMove(m: SlotMove): string {
    return `staging-${m.slot} ${describeMove(m)}`;
}

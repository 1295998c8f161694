// CIDR blocks read with a real IP parser (ip-address), not a pattern: the canonical network of a
// block, its address range, and whether a set of blocks adds up to a whole address space. Pure;
// shared by the config validation and the policy pack.

import { Address4, Address6 } from "ip-address";

/** A CIDR block as a parser reads it. */
export interface Cidr {
    readonly family: 4 | 6;
    /** The network address and prefix in canonical form (`10.0.0.0/8`, `2001:db8::/32`). */
    readonly canonical: string;
    readonly prefix: number;
    /** The first and last address of the block, as integers. */
    readonly first: bigint;
    readonly last: bigint;
    /** Whether the written address has bits set beyond the prefix (`10.0.0.1/8`). */
    readonly hostBitsSet: boolean;
}

/**
 * Parses `address/prefix` with a real IP parser (ip-address), or undefined when it is not one.
 * Zones (`%eth0`) and IPv4 written inside IPv6 are not firewall sources and are refused.
 */
export function parseCidr(text: string): Cidr | undefined {
    const m = /^([0-9A-Fa-f.:]+)\/(\d{1,3})$/.exec(text);
    if (!m) return undefined;
    try {
        if (!m[1].includes(":")) {
            if (!Address4.isValid(text)) return undefined;
            const a = new Address4(text);
            const first = a.startAddress().bigInt();
            return { family: 4, canonical: `${a.startAddress().correctForm()}/${a.subnetMask}`, prefix: a.subnetMask, first, last: a.endAddress().bigInt(), hostBitsSet: a.bigInt() !== first };
        }
        if (m[1].includes(".") || !Address6.isValid(text)) return undefined;
        const a = new Address6(text);
        const first = a.startAddress().bigInt();
        return { family: 6, canonical: `${a.startAddress().correctForm()}/${a.subnetMask}`, prefix: a.subnetMask, first, last: a.endAddress().bigInt(), hostBitsSet: a.bigInt() !== first };
    } catch {
        return undefined;
    }
}

/**
 * The address families (4, 6) whose whole space the blocks cover together: blocks that are each
 * narrower than the whole space can still add up to it (0.0.0.0/1 + 128.0.0.0/1). Shared with
 * the policy pack, which judges the firewall rules the program produced.
 */
export function wholeSpaceCovered(blocks: readonly Cidr[]): Array<4 | 6> {
    const covered: Array<4 | 6> = [];
    for (const family of [4, 6] as const) {
        const sorted = blocks.filter((b) => b.family === family).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
        const top = family === 4 ? 2n ** 32n - 1n : 2n ** 128n - 1n;
        let reach = -1n;
        for (const b of sorted) {
            if (b.first > reach + 1n) break;
            if (b.last > reach) reach = b.last;
        }
        if (sorted.length > 0 && reach >= top) covered.push(family);
    }
    return covered;
}

/** Whether a string is an IPv4 or IPv6 CIDR block. */
export function isCidr(text: string): boolean {
    return parseCidr(text) !== undefined;
}

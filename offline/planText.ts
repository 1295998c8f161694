// Renders an offline evaluation as the resource tree `npm run plan` prints: shared resources
// first, then one group per host followed by its slots, each resource with its key inputs. Reads
// only the redacted inputs, so a secret can only ever print as "[secret]".

import { createHash } from "node:crypto";

import { Evaluation, RecordedResource } from "./recorder";
import { forcesReplacement } from "./replacement";

const INLINE_LIMIT = 72;
// The component every image-related resource lives under (components/appImages.ts).
const IMAGES_PARENT = "::jobsearch:staging:AppImages::staging-images";

/** One input value as it prints: scalars as they are, long or multi-line text as a digest. */
export function summarize(value: unknown): string {
    if (typeof value === "string") {
        if (value.includes("\n") || value.length > INLINE_LIMIT) {
            const lines = value.split("\n").length;
            const digest = createHash("sha256").update(value).digest("hex").slice(0, 12);
            return `<${lines} line${lines === 1 ? "" : "s"}, ${value.length} chars, sha256 ${digest}>`;
        }
        return value;
    }
    const json = JSON.stringify(value);
    return json.length > 2 * INLINE_LIMIT ? summarize(json) : json;
}

/** Marks an input whose change replaces the resource instead of updating it. */
export const REPLACES_MARK = "(change replaces)";

function inputLines(key: string, value: unknown, replaces: boolean): string[] {
    const mark = replaces ? `  ${REPLACES_MARK}` : "";
    // Lists of rules or resources are what a reviewer reads: one element a line, not a digest.
    if (Array.isArray(value) && JSON.stringify(value).length > INLINE_LIMIT) {
        return [`      ${key}:${mark}`, ...value.map((v) => `        - ${summarize(v)}`)];
    }
    return [`      ${key}: ${summarize(value)}${mark}`];
}

function resourceLines(r: RecordedResource): string[] {
    const flags = [r.protect ? "protected" : "", r.retainOnDelete ? "retained on delete" : ""].filter(Boolean);
    const head = `  ${r.type} ${r.name}${flags.length ? ` [${flags.join(", ")}]` : ""}`;
    if (!r.custom) return [head];
    const keys = Object.keys(r.redacted)
        .filter((k) => !k.startsWith("__"))
        .sort();
    return [head, ...keys.flatMap((k) => inputLines(k, r.redacted[k], forcesReplacement(r.type, k)))];
}

function bySlotThenName(a: RecordedResource, b: RecordedResource): number {
    return (a.slot ?? 0) - (b.slot ?? 0) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name);
}

/**
 * Which host each slot runs on, read from what the program registered: a slot's DNS record points
 * at the address its host's reserved IP is assigned with. Slots whose record matches no host
 * (none, if the program is right) map to nothing.
 */
export function slotHosts(resources: readonly RecordedResource[]): Map<number, string> {
    const hostOfIp = new Map<string, string>();
    for (const r of resources) {
        if (r.type === "digitalocean:index/reservedIpAssignment:ReservedIpAssignment" && r.host !== null && typeof r.inputs.ipAddress === "string") {
            hostOfIp.set(r.inputs.ipAddress, r.host);
        }
    }
    const out = new Map<number, string>();
    for (const r of resources) {
        if (r.type !== "digitalocean:index/dnsRecord:DnsRecord" || r.slot === null) continue;
        const host = hostOfIp.get(String(r.inputs.value));
        if (host !== undefined) out.set(r.slot, host);
    }
    return out;
}

/** `1-4, 7, 9-10`. */
function slotRanges(slots: readonly number[]): string {
    const parts: string[] = [];
    for (let i = 0; i < slots.length; i++) {
        let j = i;
        while (j + 1 < slots.length && slots[j + 1] === slots[j] + 1) j++;
        parts.push(i === j ? String(slots[i]) : `${slots[i]}-${slots[j]}`);
        i = j;
    }
    return parts.join(", ");
}

/**
 * The whole plan text: shared resources, then each host (by name) with its own resources followed
 * by its slots in slot order. Deterministic: the same evaluation prints the same bytes.
 */
export function renderPlan(ev: Evaluation, stack: string): string {
    const resources = [...ev.resources].filter((r) => r.custom).sort(bySlotThenName);
    const slots = Array.isArray(ev.outputs?.slots) ? (ev.outputs?.slots as Array<Record<string, unknown>>) : [];
    const inUse = slots.filter((s) => s.status === "In Use").length;
    const placement = slotHosts(ev.resources);
    const hosts = ev.resources.filter((r) => r.type === "jobsearch:staging:StagingHost").map((r) => r.name).sort();
    const out: string[] = [
        `stack ${stack}: ${slots.length} slots (${inUse} in use), ${resources.length} resources`,
        "",
        "shared resources (database, project, registry)",
        ...resources.filter((r) => r.slot === null && r.host === null && !r.parent.endsWith(IMAGES_PARENT)).flatMap(resourceLines),
    ];
    const images = resources.filter((r) => r.parent.endsWith(IMAGES_PARENT));
    if (images.length > 0) out.push("", "images: built once per claimed commit where pulumi up runs, pulled by digest", ...images.flatMap(resourceLines));
    const slotGroup = (s: Record<string, unknown>): string[] => {
        const holder = s.status === "In Use"
            ? `In Use by ${String(s.owner)} for ${String(s.task)}, ${String(s.branch)} @ ${String(s.commit).slice(0, 7)}`
            : "Available";
        return ["", `${String(s.identifier)}  ${holder}  ${String(s.url)}`, ...resources.filter((r) => r.slot === s.slot).flatMap(resourceLines)];
    };
    for (const host of hosts) {
        const own = slots.filter((s) => placement.get(s.slot as number) === host);
        out.push("", `host ${host}: slots ${slotRanges(own.map((s) => s.slot as number)) || "(none)"}`);
        out.push(...resources.filter((r) => r.host === host).flatMap(resourceLines));
        for (const s of own) out.push(...slotGroup(s));
    }
    const unplaced = slots.filter((s) => !hosts.includes(placement.get(s.slot as number) ?? ""));
    for (const s of unplaced) out.push(...slotGroup(s));
    if (ev.warnings.length > 0) {
        out.push("", "warnings", ...ev.warnings.map((w) => `  ${w}`));
    }
    return out.join("\n") + "\n";
}

// Small readers of plain config values shared by the validators (validation.ts, hosts.ts), so a
// value is described and judged the same way in every message.

import { PLAINTEXT_SECRET } from "./configDecode";

// Control characters (C0, DEL, C1) and the Unicode line/paragraph separators: any of them in a
// name or description would break the markdown table, the env file or a terminal.
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A value as a message names it: `"text"`, `a list`, `a map`, `number 4`, `binary data`. */
export function describe(v: unknown): string {
    if (v === null) return "null";
    if (v === PLAINTEXT_SECRET) return "a secret in plain text";
    if (Array.isArray(v)) return "a list";
    if (v instanceof Uint8Array) return "binary data";
    if (typeof v === "object" && Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) {
        return `a ${(v as object).constructor.name} value`;
    }
    if (typeof v === "object") return "a map";
    if (typeof v === "number" && !Number.isFinite(v)) return `the number ${String(v)}`;
    if (typeof v === "string") return `"${v.length > 60 ? `${v.slice(0, 57)}...` : v}"`;
    return `${typeof v} ${String(v)}`;
}

/** Whether a value is a map (a plain object, not a list or null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

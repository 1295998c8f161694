// The network half of `slots status`: one GET of a slot's /api/version with a deadline, and a
// pool that runs many of them at once. Node's own fetch (undici): AbortSignal.timeout covers
// connecting, TLS, the headers and the body, so a server that accepts and never answers costs
// exactly the timeout.

import { ProbeResult } from "./slotState";

/** At most this many requests are in flight at once. */
export const PROBE_CONCURRENCY = 50;

// /api/version is a few hundred bytes; a page bigger than this is not a version answer.
const MAX_BODY_BYTES = 64 * 1024;

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/;

/** A failed request in a few words: what a table cell and a GitHub status description can hold. */
export function shortError(e: unknown, timeoutMs: number): string {
    interface Failure {
        readonly name?: string;
        readonly code?: string;
        readonly message?: string;
        readonly cause?: Failure;
    }
    const err = e as Failure;
    if (err.name === "TimeoutError" || err.cause?.name === "TimeoutError") return `no answer within ${timeoutMs / 1000}s`;
    const cause = err.cause ?? err;
    const code = cause.code ?? "";
    const message = (cause.message ?? String(e)).split("\n")[0];
    let text: string;
    if (code === "ECONNREFUSED") text = "connection refused";
    else if (code === "ENOTFOUND" || code === "EAI_AGAIN") text = "host name not found in DNS";
    else if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") text = "connection closed without an answer";
    else if (TLS_CODES.test(code)) text = `TLS error: ${message}`;
    else text = code && !message.includes(code) ? `${code}: ${message}` : message;
    return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

async function readBody(response: Response): Promise<string> {
    if (!response.body) return "";
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.byteLength;
        if (size >= MAX_BODY_BYTES) {
            await reader.cancel();
            break;
        }
    }
    return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString("utf8");
}

/** GETs `url` within `timeoutMs`; never throws. */
export async function probe(url: string, timeoutMs: number): Promise<ProbeResult> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
        const response = await fetch(url, { signal, headers: { accept: "application/json, text/plain;q=0.9, */*;q=0.1" } });
        return { kind: "answer", httpStatus: response.status, body: await readBody(response) };
    } catch (e) {
        return { kind: "error", error: shortError(signal.aborted ? signal.reason : e, timeoutMs) };
    }
}

/** Runs `work` on every item, at most `limit` at once; results in the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length) {
            const i = next++;
            results[i] = await work(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

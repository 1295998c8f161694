// The network half of `slots status`: one GET of a slot's /api/version with a deadline, and a
// pool that runs many of them at once. AbortSignal.timeout covers connecting, TLS, the headers,
// any redirects and the body, so a server that accepts and never answers costs exactly the timeout.
//
// node:http and node:https, not fetch: fetch refuses the Fetch Standard's "bad ports" before it
// connects (its "port blocking" section; undici's lib/web/fetch/constants.js lists them), and two
// of them, 5060 and 5061, are the Campaign UI ports of slots 60 and 61 (catalogue: 5000 + N).
// Like fetch, a redirect is followed, up to fetch's own limit of 20.

import * as http from "node:http";
import * as https from "node:https";

import { ProbeResult } from "./slotState";

/** At most this many requests are in flight at once. */
export const PROBE_CONCURRENCY = 50;

// /api/version is a few hundred bytes; a page bigger than this is not a version answer.
const MAX_BODY_BYTES = 64 * 1024;

/** The Fetch Standard's redirect limit ("HTTP-redirect fetch", step 5), kept from fetch. */
export const MAX_REDIRECTS = 20;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const ACCEPT = "application/json, text/plain;q=0.9, */*;q=0.1";

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
    else if (code === "ECONNRESET") text = "connection closed without an answer";
    else if (TLS_CODES.test(code)) text = `TLS error: ${message}`;
    else text = code && !message.includes(code) ? `${code}: ${message}` : message;
    return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

interface Exchange {
    readonly status: number;
    /** The Location of a redirect, resolved against the request's URL. */
    readonly location?: URL;
    readonly body: string;
}

/**
 * One GET of `url`: its status and at most MAX_BODY_BYTES of its body. No connection pool
 * (`agent: false`), so no idle socket keeps the process alive once the probes are done.
 */
function getOnce(url: URL, signal: AbortSignal): Promise<Exchange> {
    return new Promise((resolve, reject) => {
        const client = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
        if (!client) {
            reject(new Error(`${url.protocol} URLs are not probed; use http: or https:`));
            return;
        }
        const request = client.get(url, { agent: false, signal, headers: { accept: ACCEPT } }, (response) => {
            const status = response.statusCode ?? 0;
            const location = response.headers.location;
            if (REDIRECT_STATUSES.has(status) && location !== undefined) {
                response.resume();
                let next: URL;
                try {
                    next = new URL(location, url);
                } catch {
                    reject(new Error(`HTTP ${status} redirects to an invalid URL`));
                    return;
                }
                resolve({ status, location: next, body: "" });
                request.destroy();
                return;
            }
            const chunks: Buffer[] = [];
            let size = 0;
            let done = false;
            const finish = (): void => {
                done = true;
                resolve({ status, body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString("utf8") });
            };
            response.on("data", (chunk: Buffer) => {
                chunks.push(chunk);
                size += chunk.byteLength;
                if (size >= MAX_BODY_BYTES && !done) {
                    finish();
                    request.destroy();
                }
            });
            response.on("end", () => {
                if (!done) finish();
            });
            response.on("error", reject);
            response.on("close", () => {
                // The same words as a reset: the server went away before the answer ended.
                if (!done) reject(Object.assign(new Error("the connection closed before the answer ended"), { code: "ECONNRESET" }));
            });
        });
        request.on("error", reject);
    });
}

/** GETs `url` within `timeoutMs`, following redirects as fetch does; never throws. */
export async function probe(url: string, timeoutMs: number): Promise<ProbeResult> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
        let target = new URL(url);
        for (let redirects = 0; ; redirects++) {
            const exchange = await getOnce(target, signal);
            if (!exchange.location) return { kind: "answer", httpStatus: exchange.status, body: exchange.body };
            if (redirects === MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
            target = exchange.location;
        }
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

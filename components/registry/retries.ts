// Which failures of the registry's calls are worth another try, and how long to keep trying.
// A new managed cluster's DNS name may not resolve yet, DigitalOcean's API answers 429 when the
// token's rate limit is reached and 5xx while it is unwell, and a PostgreSQL server starting up
// or out of connection slots refuses for a moment: each is retried with exponential backoff and
// full jitter (the exponential-backoff package), within a bounded total time. Anything else (a
// bad token, a wrong password, a certificate that does not verify) fails at once.
//
// The dynamic provider's closure captures these functions by value: they require their modules
// when they run and hold no secret.

/** How the registry retries one call. */
export interface RetryPolicy {
    /** Tries in all, the first included. */
    readonly attempts: number;
    /** Delay before the second try, milliseconds; doubled for each next one (with full jitter). */
    readonly firstDelayMs: number;
    /** Upper bound of one delay, milliseconds. */
    readonly maxDelayMs: number;
    /** No new try starts once this long has passed since the first, milliseconds. */
    readonly totalMs: number;
}

/** The policy every registry call uses: about a minute of patience at most. */
export const REGISTRY_RETRY: RetryPolicy = { attempts: 6, firstDelayMs: 1_000, maxDelayMs: 15_000, totalMs: 60_000 };

/** An HTTP answer that was not 2xx, with its status for isTransient. */
export class HttpStatusError extends Error {
    constructor(
        message: string,
        readonly status: number,
    ) {
        super(message);
        this.name = "HttpStatusError";
    }
}

// Socket and DNS errors that say "not now" rather than "never" (Node's and undici's codes).
const TRANSIENT_CODES = new Set([
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "EPIPE",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "EAI_AGAIN",
    "ENOTFOUND",
    "UND_ERR_CONNECT_TIMEOUT",
    "UND_ERR_HEADERS_TIMEOUT",
    "UND_ERR_SOCKET",
    // PostgreSQL SQLSTATEs: cannot_connect_now (starting up), too_many_connections,
    // sqlclient_unable_to_establish_sqlconnection, connection_failure.
    "57P03",
    "53300",
    "08001",
    "08006",
]);

/** Whether `error` (or the error that caused it) is a 429, a 5xx, a timeout or a refused connection. */
export function isTransient(error: unknown): boolean {
    for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
        if (e instanceof HttpStatusError) return e.status === 429 || e.status >= 500;
        const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
        if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
        // AbortSignal.timeout() rejects fetch with a TimeoutError.
        if (name === "TimeoutError") return true;
        // node-postgres: connectionTimeoutMillis elapsed, or the server hung up mid-handshake.
        if (typeof message === "string" && /^(timeout expired|Connection terminated (unexpectedly|due to connection timeout))$/.test(message)) return true;
    }
    return false;
}

/**
 * Runs `work` until it succeeds, fails for good, or the policy is used up. The error after the
 * last try names what was tried, how often and for how long, and the last failure.
 */
export async function withRetries<T>(what: string, work: () => Promise<T>, policy: RetryPolicy = REGISTRY_RETRY): Promise<T> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { backOff } = require("exponential-backoff") as typeof import("exponential-backoff");
    const started = Date.now();
    let tries = 0;
    try {
        return await backOff(
            () => {
                tries += 1;
                return work();
            },
            {
                numOfAttempts: policy.attempts,
                startingDelay: policy.firstDelayMs,
                maxDelay: policy.maxDelayMs,
                timeMultiple: 2,
                jitter: "full",
                retry: (e: unknown) => isTransient(e) && Date.now() - started + policy.firstDelayMs < policy.totalMs,
            },
        );
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (!isTransient(e)) throw e;
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        throw new Error(
            `${what} failed after ${tries} ${tries === 1 ? "try" : "tries"} over ${seconds}s (retried on HTTP 429 and 5xx, timeouts and refused connections, for at most ${policy.totalMs / 1000}s): ${message}`,
            { cause: e },
        );
    }
}

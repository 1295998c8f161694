// A new claim's expiry from `slots claim --until` and `maxClaimHours`. The rules of the field
// itself, `expiresAt` (a UTC time after claimedAt; expired past it), live in validation.ts.
// Pure: times come in as arguments, never from the clock.

/** `YYYY-MM-DDTHH:MM:SSZ`, the form the stack file holds. */
export function utcTimestamp(d: Date): string {
    return `${d.toISOString().slice(0, 19)}Z`;
}

/**
 * The `expiresAt` of a claim made at `now`: `until` when given (already read from --until as a
 * UTC timestamp), else `maxClaimHours` after `now`, else none. `until` may not lie beyond the
 * `maxClaimHours` bound. Throws an Error whose message says what is wrong.
 */
export function newClaimExpiry(now: Date, until: string | undefined, maxClaimHours: number | undefined): string | undefined {
    const bound = maxClaimHours === undefined ? undefined : new Date(now.getTime() + maxClaimHours * 3600_000);
    if (until === undefined) return bound && utcTimestamp(bound);
    if (bound && new Date(until).getTime() > bound.getTime()) {
        throw new Error(`--until ${until} is beyond maxClaimHours (${maxClaimHours}h, until ${utcTimestamp(bound)}); ask for at most that, and extend later if needed`);
    }
    return until;
}

import { expect } from "chai";

import { newClaimExpiry } from "../../components/expiry";

const NOW = new Date("2026-11-23T12:00:00Z");

describe("a new claim's expiry", () => {
    const expiries: Array<{ until?: string; max?: number; gives?: string; refuses?: RegExp }> = [
        { gives: undefined },
        { max: 48, gives: "2026-11-25T12:00:00Z" },
        { until: "2026-11-25T00:00:00Z", gives: "2026-11-25T00:00:00Z" },
        { until: "2026-11-24T08:00:00Z", max: 48, gives: "2026-11-24T08:00:00Z" },
        { until: "2026-11-25T12:00:00Z", max: 48, gives: "2026-11-25T12:00:00Z" },
        { until: "2026-11-25T12:00:01Z", max: 48, refuses: /beyond maxClaimHours \(48h, until 2026-11-25T12:00:00Z\)/ },
    ];
    for (const c of expiries) {
        it(`--until ${c.until ?? "(none)"} with maxClaimHours ${c.max ?? "(none)"} ${c.refuses ? "is refused" : `gives ${c.gives ?? "no expiry"}`}`, () => {
            if (c.refuses) expect(() => newClaimExpiry(NOW, c.until, c.max)).to.throw(c.refuses);
            else expect(newClaimExpiry(NOW, c.until, c.max)).to.equal(c.gives);
        });
    }
});

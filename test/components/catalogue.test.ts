import { expect } from "chai";
import * as fc from "fast-check";
import { readFileSync } from "node:fs";
import * as path from "node:path";

import { MAX_SLOTS, catalogue, defaultPools, slotLayout } from "../../components/catalogue";
import { layoutTable, usageTable } from "../../components/registryTable";

const fixture = (name: string) => readFileSync(path.join(__dirname, "..", "fixtures", name), "utf8");

describe("slot catalogue", () => {
    it("renders the later seed's static table exactly for justapply.net", () => {
        expect(layoutTable(catalogue(10, "justapply.net"))).to.equal(fixture("seed-layout-table.md"));
    });

    it("renders the seeds' usage registry table with every slot Available", () => {
        const usage = catalogue(10, "justapply.net").map((s) => ({ slot: s.slot }));
        expect(usageTable(usage)).to.equal(fixture("seed-usage-table.md"));
    });

    it("places slot 4 where the seed's folder layout says", () => {
        expect(slotLayout(4, "justapply.net")).to.deep.equal({
            slot: 4,
            identifier: "staging-4",
            subdomain: "staging-4.justapply.net",
            url: "https://staging-4.justapply.net",
            campaignUiPort: 5004,
            airflowPort: 8084,
            database: "job_search_staging_4",
            role: "job_search_staging_4",
            directory: "/home/deploy/staging-4",
            checkout: "/home/deploy/staging-4/job-search-project",
            envFile: "/home/deploy/staging-4/.env.staging-4",
            versionFile: "/home/deploy/staging-4/version.json",
        });
    });

    it("gives every slot unique names and ports for every pool size up to the maximum", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: MAX_SLOTS }), fc.domain(), (count, domain) => {
                const slots = catalogue(count, domain);
                expect(slots.map((s) => s.slot)).to.deep.equal(Array.from({ length: count }, (_, i) => i + 1));
                for (const key of ["identifier", "subdomain", "database", "directory", "envFile"] as const) {
                    expect(new Set(slots.map((s) => s[key])).size, key).to.equal(count);
                }
                // UI and Airflow ports share one number space on the droplet's loopback.
                const ports = slots.flatMap((s) => [s.campaignUiPort, s.airflowPort]);
                expect(new Set(ports).size).to.equal(2 * count);
                expect(Math.max(...ports)).to.be.below(65536);
            }),
            { numRuns: 200 },
        );
    });

    it("refuses pool sizes outside 1..100", () => {
        for (const n of [0, -1, 101, 2.5, Number.NaN]) {
            expect(() => catalogue(n, "justapply.net"), String(n)).to.throw(/slotCount must be a whole number from 1 to 100/);
        }
    });

    it("defaults to the later seed's pools: 1-9 QA, the last slot staging", () => {
        expect(defaultPools(10)).to.deep.equal({ qa: [1, 2, 3, 4, 5, 6, 7, 8, 9], staging: [10] });
        expect(defaultPools(1)).to.deep.equal({ qa: [1] });
    });
});

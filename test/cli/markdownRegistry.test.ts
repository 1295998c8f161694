// `slots table` and `slots comment` take the deployment time from the registry when it is given
// and can be read, and say "pending" when the claim is not deployed yet (no pulumi CLI here, so
// the stack outputs never answer).

import { expect } from "chai";

import { usePostgres } from "../helpers/postgres";
import { seedRegistry } from "../helpers/registryRows";
import { COMMIT, run, stackText, tempProject } from "./harness";
import { stackWithClaims } from "./statusServers";

const OTHER = "fedcba9876543210fedcba9876543210fedcba98";

describe("slots table and comment with the registry", () => {
    const pg = usePostgres();
    let registry: string;

    before(async () => {
        registry = await pg().freshDatabase();
        // Slot 1 deployed; slot 2's row still holds an older claim; slot 3's row is Available.
        await seedRegistry(registry, [{ slot: 1, commit: COMMIT, deployedAt: "2026-11-23T10:07:00Z" }, { slot: 2, commit: OTHER }, { slot: 3, commit: null }], "2026-11-23T10:00:00Z");
    });

    it("table: the registry's time for a deployed claim, pending for the others", async () => {
        const dir = tempProject(stackWithClaims([1, 2, 3]));
        const before = stackText(dir);
        const r = await run(dir, ["table", "--registry-url", registry]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.equal("");
        expect(r.stdout).to.contain(`| 1 | In Use | owner-1 | feature/1 | ${COMMIT} | 2026-11-23T10:07:00Z | - |\n`);
        expect(r.stdout).to.contain(`| 2 | In Use | owner-2 | feature/2 | ${COMMIT} | pending | - |\n`);
        expect(r.stdout).to.contain(`| 3 | In Use | owner-3 | feature/3 | ${COMMIT} | pending | - |\n`);
        expect(r.stdout).to.contain("| 4 | Available | - | - | - | - | - |\n");
        expect(stackText(dir)).to.equal(before);
    });

    it("comment: the registry's time from STAGING_REGISTRY_URL", async () => {
        const dir = tempProject(stackWithClaims([1, 2]));
        const r = await run(dir, ["comment", "1"], { env: { STAGING_REGISTRY_URL: registry } });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain("- Deployed: 2026-11-23T10:07:00Z\n");
        const pending = await run(dir, ["comment", "2"], { env: { STAGING_REGISTRY_URL: registry } });
        expect(pending.stdout).to.contain("- Deployed: pending (pulumi up)\n");
    });

    it("an unreachable registry is a note on stderr, and the time falls back to pending", async () => {
        const dir = tempProject(stackWithClaims([1]));
        const r = await run(dir, ["table", "--registry-url", "postgresql://nobody:hush-7@127.0.0.1:1/none"]);
        expect(r.code).to.equal(0);
        expect(r.stderr).to.match(/^registry not read: .*; Deployed comes from the stack outputs instead\n$/);
        expect(r.stderr).not.to.contain("hush-7");
        expect(r.stdout).to.contain(`| ${COMMIT} | pending |`);
    });
});

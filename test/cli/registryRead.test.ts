// Reading the registry for slots status, table and comment: rows as pulumi up wrote them, in a
// timeout-bounded read, and never a failure of the command.

import { expect } from "chai";
import { Client } from "pg";

import { readRegistry } from "../../cli/registryRead";
import { usePostgres } from "../helpers/postgres";
import { seedRegistry } from "../helpers/registryRows";
import { COMMIT } from "./harness";

describe("reading the registry", () => {
    const pg = usePostgres();

    it("gives every row with its times in the stack file's format", async () => {
        const url = await pg().freshDatabase();
        await seedRegistry(url, [{ slot: 2, commit: COMMIT, deployedAt: "2026-11-23T10:07:00Z" }, { slot: 1, commit: null }], "2026-11-23T10:00:00Z");
        const reading = await readRegistry(url, 2000);
        if (reading.kind !== "rows") throw new Error(reading.note);
        expect([...reading.rows.keys()]).to.deep.equal([1, 2]);
        expect(reading.rows.get(2)).to.deep.equal({
            slot: 2, status: "In Use", owner: "owner-2", task: "JOB-2", branch: "feature/2", commit: COMMIT, deployedAt: "2026-11-23T10:07:00Z", claimedAt: "2026-11-23T10:00:00Z",
        });
        expect(reading.rows.get(1)).to.include({ status: "Available", commit: null, deployedAt: null });
    });

    it("a database without the table is a note naming it", async () => {
        const reading = await readRegistry(await pg().freshDatabase(), 2000);
        expect(reading).to.deep.equal({ kind: "skipped", note: 'registry not read: relation "marts.staging_slots" does not exist' });
    });

    it("a table held by a lock is cut off by the statement timeout, not waited for", async () => {
        const url = await pg().freshDatabase();
        await seedRegistry(url, [{ slot: 1, commit: null }], "2026-11-23T10:00:00Z");
        const locker = new Client({ connectionString: url });
        await locker.connect();
        try {
            await locker.query("BEGIN");
            await locker.query("LOCK TABLE marts.staging_slots IN ACCESS EXCLUSIVE MODE");
            const started = Date.now();
            const reading = await readRegistry(url, 500);
            expect(reading).to.deep.equal({ kind: "skipped", note: "registry not read: the query ran past its statement timeout" });
            expect(Date.now() - started).to.be.lessThan(5000);
        } finally {
            await locker.query("ROLLBACK");
            await locker.end();
        }
    });
});

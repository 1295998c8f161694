// The guard's reading of `pulumi preview --json`, checked against the types of the document the
// CLI prints (cli/previewJson.ts): the release fixture is generated from those types and the
// real program, and every step op the engine has is classified.

import { expect } from "chai";
import { readFileSync } from "node:fs";

import { judgePreview, opEffect, parsePreview } from "../../cli/guardRules";
import { GUARD_STEP_FIELDS, STEP_OPS, STEP_OPS_COMPLETE, StepOp } from "../../cli/previewJson";
import { RELEASE_FIXTURE, digestText, releaseStaging4 } from "../fixtures/preview/generate";

describe("guard: the preview JSON's types", function () {
    this.timeout(60_000);

    it("release-staging-4.json is what the generator builds from the types and the program (regenerate: npx tsx test/fixtures/preview/generate.ts)", async function () {
        expect(readFileSync(RELEASE_FIXTURE, "utf8")).to.equal(digestText(await releaseStaging4()));
    });

    it("the generated release of slot 4 passes the guard, and the fields it reads are the PreviewStep's", async function () {
        const digest = await releaseStaging4();
        expect(GUARD_STEP_FIELDS).to.deep.equal(["op", "urn"]);
        for (const step of digest.steps ?? []) {
            for (const field of GUARD_STEP_FIELDS) expect(step, field).to.have.property(field).that.is.a("string");
        }
        const steps = parsePreview(digestText(digest), "release.json");
        expect(steps.map((s) => s.op)).to.deep.equal(["same", "delete", "update"]);
        expect(judgePreview(steps, { changedSlots: new Set([4]), allowShared: false, base: "HEAD" })).to.deep.equal([]);
        // The same release judged as if no claim had changed names the slot's two resources.
        expect(judgePreview(steps, { changedSlots: new Set(), allowShared: false, base: "HEAD" }).map((v) => v.name)).to.deep.equal(["staging-4-deploy", "staging-4-registry"]);
    });

    it("every step op the engine has is classified; only same, read and refresh change nothing", function () {
        expect(STEP_OPS_COMPLETE).to.equal(true);
        const expected: Record<StepOp, ReturnType<typeof opEffect>> = {
            same: "none",
            read: "none",
            refresh: "none",
            create: "keeps",
            update: "keeps",
            import: "keeps",
            delete: "destroys",
            replace: "destroys",
            "create-replacement": "destroys",
            "delete-replaced": "destroys",
            "read-replacement": "destroys",
            discard: "destroys",
            "discard-replaced": "destroys",
            "remove-pending-replace": "destroys",
            "import-replacement": "destroys",
        };
        expect([...STEP_OPS].sort()).to.deep.equal(Object.keys(expected).sort());
        for (const op of STEP_OPS) expect(opEffect(op), op).to.equal(expected[op]);
        // An op a newer engine may add fails closed.
        expect(opEffect("some-new-op")).to.equal("destroys");
    });
});

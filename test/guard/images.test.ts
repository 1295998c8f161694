import { expect } from "chai";
import { writeFileSync } from "node:fs";
import * as path from "node:path";

import { guardCommand } from "../../cli/guard";
import { judgePreview } from "../../cli/guardRules";
import { planCommand } from "../../cli/plan";
import { Evaluation, evaluate } from "../../offline/recorder";
import { NOW, baseValues, claim, engineConfig } from "../helpers/config";
import { previewSteps } from "../helpers/preview";
import { CommandRun, StackRepo, runCommand } from "../plan/stackRepo";

const B = "fedcba9876543210fedcba9876543210fedcba98";
const IMAGES = { "campaign-ui": { context: "." }, airflow: { context: "airflow" } };

async function run(values: Record<string, unknown>): Promise<Evaluation> {
    const ev = await evaluate(engineConfig({ ...baseValues(), images: IMAGES, ...values }), { now: NOW });
    expect(ev.error, ev.error?.message).to.equal(undefined);
    return ev;
}

describe("slots guard and slots plan with images built once", function () {
    this.timeout(120_000);
    let repo: StackRepo;
    beforeEach(() => {
        repo = new StackRepo();
    });
    afterEach(() => repo.remove());
    const guard = (argv: string[]): Promise<CommandRun> => runCommand(guardCommand, repo.dir, argv);
    const plan = (argv: string[]): Promise<CommandRun> => runCommand(planCommand, repo.dir, argv);

    it("an image of a re-pointed slot's commit is inside that slot: the guard passes, the plan lists it under the slot", async () => {
        const before = { ...baseValues(), images: IMAGES, claims: { "4": claim(), "6": claim({ task: "JOB-6" }) } };
        const after = { ...baseValues(), images: IMAGES, claims: { "4": claim({ commit: B }), "6": claim({ task: "JOB-6" }) } };
        const base = repo.commit(before);
        repo.write(after);
        const steps = previewSteps(await run(before), await run(after));
        expect(steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop() as string}`).sort()).to.deep.equal([
            `create image-airflow-${B}`, `create image-campaign-ui-${B}`, "replace staging-4-deploy", "update staging-4-registry",
        ]);
        writeFileSync(path.join(repo.dir, "preview.json"), JSON.stringify({ steps }));
        const ok = await guard(["--preview", "preview.json", "--base", base]);
        expect(ok.code, ok.stderr).to.equal(0);
        expect(ok.stdout).to.include("claims changed since");

        const text = (await plan(["--base", base])).stdout;
        const slot4 = text.slice(text.indexOf("\nstaging-4\n"), text.indexOf("\n\n", text.indexOf("\nstaging-4\n") + 1));
        expect(slot4).to.include(`  + create docker:index/image:Image image-airflow-${B}`);
        expect(slot4).to.include(`  + create docker:index/image:Image image-campaign-ui-${B}`);
        expect(slot4).to.match(/\n  \+- replace command:remote:Command staging-4-deploy: .*stdin \[secret\].*triggers \(forces replacement\)/);
        expect(text).to.not.include("shared (host, database, project)");
    });

    it("an image another, unchanged slot runs may not change with a claim edit", async () => {
        const before = await run({ claims: { "4": claim(), "6": claim({ task: "JOB-6" }) } });
        // The images of slot 6's commit would be rebuilt (here: their build settings changed).
        const after = await run({ images: { ...IMAGES, airflow: { context: "airflow", target: "prod" } }, claims: { "4": claim({ commit: B }), "6": claim({ task: "JOB-6" }) } });
        const violations = judgePreview(previewSteps(before, after), {
            changedSlots: new Set([4]),
            allowShared: false,
            base: "HEAD",
            commitSlots: new Map([["0123456789abcdef0123456789abcdef01234567", [4, 6]], [B, [4]]]),
        });
        expect(violations.map((v) => v.name)).to.deep.equal(["image-airflow-0123456789abcdef0123456789abcdef01234567"]);
        expect(violations[0].reason).to.equal("update of the image staging-4, staging-6 run, and staging-6 did not change since HEAD; only staging-4 may change (claims changed since HEAD)");
    });

    it("a shared image is listed once under every slot that runs it", async () => {
        const base = repo.commit({ ...baseValues(), images: IMAGES });
        repo.write({ ...baseValues(), images: IMAGES, claims: { "4": claim({ commit: B }), "6": claim({ task: "JOB-6", commit: B }) } });
        const text = (await plan(["--base", base])).stdout;
        expect(text).to.include(`\nstaging-4, staging-6 (one image, shared)\n  + create docker:index/image:Image image-airflow-${B}\n  + create docker:index/image:Image image-campaign-ui-${B}\n`);
    });
});

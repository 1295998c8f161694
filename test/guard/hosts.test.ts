import { expect } from "chai";
import { writeFileSync } from "node:fs";
import * as path from "node:path";

import { guardCommand } from "../../cli/guard";
import { GuardPolicy, judgePreview } from "../../cli/guardRules";
import { Evaluation, evaluate } from "../../offline/recorder";
import { NOW, baseValues, claim, engineConfig } from "../helpers/config";
import { previewSteps } from "../helpers/preview";
import { CommandRun, StackRepo, runCommand } from "../plan/stackRepo";

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const HOSTS = { staging: { slots: range(1, 4) }, "staging-b": { slots: range(5, 7) }, "staging-c": { slots: range(8, 10) } };
const MOVED_7 = { ...HOSTS, "staging-b": { slots: [5, 6] }, "staging-c": { slots: range(7, 10) } };

async function run(values: Record<string, unknown>): Promise<Evaluation> {
    const ev = await evaluate(engineConfig(values), { now: NOW });
    expect(ev.error, ev.error?.message).to.equal(undefined);
    return ev;
}

const preview = previewSteps;

describe("slots guard with several hosts", () => {
    const policy = (over: Partial<GuardPolicy> = {}): GuardPolicy => ({ changedSlots: new Set<number>(), allowShared: false, base: "HEAD", ...over });

    it("passes a claim on a slot of the second host: only that slot changes", async () => {
        const before = await run({ ...baseValues(), hosts: HOSTS });
        const after = await run({ ...baseValues(), hosts: HOSTS, claims: { "6": claim() } });
        const steps = preview(before, after);
        expect(steps.filter((s) => s.op !== "same").map((s) => s.urn.split("::").pop())).to.deep.equal(["staging-6-deploy", "staging-6-registry"]);
        expect(judgePreview(steps, policy({ changedSlots: new Set([6]) }))).to.deep.equal([]);
        expect(judgePreview(steps, policy({ changedSlots: new Set([5]) })).map((v) => v.name)).to.have.members(["staging-6-deploy", "staging-6-registry"]);
    });

    it("treats a move as a host change: both hosts' Caddy and the slot's DNS record need --allow-shared", async () => {
        const steps = preview(await run({ ...baseValues(), hosts: HOSTS }), await run({ ...baseValues(), hosts: MOVED_7 }));
        const moves = [{ slot: 7, from: "staging-b", to: "staging-c", claimed: false }];
        const violations = judgePreview(steps, policy({ moves }));
        expect(violations.map((v) => v.name)).to.have.members(["staging-7-dns", "staging-b-caddy", "staging-c-caddy"]);
        const dns = violations.find((v) => v.name === "staging-7-dns");
        expect(dns?.reason).to.equal(
            "update in staging-7, which moves from host staging-b to host staging-c: a host change (its DNS record and deployment follow it; both hosts' Caddy configs change); review it as its own pull request and run with --allow-shared",
        );
        expect(violations.find((v) => v.name === "staging-b-caddy")?.reason).to.match(/^update of a shared resource, outside every slot/);
        // Even a claim change on slot 7 does not make its move a claim edit.
        expect(judgePreview(steps, policy({ moves, changedSlots: new Set([7]) })).map((v) => v.name)).to.include("staging-7-dns");
        expect(judgePreview(steps, policy({ moves, allowShared: true }))).to.deep.equal([]);
    });

    it("refuses to move a slot that stays claimed, even with --allow-shared", async () => {
        const claimed = { "7": claim() };
        const steps = preview(await run({ ...baseValues(), hosts: HOSTS, claims: claimed }), await run({ ...baseValues(), hosts: MOVED_7, claims: claimed }));
        expect(steps.filter((s) => s.op !== "same").map((s) => s.urn.split("::").pop())).to.have.members(["staging-7-dns", "staging-7-deploy", "staging-b-caddy", "staging-c-caddy"]);
        const violations = judgePreview(steps, policy({ moves: [{ slot: 7, from: "staging-b", to: "staging-c", claimed: true }], allowShared: true }));
        expect(violations.map((v) => v.name)).to.have.members(["staging-7-dns", "staging-7-deploy"]);
        for (const v of violations) expect(v.reason).to.match(/which is claimed and moves from host staging-b to host staging-c: .*; release it first, move it, then claim it again/);
    });

    it("guards every host's droplet and reserved IP: removing a host is refused", async () => {
        const steps = preview(
            await run({ ...baseValues(), hosts: { staging: { slots: range(1, 5) }, "staging-b": { slots: range(6, 10) } } }),
            await run({ ...baseValues(), hosts: { staging: { slots: range(1, 10) } } }),
        );
        const names = judgePreview(steps, policy({ allowShared: true })).map((v) => v.name);
        expect(names).to.include.members(["staging-b-droplet", "staging-b-ip", "staging-b-firewall", "staging-b-ip-assignment"]);
    });

    describe("slots guard --base", () => {
        let repo: StackRepo;
        beforeEach(() => {
            repo = new StackRepo();
        });
        afterEach(() => repo.remove());

        const guard = (argv: string[]): Promise<CommandRun> => runCommand(guardCommand, repo.dir, argv);

        it("finds the move in the stack files and names it for each of the slot's resources", async () => {
            const claimed = { "7": claim() };
            const before = { ...baseValues(), hosts: HOSTS, claims: claimed };
            const after = { ...baseValues(), hosts: MOVED_7, claims: claimed };
            const base = repo.commit(before);
            repo.write(after);
            writeFileSync(path.join(repo.dir, "preview.json"), JSON.stringify({ steps: preview(await run(before), await run(after)) }));
            const r = await guard(["--preview", "preview.json", "--base", base, "--allow-shared"]);
            expect(r.code).to.equal(1);
            const lines = r.stderr.trimEnd().split("\n");
            expect(lines.map((l) => l.split(" ")[0])).to.have.members(["staging-7-deploy", "staging-7-dns"]);
            expect(lines[0]).to.match(/which is claimed and moves from host staging-b to host staging-c/);

            // Released in the base, moved now: a host change --allow-shared lets through.
            const released = { ...baseValues(), hosts: HOSTS };
            const base2 = repo.commit(released);
            repo.write({ ...released, hosts: MOVED_7 });
            writeFileSync(path.join(repo.dir, "preview.json"), JSON.stringify({ steps: preview(await run(released), await run({ ...released, hosts: MOVED_7 })) }));
            expect((await guard(["--preview", "preview.json", "--base", base2])).code).to.equal(1);
            const ok = await guard(["--preview", "preview.json", "--base", base2, "--allow-shared"]);
            expect(ok.code, ok.stderr).to.equal(0);
        });
    });
});

import { expect } from "chai";

import { planCommand } from "../../cli/plan";
import { baseValues, claim } from "../helpers/config";
import { CommandRun, StackRepo, runCommand } from "./stackRepo";

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const HOSTS = { staging: { slots: range(1, 4) }, "staging-b": { slots: range(5, 7) }, "staging-c": { slots: range(8, 10) } };

describe("slots plan --base with hosts", function () {
    this.timeout(120_000);
    let repo: StackRepo;
    beforeEach(() => {
        repo = new StackRepo();
    });
    afterEach(() => repo.remove());

    const plan = (argv: string[]): Promise<CommandRun> => runCommand(planCommand, repo.dir, argv);

    it("shows no change when an existing single-host stack writes its placement out as hosts", async () => {
        const before = { ...baseValues(), claims: { "4": claim() } };
        const base = repo.commit(before);
        repo.write({ ...before, hosts: { staging: { slots: range(1, 10) } } });
        const r = await plan(["--base", base]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal(`Pulumi.staging.yaml: working tree against ${base} (offline evaluation of the program)\nNo resource changes.\n`);
        expect(JSON.parse((await plan(["--base", base, "--json"])).stdout)).to.deep.equal({ changes: [] });
    });

    it("lists a slot that moves under the shared resources, beside both hosts' Caddy", async () => {
        const base = repo.commit({ ...baseValues(), hosts: HOSTS });
        repo.write({ ...baseValues(), hosts: { ...HOSTS, "staging-b": { slots: [5, 6] }, "staging-c": { slots: range(7, 10) } } });
        const r = await plan(["--base", base]);
        expect(r.code, r.stderr).to.equal(0);
        const shared = r.stdout.slice(r.stdout.indexOf("\nshared (host, database, project)\n"));
        expect(shared).to.include("  > staging-7 moves from host staging-b to host staging-c: a host change");
        expect(shared).to.include("  ~ update command:remote:Command staging-b-caddy: stdin");
        expect(shared).to.include("  ~ update command:remote:Command staging-c-caddy: stdin");
        expect(r.stdout).to.include("\nstaging-7\n  ~ update digitalocean:index/dnsRecord:DnsRecord staging-7-dns: value\n");
        const json = JSON.parse((await plan(["--base", base, "--json"])).stdout) as { moves: unknown[] };
        expect(json.moves).to.deep.equal([{ slot: 7, from: "staging-b", to: "staging-c" }]);
    });

    it("says when a moving slot stays claimed, which the deploy guard refuses", async () => {
        const claims = { "7": claim() };
        const base = repo.commit({ ...baseValues(), hosts: HOSTS, claims });
        repo.write({ ...baseValues(), hosts: { ...HOSTS, "staging-b": { slots: [5, 6] }, "staging-c": { slots: range(7, 10) } }, claims });
        const r = await plan(["--base", base]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.match(/  > staging-7 moves from host staging-b to host staging-c: .*; staging-7 stays claimed, which the deploy guard refuses: release it first\n/);
        expect(r.stdout).to.include("  ~ update command:remote:Command staging-7-deploy: connection [secret]");
    });

    it("a claim on the second host is that slot's change only", async () => {
        const base = repo.commit({ ...baseValues(), hosts: HOSTS });
        repo.write({ ...baseValues(), hosts: HOSTS, claims: { "6": claim() } });
        const json = JSON.parse((await plan(["--base", base, "--json"])).stdout) as { changes: Array<{ op: string; slot: number | null; name: string }> };
        expect(json.changes.map((c) => `${c.op} ${c.slot} ${c.name}`)).to.deep.equal(["create 6 staging-6-deploy", "update 6 staging-6-registry"]);
    });
});

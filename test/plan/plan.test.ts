import { expect } from "chai";

import { planCommand } from "../../cli/plan";
import { Change } from "../../offline/planDiff";
import { SECRETS, baseValues, claim } from "../helpers/config";
import { StackRepo, captureIo } from "./stackRepo";

const CLAIMED = { ...baseValues(), claims: { "4": claim() } };

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

async function plan(repo: StackRepo, argv: string[]): Promise<Run> {
    const cap = captureIo(repo.dir);
    const code = await planCommand(argv, cap.io);
    return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

async function planJson(repo: StackRepo, base: string): Promise<Change[]> {
    const r = await plan(repo, ["--base", base, "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    return (JSON.parse(r.stdout) as { changes: Change[] }).changes;
}

function names(changes: readonly Change[]): string[] {
    return changes.map((c) => `${c.op} ${c.name}`);
}

describe("slots plan --base: what a stack file edit changes, by slot", function () {
    // Each case evaluates the real program twice under mocks.
    this.timeout(120_000);
    let repo: StackRepo;

    beforeEach(() => {
        repo = new StackRepo();
    });
    afterEach(() => repo.remove());

    const slotEdits: Array<{ title: string; base: Record<string, unknown>; head: Record<string, unknown>; expect: string[] }> = [
        {
            title: "a claim creates slot 4's deployment and fills its registry row",
            base: baseValues(),
            head: CLAIMED,
            expect: ["create staging-4-deploy"],
        },
        {
            title: "a re-point to another branch and commit replaces slot 4's deployment",
            base: CLAIMED,
            head: { ...baseValues(), claims: { "4": claim({ branch: "feature/login-v2", commit: "fedcba9876543210fedcba9876543210fedcba98" }) } },
            expect: ["replace staging-4-deploy"],
        },
        {
            title: "a release deletes slot 4's deployment (its database stays)",
            base: CLAIMED,
            head: baseValues(),
            expect: ["delete staging-4-deploy"],
        },
        {
            title: "a redeploy bumps slot 4's deployment triggers, which replaces it",
            base: CLAIMED,
            head: { ...baseValues(), claims: { "4": claim({ redeploy: 1 }) } },
            expect: ["replace staging-4-deploy"],
        },
    ];

    for (const c of slotEdits) {
        it(`${c.title}, and nothing outside staging-4`, async () => {
            const base = repo.commit(c.base);
            repo.write(c.head);
            const changes = await planJson(repo, base);
            expect(changes.length).to.be.greaterThan(0);
            for (const ch of changes) expect(ch.slot, `${ch.op} ${ch.type} ${ch.name}`).to.equal(4);
            expect(names(changes)).to.include.members(c.expect);
            // The data a slot keeps across claims is never part of a claim edit.
            expect(changes.map((ch) => ch.name)).to.not.include.members(["staging-4-db", "staging-4-db-role", "staging-4-dns"]);
        });
    }

    const WAITER = { owner: "bob", task: "JOB-7", branch: "feature/search", purpose: "QA", pool: "qa", requestedAt: "2026-11-23T11:00:00Z" };
    const noChange: Array<{ title: string; base: Record<string, unknown>; head: Record<string, unknown> }> = [
        { title: "joining the waitlist", base: CLAIMED, head: { ...CLAIMED, waitlist: [WAITER] } },
        { title: "leaving the waitlist", base: { ...CLAIMED, waitlist: [WAITER, { ...WAITER, task: "JOB-8" }] }, head: { ...CLAIMED, waitlist: [{ ...WAITER, task: "JOB-8" }] } },
        { title: "reordering the waitlist", base: { ...CLAIMED, waitlist: [WAITER, { ...WAITER, task: "JOB-8" }] }, head: { ...CLAIMED, waitlist: [{ ...WAITER, task: "JOB-8" }, WAITER] } },
        { title: "setting a claim's expiresAt", base: CLAIMED, head: { ...baseValues(), claims: { "4": claim({ expiresAt: "2026-11-24T10:30:00Z" }) } } },
        { title: "moving a claim's expiresAt", base: { ...baseValues(), claims: { "4": claim({ expiresAt: "2026-11-24T10:30:00Z" }) } }, head: { ...baseValues(), claims: { "4": claim({ expiresAt: "2026-11-26T10:30:00Z" }) } } },
        { title: "setting maxClaimHours", base: CLAIMED, head: { ...CLAIMED, maxClaimHours: 72 } },
    ];
    for (const c of noChange) {
        it(`changes no resource on ${c.title}`, async () => {
            const base = repo.commit(c.base);
            repo.write(c.head);
            expect(await planJson(repo, base)).to.deep.equal([]);
            const text = await plan(repo, ["--base", base]);
            expect(text.stdout).to.match(/\nNo resource changes\.\n$/);
        });
    }

    it("shows a handover to another task (a promotion) by the task key of the slot's registry row beside its deployment's change", async () => {
        const base = repo.commit(CLAIMED);
        repo.write({ ...baseValues(), claims: { "4": claim({ owner: "bob", task: "JOB-7", branch: "feature/search", commit: "fedcba9876543210fedcba9876543210fedcba98" }) } });
        const changes = await planJson(repo, base);
        expect(names(changes)).to.deep.equal(["replace staging-4-deploy", "update staging-4-registry"]);
        expect(changes[1].keys).to.include("task");
    });

    it("shows a resetDatabase bump as a replacement of the slot's deployment (triggers), and nothing else", async () => {
        const base = repo.commit(CLAIMED);
        repo.write({ ...baseValues(), claims: { "4": claim({ resetDatabase: 1 }) } });
        const changes = await planJson(repo, base);
        expect(names(changes)).to.deep.equal(["replace staging-4-deploy"]);
        expect(changes[0].keys).to.include.members(["triggers", "stdin", "delete"]);
    });

    it("runs the deployment again for a new task while a data policy is reset, so it can empty the database", async () => {
        const base = repo.commit(CLAIMED);
        repo.write({ ...baseValues(), claims: { "4": claim({ task: "JOB-124" }) } });
        const changes = await planJson(repo, base);
        expect(names(changes)).to.deep.equal(["update staging-4-deploy", "update staging-4-registry"]);
        expect(changes[0].keys).to.deep.equal(["stdin"]);
    });

    it("shows a re-point as a replacement of the deployment, forced by its triggers, with every changed input", async () => {
        const base = repo.commit(CLAIMED);
        repo.write({ ...baseValues(), claims: { "4": claim({ commit: "fedcba9876543210fedcba9876543210fedcba98" }) } });
        const deploy = (await planJson(repo, base)).find((c) => c.name === "staging-4-deploy");
        expect(deploy).to.deep.include({ op: "replace", replaceKeys: ["triggers"] });
        expect(deploy?.keys).to.include.members(["triggers", "stdin", "delete"]);
        const text = await plan(repo, ["--base", base]);
        expect(text.stdout).to.match(/^ {2}\+- replace command:remote:Command staging-4-deploy: delete, stdin \[secret\], triggers \(forces replacement\)$/m);
        expect(text.stdout).to.contain("2 changes: 0 to create, 1 to update, 1 to replace, 0 to delete.\n");
    });

    // A new task redeploys only for its data (databaseOnNewTask / volumesOnNewTask reset, the
    // default): with both keep it is as cosmetic as an owner.
    const KEEP = { databaseOnNewTask: "keep", volumesOnNewTask: "keep" };
    const cosmetic: Array<{ field: string; value: string; values?: Record<string, unknown> }> = [
        { field: "owner", value: "bob" },
        { field: "task", value: "JOB-124", values: KEEP },
        { field: "purpose", value: "QA for PR #124" },
    ];
    for (const c of cosmetic) {
        it(`never redeploys for a new ${c.field}${c.values ? " (data policies keep)" : ""}: only the slot's registry row changes`, async () => {
            const base = repo.commit({ ...CLAIMED, ...c.values });
            repo.write({ ...baseValues(), ...c.values, claims: { "4": claim({ [c.field]: c.value }) } });
            const changes = await planJson(repo, base);
            expect(changes).to.deep.equal([
                { op: "update", slot: 4, type: "pulumi-nodejs:dynamic:Resource", name: "staging-4-registry", keys: [c.field] },
            ]);
        });
    }

    it("shows host settings that force a replacement as replacements, naming the input", async () => {
        const base = repo.commit(baseValues());
        repo.write({ ...baseValues(), dropletImage: "ubuntu-22-04-x64", domain: "example.org" });
        const changes = await planJson(repo, base);
        expect(changes.find((c) => c.name === "staging-droplet")).to.deep.include({ op: "replace", keys: ["image"], replaceKeys: ["image"] });
        const dns = changes.filter((c) => c.type === "digitalocean:index/dnsRecord:DnsRecord");
        expect(dns).to.have.length(10);
        for (const d of dns) expect(d).to.deep.include({ op: "replace", replaceKeys: ["domain"] });
        const text = (await plan(repo, ["--base", base])).stdout;
        expect(text).to.contain("  +- replace digitalocean:index/droplet:Droplet staging-droplet: image (forces replacement)\n");
        // A resize is an update in place, not a replacement.
        repo.write({ ...baseValues(), dropletSize: "s-8vcpu-16gb" });
        expect((await planJson(repo, base)).map((c) => c.op)).to.deep.equal(["update"]);
    });

    it("changes no resource when a claim only gets an end (expiresAt): nothing that runs changed", async () => {
        const base = repo.commit(CLAIMED);
        repo.write({ ...baseValues(), claims: { "4": claim({ expiresAt: "2026-12-01T00:00:00Z" }) } });
        expect(await planJson(repo, base)).to.deep.equal([]);
    });

    it("reports the host's resources, and no slot, when a host setting changes", async () => {
        const base = repo.commit(baseValues());
        repo.write({ ...baseValues(), dropletSize: "s-8vcpu-16gb" });
        const changes = await planJson(repo, base);
        expect(changes).to.deep.equal([
            { op: "update", slot: null, type: "digitalocean:index/droplet:Droplet", name: "staging-droplet", keys: ["size"] },
        ]);
    });

    it("reports the firewall and the database's trusted sources when the admin CIDRs change", async () => {
        const base = repo.commit(baseValues());
        repo.write({ ...baseValues(), adminCidrs: ["203.0.113.0/24", "198.51.100.0/24"] });
        const changes = await planJson(repo, base);
        expect(changes.every((c) => c.slot === null)).to.equal(true);
        expect(names(changes)).to.include.members(["update staging-firewall", "update staging-postgres-trusted-sources"]);
    });

    it("prints exactly {changes:[{op, slot, type, name, keys}]} with --json", async () => {
        const base = repo.commit(baseValues());
        repo.write(CLAIMED);
        const r = await plan(repo, ["--base", base, "--json"]);
        const doc = JSON.parse(r.stdout) as Record<string, unknown>;
        expect(Object.keys(doc)).to.deep.equal(["changes"]);
        const changes = doc.changes as Array<Record<string, unknown>>;
        for (const c of changes) {
            expect(Object.keys(c)).to.deep.equal(["op", "slot", "type", "name", "keys"]);
            expect(["create", "update", "replace", "delete"]).to.include(c.op);
            expect(Array.isArray(c.keys)).to.equal(true);
        }
        expect(changes.find((c) => c.name === "staging-4-deploy")).to.deep.equal({
            op: "create",
            slot: 4,
            type: "command:remote:Command",
            name: "staging-4-deploy",
            keys: [],
        });
    });

    it("groups the text by slot, then the shared resources, with a count", async () => {
        const base = repo.commit(baseValues());
        repo.write({ ...baseValues(), dropletSize: "s-8vcpu-16gb", claims: { "4": claim(), "7": claim({ task: "JOB-7" }) } });
        const r = await plan(repo, ["--base", base]);
        expect(r.code, r.stderr).to.equal(0);
        const out = r.stdout;
        const at = (s: string) => out.indexOf(s);
        expect(at("\nstaging-4\n")).to.be.greaterThan(0);
        expect(at("\nstaging-7\n")).to.be.greaterThan(at("\nstaging-4\n"));
        expect(at("\nshared (host, database, project)\n")).to.be.greaterThan(at("\nstaging-7\n"));
        expect(out).to.contain("  + create command:remote:Command staging-4-deploy\n");
        expect(out).to.contain("  ~ update digitalocean:index/droplet:Droplet staging-droplet: size\n");
        expect(out).to.match(/\d+ changes: 2 to create, \d+ to update, 0 to replace, 0 to delete\.\n$/);
    });

    it("never prints a secret, in text or JSON", async () => {
        const base = repo.commit(CLAIMED);
        repo.write({ ...baseValues(), claims: { "4": claim({ commit: "fedcba9876543210fedcba9876543210fedcba98" }) } });
        for (const argv of [["--base", base], ["--base", base, "--json"]]) {
            const r = await plan(repo, argv);
            for (const leak of [...Object.values(SECRETS), "mock-password-for", "postgresql://", "mock-cluster-admin-password"]) {
                expect(r.stdout + r.stderr).to.not.contain(leak);
            }
        }
    });

    it("says so when nothing changes, and compares with HEAD by default", async () => {
        repo.commit(CLAIMED);
        const r = await plan(repo, []);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal("Pulumi.staging.yaml: working tree against HEAD (offline evaluation of the program)\nNo resource changes.\n");
    });

    it("counts every resource as created when the stack file is new since the base", async () => {
        repo.git("commit", "-q", "--allow-empty", "-m", "empty");
        repo.write(baseValues());
        const r = await plan(repo, ["--json"]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.contain("does not exist at HEAD");
        const changes = (JSON.parse(r.stdout) as { changes: Change[] }).changes;
        expect(changes.length).to.be.greaterThan(50);
        expect(changes.every((c) => c.op === "create")).to.equal(true);
    });

    const failures: Array<{ title: string; argv: string[]; code: number; stderr: RegExp }> = [
        { title: "an unknown flag", argv: ["--bsae", "HEAD"], code: 2, stderr: /^slots: unknown option --bsae; did you mean --base\?\nUsage: slots plan/ },
        { title: "a positional argument", argv: ["4"], code: 2, stderr: /\nUsage: slots plan/ },
        { title: "a revision that does not exist", argv: ["--base", "no-such-branch"], code: 1, stderr: /^--base no-such-branch: no such commit in this clone; fetch it first/ },
        { title: "a revision that looks like an option", argv: ["--base=--output=x"], code: 1, stderr: /^--base "--output=x" is not a git revision/ },
    ];
    for (const f of failures) {
        it(`refuses ${f.title} with exit ${f.code}`, async () => {
            repo.commit(baseValues());
            const r = await plan(repo, f.argv);
            expect(r.code).to.equal(f.code);
            expect(r.stderr).to.match(f.stderr);
            expect(r.stdout).to.equal("");
        });
    }

    it("lists every problem of an invalid working tree, one line each, naming slot and field", async () => {
        const base = repo.commit(baseValues());
        repo.write({ ...baseValues(), claims: { "4": claim({ commit: "abc" }), "5": claim({ task: "JOB-5", branch: "bad branch" }) } });
        const r = await plan(repo, ["--base", base]);
        expect(r.code).to.equal(1);
        const lines = r.stderr.trimEnd().split("\n");
        expect(lines).to.have.length(2);
        expect(lines[0]).to.match(/^Pulumi\.staging\.yaml: staging-4 commit: /);
        expect(lines[1]).to.match(/^Pulumi\.staging\.yaml: staging-5 branch: /);
    });

    it("names the revision when the stack file there is invalid", async () => {
        const base = repo.commit({ ...baseValues(), domain: "Not A Domain" });
        repo.write(baseValues());
        const r = await plan(repo, ["--base", base]);
        expect(r.code).to.equal(1);
        expect(r.stderr).to.match(new RegExp(`^Pulumi\\.staging\\.yaml at ${base}: staging-slots:domain: `));
    });

    it("prints its usage with --help", async () => {
        const r = await plan(repo, ["--help"]);
        expect(r.code).to.equal(0);
        expect(r.stdout).to.match(/^Usage: slots plan \[--base REV\] \[--json\]/);
    });
});

import { expect } from "chai";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

import { diffCommand } from "../../cli/diff";
import { guardCommand } from "../../cli/guard";
import {
    GuardPolicy,
    changedClaimSlots,
    judgePreview,
    parsePreview,
    parseUrn,
    slotOfUrn,
} from "../../cli/guardRules";
import { validateSettings } from "../../components/validation";
import { NOW, baseValues, claim } from "../helpers/config";
import { StackRepo, captureIo, stackYaml } from "../plan/stackRepo";

const FIXTURES = path.join(__dirname, "..", "fixtures", "preview");

function fixture(name: string): string {
    return readFileSync(path.join(FIXTURES, name), "utf8");
}

const SLOT_4: GuardPolicy = { changedSlots: new Set([4]), allowShared: false, base: "HEAD" };

describe("slots guard rules on pulumi preview --json", () => {
    it("passes the preview of a claim on staging-4, same steps and all", () => {
        const steps = parsePreview(fixture("claim-staging-4.json"), "p.json");
        expect(steps.filter((s) => s.op === "same").length).to.be.greaterThan(50);
        expect(judgePreview(steps, SLOT_4)).to.deep.equal([]);
    });

    it("passes the preview of a release of staging-4 (its deployment deleted)", () => {
        expect(judgePreview(parsePreview(fixture("release-staging-4.json"), "p.json"), SLOT_4)).to.deep.equal([]);
    });

    const forbidden: Array<{ file: string; names: string[]; reason: RegExp }> = [
        { file: "replace-droplet.json", names: ["staging-droplet"], reason: /^replace of the droplet, which is protected/ },
        { file: "replace-reserved-ip-steps.json", names: ["staging-ip"], reason: /^create-replacement\+delete-replaced of the reserved IP, which is protected/ },
        { file: "replace-database-cluster.json", names: ["staging-postgres-cluster"], reason: /^replace of the database cluster, which is protected/ },
        { file: "delete-slot-database.json", names: ["staging-10-db-role", "staging-10-db"], reason: /^delete of a slot database( role)?, which is protected/ },
        { file: "replace-claimed-slot-role.json", names: ["staging-4-db-role"], reason: /^replace of a slot database role, which is protected/ },
        { file: "update-other-slot.json", names: ["staging-5-dns"], reason: /^update in staging-5, whose claim did not change since HEAD; only staging-4 may change \(claims changed since HEAD\)$/ },
        { file: "update-shared-firewall.json", names: ["staging-firewall"], reason: /^update of a shared resource, outside every slot; only staging-4 may change \(claims changed since HEAD\); a deliberate host change runs with --allow-shared$/ },
        { file: "resize-droplet.json", names: ["staging-droplet"], reason: /^update of a shared resource/ },
    ];
    for (const f of forbidden) {
        it(`fails ${f.file}, naming ${f.names.join(" and ")} and nothing else`, () => {
            const violations = judgePreview(parsePreview(fixture(f.file), f.file), SLOT_4);
            expect(violations.map((v) => v.name)).to.have.members(f.names);
            for (const v of violations) expect(v.reason).to.match(f.reason);
        });
    }

    it("allows a deliberate host change with allowShared, but never a protected replacement", () => {
        const shared = { ...SLOT_4, allowShared: true };
        expect(judgePreview(parsePreview(fixture("resize-droplet.json"), "p"), shared)).to.deep.equal([]);
        expect(judgePreview(parsePreview(fixture("update-shared-firewall.json"), "p"), shared)).to.deep.equal([]);
        expect(judgePreview(parsePreview(fixture("replace-droplet.json"), "p"), shared).map((v) => v.name)).to.deep.equal(["staging-droplet"]);
        expect(judgePreview(parsePreview(fixture("delete-slot-database.json"), "p"), shared)).to.have.length(2);
    });

    it("never lets the firewall, the database's trusted sources or the reserved IP's assignment be deleted, even with allowShared; a replace passes", () => {
        const shared = { ...SLOT_4, allowShared: true };
        const fw = "urn:pulumi:staging::staging-slots::jobsearch:staging:StagingHost$digitalocean:index/firewall:Firewall::staging-firewall";
        const dbfw = "urn:pulumi:staging::staging-slots::jobsearch:staging:SharedDatabase$digitalocean:index/databaseFirewall:DatabaseFirewall::staging-postgres-trusted-sources";
        const ipa = "urn:pulumi:staging::staging-slots::jobsearch:staging:StagingHost$digitalocean:index/reservedIpAssignment:ReservedIpAssignment::staging-ip-assignment";
        const deleted = judgePreview([{ op: "delete", urn: fw }, { op: "delete", urn: dbfw }, { op: "delete", urn: ipa }], shared);
        expect(deleted.map((v) => v.name)).to.have.members(["staging-firewall", "staging-postgres-trusted-sources", "staging-ip-assignment"]);
        for (const v of deleted) expect(v.reason).to.match(/must never go away \(not even with --allow-shared\)/);
        expect(judgePreview([{ op: "replace", urn: ipa }, { op: "create-replacement", urn: ipa }, { op: "delete-replaced", urn: ipa }], shared)).to.deep.equal([]);
        expect(judgePreview([{ op: "replace", urn: dbfw }], shared)).to.deep.equal([]);
    });

    it("refuses every change when no claim changed", () => {
        const none = { ...SLOT_4, changedSlots: new Set<number>() };
        const names = judgePreview(parsePreview(fixture("claim-staging-4.json"), "p"), none).map((v) => v.name);
        expect(names).to.have.members(["staging-4-deploy", "staging-4-registry"]);
    });

    it("fails closed on an op it does not know, and on a URN it cannot read", () => {
        const urn = "urn:pulumi:staging::staging-slots::jobsearch:staging:StagingHost$digitalocean:index/droplet:Droplet::staging-droplet";
        expect(judgePreview([{ op: "some-future-op", urn }], { ...SLOT_4, allowShared: true })).to.have.length(1);
        expect(judgePreview([{ op: "update", urn: "not-a-urn" }], { ...SLOT_4, allowShared: true })).to.have.length(1);
        expect(judgePreview([{ op: "read", urn }, { op: "same", urn }], SLOT_4)).to.deep.equal([]);
    });

    it("reads slot and name from URNs with the parent type chain", () => {
        const urn = parseUrn("urn:pulumi:staging::staging-slots::jobsearch:staging:StagingSlot$postgresql:index/database:Database::staging-4-db");
        expect(urn).to.deep.include({ stack: "staging", project: "staging-slots", type: "postgresql:index/database:Database", name: "staging-4-db" });
        expect(slotOfUrn(urn!)).to.equal(4);
        expect(slotOfUrn(parseUrn("urn:pulumi:staging::staging-slots::jobsearch:staging:StagingSlot::staging-10")!)).to.equal(10);
        // A shared resource whose name starts like a slot's is still shared: only the parent chain counts.
        expect(slotOfUrn(parseUrn("urn:pulumi:staging::staging-slots::jobsearch:staging:SharedDatabase$pulumi:providers:postgresql::staging-4-provider")!)).to.equal(null);
        expect(parseUrn("urn:pulumi:s::p::a:b:C::name::with::colons")?.name).to.equal("name::with::colons");
    });

    const badFiles: Array<{ text: string; error: RegExp }> = [
        { text: "", error: /p\.json is not JSON/ },
        { text: "{}", error: /p\.json has no steps: the preview probably failed/ },
        { text: "[]", error: /not the output of pulumi preview --json/ },
        { text: '{"steps":[{"op":"same"}]}', error: /steps\[0\] has no op and urn strings/ },
    ];
    for (const b of badFiles) {
        it(`refuses a preview file like ${JSON.stringify(b.text)}`, () => {
            expect(() => parsePreview(b.text, "p.json")).to.throw(b.error);
        });
    }

    it("counts slots whose validated claims differ, so an explicit default is not a change", () => {
        const claims = (c: Record<string, unknown>) => validateSettings({ ...baseValues(), deployPrivateKey: "[secret]", claims: c }, NOW).settings!.claims;
        const base = claims({ "4": claim(), "5": claim({ task: "JOB-5" }), "6": claim({ task: "JOB-6" }) });
        const head = claims({ "4": claim({ redeploy: 0, pool: "qa" }), "5": claim({ task: "JOB-5", redeploy: 1 }), "7": claim({ task: "JOB-7" }) });
        expect(changedClaimSlots(base, head)).to.deep.equal([5, 6, 7]);
    });
});

describe("slots guard --preview FILE --base REV", () => {
    let repo: StackRepo;
    let base: string;

    beforeEach(() => {
        repo = new StackRepo();
        base = repo.commit(baseValues());
        repo.write({ ...baseValues(), claims: { "4": claim() } });
        for (const f of ["claim-staging-4.json", "update-other-slot.json", "replace-droplet.json", "delete-slot-database.json", "resize-droplet.json"]) {
            copyFileSync(path.join(FIXTURES, f), path.join(repo.dir, f));
        }
    });
    afterEach(() => repo.remove());

    async function guard(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
        const cap = captureIo(repo.dir);
        const code = await guardCommand(argv, cap.io);
        return { code, stdout: cap.stdout(), stderr: cap.stderr() };
    }

    it("passes the claim's preview, saying which slots may change", async () => {
        const r = await guard(["--preview", "claim-staging-4.json", "--base", base]);
        expect(r.stderr).to.equal("");
        expect(r.code).to.equal(0);
        expect(r.stdout).to.equal(`guard: ok: 2 resources to change, none protected replaced or deleted; claims changed since ${base}: staging-4\n`);
    });

    it("fails a preview that touches another slot, one line naming the resource", async () => {
        const r = await guard(["--preview", "update-other-slot.json", "--base", base]);
        expect(r.code).to.equal(1);
        expect(r.stderr).to.equal(`staging-5-dns (digitalocean:index/dnsRecord:DnsRecord): update in staging-5, whose claim did not change since ${base}; only staging-4 may change (claims changed since ${base})\n`);
    });

    it("fails a droplet replacement and a slot database deletion, one line per resource", async () => {
        const droplet = await guard(["--preview", "replace-droplet.json", "--base", base]);
        expect(droplet.code).to.equal(1);
        expect(droplet.stderr).to.match(/^staging-droplet \(digitalocean:index\/droplet:Droplet\): replace of the droplet, which is protected/);
        const db = await guard(["--preview", "delete-slot-database.json", "--base", base, "--allow-shared"]);
        expect(db.code).to.equal(1);
        expect(db.stderr.trimEnd().split("\n").map((l) => l.split(" ")[0])).to.have.members(["staging-10-db", "staging-10-db-role"]);
    });

    it("prints the verdict as JSON with --json, exit code unchanged", async () => {
        const ok = await guard(["--preview", "claim-staging-4.json", "--base", base, "--json"]);
        expect(ok.code).to.equal(0);
        expect(JSON.parse(ok.stdout)).to.deep.equal({ ok: true, changedSlots: [4], changes: 2, violations: [] });
        const bad = await guard(["--preview", "update-other-slot.json", "--base", base, "--json"]);
        expect(bad.code).to.equal(1);
        const verdict = JSON.parse(bad.stdout) as { ok: boolean; violations: { name: string; slot: number | null; ops: string[]; reason: string }[] };
        expect(verdict.ok).to.equal(false);
        expect(verdict.violations.map((v) => [v.name, v.slot, v.ops])).to.deep.equal([["staging-5-dns", 5, ["update"]]]);
        expect(verdict.violations[0].reason).to.match(/^update in staging-5, whose claim did not change/);
    });

    it("lists a changed host setting among the JSON violations, typed as a config key", async () => {
        repo.write({ ...baseValues(), deployTimeoutSeconds: 120, claims: { "4": claim() } });
        const r = await guard(["--preview", "claim-staging-4.json", "--base", base, "--json"]);
        expect(r.code).to.equal(1);
        const verdict = JSON.parse(r.stdout) as { ok: boolean; violations: { name: string; type: string; slot: number | null; ops: string[] }[] };
        expect(verdict.ok).to.equal(false);
        expect(verdict.violations.map((v) => [v.name, v.type, v.slot, v.ops])).to.deep.equal([["staging-slots:deployTimeoutSeconds", "config key", null, []]]);
    });

    it("lets a host change through only with --allow-shared", async () => {
        repo.write(baseValues());
        expect((await guard(["--preview", "resize-droplet.json", "--base", base])).code).to.equal(1);
        const r = await guard(["--preview", "resize-droplet.json", "--base", base, "--allow-shared"]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain("changes outside the claimed slots allowed (--allow-shared)");
    });

    it("compares with HEAD by default: after the claim is committed, nothing may change", async () => {
        repo.git("add", "Pulumi.staging.yaml");
        repo.git("commit", "-q", "-m", "claim");
        const r = await guard(["--preview", "claim-staging-4.json"]);
        expect(r.code).to.equal(1);
        expect(r.stderr).to.contain("staging-4-deploy (command:remote:Command): create in staging-4, whose claim did not change since HEAD; no claim changed since HEAD, so nothing may change");
    });

    it("refuses an unreadable preview and an invalid stack file with exit 1", async () => {
        const missing = await guard(["--preview", "nope.json", "--base", base]);
        expect(missing.code).to.equal(1);
        expect(missing.stderr).to.equal("cannot read nope.json: ENOENT; write it with: pulumi preview --json > nope.json\n");
        writeFileSync(path.join(repo.dir, "empty.json"), "{}");
        expect((await guard(["--preview", "empty.json", "--base", base])).stderr).to.match(/^empty\.json has no steps/);
        repo.write({ ...baseValues(), claims: { "4": claim({ commit: "abc" }) } });
        const invalid = await guard(["--preview", "claim-staging-4.json", "--base", base]);
        expect(invalid.code).to.equal(1);
        expect(invalid.stderr).to.match(/^Pulumi\.staging\.yaml: staging-4 commit: /);
    });

    const hostEdits: Array<{ key: string; values: Record<string, unknown> }> = [
        { key: "staging-slots:repository", values: { repository: "git@github.com:someone-else/fork.git" } },
        { key: "staging-slots:appEnv", values: { appEnv: { APP_ENV: "staging", FEATURE: "enabled" } } },
        { key: "staging-slots:releaseRemovesVolumes", values: { releaseRemovesVolumes: true } },
        { key: "staging-slots:deployTimeoutSeconds", values: { deployTimeoutSeconds: 120 } },
    ];
    for (const h of hostEdits) {
        it(`refuses a claim that also changes ${h.key}, though the preview is the claim's alone`, async () => {
            repo.write({ ...baseValues(), ...h.values, claims: { "4": claim() } });
            const r = await guard(["--preview", "claim-staging-4.json", "--base", base]);
            expect(r.code).to.equal(1);
            expect(r.stderr).to.equal(`${h.key}: changed since ${base}; it is a host setting, not a claim (only the claims may change in a claim's deployment); review it as its own pull request and deploy it with --allow-shared\n`);
            const allowed = await guard(["--preview", "claim-staging-4.json", "--base", base, "--allow-shared"]);
            expect(allowed.code, allowed.stderr).to.equal(0);
            expect(allowed.stdout).to.contain(`host settings changed: ${h.key}`);
        });
    }

    it("counts a changed secret, a provider's key and a removed key as host changes, and a reordered map as none", async () => {
        const file = path.join(repo.dir, "Pulumi.staging.yaml");
        const text = readFileSync(file, "utf8");
        const edited = text
            .replace("v1:test-only-ciphertext", "v1:other-ciphertext")
            .replace(/^ {2}staging-slots:appEnv:\n {4}APP_ENV: staging\n/m, "")
            .replace(/^config:\n/, "config:\n  digitalocean:apiEndpoint: https://api.example.test\n");
        expect(edited).to.not.equal(text);
        writeFileSync(file, edited);
        const r = await guard(["--preview", "claim-staging-4.json", "--base", base]);
        expect(r.code).to.equal(1);
        expect(r.stderr.trimEnd().split("\n").map((l) => l.split(": ")[0])).to.deep.equal([
            "digitalocean:apiEndpoint",
            "staging-slots:appEnv",
            "staging-slots:deployPrivateKey",
        ]);
        // slots diff reads the same rule: the keys it reports beside the claims are the guard's.
        const cap = captureIo(repo.dir);
        expect(await diffCommand(["--base", base, "--json"], cap.io)).to.equal(0);
        expect((JSON.parse(cap.stdout()) as { otherKeys: string[] }).otherKeys).to.deep.equal(["digitalocean:apiEndpoint", "staging-slots:appEnv", "staging-slots:deployPrivateKey"]);

        // Same values, other order and spelling (a bare key is the project's): nothing changed.
        const { claims: _claims, ...rest } = baseValues();
        const reordered = Object.fromEntries(Object.entries(rest).reverse());
        writeFileSync(file, `config:\n  claims:\n    "4": ${JSON.stringify(claim())}\n` + stackYaml(reordered).replace(/^config:\n/, ""));
        const same = await guard(["--preview", "claim-staging-4.json", "--base", base]);
        expect(same.code, same.stderr).to.equal(0);
    });

    it("requires one of --preview, --events and --config-only, with the usage and exit 2", async () => {
        const r = await guard(["--base", base]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(/^slots: --preview FILE, --events FILE or --config-only is required\nUsage: slots guard \(--preview FILE \| --events FILE \| --config-only\)/);
        expect((await guard(["--preview"])).code).to.equal(2);
        const both = await guard(["--preview", "claim-staging-4.json", "--config-only"]);
        expect(both.code).to.equal(2);
        expect(both.stderr).to.match(/^slots: give one of --preview FILE, --events FILE and --config-only/);
    });

    describe("--config-only: the config before any preview runs with it", () => {
        it("passes a change of claims alone, and refuses a host key riding along, naming it", async () => {
            const ok = await guard(["--config-only", "--base", base]);
            expect(ok.code, ok.stderr).to.equal(0);
            expect(ok.stdout).to.equal(`guard: ok: no host setting changed; claims changed since ${base}: staging-4\n`);
            const file = path.join(repo.dir, "Pulumi.staging.yaml");
            writeFileSync(file, readFileSync(file, "utf8").replace(/^config:\n/, "config:\n  digitalocean:apiEndpoint: https://collector.example.test\n"));
            const r = await guard(["--config-only", "--base", base]);
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(new RegExp(`^digitalocean:apiEndpoint: changed since ${base}; it is a host setting`));
        });

        it("refuses a change to the stack file's own keys: where the engine imports config from, how it decrypts", async () => {
            const file = path.join(repo.dir, "Pulumi.staging.yaml");
            writeFileSync(file, `environment:\n  imports:\n    - production/all-secrets\nsecretsprovider: awskms://alias/other\n${readFileSync(file, "utf8")}`);
            const r = await guard(["--config-only", "--base", base]);
            expect(r.code).to.equal(1);
            expect(r.stderr.trimEnd().split("\n").map((l) => l.split(": ")[0])).to.deep.equal(["stack file environment", "stack file secretsprovider"]);
        });
    });

    describe("--events: what pulumi up did, judged after the fact", () => {
        /** An event log as `pulumi up --event-log` writes it: up's own preview, then the steps it ran. */
        function eventLog(executed: ReadonlyArray<{ op: string; urn: string }>): string {
            const planned = parsePreview(fixture("claim-staging-4.json"), "p").map((s) => ({ resourcePreEvent: { metadata: { op: s.op, urn: s.urn, type: "t" }, planning: true } }));
            const ran = executed.map((s) => ({ resourcePreEvent: { metadata: { op: s.op, urn: s.urn, type: "t" } } }));
            return [{ preludeEvent: { config: {} } }, ...planned, ...ran, { summaryEvent: { resourceChanges: {} } }].map((e) => JSON.stringify(e)).join("\n") + "\n";
        }
        const deploy4 = "urn:pulumi:staging::staging-slots::jobsearch:staging:StagingSlot$command:remote:Command::staging-4-deploy";
        const dns5 = "urn:pulumi:staging::staging-slots::jobsearch:staging:StagingSlot$digitalocean:index/dnsRecord:DnsRecord::staging-5-dns";

        it("passes when up did what the claim allows, counting only the executed steps", async () => {
            writeFileSync(path.join(repo.dir, "up.jsonl"), eventLog([{ op: "create", urn: deploy4 }, { op: "same", urn: dns5 }]));
            const r = await guard(["--events", "up.jsonl", "--base", base]);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.equal(`guard: ok: 1 resource changed by pulumi up, none protected replaced or deleted; claims changed since ${base}: staging-4\n`);
        });

        it("fails loudly, naming the resource, when up changed something the guard refuses", async () => {
            writeFileSync(path.join(repo.dir, "up.jsonl"), eventLog([{ op: "create", urn: deploy4 }, { op: "update", urn: dns5 }]));
            const r = await guard(["--events", "up.jsonl", "--base", base]);
            expect(r.code).to.equal(1);
            expect(r.stderr).to.equal(`staging-5-dns (digitalocean:index/dnsRecord:DnsRecord): update in staging-5, whose claim did not change since ${base}; only staging-4 may change (claims changed since ${base})\n`);
        });

        it("refuses a file that is not an event log", async () => {
            writeFileSync(path.join(repo.dir, "up.jsonl"), "{}\nnot json\n");
            const r = await guard(["--events", "up.jsonl", "--base", base]);
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/^up\.jsonl:2 is not JSON/);
            writeFileSync(path.join(repo.dir, "empty.jsonl"), "");
            expect((await guard(["--events", "empty.jsonl", "--base", base])).stderr).to.equal("empty.jsonl holds no engine event; write it with: pulumi up --event-log empty.jsonl\n");
            expect((await guard(["--events", "missing.jsonl", "--base", base])).stderr).to.equal("cannot read missing.jsonl: ENOENT; write it with: pulumi up --event-log missing.jsonl\n");
        });
    });
});

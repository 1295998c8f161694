import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { cli } from "../../cli/index";

import { ConfigError, formatProblem } from "../../components/validation";
import { canonicalJson as canonical } from "../../offline/planDiff";
import { renderPlan } from "../../offline/planText";
import { Evaluation, MOCK_DEPLOYED_AT, MOCK_FREE_DISK_GB, RecordedResource, evaluate } from "../../offline/recorder";
import { NOW, SECRETS, baseValues, claim, engineConfig } from "../helpers/config";
import { stackYaml } from "../plan/stackRepo";

const CLAIMED = claim();
// What a claim edit on slot 4 may change: its deployment and its registry row, nothing else.
const SLOT_4_CLAIM_RESOURCES = ["command:remote:Command::staging-4-deploy", "pulumi-nodejs:dynamic:Resource::staging-4-registry"];
const REPOINTED = claim({ branch: "feature/login-v2", commit: "fedcba9876543210fedcba9876543210fedcba98" });

function run(values: Record<string, unknown>, secrets?: Parameters<typeof engineConfig>[1]): Promise<Evaluation> {
    return evaluate(engineConfig(values, secrets), { now: NOW });
}

function key(r: RecordedResource): string {
    return `${r.type}::${r.name}`;
}

function index(ev: Evaluation): Map<string, RecordedResource> {
    expect(ev.error, ev.error?.message).to.equal(undefined);
    return new Map(ev.resources.map((r) => [key(r), r]));
}

/** Resources created, deleted or with different inputs or options between two evaluations. */
function changed(a: Evaluation, b: Evaluation): RecordedResource[] {
    const ia = index(a);
    const ib = index(b);
    const out: RecordedResource[] = [];
    for (const k of new Set([...ia.keys(), ...ib.keys()])) {
        const ra = ia.get(k);
        const rb = ib.get(k);
        const sig = (r?: RecordedResource) => r && canonical([r.inputs, r.protect, r.deleteBeforeReplace, r.additionalSecretOutputs, r.parent]);
        if (sig(ra) !== sig(rb)) out.push((rb ?? ra) as RecordedResource);
    }
    return out;
}

function ofType(ev: Evaluation, type: string): RecordedResource[] {
    return ev.resources.filter((r) => r.type === type);
}

describe("the Pulumi program under mocks", () => {
    let available: Evaluation;
    let claimed: Evaluation;

    before(async () => {
        available = await run(baseValues());
        claimed = await run({ ...baseValues(), claims: { "4": CLAIMED } });
    });

    it("creates one host, one shared database and ten slots with their DNS, role and database", () => {
        const count = (type: string) => ofType(available, type).filter((r) => r.name !== "staging-registry-db").length;
        expect(available.error).to.equal(undefined);
        expect(count("digitalocean:index/droplet:Droplet")).to.equal(1);
        expect(count("digitalocean:index/reservedIp:ReservedIp")).to.equal(1);
        expect(count("digitalocean:index/firewall:Firewall")).to.equal(1);
        expect(count("digitalocean:index/project:Project")).to.equal(1);
        expect(count("digitalocean:index/databaseCluster:DatabaseCluster")).to.equal(1);
        expect(count("jobsearch:staging:StagingSlot")).to.equal(10);
        expect(count("digitalocean:index/dnsRecord:DnsRecord")).to.equal(10);
        expect(count("postgresql:index/role:Role")).to.equal(10);
        expect(count("postgresql:index/database:Database")).to.equal(10);
        expect(count("postgresql:index/grant:Grant")).to.equal(10);
        const deploys = ofType(available, "command:remote:Command").filter((r) => r.slot !== null);
        expect(deploys, "no deployment while every slot is Available").to.deep.equal([]);
    });

    it("gives slot 4 its subdomain, database owned by its own role, and PUBLIC's CONNECT revoked", () => {
        const r = index(available);
        expect(r.get("digitalocean:index/dnsRecord:DnsRecord::staging-4-dns")?.inputs).to.deep.include({
            domain: "justapply.net", type: "A", name: "staging-4", value: "203.0.113.10",
        });
        expect(r.get("postgresql:index/database:Database::staging-4-db")?.inputs).to.deep.include({
            name: "job_search_staging_4", owner: "job_search_staging_4",
        });
        expect(r.get("postgresql:index/grant:Grant::staging-4-db-connect")?.inputs).to.deep.include({
            database: "job_search_staging_4", role: "public", objectType: "database", privileges: [],
        });
        expect(r.get("postgresql:index/role:Role::staging-4-db-role")?.redacted.password).to.equal("[secret]");
    });

    it("parents every slot resource to its StagingSlot and names children after the slot", () => {
        for (const res of claimed.resources.filter((x) => x.slot !== null && x.type !== "jobsearch:staging:StagingSlot")) {
            expect(res.name.startsWith(`staging-${res.slot}-`), res.name).to.equal(true);
            expect(res.parent).to.equal(`urn:pulumi:staging::staging-slots::jobsearch:staging:StagingSlot::staging-${res.slot}`);
        }
    });

    it("protects what must survive: droplet, reserved IP, cluster, every slot database and role", () => {
        const protectedNames = claimed.resources.filter((r) => r.protect).map(key).sort();
        expect(protectedNames).to.include.members([
            "digitalocean:index/droplet:Droplet::staging-droplet",
            "digitalocean:index/reservedIp:ReservedIp::staging-ip",
            "digitalocean:index/databaseCluster:DatabaseCluster::staging-postgres-cluster",
        ]);
        for (let n = 1; n <= 10; n++) {
            expect(protectedNames).to.include(`postgresql:index/database:Database::staging-${n}-db`);
            expect(protectedNames).to.include(`postgresql:index/role:Role::staging-${n}-db-role`);
        }
    });

    it("opens 22 to adminCidrs only and 80/443 to the world, nothing else", () => {
        const fw = ofType(available, "digitalocean:index/firewall:Firewall")[0];
        expect(fw.inputs.inboundRules).to.deep.equal([
            { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.0/24"] },
            { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
            { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
        ]);
    });

    it("deploys a claimed slot over SSH as deploy, at the claimed commit, with secrets only on stdin", () => {
        const deploy = index(claimed).get("command:remote:Command::staging-4-deploy");
        expect(deploy, "slot 4's deployment").to.not.equal(undefined);
        const d = deploy as RecordedResource;
        expect(d.slot).to.equal(4);
        expect(d.inputs.triggers).to.deep.equal([CLAIMED.commit, CLAIMED.branch, 0]);
        expect(d.inputs.logging).to.equal("none");
        expect(d.additionalSecretOutputs).to.include.members(["stdout", "stderr"]);
        expect(d.redacted.stdin).to.equal("[secret]");
        expect(d.redacted.connection).to.equal("[secret]");
        expect((d.inputs.connection as Record<string, unknown>).user).to.equal("deploy");
        expect((d.inputs.connection as Record<string, unknown>).host).to.equal("203.0.113.10");
        const stdin = d.inputs.stdin as string;
        expect(stdin).to.include(`COMMIT=${CLAIMED.commit}\n`);
        expect(stdin).to.include("SLOT=4\n");
        expect(stdin).to.match(/^DATABASE_URL=postgresql:\/\/job_search_staging_4:mock-password-for-staging-4-db-password@private-staging-postgres-cluster\.db\.ondigitalocean\.example:25060\/job_search_staging_4\?sslmode=require$/m);
        for (const text of [d.inputs.create, d.inputs.delete] as string[]) {
            expect(text).to.not.include("mock-password");
            expect(text).to.not.include(CLAIMED.owner);
            expect(text).to.not.include(SECRETS.deployPrivateKey.trim().split("\n")[1]);
        }
        expect(d.inputs.delete).to.match(/staging-release '4' '[0-9a-f]{16}' 'false' 'false'$/);
    });

    it("changes only slot 4's deployment when slot 4 is claimed, re-pointed or released", async () => {
        const repointed = await run({ ...baseValues(), claims: { "4": REPOINTED } });
        const released = await run(baseValues());
        const steps: Array<[string, Evaluation, Evaluation]> = [
            ["claim", available, claimed],
            ["re-point", claimed, repointed],
            ["release", repointed, released],
        ];
        for (const [step, before, after] of steps) {
            const diff = changed(before, after).map(key);
            expect(diff, step).to.have.members(SLOT_4_CLAIM_RESOURCES);
        }
    });

    it("leaves other claimed slots alone when one claim changes", async () => {
        const two = await run({ ...baseValues(), claims: { "2": claim({ task: "JOB-2" }), "4": CLAIMED } });
        const twoRepointed = await run({ ...baseValues(), claims: { "2": claim({ task: "JOB-2" }), "4": REPOINTED } });
        expect(changed(two, twoRepointed).map(key)).to.have.members(SLOT_4_CLAIM_RESOURCES);
    });

    it("changes no resource for a waitlist, an expiry or maxClaimHours", async () => {
        const waiter = { owner: "bob", task: "JOB-7", branch: "feature/search", purpose: "QA", pool: "qa", requestedAt: "2026-11-23T11:00:00Z" };
        const edits: Array<[string, Record<string, unknown>]> = [
            ["waitlist", { ...baseValues(), claims: { "4": CLAIMED }, waitlist: [waiter, { ...waiter, task: "JOB-8", pool: "staging" }] }],
            ["expiresAt", { ...baseValues(), claims: { "4": claim({ expiresAt: "2026-11-25T10:30:00Z" }) } }],
            ["expired claim", { ...baseValues(), claims: { "4": claim({ expiresAt: "2026-11-23T11:00:00Z" }) } }],
            ["maxClaimHours", { ...baseValues(), claims: { "4": CLAIMED }, maxClaimHours: 48 }],
        ];
        for (const [what, values] of edits) {
            expect(changed(claimed, await run(values)).map(key), what).to.deep.equal([]);
        }
    });

    it("refuses a bad waitlist with the very lines slots check prints for the same stack file", async () => {
        const values = { ...baseValues(), claims: { "4": CLAIMED }, waitlist: [{ owner: "bob", task: "JOB-123", branch: "a b", requestedAt: "2026-11-23T11:00:00Z", pool: "gpu" }] };
        const bad = await run(values);
        expect(bad.resources).to.deep.equal([]);
        const programLines = (bad.error as ConfigError).problems.map(formatProblem);
        const dir = mkdtempSync(path.join(tmpdir(), "program-vs-check-"));
        try {
            writeFileSync(path.join(dir, "Pulumi.yaml"), readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml")));
            writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stackYaml(values));
            let stderr = "";
            const code = await cli(["check", "--offline"], { stdout: () => {}, stderr: (t) => (stderr += t), cwd: dir, env: {}, isTTY: false, now: () => NOW });
            expect(code).to.equal(1);
            const checkLines = stderr.trim().split("\n").map((l) => l.replace(/^Pulumi\.staging\.yaml:\d+: /, ""));
            expect(checkLines).to.deep.equal(programLines);
            expect(programLines).to.have.length(3);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("keeps the droplet's inputs, user data included, independent of claims and slot count", async () => {
        const droplet = (ev: Evaluation) => canonical(ofType(ev, "digitalocean:index/droplet:Droplet")[0].inputs);
        const twenty = await run({ ...baseValues(), slotCount: 20 });
        expect(droplet(claimed)).to.equal(droplet(available));
        expect(droplet(twenty)).to.equal(droplet(available));
    });

    it("evaluates the same config to byte-identical inputs every time", async () => {
        const again = await run({ ...baseValues(), claims: { "4": CLAIMED } });
        const all = (ev: Evaluation) => canonical([...ev.resources].map((r) => [key(r), r.inputs, r.protect]).sort());
        expect(all(again)).to.equal(all(claimed));
    });

    it("fails before registering any resource, reporting every problem", async () => {
        const bad = await run({ ...baseValues(), slotCount: 200, claims: { "4": claim({ commit: "abc" }), "5": claim({ branch: "a;b" }) } });
        expect(bad.resources).to.deep.equal([]);
        expect(bad.error).to.be.instanceOf(ConfigError);
        const lines = (bad.error as ConfigError).problems.map(formatProblem);
        expect(lines.some((l) => l.startsWith("staging-slots:slotCount:"))).to.equal(true);
        expect(lines.some((l) => l.startsWith("staging-4 commit:"))).to.equal(true);
        expect(lines.some((l) => l.startsWith("staging-5 branch:"))).to.equal(true);
    });

    it("warns in the preview about a stale claim", async () => {
        const stale = await run({ ...baseValues(), claims: { "4": claim({ claimedAt: "2026-11-21T09:00:00Z" }) } });
        expect(stale.error).to.equal(undefined);
        expect(stale.warnings).to.have.length(1);
        expect(stale.warnings[0]).to.match(/^staging-4 longRunning: claimed by alice for JOB-123 at 2026-11-21T09:00:00Z, over 24 hours ago/);
    });

    it("outputs every slot's URL, ports, database, status and holder, and the seed's registry table", () => {
        const slots = claimed.outputs?.slots as Array<Record<string, unknown>>;
        expect(slots).to.have.length(10);
        expect(slots[3]).to.deep.equal({
            slot: 4, identifier: "staging-4", url: "https://staging-4.justapply.net", campaignUiPort: 5004, airflowPort: 8084,
            database: "job_search_staging_4", status: "In Use", owner: "alice", task: "JOB-123", branch: "feature/login",
            commit: CLAIMED.commit, deployedAt: MOCK_DEPLOYED_AT, host: "staging", freeDiskGb: MOCK_FREE_DISK_GB,
        });
        expect(slots[4]).to.include({ status: "Available", deployedAt: null, host: "staging", freeDiskGb: null });
        const table = claimed.outputs?.registryTable as string;
        expect(table.split("\n")[5]).to.equal(`| 4 | In Use | alice | feature/login | ${CLAIMED.commit} | ${MOCK_DEPLOYED_AT} | QA for PR #123 |`);
    });

    it("installs the repository read key over SSH, only when the secret is set, never in command text", async () => {
        expect(index(claimed).has("command:remote:Command::staging-repository-key")).to.equal(false);
        const withKey = await run({ ...baseValues(), claims: { "4": CLAIMED } }, { deployPrivateKey: SECRETS.deployPrivateKey, repositoryKey: SECRETS.repositoryKey });
        const key = index(withKey).get("command:remote:Command::staging-repository-key") as RecordedResource;
        expect(key.slot).to.equal(null);
        expect(key.redacted.stdin).to.equal("[secret]");
        expect(key.inputs.stdin).to.equal(SECRETS.repositoryKey);
        expect(`${String(key.inputs.create)} ${String(key.inputs.delete)}`).to.not.include("TEST-ONLY");
        expect(key.inputs.create).to.include("$HOME/.ssh/id_repository");
        // The droplet itself does not change when the key is added: it is not in user data.
        const droplet = (ev: Evaluation) => canonical(ofType(ev, "digitalocean:index/droplet:Droplet")[0].inputs);
        expect(droplet(withKey)).to.equal(droplet(claimed));
        expect(renderPlan(withKey, "staging")).to.not.include("TEST-ONLY-repository-key");
    });

    it("connects the app with the existing instance's sslmode", async () => {
        const verify = await run(
            { ...baseValues(), postgres: { mode: "existing", host: "db.example.com", user: "admin", sslmode: "verify-full" }, claims: { "4": CLAIMED } },
            { deployPrivateKey: SECRETS.deployPrivateKey, postgresPassword: SECRETS.postgresPassword },
        );
        const stdin = index(verify).get("command:remote:Command::staging-4-deploy")?.inputs.stdin as string;
        expect(stdin).to.match(/^DATABASE_URL=postgresql:\/\/job_search_staging_4:[^@]+@db\.example\.com:5432\/job_search_staging_4\?sslmode=verify-full$/m);
    });

    it("never shows a secret value in outputs, redacted inputs or the plan", async () => {
        const existing = await run(
            { ...baseValues(), postgres: { mode: "existing", host: "db.example.com", user: "admin" }, claims: { "4": CLAIMED } },
            { deployPrivateKey: SECRETS.deployPrivateKey, postgresPassword: SECRETS.postgresPassword },
        );
        for (const ev of [claimed, existing]) {
            const printed = [JSON.stringify(ev.outputs), JSON.stringify(ev.resources.map((r) => r.redacted)), renderPlan(ev, "staging")].join("\n");
            for (const secret of [SECRETS.postgresPassword, "TEST-ONLY-deploy-key", "mock-password-for", "mock-cluster-admin-password"]) {
                expect(printed, secret).to.not.include(secret);
            }
        }
        const appUrl = /^DATABASE_URL=(.*)$/m.exec(index(existing).get("command:remote:Command::staging-4-deploy")?.inputs.stdin as string)?.[1];
        expect(appUrl).to.match(/@db\.example\.com:5432\/job_search_staging_4\?sslmode=require$/);
        const provider = ofType(existing, "pulumi:providers:postgresql")[0];
        // Provider inputs travel to the engine as strings.
        expect(provider.inputs).to.deep.include({ host: "db.example.com", port: "5432", username: "admin", sslmode: "require", superuser: "false" });
        expect(provider.redacted.password).to.equal("[secret]");
        expect(ofType(existing, "digitalocean:index/databaseCluster:DatabaseCluster")).to.deep.equal([]);
    });

    it("outputs each slot's host and the free disk its deployment reported: the same every run, no secret", async () => {
        const values = {
            ...baseValues(),
            hosts: { staging: { slots: [1, 2, 3, 4, 5] }, "staging-b": { slots: [6, 7, 8, 9, 10] } },
            claims: { "4": CLAIMED, "7": claim({ task: "JOB-7" }) },
        };
        const [a, b] = [await run(values), await run(values)];
        expect(a.error, a.error?.message).to.equal(undefined);
        // Nothing of it comes from a clock or a random value: two runs give the same outputs.
        expect(canonical(a.outputs)).to.equal(canonical(b.outputs));
        const slots = a.outputs?.slots as Array<Record<string, unknown>>;
        expect(slots.map((s) => [s.slot, s.host, s.freeDiskGb])).to.deep.equal([
            [1, "staging", null], [2, "staging", null], [3, "staging", null], [4, "staging", MOCK_FREE_DISK_GB], [5, "staging", null],
            [6, "staging-b", null], [7, "staging-b", MOCK_FREE_DISK_GB], [8, "staging-b", null], [9, "staging-b", null], [10, "staging-b", null],
        ]);
        const printed = JSON.stringify(a.outputs);
        for (const secret of ["TEST-ONLY-deploy-key", "mock-password-for", "mock-cluster-admin-password", "DATABASE_URL", "STAGING_DEPLOY_RESULT"]) {
            expect(printed, secret).to.not.include(secret);
        }
    });
});

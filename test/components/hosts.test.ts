import { expect } from "chai";
import { readFileSync } from "node:fs";

import { caddySites } from "../../policy/policies";
import { canonicalJson as canonical, diffEvaluations } from "../../offline/planDiff";
import { renderPlan } from "../../offline/planText";
import { Evaluation, RecordedResource, evaluate, mockDropletId, mockReservedIp } from "../../offline/recorder";
import { BASELINE_FILE, BaselineResource, baselineOf, baselineValues } from "../helpers/baseline";
import { NOW, SECRETS, baseValues, claim, engineConfig } from "../helpers/config";

function run(values: Record<string, unknown>, secrets?: Parameters<typeof engineConfig>[1]): Promise<Evaluation> {
    return evaluate(engineConfig(values, secrets), { now: NOW });
}

function ok(ev: Evaluation): Evaluation {
    expect(ev.error, ev.error?.message).to.equal(undefined);
    return ev;
}

function named(ev: Evaluation, type: string, name: string): RecordedResource {
    const r = ev.resources.find((x) => x.type === type && x.name === name);
    expect(r, `${type} ${name}`).to.not.equal(undefined);
    return r as RecordedResource;
}

function ofType(ev: Evaluation, type: string): RecordedResource[] {
    return ev.resources.filter((r) => r.type === type);
}

/** `op name` of every resource that differs between two evaluations, as `slots plan` finds them. */
function changes(a: Evaluation, b: Evaluation): string[] {
    return diffEvaluations(ok(a).resources, ok(b).resources).map((c) => `${c.op} ${c.name}`);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const THREE_HOSTS = {
    staging: { slots: range(1, 4) },
    "staging-b": { slots: range(5, 7) },
    "staging-c": { slots: range(8, 10), size: "s-8vcpu-16gb" },
};
const WITH_KEY = { deployPrivateKey: SECRETS.deployPrivateKey, repositoryKey: SECRETS.repositoryKey };

describe("hosts: slots spread over several droplets", () => {
    describe("an existing single-host stack", () => {
        it("registers exactly what it registered before hosts existed (recorded baseline)", async () => {
            const ev = ok(await run(baselineValues(baseValues()), WITH_KEY));
            const recorded = JSON.parse(readFileSync(BASELINE_FILE, "utf8")) as BaselineResource[];
            const now = baselineOf(ev);
            // Same URNs (so no rename and no alias needed), same parents, options and inputs.
            expect(now.map((r) => r.urn)).to.deep.equal(recorded.map((r) => r.urn));
            expect(now).to.deep.equal(recorded);
        });

        it("sees no change when the same placement is written out as hosts", async () => {
            const implicit = await run(baselineValues(baseValues()), WITH_KEY);
            const explicit = await run({ ...baselineValues(baseValues()), hosts: { staging: { slots: range(1, 10) } } }, WITH_KEY);
            expect(changes(implicit, explicit)).to.deep.equal([]);
        });

        it("keeps its droplet settings: a host entry falls back to dropletSize, dropletImage, region and sshHostKey", async () => {
            const top = { ...baseValues(), dropletSize: "s-2vcpu-4gb", sshHostKey: "ssh-ed25519 AAAAHostKeyOnlyForTests", claims: { "4": claim() } };
            const implicit = await run(top);
            const explicit = await run({ ...top, hosts: { staging: { slots: range(1, 10) } } });
            expect(changes(implicit, explicit)).to.deep.equal([]);
            expect(named(explicit, "digitalocean:index/droplet:Droplet", "staging-droplet").inputs.size).to.equal("s-2vcpu-4gb");
        });
    });

    describe("three hosts", () => {
        let ev: Evaluation;
        before(async () => {
            ev = ok(await run({ ...baseValues(), hosts: THREE_HOSTS, claims: { "2": claim({ task: "JOB-2" }), "6": claim() } }, WITH_KEY));
        });

        it("makes one StagingHost per host with its droplet, reserved IP, assignment, firewall, Caddy and key, named after the host", () => {
            expect(ofType(ev, "jobsearch:staging:StagingHost").map((r) => r.name)).to.deep.equal(["staging", "staging-b", "staging-c"]);
            for (const host of ["staging", "staging-b", "staging-c"]) {
                const parent = `urn:pulumi:staging::staging-slots::jobsearch:staging:StagingHost::${host}`;
                const children = ev.resources.filter((r) => r.host === host && r.custom).map((r) => `${r.type} ${r.name}`).sort();
                expect(children, host).to.deep.equal([
                    `command:remote:Command ${host}-caddy`,
                    `command:remote:Command ${host}-repository-key`,
                    `digitalocean:index/droplet:Droplet ${host}-droplet`,
                    `digitalocean:index/firewall:Firewall ${host}-firewall`,
                    `digitalocean:index/reservedIp:ReservedIp ${host}-ip`,
                    `digitalocean:index/reservedIpAssignment:ReservedIpAssignment ${host}-ip-assignment`,
                ]);
                for (const r of ev.resources.filter((x) => x.host === host && x.custom)) expect(r.parent, r.name).to.equal(parent);
                expect(named(ev, "digitalocean:index/droplet:Droplet", `${host}-droplet`).protect).to.equal(true);
                expect(named(ev, "digitalocean:index/reservedIp:ReservedIp", `${host}-ip`).protect).to.equal(true);
                expect(named(ev, "digitalocean:index/droplet:Droplet", `${host}-droplet`).inputs.name).to.equal(host);
                expect(named(ev, "digitalocean:index/firewall:Firewall", `${host}-firewall`).inputs.dropletIds).to.deep.equal([Number(mockDropletId(host))]);
                expect(named(ev, "digitalocean:index/reservedIpAssignment:ReservedIpAssignment", `${host}-ip-assignment`).inputs)
                    .to.deep.include({ ipAddress: mockReservedIp(host), dropletId: Number(mockDropletId(host)) });
            }
            expect(named(ev, "digitalocean:index/droplet:Droplet", "staging-c-droplet").inputs.size).to.equal("s-8vcpu-16gb");
            expect(named(ev, "digitalocean:index/droplet:Droplet", "staging-b-droplet").inputs.size).to.equal("s-4vcpu-8gb");
        });

        it("routes each slot's subdomain in its own host's Caddy only", () => {
            const routed = (host: string) =>
                caddySites(named(ev, "command:remote:Command", `${host}-caddy`).inputs.stdin as string).map((s) => `${s.site}>${s.port}`);
            expect(routed("staging")).to.deep.equal(range(1, 4).map((n) => `staging-${n}.justapply.net>${5000 + n}`));
            expect(routed("staging-b")).to.deep.equal(range(5, 7).map((n) => `staging-${n}.justapply.net>${5000 + n}`));
            expect(routed("staging-c")).to.deep.equal(range(8, 10).map((n) => `staging-${n}.justapply.net>${5000 + n}`));
        });

        it("points each slot's DNS record at its host's reserved IP and connects its deployment to that host", () => {
            const hostOf = (n: number) => (n <= 4 ? "staging" : n <= 7 ? "staging-b" : "staging-c");
            for (const n of range(1, 10)) {
                expect(named(ev, "digitalocean:index/dnsRecord:DnsRecord", `staging-${n}-dns`).inputs.value, `staging-${n}`).to.equal(mockReservedIp(hostOf(n)));
            }
            const connection = (n: number) => named(ev, "command:remote:Command", `staging-${n}-deploy`).inputs.connection as Record<string, unknown>;
            expect(connection(2)).to.include({ host: mockReservedIp("staging"), user: "deploy" });
            expect(connection(6)).to.include({ host: mockReservedIp("staging-b"), user: "deploy" });
            expect(named(ev, "command:remote:Command", "staging-6-deploy").redacted.connection).to.equal("[secret]");
        });

        it("lets every host's droplet reach the managed cluster and lists every host in the project", () => {
            const rules = named(ev, "digitalocean:index/databaseFirewall:DatabaseFirewall", "staging-postgres-trusted-sources").inputs.rules;
            expect(rules).to.deep.equal([
                ...["staging", "staging-b", "staging-c"].map((h) => ({ type: "droplet", value: mockDropletId(h) })),
                { type: "ip_addr", value: "203.0.113.0/24" },
            ]);
            const resources = named(ev, "digitalocean:index/project:Project", "staging-project").inputs.resources as string[];
            expect(resources.slice(0, 6)).to.deep.equal(
                ["staging", "staging-b", "staging-c"].flatMap((h) => [`do:droplet:${mockDropletId(h)}`, `do:reservedip:${mockReservedIp(h)}`]),
            );
            expect(ev.outputs?.ipAddress).to.equal(mockReservedIp("staging"));
        });

        it("never shows a secret in the plan, the outputs or redacted inputs", () => {
            const printed = [renderPlan(ev, "staging"), JSON.stringify(ev.outputs), JSON.stringify(ev.resources.map((r) => r.redacted))].join("\n");
            for (const secret of ["TEST-ONLY-deploy-key", "TEST-ONLY-repository-key", "mock-password-for", "mock-cluster-admin-password"]) {
                expect(printed, secret).to.not.include(secret);
            }
            for (const host of ["staging", "staging-b", "staging-c"]) {
                expect(named(ev, "command:remote:Command", `${host}-repository-key`).redacted.stdin).to.equal("[secret]");
            }
        });

        it("evaluates to the same inputs every time, whatever order the hosts are written in", async () => {
            const reordered = await run(
                { ...baseValues(), hosts: { "staging-c": THREE_HOSTS["staging-c"], staging: THREE_HOSTS.staging, "staging-b": THREE_HOSTS["staging-b"] }, claims: { "2": claim({ task: "JOB-2" }), "6": claim() } },
                WITH_KEY,
            );
            const all = (e: Evaluation) => canonical(e.resources.map((r) => [r.urn, r.inputs, r.protect, r.parent]));
            expect(all(ok(reordered))).to.equal(all(ev));
        });
    });

    describe("a claim on a slot of the second host", () => {
        it("changes exactly that slot's deployment and registry row, for claim, re-point and release", async () => {
            const values = { ...baseValues(), hosts: THREE_HOSTS };
            const available = await run(values);
            const claimed = await run({ ...values, claims: { "6": claim() } });
            const repointed = await run({ ...values, claims: { "6": claim({ commit: "fedcba9876543210fedcba9876543210fedcba98" }) } });
            expect(changes(available, claimed)).to.deep.equal(["create staging-6-deploy", "update staging-6-registry"]);
            // A new commit replaces the deployment (its triggers changed): the new one is created first.
            expect(changes(claimed, repointed)).to.deep.equal(["replace staging-6-deploy", "update staging-6-registry"]);
            expect(changes(repointed, available)).to.deep.equal(["delete staging-6-deploy", "update staging-6-registry"]);
        });
    });

    describe("changing the placement", () => {
        it("moving a slot changes its DNS record, its deployment's connection and both hosts' Caddy, nothing else", async () => {
            const before = await run({ ...baseValues(), hosts: THREE_HOSTS, claims: { "2": claim({ task: "JOB-2" }) } });
            const moved = await run({
                ...baseValues(),
                hosts: { ...THREE_HOSTS, "staging-b": { slots: [5, 6] }, "staging-c": { ...THREE_HOSTS["staging-c"], slots: [7, 8, 9, 10] } },
                claims: { "2": claim({ task: "JOB-2" }) },
            });
            const diff = diffEvaluations(ok(before).resources, ok(moved).resources);
            expect(diff.map((c) => `${c.op} ${c.name} ${c.slot} ${c.keys.join(",")}`)).to.deep.equal([
                "update staging-7-dns 7 value",
                "update staging-b-caddy null stdin",
                "update staging-c-caddy null stdin",
            ]);
        });

        it("adding a host for new slots creates that host and the new slots, and touches only the shared lists of droplets", async () => {
            const ten = await run(baseValues());
            const twenty = await run({ ...baseValues(), slotCount: 20, hosts: { staging: { slots: range(1, 10) }, "staging-b": { slots: range(11, 20) } } });
            const diff = diffEvaluations(ok(ten).resources, ok(twenty).resources);
            const updates = diff.filter((c) => c.op === "update").map((c) => `${c.name} ${c.keys.join(",")}`);
            expect(updates).to.deep.equal(["staging-postgres-trusted-sources rules", "staging-project resources"]);
            expect(diff.filter((c) => c.op === "delete")).to.deep.equal([]);
            const created = diff.filter((c) => c.op === "create");
            expect(created.filter((c) => c.slot === null).map((c) => c.name).sort()).to.deep.equal(
                ["staging-b", "staging-b-caddy", "staging-b-droplet", "staging-b-firewall", "staging-b-ip", "staging-b-ip-assignment"],
            );
            expect(new Set(created.filter((c) => c.slot !== null).map((c) => c.slot))).to.deep.equal(new Set(range(11, 20)));
        });

        it("one host with another name holds every slot", async () => {
            const ev = ok(await run({ ...baseValues(), slotCount: 3, hosts: { alpha: { slots: [1, 2, 3] } } }));
            expect(ofType(ev, "digitalocean:index/droplet:Droplet").map((r) => r.name)).to.deep.equal(["alpha-droplet"]);
            expect(named(ev, "digitalocean:index/dnsRecord:DnsRecord", "staging-3-dns").inputs.value).to.equal(mockReservedIp("alpha"));
            expect(ev.outputs?.ipAddress).to.equal(mockReservedIp("alpha"));
        });
    });
});

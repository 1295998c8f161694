import { expect } from "chai";
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";

import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzeRequest, AnalyzeResponse, AnalyzerInfo, AnalyzerResourceOptions } from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

import { evaluate } from "../../offline/recorder";
import {
    caddySites,
    isPublicSource,
    noPublicIngressExceptWeb,
    policies,
    protectedResourcesProtected,
    slotPortsUnique,
} from "../../policy/policies";
import { NOW, baseValues, claim, engineConfig } from "../helpers/config";
import { TestResource, fromEvaluation, runResourcePolicy, runStackPolicy } from "./policyHarness";

async function programResources(claims: Record<string, unknown> = { "4": claim(), "7": claim({ task: "JOB-7" }) }): Promise<TestResource[]> {
    const ev = await evaluate(engineConfig({ ...baseValues(), claims }), { now: NOW });
    expect(ev.error, ev.error?.message).to.equal(undefined);
    return fromEvaluation(ev.resources);
}

function edit(resources: readonly TestResource[], name: string, change: (r: TestResource) => TestResource): TestResource[] {
    expect(resources.map((r) => r.name)).to.include(name);
    return resources.map((r) => (r.name === name ? change(structuredClone(r)) : r));
}

async function violations(resources: readonly TestResource[]): Promise<string[]> {
    return [
        ...(await runResourcePolicy(noPublicIngressExceptWeb, resources)),
        ...(await runResourcePolicy(protectedResourcesProtected, resources)),
        ...(await runStackPolicy(slotPortsUnique, resources)),
    ];
}

describe("policy pack: the stack's invariants inside the engine", () => {
    let program: TestResource[];
    before(async () => {
        program = await programResources();
    });

    it("passes the real program's resources, with two slots claimed", async () => {
        expect(program.filter((r) => r.type === "command:remote:Command").length).to.be.greaterThan(2);
        expect(await violations(program)).to.deep.equal([]);
    });

    it("lists its four policies as mandatory", () => {
        expect(policies.map((p) => [p.name, p.enforcementLevel])).to.deep.equal([
            ["staging-no-public-ingress-except-web", "mandatory"],
            ["staging-protected-resources-protected", "mandatory"],
            ["staging-slot-ports-unique", "mandatory"],
            ["staging-image-built-from-its-commit", "mandatory"],
        ]);
    });

    describe("no public firewall rule other than 80/443", () => {
        const firewallCases: Array<{ title: string; rule: Record<string, unknown>; violates: boolean }> = [
            { title: "SSH from anywhere", rule: { protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0"] }, violates: true },
            { title: "a slot's Airflow port from anywhere (IPv6)", rule: { protocol: "tcp", portRange: "8084", sourceAddresses: ["::/0"] }, violates: true },
            { title: "every port from a /4", rule: { protocol: "tcp", portRange: "1-65535", sourceAddresses: ["0.0.0.0/4"] }, violates: true },
            { title: "UDP 443 from anywhere", rule: { protocol: "udp", portRange: "443", sourceAddresses: ["0.0.0.0/0"] }, violates: true },
            { title: "ICMP from anywhere", rule: { protocol: "icmp", sourceAddresses: ["0.0.0.0/0"] }, violates: true },
            { title: "a range that covers 80 and 443", rule: { protocol: "tcp", portRange: "80-443", sourceAddresses: ["0.0.0.0/0"] }, violates: true },
            {
                title: "SSH from 256 /8 blocks that each look narrow but add up to the whole internet",
                rule: { protocol: "tcp", portRange: "22", sourceAddresses: Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`) },
                violates: true,
            },
            { title: "SSH from two admin /8 blocks", rule: { protocol: "tcp", portRange: "22", sourceAddresses: ["10.0.0.0/8", "11.0.0.0/8"] }, violates: false },
            { title: "SSH from an admin /24", rule: { protocol: "tcp", portRange: "22", sourceAddresses: ["198.51.100.0/24"] }, violates: false },
            { title: "HTTPS from anywhere", rule: { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] }, violates: false },
        ];
        for (const c of firewallCases) {
            it(`${c.violates ? "refuses" : "allows"} ${c.title}`, async () => {
                const resources = edit(program, "staging-firewall", (r) => ({
                    ...r,
                    props: { ...r.props, inboundRules: [...(r.props.inboundRules as unknown[]), c.rule] },
                }));
                const found = await runResourcePolicy(noPublicIngressExceptWeb, resources);
                if (c.violates) {
                    expect(found).to.have.length(1);
                    expect(found[0]).to.match(/^staging-firewall: staging-firewall: inbound rule 3 opens .* only tcp 80 and 443 may be public/);
                } else {
                    expect(found).to.deep.equal([]);
                }
            });
        }

        it("refuses a database trusted source open to the internet", async () => {
            const resources = edit(program, "staging-postgres-trusted-sources", (r) => ({
                ...r,
                props: { ...r.props, rules: [...(r.props.rules as unknown[]), { type: "ip_addr", value: "0.0.0.0/0" }] },
            }));
            expect(await runResourcePolicy(noPublicIngressExceptWeb, resources)).to.deep.equal([
                "staging-postgres-trusted-sources: staging-postgres-trusted-sources: trusted source 2 (0.0.0.0/0) lets the internet connect to the database; list the droplet and adminCidrs only",
            ]);
        });

        it("refuses database trusted sources that together cover the internet", async () => {
            const resources = edit(program, "staging-postgres-trusted-sources", (r) => ({
                ...r,
                props: { ...r.props, rules: [...(r.props.rules as unknown[]), ...Array.from({ length: 256 }, (_, i) => ({ type: "ip_addr", value: `${i}.0.0.0/8` }))] },
            }));
            const found = await runResourcePolicy(noPublicIngressExceptWeb, resources);
            expect(found).to.have.length(1);
            expect(found[0]).to.match(/^staging-postgres-trusted-sources: staging-postgres-trusted-sources: trusted sources .* together let the whole internet connect to the database/);
        });

        it("judges sources by width", () => {
            const table: Array<[string, boolean]> = [
                ["0.0.0.0/0", true], ["::/0", true], ["0.0.0.0", true], ["10.0.0.0/7", true], ["2000::/3", true],
                ["10.0.0.0/8", false], ["203.0.113.7/32", false], ["2001:db8::/32", false], ["not-a-cidr", false],
            ];
            for (const [source, open] of table) expect(isPublicSource(source), source).to.equal(open);
        });
    });

    describe("protected resources protected", () => {
        for (const name of ["staging-droplet", "staging-ip", "staging-postgres-cluster", "staging-4-db", "staging-9-db-role"]) {
            it(`refuses ${name} without protect`, async () => {
                const resources = edit(program, name, (r) => ({ ...r, protect: false }));
                const found = await runResourcePolicy(protectedResourcesProtected, resources);
                expect(found).to.have.length(1);
                expect(found[0]).to.match(new RegExp(`^${name}: ${name} \\(.*\\) must be created with protect: true: `));
            });
        }
    });

    describe("slot ports unique", () => {
        function editCaddy(change: (caddyfile: string) => string): TestResource[] {
            return edit(program, "staging-caddy", (r) => ({ ...r, props: { ...r.props, stdin: change(r.props.stdin as string) } }));
        }

        it("reads every slot's site and port from the real Caddyfile", () => {
            const caddy = program.find((r) => r.name === "staging-caddy");
            const sites = caddySites(caddy?.props.stdin as string);
            expect(sites).to.have.length(10);
            expect(sites[3]).to.deep.equal({ site: "staging-4.justapply.net", port: 5004 });
        });

        it("refuses a site proxied to another slot's port, naming both sites", async () => {
            const found = await runStackPolicy(slotPortsUnique, editCaddy((c) => c.replace("reverse_proxy 127.0.0.1:5003", "reverse_proxy 127.0.0.1:5004")));
            expect(found).to.have.members([
                "staging-caddy: staging-caddy: staging-3.justapply.net is proxied to port 5004, but staging-3's Campaign UI listens on 5003",
                "staging-caddy: staging-caddy: port 5004 is proxied for staging-3.justapply.net and staging-4.justapply.net; each slot has its own port",
            ]);
        });

        it("refuses a deployment whose SLOT is not its own slot", async () => {
            const resources = edit(program, "staging-7-deploy", (r) => ({ ...r, props: { ...r.props, stdin: (r.props.stdin as string).replace(/^SLOT=7$/m, "SLOT=4") } }));
            const found = await runStackPolicy(slotPortsUnique, resources);
            expect(found).to.include("staging-7-deploy: staging-7-deploy deploys slot 4 (SLOT=4) but belongs to staging-7; it would take staging-4's ports");
            expect(found).to.include("staging-4-deploy and staging-7-deploy all deploy staging-4: they would share ports 5004 and 8084");
        });

        it("refuses a deployment outside the slot range", async () => {
            const resources = edit(program, "staging-4-deploy", (r) => ({ ...r, name: "extra-deploy", props: { ...r.props, stdin: (r.props.stdin as string).replace(/^SLOT=4$/m, "SLOT=101") } }));
            expect(await runStackPolicy(slotPortsUnique, resources)).to.deep.equal([
                "staging-4-deploy: extra-deploy deploys slot 101, outside 1..100; its ports would collide with another slot's",
            ]);
        });

        it("does not fail when a deployment's stdin is still unknown in a preview", async () => {
            const unknown = program.map((r) => {
                if (r.name !== "staging-4-deploy") return r;
                const props = new Proxy({ ...r.props }, {
                    get: (o, k) => {
                        if (k === "stdin") throw new Error("unknown during preview");
                        return (o as Record<string | symbol, unknown>)[k];
                    },
                });
                return { ...r, props };
            });
            expect(await runStackPolicy(slotPortsUnique, unknown)).to.deep.equal([]);
        });
    });
});

// The pack as the engine runs it: a process serving Pulumi's analyzer gRPC protocol. It loads
// @pulumi/policy from policy/node_modules when installed there, else from the project's.
describe("policy pack served over the analyzer protocol", function () {
    this.timeout(60_000);
    let child: ChildProcess;
    let client: AnalyzerClient;

    before(async () => {
        const root = path.join(__dirname, "..", "..");
        child = spawn(process.execPath, ["-r", require.resolve("tsx/cjs"), "index.ts"], {
            cwd: path.join(root, "policy"),
            env: { ...process.env, NODE_PATH: path.join(root, "node_modules") },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            child.stdout?.on("data", (d: Buffer) => {
                out += d.toString();
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) resolve(Number(m[1]));
            });
            child.on("exit", (code) => reject(new Error(`the policy pack exited (${code}) before serving: ${stderr}`)));
        });
        client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        child?.kill();
    });

    it("announces its four policies", async () => {
        const info = await new Promise<AnalyzerInfo>((resolve, reject) => client.getAnalyzerInfo(new Empty(), (e, r) => (e ? reject(e) : resolve(r))));
        expect(info.getName()).to.equal("staging-slots");
        expect(info.getPoliciesList().map((p) => p.getName())).to.deep.equal(policies.map((p) => p.name));
    });

    it("reports a public SSH rule as a violation of the firewall policy", async () => {
        const req = new AnalyzeRequest()
            .setType("digitalocean:index/firewall:Firewall")
            .setName("staging-firewall")
            .setUrn("urn:pulumi:staging::staging-slots::jobsearch:staging:StagingHost$digitalocean:index/firewall:Firewall::staging-firewall")
            .setProperties(Struct.fromJavaScript({ name: "staging-firewall", inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0"] }] }))
            .setOptions(new AnalyzerResourceOptions().setProtect(false));
        const res = await new Promise<AnalyzeResponse>((resolve, reject) => client.analyze(req, (e, r) => (e ? reject(e) : resolve(r))));
        const diagnostics = res.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getMessage()]);
        expect(diagnostics).to.have.length(1);
        expect(diagnostics[0][0]).to.equal("staging-no-public-ingress-except-web");
        expect(diagnostics[0][1]).to.contain("inbound rule 0 opens tcp 22 to 0.0.0.0/0");
    });
});

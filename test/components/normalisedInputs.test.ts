// The inputs that the providers normalise are written in the form the provider stores and reads
// back, so that `pulumi preview --expect-no-changes` holds right after an `up` (the README's
// "Running for real" lists each with its source). Evaluated offline from the real program.

import { expect } from "chai";

import { Evaluation, RecordedResource, evaluate } from "../../offline/recorder";
import { NOW, baseValues, claim, engineConfig } from "../helpers/config";

function only(ev: Evaluation, type: string, name?: string): RecordedResource[] {
    if (ev.error) throw ev.error;
    return ev.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
}

describe("inputs in the providers' normalised form", function () {
    this.timeout(60_000);
    let ev: Evaluation;
    before(async function () {
        ev = await evaluate(
            engineConfig({ ...baseValues(), region: "nyc3", sshKeys: ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa", "512189"], claims: { "4": claim() } }),
            { now: NOW },
        );
    });

    it("DNS records: the relative name (what the API returns as name) and an explicit TTL (else the API's 1800 is read back)", function () {
        const records = only(ev, "digitalocean:index/dnsRecord:DnsRecord");
        expect(records).to.have.length(10);
        for (const r of records) {
            expect(r.inputs.name).to.match(/^staging-\d+$/);
            expect(r.inputs.type).to.equal("A");
            expect(r.inputs.ttl).to.equal(300);
        }
    });

    it("the droplet and the cluster: lowercase slugs and tags, a major-only PostgreSQL version (the API's version slug)", function () {
        const [droplet] = only(ev, "digitalocean:index/droplet:Droplet");
        const [cluster] = only(ev, "digitalocean:index/databaseCluster:DatabaseCluster");
        for (const r of [droplet, cluster]) {
            for (const key of ["region", "size"]) expect(r.inputs[key], `${r.name}.${key}`).to.equal(String(r.inputs[key]).toLowerCase());
            expect(r.inputs.tags).to.deep.equal(["job-search-staging"]);
        }
        expect(cluster.inputs.version).to.match(/^\d{2}$/);
        expect(cluster.inputs.nodeCount).to.be.a("number");
    });

    it("droplet ssh keys are passed as given: a set in the provider, so their order never shows as a change", function () {
        const [droplet] = only(ev, "digitalocean:index/droplet:Droplet");
        expect(droplet.inputs.sshKeys).to.deep.equal(["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa", "512189"]);
    });

    it("droplet ids of the reserved IP assignment and the firewall are numbers (TypeInt in the provider), not the id string", function () {
        const [assignment] = only(ev, "digitalocean:index/reservedIpAssignment:ReservedIpAssignment");
        const [firewall] = only(ev, "digitalocean:index/firewall:Firewall");
        expect(assignment.inputs.dropletId).to.be.a("number");
        expect(firewall.inputs.dropletIds).to.be.an("array").with.length(1);
        expect((firewall.inputs.dropletIds as unknown[])[0]).to.be.a("number");
    });

    it("firewall rules name their ports as strings and their addresses as CIDRs, the way the API returns them", function () {
        const [firewall] = only(ev, "digitalocean:index/firewall:Firewall");
        const inbound = firewall.inputs.inboundRules as { protocol: string; portRange: string; sourceAddresses: string[] }[];
        for (const rule of inbound) {
            expect(rule.portRange).to.match(/^\d+(-\d+)?$/);
            for (const cidr of rule.sourceAddresses) expect(cidr).to.match(/\/\d+$/);
        }
    });
});

import { expect } from "chai";

import { forcesReplacement, replacingKeys } from "../../offline/replacement";

describe("which input changes replace a resource", () => {
    const cases: Array<{ type: string; changed: string[]; before?: Record<string, unknown>; after?: Record<string, unknown>; replaces: string[] }> = [
        { type: "digitalocean:index/droplet:Droplet", changed: ["size", "tags"], replaces: [] },
        { type: "digitalocean:index/droplet:Droplet", changed: ["image", "size", "sshKeys", "userData"], replaces: ["image", "sshKeys", "userData"] },
        { type: "digitalocean:index/droplet:Droplet", changed: ["ipv6"], before: { ipv6: true }, after: { ipv6: false }, replaces: ["ipv6"] },
        { type: "digitalocean:index/droplet:Droplet", changed: ["ipv6"], before: { ipv6: false }, after: { ipv6: true }, replaces: [] },
        { type: "digitalocean:index/dnsRecord:DnsRecord", changed: ["name", "value", "ttl"], replaces: [] },
        { type: "digitalocean:index/dnsRecord:DnsRecord", changed: ["domain", "type"], replaces: ["domain", "type"] },
        { type: "digitalocean:index/databaseCluster:DatabaseCluster", changed: ["engine", "region", "size", "version"], replaces: ["engine"] },
        { type: "digitalocean:index/reservedIp:ReservedIp", changed: ["region"], replaces: ["region"] },
        { type: "digitalocean:index/reservedIpAssignment:ReservedIpAssignment", changed: ["dropletId"], replaces: ["dropletId"] },
        { type: "digitalocean:index/firewall:Firewall", changed: ["inboundRules", "name"], replaces: [] },
        { type: "postgresql:index/role:Role", changed: ["name", "password"], replaces: [] },
        { type: "postgresql:index/database:Database", changed: ["owner", "encoding"], replaces: ["encoding"] },
        { type: "postgresql:index/grant:Grant", changed: ["privileges", "role"], replaces: ["role"] },
        { type: "random:index/randomPassword:RandomPassword", changed: ["length", "special"], replaces: ["length", "special"] },
        { type: "command:remote:Command", changed: ["create", "delete", "stdin", "triggers"], replaces: ["triggers"] },
        { type: "pulumi-nodejs:dynamic:Resource", changed: ["claim", "target"], replaces: ["target"] },
        { type: "command:remote:Command", changed: ["stdin", "opts.parent", "opts.protect"], replaces: ["opts.parent"] },
        { type: "some:unknown:Type", changed: ["anything"], replaces: [] },
    ];
    for (const c of cases) {
        it(`${c.type}: ${c.changed.join(", ")} → ${c.replaces.length ? `replaced by ${c.replaces.join(", ")}` : "updated in place"}`, () => {
            expect(replacingKeys(c.type, c.changed, c.before ?? {}, c.after ?? {})).to.deep.equal(c.replaces);
        });
    }

    it("marks the inputs npm run plan prints as forcing a replacement", () => {
        expect(forcesReplacement("digitalocean:index/droplet:Droplet", "image")).to.equal(true);
        expect(forcesReplacement("digitalocean:index/droplet:Droplet", "size")).to.equal(false);
        expect(forcesReplacement("random:index/randomPassword:RandomPassword", "length")).to.equal(true);
    });
});

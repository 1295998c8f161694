import { expect } from "chai";

import { defaultHosts, formatMove, hostOfSlot, movedSlots } from "../../components/hosts";
import { HostSettings } from "../../components/settings";
import { formatProblem, validateSettings } from "../../components/validation";
import { NOW } from "../helpers/config";
import { BadCase, errorsOf, values } from "../helpers/validation";

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const split = (extra: Record<string, unknown> = {}) => ({ staging: { slots: range(1, 5) }, "staging-b": { slots: range(6, 10), ...extra } });

// `says` is matched against the problem's whole line as the user reads it.
const BAD: BadCase[] = [
    { name: "hosts that is a list", raw: values({ hosts: ["staging"] }), field: "hosts", says: /^staging-slots:hosts: must be a map of host name to \{slots: \[N, …\]/ },
    { name: "no host at all", raw: values({ hosts: {} }), field: "hosts", says: /lists no host; .* remove the key for the single host staging/ },
    { name: "a slot on two hosts", raw: values({ hosts: { staging: { slots: range(1, 6) }, "staging-b": { slots: range(6, 10) } } }), slot: 6, field: "hosts.staging-b.slots", says: /^staging-6 hosts.staging-b.slots: slot 6 is on hosts staging and staging-b; a slot runs on exactly one host/ },
    { name: "a slot on no host", raw: values({ hosts: { staging: { slots: range(1, 5) }, "staging-b": { slots: range(6, 9) } } }), slot: 10, field: "hosts", says: /^staging-10 hosts: slot 10 is on no host; add it to the slots of exactly one host/ },
    { name: "a slot listed twice on one host", raw: values({ hosts: { staging: { slots: [...range(1, 10), 3] } } }), slot: 3, field: "hosts.staging.slots", says: /slot 3 is listed twice on host staging/ },
    { name: "a slot beyond the pool", raw: values({ hosts: { staging: { slots: [...range(1, 10), 11] } } }), field: "hosts.staging.slots", says: /^staging-slots:hosts\.staging\.slots: slot number 11 is not a slot of this pool of 10; use numbers 1 to 10/ },
    { name: "a slot written as a string", raw: values({ hosts: { staging: { slots: [...range(1, 9), "10"] } } }), field: "hosts.staging.slots", says: /slot "10" is not a slot of this pool/ },
    { name: "a host without slots", raw: values({ hosts: { ...split(), "staging-c": { size: "s-2vcpu-4gb" } } }), field: "hosts.staging-c.slots", says: /must be a non-empty list of slot numbers/ },
    { name: "a host that is not a map", raw: values({ hosts: { staging: range(1, 10) } }), field: "hosts.staging", says: /must be a map with slots: \[N, …\]/ },
    { name: "an unknown host field", raw: values({ hosts: split({ sizee: "s-2vcpu-4gb" }) }), field: "hosts.staging-b.sizee", says: /unknown host field "sizee"; the fields are slots, size, image, region, sshHostKey/ },
    { name: "a host name with capitals", raw: values({ hosts: { staging: { slots: range(1, 5) }, Staging2: { slots: range(6, 10) } } }), field: "hosts.Staging2", says: /must be lowercase letters, digits and '-'/ },
    { name: "a host named like a slot", raw: values({ hosts: { staging: { slots: range(1, 5) }, "staging-2": { slots: range(6, 10) } } }), field: "hosts.staging-2", says: /reads as a slot's name/ },
    { name: "a host size that is not a string", raw: values({ hosts: split({ size: 4 }) }), field: "hosts.staging-b.size", says: /size must be a one-line string/ },
    { name: "a host in another region than the managed cluster", raw: values({ hosts: split({ region: "sfo3" }) }), field: "hosts.staging-b.region", says: /host staging-b is in sfo3, but the managed PostgreSQL cluster is in nyc3 .* use region nyc3, or postgres\.mode: existing/ },
    { name: "one top-level sshHostKey for several hosts", raw: values({ sshHostKey: "ssh-ed25519 AAAAkey", hosts: split() }), field: "sshHostKey", says: /lists 2 hosts; move it to the host it belongs to \(hosts\.<name>\.sshHostKey\)/ },
];

describe("validation of staging-slots:hosts", () => {
    for (const c of BAD) {
        it(`refuses ${c.name}, naming ${c.slot !== undefined ? `staging-${c.slot} and ` : ""}${c.field}`, () => {
            const errors = errorsOf(c.raw);
            const match = errors.find((p) => p.field === c.field && p.slot === c.slot && c.says.test(formatProblem(p)));
            expect(match, `errors were:\n${errors.map(formatProblem).join("\n")}`).to.not.equal(undefined);
            expect(validateSettings(c.raw, NOW).settings).to.equal(undefined);
        });
    }

    it("reports every misplaced slot at once", () => {
        const errors = errorsOf(values({ hosts: { staging: { slots: [1, 2, 3, 4] }, "staging-b": { slots: [4, 5] } } })).map(formatProblem);
        expect(errors.filter((l) => /is on no host/.test(l))).to.have.length(5);
        expect(errors.filter((l) => /^staging-4 hosts.staging-b.slots: slot 4 is on hosts staging and staging-b/.test(l))).to.have.length(1);
    });

    it("defaults to one host named staging with the top-level droplet settings and every slot", () => {
        const s = validateSettings(values({ dropletSize: "s-2vcpu-4gb", region: "ams3", sshHostKey: "ssh-ed25519 AAAAkey" }), NOW).settings;
        expect(s?.hosts).to.deep.equal([{ name: "staging", size: "s-2vcpu-4gb", image: "ubuntu-24-04-x64", region: "ams3", slots: range(1, 10), sshHostKey: "ssh-ed25519 AAAAkey" }]);
    });

    it("accepts several hosts, sorted by name, each falling back to the top-level settings", () => {
        const s = validateSettings(
            values({
                postgres: { mode: "existing", host: "db.example.com", user: "admin" },
                postgresPassword: "[secret]",
                hosts: { "staging-b": { slots: [10, 6, 7, 8, 9], region: "sfo3", size: "s-8vcpu-16gb", sshHostKey: "ssh-ed25519 AAAAb" }, staging: { slots: range(1, 5) } },
            }),
            NOW,
        ).settings;
        expect(s?.hosts).to.deep.equal([
            { name: "staging", size: "s-4vcpu-8gb", image: "ubuntu-24-04-x64", region: "nyc3", slots: range(1, 5) },
            { name: "staging-b", size: "s-8vcpu-16gb", image: "ubuntu-24-04-x64", region: "sfo3", slots: range(6, 10), sshHostKey: "ssh-ed25519 AAAAb" },
        ]);
    });

    it("keeps a top-level sshHostKey for a single listed host", () => {
        const s = validateSettings(values({ sshHostKey: "ssh-ed25519 AAAAkey", hosts: { staging: { slots: range(1, 10) } } }), NOW).settings;
        expect(s?.hosts[0].sshHostKey).to.equal("ssh-ed25519 AAAAkey");
    });
});

describe("placement helpers", () => {
    const d = { slotCount: 4, region: "nyc3", dropletSize: "s", dropletImage: "i", postgresMode: "managed" as const };
    const two: HostSettings[] = [
        { name: "a", size: "s", image: "i", region: "nyc3", slots: [1, 2] },
        { name: "b", size: "s", image: "i", region: "nyc3", slots: [3, 4] },
    ];

    it("maps each slot to its host", () => {
        expect([...hostOfSlot(two)]).to.deep.equal([[1, "a"], [2, "a"], [3, "b"], [4, "b"]]);
        expect([...hostOfSlot(defaultHosts(d))]).to.deep.equal([[1, "staging"], [2, "staging"], [3, "staging"], [4, "staging"]]);
    });

    it("finds the slots that moved, in slot order, ignoring slots added or removed", () => {
        const after: HostSettings[] = [
            { ...two[0], slots: [1, 4] },
            { ...two[1], slots: [2, 3, 5] },
        ];
        expect(movedSlots(two, after)).to.deep.equal([{ slot: 2, from: "a", to: "b" }, { slot: 4, from: "b", to: "a" }]);
        expect(movedSlots(two, two)).to.deep.equal([]);
        expect(formatMove({ slot: 2, from: "a", to: "b" })).to.match(/^staging-2 moves from host a to host b: a host change/);
    });
});

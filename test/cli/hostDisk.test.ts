// Free disk per host and the slot's host in `slots status`, as pure functions: which deployment's
// report a host shows, how the stack outputs are read (the very outputs the program makes under
// mocks), and the {host} placeholder of --url-template.

import { expect } from "chai";

import { slotLayout } from "../../components/catalogue";
import { HostSettings } from "../../components/settings";
import { Deployment, deploymentsOf } from "../../cli/deployments";
import { HostStatus, OUTPUTS_NOT_READ, freeDiskText, hostDisk, slotRanges } from "../../cli/hostDisk";
import { UsageError } from "../../cli/io";
import { checkUrlTemplate, hostLines, probeUrl } from "../../cli/status";
import { MOCK_DEPLOYED_AT, MOCK_FREE_DISK_GB, evaluate } from "../../offline/recorder";
import { NOW, baseValues, claim, engineConfig } from "../helpers/config";

const host = (name: string, slots: number[]): HostSettings => ({ name, slots, size: "s-4vcpu-8gb", image: "ubuntu-24-04-x64", region: "nyc3" });
const HOSTS = [host("staging", [1, 2, 3, 4]), host("staging-b", [5, 6, 7])];
const dep = (h: string | null, deployedAt: string | null, freeDiskGb: number | null): Deployment => ({ commit: "a".repeat(40), deployedAt, host: h, freeDiskGb });

describe("free disk per host", () => {
    const cases: Array<{ name: string; deployments: Map<number, Deployment> | undefined; want: Array<Pick<HostStatus, "freeDiskGb" | "reportedBy">> }> = [
        {
            name: "outputs not read: every host unknown",
            deployments: undefined,
            want: [{ freeDiskGb: null, reportedBy: null }, { freeDiskGb: null, reportedBy: null }],
        },
        {
            name: "the latest deployment on a host wins",
            deployments: new Map([[1, dep("staging", "2026-11-23T10:00:00Z", 30.2)], [3, dep("staging", "2026-11-23T11:30:00Z", 28.7)], [6, dep("staging-b", "2026-11-22T09:00:00Z", 55)]]),
            want: [{ freeDiskGb: 28.7, reportedBy: { slot: 3, deployedAt: "2026-11-23T11:30:00Z" } }, { freeDiskGb: 55, reportedBy: { slot: 6, deployedAt: "2026-11-22T09:00:00Z" } }],
        },
        {
            name: "a tie goes to the lower slot",
            deployments: new Map([[4, dep("staging", "2026-11-23T10:00:00Z", 10)], [2, dep("staging", "2026-11-23T10:00:00Z", 12)]]),
            want: [{ freeDiskGb: 12, reportedBy: { slot: 2, deployedAt: "2026-11-23T10:00:00Z" } }, { freeDiskGb: null, reportedBy: null }],
        },
        {
            name: "a slot the outputs still place on another host (moved, not redeployed) does not count",
            deployments: new Map([[5, dep("staging", "2026-11-23T12:00:00Z", 3)], [1, dep("staging", "2026-11-23T08:00:00Z", 20)]]),
            want: [{ freeDiskGb: 20, reportedBy: { slot: 1, deployedAt: "2026-11-23T08:00:00Z" } }, { freeDiskGb: null, reportedBy: null }],
        },
        {
            name: "a deployment that did not report free disk, or outputs older than the host field, do not count",
            deployments: new Map([[1, dep("staging", "2026-11-23T12:00:00Z", null)], [2, dep(null, "2026-11-23T12:00:00Z", 40)], [5, dep("staging-b", null, 9)]]),
            want: [{ freeDiskGb: null, reportedBy: null }, { freeDiskGb: null, reportedBy: null }],
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const got = hostDisk(HOSTS, c.deployments);
            expect(got.map((h) => h.name)).to.deep.equal(["staging", "staging-b"]);
            expect(got.map((h) => h.slots)).to.deep.equal([[1, 2, 3, 4], [5, 6, 7]]);
            expect(got.map(({ freeDiskGb, reportedBy }) => ({ freeDiskGb, reportedBy }))).to.deep.equal(c.want);
            // Unknown always carries why; known never does.
            for (const h of got) expect(h.note === null, h.name).to.equal(h.freeDiskGb !== null);
            if (!c.deployments) for (const h of got) expect(h.note).to.equal(OUTPUTS_NOT_READ);
        });
    }

    it("prints a known figure with where it came from, an unknown one with why", () => {
        const [known, unknown] = hostDisk(HOSTS, new Map([[3, dep("staging", "2026-11-23T11:30:00Z", 28)]]));
        expect(freeDiskText(known)).to.equal("28.0 GB (after staging-3's deployment at 2026-11-23T11:30:00Z)");
        expect(freeDiskText(unknown)).to.match(/^unknown \(no deployment on this host has reported it yet/);
        expect(hostLines([known, unknown])).to.deep.equal([
            "HOST       SLOTS  FREE DISK",
            "staging    1-4    28.0 GB (after staging-3's deployment at 2026-11-23T11:30:00Z)",
            `staging-b  5-7    ${freeDiskText(unknown)}`,
        ]);
    });

    const ranges: Array<[number[], string]> = [[[1], "1"], [[1, 2, 3], "1-3"], [[1, 3], "1, 3"], [[1, 2, 4, 6, 7, 8], "1-2, 4, 6-8"], [[], ""]];
    for (const [slots, text] of ranges) it(`writes slots ${JSON.stringify(slots)} as "${text}"`, () => expect(slotRanges(slots)).to.equal(text));
});

describe("the stack outputs' host and free disk", () => {
    it("reads each slot's host and free disk from the outputs the program makes", async () => {
        const values = { ...baseValues(), hosts: { staging: { slots: [1, 2, 3, 4, 5] }, "staging-b": { slots: [6, 7, 8, 9, 10] } }, claims: { "4": claim(), "7": claim({ task: "JOB-7" }) } };
        const ev = await evaluate(engineConfig(values), { now: NOW });
        expect(ev.error, ev.error?.message).to.equal(undefined);
        // What `pulumi stack output --json` prints: the outputs as JSON.
        const read = deploymentsOf(JSON.stringify(ev.outputs));
        expect(read?.get(4)).to.deep.equal({ commit: claim().commit, deployedAt: MOCK_DEPLOYED_AT, host: "staging", freeDiskGb: MOCK_FREE_DISK_GB });
        expect(read?.get(7)).to.include({ host: "staging-b", freeDiskGb: MOCK_FREE_DISK_GB });
        expect(read?.get(8)).to.deep.equal({ commit: null, deployedAt: null, host: "staging-b", freeDiskGb: null });
        const disk = hostDisk([host("staging", [1, 2, 3, 4, 5]), host("staging-b", [6, 7, 8, 9, 10])], read);
        expect(disk.map((h) => [h.name, h.freeDiskGb, h.reportedBy?.slot])).to.deep.equal([["staging", MOCK_FREE_DISK_GB, 4], ["staging-b", MOCK_FREE_DISK_GB, 7]]);
    });

    it("takes outputs written before host and free disk existed as unknown, and a nonsense figure as none", () => {
        const read = deploymentsOf(JSON.stringify({ slots: [{ slot: 1, commit: "a".repeat(40), deployedAt: "t" }, { slot: 2, host: 7, freeDiskGb: -1 }, { slot: 3, freeDiskGb: "lots" }] }));
        expect(read?.get(1)).to.deep.equal({ commit: "a".repeat(40), deployedAt: "t", host: null, freeDiskGb: null });
        expect(read?.get(2)).to.include({ host: null, freeDiskGb: null });
        expect(read?.get(3)).to.include({ freeDiskGb: null });
    });
});

describe("--url-template {host}", () => {
    it("expands {host} to the slot's host, `staging` when none is given", () => {
        const s = slotLayout(7, "justapply.net");
        expect(probeUrl(s, "justapply.net", "http://{host}.internal:{campaignUiPort}/", "staging-b")).to.equal("http://staging-b.internal:5007/api/version");
        expect(probeUrl(s, "justapply.net", "http://{host}.internal:{campaignUiPort}")).to.equal("http://staging.internal:5007/api/version");
        expect(probeUrl(s, "justapply.net", undefined, "staging-b")).to.equal("https://staging-7.justapply.net/api/version");
    });

    it("accepts {host} and still names every placeholder for an unknown one", () => {
        expect(checkUrlTemplate("http://{host}:{campaignUiPort}", "usage")).to.equal("http://{host}:{campaignUiPort}");
        expect(() => checkUrlTemplate("http://{hostname}", "usage"))
            .to.throw(UsageError, "--url-template: unknown placeholder {hostname}; use {slot}, {identifier}, {domain}, {campaignUiPort}, {host}");
    });
});

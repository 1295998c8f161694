import { expect } from "chai";

import { renderPlan, slotHosts } from "../../offline/planText";
import { evaluate } from "../../offline/recorder";
import { NOW, baseValues, claim, engineConfig } from "../helpers/config";

describe("npm run plan with several hosts", () => {
    it("groups by host, then slot: each host's resources, then the slots it runs", async () => {
        const ev = await evaluate(
            engineConfig({ ...baseValues(), slotCount: 5, pools: { qa: [1, 2, 3, 4, 5] }, hosts: { "staging-b": { slots: [2, 4] }, staging: { slots: [1, 3, 5] } }, claims: { "4": claim() } }),
            { now: NOW },
        );
        expect(ev.error).to.equal(undefined);
        expect([...slotHosts(ev.resources)].sort((a, b) => a[0] - b[0])).to.deep.equal([[1, "staging"], [2, "staging-b"], [3, "staging"], [4, "staging-b"], [5, "staging"]]);
        const text = renderPlan(ev, "staging");
        const headings = text.split("\n").filter((l) => /^(host |staging-\d+ |shared )/.test(l)).map((l) => l.split("  ")[0]);
        expect(headings).to.deep.equal([
            "shared resources (database, project, registry)",
            "host staging: slots 1, 3, 5",
            "staging-1", "staging-3", "staging-5",
            "host staging-b: slots 2, 4",
            "staging-2", "staging-4",
        ]);
        const hostB = text.slice(text.indexOf("\nhost staging-b:"), text.indexOf("\nstaging-2  "));
        expect(hostB).to.include("digitalocean:index/droplet:Droplet staging-b-droplet [protected]");
        expect(hostB).to.include("command:remote:Command staging-b-caddy");
        expect(hostB).to.not.include("staging-droplet");
        const slot4 = text.slice(text.indexOf("\nstaging-4  "));
        expect(slot4).to.include("staging-4  In Use by alice for JOB-123");
        expect(slot4).to.include("command:remote:Command staging-4-deploy");
    });
});

describe("npm run plan with images built once", () => {
    it("lists the registry, its tokens and each commit's images in their own group, with no checkout", async () => {
        const ev = await evaluate(
            engineConfig({ ...baseValues(), images: { web: { context: "." } }, claims: { "4": claim() } }),
            { now: NOW },
        );
        expect(ev.error).to.equal(undefined);
        const text = renderPlan(ev, "staging");
        const group = text.slice(text.indexOf("\nimages: built once"), text.indexOf("\nhost staging:"));
        expect(group).to.include("digitalocean:index/containerRegistry:ContainerRegistry staging-images-registry");
        expect(group).to.include("docker:index/image:Image image-web-0123456789abcdef0123456789abcdef01234567");
        expect(group).to.include("      registry: [secret]");
        expect(text.slice(0, text.indexOf("\nimages: built once"))).to.not.include("docker:index/image:Image");
    });
});

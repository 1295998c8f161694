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

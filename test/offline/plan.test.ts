import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";

import { main } from "../../offline/plan";
import { SECRETS, baseValues, claim } from "../helpers/config";

const ROOT = path.join(__dirname, "..", "..");

function stackFile(values: Record<string, unknown>): string {
    const config: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(values)) config[`staging-slots:${k}`] = v;
    config["staging-slots:deployPrivateKey"] = { secure: "v1:AAAAencryptedAAAA" };
    return stringify({ config });
}

async function plan(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await main(args, cwd, (s) => (out += s), (s) => (err += s));
    return { code, out, err };
}

describe("npm run plan", () => {
    let dir: string;
    beforeEach(() => {
        dir = mkdtempSync(path.join(tmpdir(), "plan-test-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("evaluates the committed Pulumi.staging.yaml", async () => {
        const { code, out, err } = await plan([], ROOT);
        expect(err).to.equal("");
        expect(code).to.equal(0);
        expect(out).to.match(/^stack staging: 10 slots \(\d+ in use\), \d+ resources\n/);
        expect(out).to.include("digitalocean:index/droplet:Droplet staging-droplet [protected]");
        // The inputs whose change would replace a resource are marked; a resize is in place.
        expect(out).to.match(/\n {6}image: ubuntu-24-04-x64 {2}\(change replaces\)\n/);
        expect(out).to.match(/\n {6}size: s-4vcpu-8gb\n/);
        expect(out).to.include("staging-10  ");
    });

    it("prints the tree grouped by slot, a claimed slot's deployment included, secrets as [secret]", async () => {
        writeFileSync(path.join(dir, "Pulumi.qa.yaml"), stackFile({ ...baseValues(), claims: { "4": claim() } }));
        const { code, out } = await plan(["--stack", "qa"], dir);
        expect(code).to.equal(0);
        const group = out.slice(out.indexOf("\nstaging-4  "), out.indexOf("\nstaging-5  "));
        expect(group).to.include("staging-4  In Use by alice for JOB-123, feature/login @ 0123456  https://staging-4.justapply.net");
        expect(group).to.include("command:remote:Command staging-4-deploy");
        expect(group).to.match(/staging-4-deploy\n(.*\n)*?\s+stdin: \[secret\]\n/);
        expect(group).to.match(/staging-4-deploy\n(.*\n)*? {6}triggers: .* {2}\(change replaces\)\n/);
        expect(group).to.match(/staging-4-deploy\n(.*\n)*?\s+connection: \[secret\]\n/);
        expect(out.slice(out.indexOf("\nstaging-5  "))).to.not.include("staging-4-");
        expect(out).to.not.include("mock-password");
        expect(out).to.not.include(SECRETS.deployPrivateKey.split("\n")[1]);
    });

    it("prints the same bytes for the same stack file", async () => {
        writeFileSync(path.join(dir, "Pulumi.qa.yaml"), stackFile({ ...baseValues(), claims: { "4": claim() } }));
        const a = await plan(["--stack", "qa"], dir);
        const b = await plan(["--stack", "qa"], dir);
        expect(a.out).to.equal(b.out);
    });

    it("lists every problem of a bad stack file and exits 1, printing no plan", async () => {
        writeFileSync(path.join(dir, "Pulumi.qa.yaml"), stackFile({ ...baseValues(), claims: { "4": claim({ commit: "abc" }), "12": claim({ task: "JOB-2" }) } }));
        const { code, out, err } = await plan(["--stack", "qa"], dir);
        expect(code).to.equal(1);
        expect(out).to.equal("");
        expect(err).to.include("Pulumi.qa.yaml is invalid; nothing was evaluated:");
        expect(err).to.include("  staging-4 commit: commit \"abc\" is not a full 40-character lowercase hex SHA");
        expect(err).to.include("  staging-slots:claims.12: \"12\" is not a slot id; use a slot number from 1 to 10");
    });

    it("says which file is missing and how to fix it", async () => {
        const { code, err } = await plan(["--stack", "nope"], dir);
        expect(code).to.equal(1);
        expect(err).to.match(/Pulumi\.nope\.yaml does not exist; create the stack \(pulumi stack init nope\) or pass --stack NAME/);
    });

    it("refuses an unknown flag with the usage and exit 2", async () => {
        const { code, err } = await plan(["--stakc", "qa"], dir);
        expect(code).to.equal(2);
        expect(err).to.include("usage: npm run plan");
    });
});

// postgres.appSslmode: the slots' apps verify the managed cluster's certificate with its CA.
// The deploy script's side is tested in test/scripts/deploy.test.ts.

import { expect } from "chai";

import { validateSettings } from "../../components/validation";
import { MOCK_DATABASE_CA, evaluate } from "../../offline/recorder";
import { NOW, baseValues, claim, engineConfig } from "../helpers/config";

function stdinOf(inputs: Readonly<Record<string, unknown>>): string {
    return String(inputs.stdin);
}

describe("postgres.appSslmode", function () {
    this.timeout(60_000);

    it("defaults to require, accepts verify-full, and refuses anything else naming the field", function () {
        const settings = (postgres: unknown) => validateSettings({ ...baseValues(), deployPrivateKey: "[secret]", postgres }, NOW);
        expect(settings({ mode: "managed" }).settings?.postgres).to.not.have.property("appSslmode");
        expect(settings({ mode: "managed", appSslmode: "verify-full" }).settings?.postgres).to.include({ appSslmode: "verify-full" });
        expect(settings({ mode: "managed", appSslmode: "verify-ca" }).errors).to.deep.equal([
            { field: "postgres.appSslmode", message: 'must be require or verify-full (the apps verify the cluster\'s certificate), got "verify-ca"' },
        ]);
        expect(settings({ mode: "existing", host: "db", user: "u", appSslmode: "verify-full" }).errors.map((e) => e.field)).to.include("postgres.appSslmode");
    });

    it("with verify-full each deployment gets the cluster's CA and a DATABASE_URL that verifies with it; host resources stay as they were", async function () {
        const claims = { "4": claim() };
        const plain = await evaluate(engineConfig({ ...baseValues(), claims }), { now: NOW });
        const verify = await evaluate(engineConfig({ ...baseValues(), claims, postgres: { mode: "managed", appSslmode: "verify-full" } }), { now: NOW });
        const deploy = (ev: typeof plain) => ev.resources.find((r) => r.name === "staging-4-deploy")?.inputs ?? {};
        expect(stdinOf(deploy(plain))).to.match(/^DATABASE_URL=.*\?sslmode=require$/m);
        expect(stdinOf(deploy(plain))).to.not.contain("DATABASE_CA_CERT=");
        expect(stdinOf(deploy(verify))).to.match(/^DATABASE_URL=.*\?sslmode=verify-full&sslrootcert=\/run\/staging-slots\/db-ca\.crt$/m);
        expect(stdinOf(deploy(verify))).to.contain(`\nDATABASE_CA_CERT=${Buffer.from(MOCK_DATABASE_CA).toString("base64")}\n`);
        // Only the deployments change: the CA is data for the apps, not an input of the host or the database.
        const others = (ev: typeof plain) =>
            JSON.stringify(
                ev.resources
                    .filter((r) => r.type !== "command:remote:Command")
                    .map((r) => [r.name, r.inputs])
                    .sort(([a], [b]) => String(a).localeCompare(String(b))),
            );
        expect(others(verify)).to.equal(others(plain));
    });
});

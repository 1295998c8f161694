// Keys and settings that change what runs: secrets in plain text, misspelled keys and prefixes,
// app settings that would steer compose itself. Judged the same from a stack file (slots check)
// and from the engine's config (the program).

import { expect } from "chai";
import { rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";

import { ConfigError, formatProblem, validateSettings } from "../../components/validation";
import { decodeEngineConfig } from "../../components/configDecode";
import { evaluate } from "../../offline/recorder";
import { run, tempProject } from "../cli/harness";
import { NOW, SECRETS, baseValues, engineConfig } from "../helpers/config";
import { stackYaml } from "../plan/stackRepo";

function judge(all: Record<string, string>, secretKeys: string[] = ["staging-slots:deployPrivateKey"]): string[] {
    return validateSettings(decodeEngineConfig(all, secretKeys), NOW).errors.map(formatProblem);
}

function engine(extra: Record<string, string>): Record<string, string> {
    return { ...engineConfig(baseValues()).values, ...extra };
}

describe("config keys and the settings that change what runs", () => {
    for (const key of ["deployPrivateKey", "postgresPassword", "repositoryKey", "registryDatabaseUrl"]) {
        it(`refuses ${key} given in plain text, with the pulumi config set --secret fix, never printing the value`, () => {
            const errors = judge(engine({ [`staging-slots:${key}`]: "TEST-ONLY-plain-value" }), key === "deployPrivateKey" ? [] : ["staging-slots:deployPrivateKey"]);
            const line = errors.find((e) => e.startsWith(`staging-slots:${key}:`));
            expect(line).to.match(new RegExp(`is a secret but the stack file holds it in plain text.*pulumi config set --secret ${key} `));
            expect(errors.join("\n")).to.not.include("TEST-ONLY-plain-value");
        });
    }
    it("refuses digitalocean:token in plain text, and accepts it as a secret", () => {
        expect(judge(engine({ "digitalocean:token": "dop_v1_TEST" }))).to.deep.equal([
            "digitalocean:token: digitalocean:token is a secret but the stack file holds it in plain text, readable by anyone who can read the repository: delete the line and set it with pulumi config set --secret digitalocean:token (then rotate the value, which has been exposed)",
        ]);
        expect(judge(engine({ "digitalocean:token": "dop_v1_TEST" }), ["staging-slots:deployPrivateKey", "digitalocean:token"])).to.deep.equal([]);
    });

    it("names the closest known key for an unknown one", () => {
        expect(judge(engine({ "staging-slots:regoin": "ams3" }))).to.deep.equal(['staging-slots:regoin: unknown config key "staging-slots:regoin"; did you mean staging-slots:region?']);
        expect(judge(engine({ "staging-slots:adminCidr": "[]" }))[0]).to.match(/did you mean staging-slots:adminCidrs\?$/);
        expect(judge(engine({ "staging-slots:zzzzzzzz": "1" }))[0]).to.match(/; the keys are domain, slotCount, /);
    });
    it("names a misspelled project prefix and the key it meant", () => {
        expect(judge(engine({ "staging-slot:domain": "x.net" }))).to.deep.equal([
            'staging-slot:domain: "staging-slot:domain" is under the namespace "staging-slot", which nothing reads: the prefix is misspelled; did you mean staging-slots:domain?',
        ]);
        expect(judge(engine({ "stagingslots:claims": "{}" }))[0]).to.match(/did you mean staging-slots:claims\?$/);
        expect(judge(engine({ "digitalocen:token": "[secret]" }), ["staging-slots:deployPrivateKey", "digitalocen:token"])[0]).to.match(/did you mean digitalocean:token\?$/);
    });
    it("leaves the providers' own keys and unrelated namespaces alone", () => {
        expect(judge(engine({ "digitalocean:apiEndpoint": "https://api.example", "postgresql:sslmode": "require", "acme-corp:owner": "ops" }))).to.deep.equal([]);
    });
    it("refuses a claim field and a postgres key by their closest names too", () => {
        const raw = { ...baseValues(), deployPrivateKey: "[secret]", postgres: { mode: "existing", host: "db.example.com", user: "u", sslmod: "require" } };
        expect(validateSettings({ ...raw, postgresPassword: "[secret]" }, NOW).errors.map(formatProblem)).to.deep.equal([
            "staging-slots:postgres.sslmod: unknown key for mode existing; did you mean sslmode?",
        ]);
    });

    for (const name of ["COMPOSE_FILE", "COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES", "DOCKER_HOST", "DOCKER_BUILDKIT", "DATABASE_URL", "STAGING_SLOT"]) {
        it(`refuses appEnv ${name}`, () => {
            const errors = validateSettings({ ...baseValues(), deployPrivateKey: "[secret]", appEnv: { [name]: "x" } }, NOW).errors;
            expect(errors.map((e) => e.field)).to.deep.equal([`appEnv.${name}`]);
            expect(errors[0].message).to.match(/compose|per slot/);
        });
    }

    it("the program refuses a plain-text deploy key from the engine's config (not marked secret)", async () => {
        const config = engineConfig(baseValues(), {});
        const ev = await evaluate({ values: { ...config.values, "staging-slots:deployPrivateKey": SECRETS.deployPrivateKey }, secretKeys: [] }, { now: NOW });
        expect(ev.error).to.be.instanceOf(ConfigError);
        expect((ev.error as ConfigError).problems.map(formatProblem)).to.deep.equal([
            "staging-slots:deployPrivateKey: staging-slots:deployPrivateKey is a secret but the stack file holds it in plain text, readable by anyone who can read the repository: delete the line and set it with pulumi config set --secret deployPrivateKey (then rotate the value, which has been exposed)",
        ]);
        expect(ev.resources).to.deep.equal([]);
        expect(ev.error?.message).to.not.include("TEST-ONLY");
    });

    it("slots check refuses the same stack file, naming the line", async () => {
        const dir = tempProject();
        const text = stackYaml(baseValues()).replace("config:\n", "config:\n  staging-slots:repositoryKey: TEST-ONLY-plain\n");
        writeFileSync(path.join(dir, "Pulumi.staging.yaml"), text);
        const r = await run(dir, ["check"]);
        rmSync(dir, { recursive: true, force: true });
        expect(r.code).to.equal(1);
        expect(r.stderr).to.match(/^Pulumi\.staging\.yaml:2: staging-slots:repositoryKey: staging-slots:repositoryKey is a secret but the stack file holds it in plain text/);
        expect(r.stderr).to.not.include("TEST-ONLY-plain");
    });
});

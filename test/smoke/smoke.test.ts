// The live smoke test without a cloud account: its skip path run as `npm run smoke` runs it, and
// the pure decisions it takes (what it needs, the ephemeral stack's name and config, the deploy
// key, the cost line), with the config checked by the program's own validation.

import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

import { decodeEngineConfig } from "../../components/configDecode";
import { validateSettings } from "../../components/validation";
import { SMOKE_SIZES, SmokeInputs, costEstimate, deployKeyPair, readiness, skipLine, smokeClaim, smokeConfig, stackName } from "../../smoke/plan";

const ROOT = path.join(__dirname, "..", "..");
const C1 = "1111111111111111111111111111111111111111";
const C2 = "2222222222222222222222222222222222222222";
const FULL = {
    DIGITALOCEAN_TOKEN: "dop_v1_x",
    PULUMI_ACCESS_TOKEN: "pul-x",
    SMOKE_DOMAIN: "smoke.example.net",
    SMOKE_APP_REPOSITORY: "https://git.example.net/org/example-app.git",
    SMOKE_APP_COMMITS: `${C1},${C2}`,
};

/** The environment without anything the smoke test reads. */
function bareEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (v !== undefined && !/^(SMOKE_|DIGITALOCEAN_|PULUMI_)/.test(k)) env[k] = v;
    }
    return env;
}

describe("smoke test: skip path", function () {
    this.timeout(60_000);

    it("npm run smoke without credentials prints one line naming everything missing and exits 0", function () {
        // A PATH of node and the system's folders: the pulumi CLI is usually not there (it installs to ~/.pulumi/bin).
        const PATH = [path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter);
        const pulumi = PATH.split(path.delimiter).some((dir) => existsSync(path.join(dir, "pulumi")));
        const run = spawnSync("npm", ["run", "--silent", "smoke"], { cwd: ROOT, encoding: "utf8", env: { ...bareEnv(), PATH } });
        expect(run.status, run.stderr).to.equal(0);
        const lines = run.stdout.trim().split("\n");
        expect(lines, run.stdout).to.have.length(1);
        expect(lines[0]).to.equal(
            `smoke: SKIPPED, nothing was tested: missing ${pulumi ? "" : "the pulumi CLI on PATH, "}DIGITALOCEAN_TOKEN, PULUMI_ACCESS_TOKEN (or PULUMI_BACKEND_URL), ` +
                "SMOKE_DOMAIN (a test domain hosted on DigitalOcean DNS), SMOKE_APP_REPOSITORY (a git URL whose top level is examples/app), " +
                'SMOKE_APP_COMMITS (two commits of that repository, comma-separated) (see the README\'s "Live smoke test")',
        );
    });
});

describe("smoke test: what it needs", function () {
    it("is ready with the CLI, the tokens, a domain, the app repository and two commits", function () {
        const r = readiness(FULL, true);
        expect(r).to.deep.equal({
            ok: true,
            inputs: { domain: "smoke.example.net", repository: FULL.SMOKE_APP_REPOSITORY, commits: [C1, C2], region: "nyc3" },
        });
    });

    it("takes a self-managed backend instead of a Pulumi access token", function () {
        const { PULUMI_ACCESS_TOKEN: _t, ...rest } = FULL;
        expect(readiness({ ...rest, PULUMI_BACKEND_URL: "s3://bucket" }, true).ok).to.equal(true);
    });

    const cases: [string, Record<string, string | undefined>, boolean, string][] = [
        ["no pulumi CLI", FULL, false, "missing the pulumi CLI on PATH"],
        ["no token", { ...FULL, DIGITALOCEAN_TOKEN: undefined }, true, "missing DIGITALOCEAN_TOKEN"],
        ["no backend", { ...FULL, PULUMI_ACCESS_TOKEN: undefined }, true, "missing PULUMI_ACCESS_TOKEN (or PULUMI_BACKEND_URL)"],
        ["one commit", { ...FULL, SMOKE_APP_COMMITS: C1 }, true, "SMOKE_APP_COMMITS must be two different full 40-hex commit SHAs separated by a comma"],
        ["the same commit twice", { ...FULL, SMOKE_APP_COMMITS: `${C1},${C1}` }, true, "SMOKE_APP_COMMITS must be two different"],
        ["a short SHA", { ...FULL, SMOKE_APP_COMMITS: `${C1},2222222` }, true, "SMOKE_APP_COMMITS must be two different"],
        ["a domain with a scheme", { ...FULL, SMOKE_DOMAIN: "https://smoke.example.net" }, true, "SMOKE_DOMAIN is not a domain name: https://smoke.example.net"],
        ["an admin CIDR that is not one", { ...FULL, SMOKE_ADMIN_CIDR: "everyone" }, true, "SMOKE_ADMIN_CIDR is not an IPv4 CIDR: everyone"],
    ];
    for (const [what, env, cli, says] of cases) {
        it(`skips, saying so, with ${what}`, function () {
            const r = readiness(env, cli);
            expect(r.ok).to.equal(false);
            if (r.ok) return;
            expect(skipLine(r)).to.match(/^smoke: SKIPPED, nothing was tested: /);
            expect(skipLine(r)).to.contain(says);
        });
    }
});

describe("smoke test: the ephemeral stack", function () {
    const inputs: SmokeInputs = { domain: "smoke.example.net", repository: FULL.SMOKE_APP_REPOSITORY, commits: [C1, C2], region: "nyc3" };
    const now = new Date("2026-12-01T09:15:30.123Z");

    it("gets a name of its own on every run, valid as a stack and project name", function () {
        expect(stackName(now, "a1b2c3")).to.equal("smoke-20261201-091530-a1b2c3");
        expect(stackName(now)).to.not.equal(stackName(now));
        expect(stackName(now)).to.match(/^smoke-\d{8}-\d{6}-[0-9a-f]{6}$/);
    });

    it("has two slots on the smallest sizes, and the program's validation accepts it claimed and released", function () {
        const keys = deployKeyPair();
        for (const claims of [smokeClaim("smoke-x", C1, now), {}]) {
            const config = smokeConfig(inputs, "smoke-x", "198.51.100.7/32", keys, claims);
            expect(config["staging-slots:deployPrivateKey"]).to.deep.equal({ value: keys.privateKey, secret: true });
            const values = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v.value]));
            const secretKeys = Object.entries(config).filter(([, v]) => v.secret === true).map(([k]) => k);
            const result = validateSettings(decodeEngineConfig(values, secretKeys), new Date("2026-12-01T10:00:00Z"));
            expect(result.errors).to.deep.equal([]);
            expect(result.settings?.slotCount).to.equal(2);
            expect(result.settings?.dropletSize).to.equal(SMOKE_SIZES.droplet.slug);
            expect(result.settings?.postgres).to.deep.equal({ mode: "managed", size: SMOKE_SIZES.cluster.slug, version: "16", nodeCount: 1 });
            expect(result.settings?.adminCidrs).to.deep.equal(["198.51.100.7/32"]);
            expect([...(result.settings?.claims.keys() ?? [])]).to.deep.equal(Object.keys(claims).map(Number));
        }
        expect(smokeConfig(inputs, "n", "198.51.100.7/32", keys, smokeClaim("n", C2, now))["staging-slots:claims"].value).to.contain(C2);
    });

    it("has a deploy key pair whose OpenSSH public half verifies what the private half signs", function () {
        const { privateKey, publicKey } = deployKeyPair();
        const [type, blob] = publicKey.split(" ");
        expect(type).to.equal("ssh-ed25519");
        const raw = Buffer.from(blob, "base64");
        // string "ssh-ed25519", then the 32-byte key, each with its length.
        expect(raw.readUInt32BE(0)).to.equal(11);
        expect(raw.subarray(4, 15).toString()).to.equal("ssh-ed25519");
        expect(raw.readUInt32BE(15)).to.equal(32);
        const pub = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.subarray(19).toString("base64url") }, format: "jwk" });
        const signature = sign(null, Buffer.from("deploy"), createPrivateKey(privateKey));
        expect(verify(null, Buffer.from("deploy"), pub, signature)).to.equal(true);
    });

    it("prints what it creates and what that costs before it starts", function () {
        const line = costEstimate(2);
        expect(line).to.contain(SMOKE_SIZES.droplet.slug);
        expect(line).to.contain(SMOKE_SIZES.cluster.slug);
        expect(line).to.contain(`about $${((SMOKE_SIZES.droplet.hourly + SMOKE_SIZES.cluster.hourly) * 2).toFixed(2)} for a run of up to 2 h`);
    });
});

describe("smoke test: .github/workflows/smoke.yml", function () {
    interface Workflow {
        on: Record<string, unknown>;
        concurrency: { group: string; "cancel-in-progress": boolean };
        jobs: Record<string, { if?: string; environment?: string; env?: Record<string, string>; steps: { name?: string; run?: string; uses?: string; env?: Record<string, string> }[] }>;
    }
    const wf = parse(readFileSync(path.join(ROOT, ".github", "workflows", "smoke.yml"), "utf8")) as Workflow;
    const job = wf.jobs.smoke;

    it("runs on a manual dispatch and weekly, one run at a time, never cancelling one that is tearing down", function () {
        expect(Object.keys(wf.on).sort()).to.deep.equal(["schedule", "workflow_dispatch"]);
        expect(wf.on.schedule).to.have.length(1);
        expect(wf.concurrency["cancel-in-progress"]).to.equal(false);
    });

    it("runs main's code only, with the secrets it needs from its own environment, in the one step that runs the test", function () {
        expect(job.if).to.equal("github.ref == 'refs/heads/main'");
        expect(job.environment).to.equal("smoke");
        expect(job.env).to.equal(undefined);
        expect(job.steps.find((s) => s.name === "npm run smoke")?.env).to.deep.equal({
            DIGITALOCEAN_TOKEN: "${{ secrets.DIGITALOCEAN_TOKEN }}",
            PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
            SMOKE_DOMAIN: "${{ vars.SMOKE_DOMAIN }}",
            SMOKE_APP_REPOSITORY_KEY: "${{ secrets.SMOKE_APP_REPOSITORY_KEY }}",
        });
    });

    it("publishes examples/app with two commits, then runs npm run smoke with the Pulumi CLI installed", function () {
        const runs = job.steps.map((s) => s.run ?? s.uses ?? "");
        const publish = runs.findIndex((r) => r.includes("git subtree split --prefix=examples/app"));
        const cli = runs.findIndex((r) => r.startsWith("pulumi/actions@"));
        const smoke = job.steps.findIndex((s) => s.name === "npm run smoke");
        expect(publish).to.be.greaterThan(-1);
        expect(cli).to.be.greaterThan(-1);
        expect(smoke).to.be.greaterThan(Math.max(publish, cli));
        expect(runs[publish]).to.contain("SMOKE_APP_COMMITS=$first,$second");
        expect(runs[smoke]).to.match(/export SMOKE_APP_REPOSITORY\nnpm run smoke\n?$/);
    });
});

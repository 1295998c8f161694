// The deploy script with images built once: the exact command and stdin of an offline evaluation
// with `images` set, run with bash against a real local git repository and the docker stand-in.

import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

import { AppRepo, createAppRepo } from "../fixtures/appRepo";
import { DEPLOY_SCRIPT, IMAGES_SCRIPT, shellQuote } from "../../components/scripts";
import { usePostgres } from "../helpers/postgres";
import { describeNeeds, itNeeds } from "../helpers/tools";
import { SlotDatabase, createSlotDatabase, query } from "./slotDatabase";
import { Droplet, dockerCalls, dockerEvents, freeSlots, newDroplet, run, slotCommands, stopRuns, stopServers, withStdinLine } from "./harness";

const TOOLS = ["bash", "git", "flock", "curl", "timeout", "setsid"];
// The example app's two services, both built from the repository's root.
const IMAGES = { "campaign-ui": { context: "." }, airflow: { context: "." } };

describeNeeds(TOOLS, "deploy script with images built once", function () {
    this.timeout(60_000);
    let tmp: string;
    let repo: AppRepo;
    let droplet: Droplet;
    let slot = 0;

    before(async function () {
        tmp = mkdtempSync(path.join(os.tmpdir(), "staging-images-"));
        repo = createAppRepo(tmp);
        [slot] = await freeSlots(1, 11, 99);
    });
    beforeEach(function () {
        droplet = newDroplet(tmp);
    });
    afterEach(function () {
        stopRuns();
        stopServers(droplet);
    });
    after(function () {
        if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    async function command() {
        const cmd = (await slotCommands({ [String(slot)]: { commit: repo.first } }, { repository: repo.url, slotCount: 100, images: IMAGES })).get(slot);
        if (!cmd) throw new Error("no deployment");
        return cmd;
    }
    const dir = () => path.join(droplet.root, `staging-${slot}`);

    it("pins each configured service to its digest in an override, pulls them and starts without building", async function () {
        const cmd = await command();
        const pins = cmd.stdin.split("\n").filter((l) => l.startsWith("IMAGE=")).map((l) => l.slice("IMAGE=".length));
        expect(pins.map((p) => p.split("=")[0])).to.deep.equal(["airflow", "campaign-ui"]);
        for (const p of pins) expect(p).to.match(/=registry\.digitalocean\.com\/job-search-staging\/[a-z-]+@sha256:[0-9a-f]{64}$/);

        const r = await run(droplet, cmd.create, cmd.stdin);
        expect(r.code, r.stderr).to.equal(0);

        const override = path.join(dir(), "compose.images.yml");
        const doc = parseYaml(readFileSync(override, "utf8")) as { services: Record<string, { image: string }> };
        expect(doc.services).to.deep.equal(Object.fromEntries(pins.map((p) => [p.split("=")[0], { image: p.slice(p.indexOf("=") + 1) }])));

        const composeCalls = dockerCalls(droplet).filter((c) => c.startsWith("compose "));
        const files = `-f ${path.join(dir(), "job-search-project", "docker-compose.yml")} -f ${override}`;
        expect(composeCalls[0]).to.match(new RegExp(`^compose -p staging-${slot} .* ${files.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} pull airflow campaign-ui$`));
        expect(composeCalls[1]).to.match(/ up -d --no-build --remove-orphans$/);
        expect(composeCalls.join("\n")).to.not.include("--build ");
        expect(dockerEvents(droplet)).to.deep.equal([
            `pull staging-${slot} airflow campaign-ui`,
            `up-start staging-${slot}`,
            `up-file staging-${slot} ${path.join(dir(), "job-search-project", "docker-compose.yml")}`,
            `up-file staging-${slot} ${override}`,
            `up-end staging-${slot}`,
        ]);
        expect(readFileSync(path.join(dir(), "version.json"), "utf8")).to.include(repo.first);
    });

    it("a failed pull stops before compose up, says what to check and leaves version.json as it was", async function () {
        const cmd = await command();
        const r = await run(droplet, cmd.create, cmd.stdin, { DOCKER_STANDIN_PULL_FAIL: "campaign-ui" });
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.include("staging-deploy: docker compose pull failed: is the deploy user logged in to the registry (~/.docker/config.json), and were the images pushed?");
        expect(r.stderr).to.include("pull access denied for campaign-ui");
        expect(r.stderr).to.include(`docker compose up failed for staging-${slot}; version.json left as it was`);
        expect(dockerEvents(droplet).some((e) => e.startsWith("up-start"))).to.equal(false);
        expect(existsSync(path.join(dir(), "version.json"))).to.equal(false);
    });

    it("a slot deployed before images were turned on, taken by another task, stops and resets its data before the override exists", async function () {
        const values = { repository: repo.url, slotCount: 100, databaseOnNewTask: "keep", volumesOnNewTask: "reset" };
        const before = (await slotCommands({ [String(slot)]: { commit: repo.first, task: "JOB-1" } }, values)).get(slot);
        if (!before) throw new Error("no deployment");
        const first = await run(droplet, before.create, before.stdin);
        expect(first.code, first.stderr).to.equal(0);
        expect(existsSync(path.join(dir(), "compose.images.yml"))).to.equal(false);

        const cmd = (await slotCommands({ [String(slot)]: { commit: repo.first, task: "JOB-2" } }, { ...values, images: IMAGES })).get(slot);
        if (!cmd) throw new Error("no deployment");
        const r = await run(droplet, cmd.create, cmd.stdin);
        expect(r.code, r.stderr).to.equal(0);
        const override = path.join(dir(), "compose.images.yml");
        const down = dockerCalls(droplet).filter((c) => / down /.test(c));
        expect(down).to.have.length(1);
        expect(down[0]).to.include(`-f ${override} down --remove-orphans --volumes`);
        expect(dockerEvents(droplet)).to.include(`volumes-removed staging-${slot}`);
    });

    it("runs the deploy script slots without images run, byte for byte", async function () {
        const cmd = await command();
        expect(cmd.create).to.equal(`timeout --kill-after=30 900 bash -c ${shellQuote(IMAGES_SCRIPT)} staging-deploy-images ${shellQuote(DEPLOY_SCRIPT)}`);
        const plain = (await slotCommands({ [String(slot)]: { commit: repo.first } }, { repository: repo.url, slotCount: 100 })).get(slot);
        expect(plain?.create).to.equal(`timeout --kill-after=30 900 bash -c ${shellQuote(DEPLOY_SCRIPT)} staging-deploy`);
        // The same parameters but the pins.
        expect(cmd.stdin.split("\n").filter((l) => !l.startsWith("IMAGE=")).join("\n")).to.equal(plain?.stdin);
    });

    describeNeeds(["psql"], "with a data reset (the slot's database on a real PostgreSQL)", function () {
        const postgres = usePostgres();
        let db: SlotDatabase;
        before(async function () {
            db = await createSlotDatabase(postgres());
        });
        after(async function () {
            // A shared server keeps roles, which outlive the databases dropped when it is released.
            const shared = process.env.TEST_DATABASE_URL;
            if (shared && db) await query(shared, `DROP ROLE IF EXISTS ${db.role}`);
        });

        it("the seed command runs on the pinned images, pulled first, with the override and without building; its arguments stay as they are", async function () {
            const seedCommand = { service: "campaign-ui", args: ["seed", "--build"] };
            const values = { repository: repo.url, slotCount: 100, images: IMAGES, seedCommand };
            const deploy = async (task: string) => {
                const cmd = (await slotCommands({ [String(slot)]: { commit: repo.first, task } }, values)).get(slot);
                if (!cmd) throw new Error("no deployment");
                return run(droplet, cmd.create, withStdinLine(cmd.stdin, "DATABASE_URL", db.url));
            };
            const first = await deploy("JOB-1");
            expect(first.code, first.stderr).to.equal(0);
            const seen = dockerEvents(droplet).length;
            const r = await deploy("JOB-2");
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stderr).to.include(`seeded the database of staging-${slot} with campaign-ui`);

            const override = path.join(dir(), "compose.images.yml");
            const base = path.join(dir(), "job-search-project", "docker-compose.yml");
            const events = dockerEvents(droplet).slice(seen);
            expect(events.filter((e) => !e.startsWith("up-"))).to.deep.equal([
                "run psql",
                `down staging-${slot}`,
                `volumes-removed staging-${slot}`,
                "run psql",
                `pull staging-${slot} airflow campaign-ui`,
                `seed-file staging-${slot} ${base}`,
                `seed-file staging-${slot} ${override}`,
                `seed staging-${slot} campaign-ui seed --build`,
                `pull staging-${slot} airflow campaign-ui`,
            ]);
            const seedCall = dockerCalls(droplet).filter((c) => / run /.test(c));
            expect(seedCall).to.have.length(1);
            expect(seedCall[0]).to.match(new RegExp(` -f ${override.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} run --rm campaign-ui seed --build$`));
        });

        it("a seed that fails (its pull refused) is done again, reset first, by the next deployment", async function () {
            const values = { repository: repo.url, slotCount: 100, images: IMAGES, seedCommand: { service: "campaign-ui", args: ["seed"] } };
            const deploy = async (task: string, env: Record<string, string> = {}) => {
                const cmd = (await slotCommands({ [String(slot)]: { commit: repo.first, task } }, values)).get(slot);
                if (!cmd) throw new Error("no deployment");
                return run(droplet, cmd.create, withStdinLine(cmd.stdin, "DATABASE_URL", db.url), env);
            };
            const first = await deploy("JOB-1");
            expect(first.code, first.stderr).to.equal(0);
            const owner = readFileSync(path.join(dir(), "data-owner"), "utf8");
            const failed = await deploy("JOB-2", { DOCKER_STANDIN_PULL_FAIL: "campaign-ui" });
            expect(failed.code).to.not.equal(0);
            expect(failed.stderr).to.contain("the database is empty and data-owner still names the previous data, so the next deployment (pulumi up again) empties and seeds it again");
            expect(readFileSync(path.join(dir(), "data-owner"), "utf8"), "data-owner untouched by the failed seed").to.equal(owner);
            const seen = dockerEvents(droplet).length;
            const retry = await deploy("JOB-2");
            expect(retry.code, retry.stderr).to.equal(0);
            expect(retry.stderr).to.include(`seeded the database of staging-${slot} with campaign-ui`);
            expect(dockerEvents(droplet).slice(seen).filter((e) => e === "run psql" || e.startsWith("seed "))).to.deep.equal(["run psql", "run psql", `seed staging-${slot} campaign-ui seed`]);
            expect(readFileSync(path.join(dir(), "data-owner"), "utf8")).to.not.equal(owner);
        });
    });

    itNeeds(["shellcheck"], "the images wrapper passes shellcheck", function () {
        const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: IMAGES_SCRIPT, encoding: "utf8" });
        expect(r.status, r.stdout).to.equal(0);
    });

    it("refuses a pin that is not a digest, before touching compose", async function () {
        const cmd = await command();
        const stdin = withStdinLine(cmd.stdin, "IMAGE", "campaign-ui=registry.digitalocean.com/x/campaign-ui:latest");
        const r = await run(droplet, cmd.create, stdin);
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.include("bad IMAGE pin; expected <service>=<repository>@sha256:<digest>");
        expect(dockerCalls(droplet)).to.deep.equal([]);
    });
});

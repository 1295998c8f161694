// The deploy and release scripts, executed: the exact command text and stdin of an offline
// evaluation of the program, run with bash against a real local git repository as origin and the
// docker stand-in, in a temporary folder standing in for /home/deploy.

import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

import { slotLayout } from "../../components/catalogue";
import { dataOwnerKey, deployStdin, parseDeployResult } from "../../components/scripts";
import { MOCK_DATABASE_CA } from "../../offline/recorder";
import { AppRepo, createAppRepo } from "../fixtures/appRepo";
import { describeNeeds, itNeeds } from "../helpers/tools";
import {
    Droplet,
    SlotCommand,
    apiVersion,
    dockerCalls,
    dockerEvents,
    freeSlots,
    newDroplet,
    programError,
    run,
    slotCommands,
    stopRuns,
    stopServers,
    withStdinLine,
} from "./harness";

const TOOLS = ["bash", "git", "flock", "curl", "timeout", "setsid"];

function git(dir: string, ...args: string[]): string {
    return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8" }).trim();
}

function slotDir(d: Droplet, slot: number): string {
    return path.join(d.root, `staging-${slot}`);
}

function versionJson(d: Droplet, slot: number): Record<string, unknown> {
    return JSON.parse(readFileSync(path.join(slotDir(d, slot), "version.json"), "utf8")) as Record<string, unknown>;
}

function versionText(d: Droplet, slot: number): string | undefined {
    const file = path.join(slotDir(d, slot), "version.json");
    return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/** The slot's env file as NAME → raw value text. */
function envFile(d: Droplet, slot: number): Map<string, string> {
    const text = readFileSync(path.join(slotDir(d, slot), `.env.staging-${slot}`), "utf8");
    return new Map(text.split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

function stdinValue(stdin: string, key: string): string {
    const line = stdin.split("\n").find((l) => l.startsWith(`${key}=`));
    if (line === undefined) throw new Error(`no ${key}= line`);
    return line.slice(key.length + 1);
}

describeNeeds(TOOLS, "slot deploy and release scripts, executed", function () {
    this.timeout(60_000);
    let tmp: string;
    let repo: AppRepo;
    let droplet: Droplet;
    const droplets: Droplet[] = [];
    // Two slots whose ports are free here; A plays the claimed slot, B another slot beside it.
    let A = 0;
    let B = 0;

    // One evaluation per distinct config; several tests deploy the same claim.
    const cache = new Map<string, Promise<Map<number, SlotCommand>>>();
    function commands(claims: Record<string, Record<string, unknown>>, values: Record<string, unknown> = {}): Promise<Map<number, SlotCommand>> {
        const key = JSON.stringify([claims, values]);
        if (!cache.has(key)) cache.set(key, slotCommands(claims, { repository: repo.url, slotCount: 100, ...values }));
        return cache.get(key) as Promise<Map<number, SlotCommand>>;
    }
    async function command(slot: number, c: Record<string, unknown>, values: Record<string, unknown> = {}): Promise<SlotCommand> {
        const cmd = (await commands({ [String(slot)]: c }, values)).get(slot);
        if (!cmd) throw new Error(`the program made no deployment for slot ${slot}`);
        return cmd;
    }
    async function deploy(slot: number, c: Record<string, unknown>, values: Record<string, unknown> = {}) {
        const cmd = await command(slot, c, values);
        return run(droplet, cmd.create, cmd.stdin);
    }
    function ok(r: { code: number | null; stderr: string }): void {
        expect(r.code, `exit code; stderr:\n${r.stderr}`).to.equal(0);
    }

    before(async function () {
        tmp = mkdtempSync(path.join(os.tmpdir(), "staging-scripts-"));
        repo = createAppRepo(tmp);
        [A, B] = await freeSlots(2, 11, 99);
    });
    beforeEach(function () {
        droplet = newDroplet(tmp);
        droplets.push(droplet);
    });
    afterEach(function () {
        stopRuns();
        stopServers(droplet);
    });
    after(function () {
        droplets.forEach(stopServers);
        if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it("first deploy: exactly the commit, a 0600 env file with the slot's settings, compose up, version.json and the result line", async function () {
        const cmd = await command(A, { commit: repo.first });
        const before = new Date(Math.floor(Date.now() / 1000) * 1000);
        const r = await run(droplet, cmd.create, cmd.stdin);
        ok(r);

        const result = parseDeployResult(r.stdout);
        expect(result).to.include({ slot: A, commit: repo.first });
        const deployedAt = new Date(result?.deployedAt ?? "");
        expect(deployedAt.getTime()).to.be.within(before.getTime(), Date.now());

        const checkout = path.join(slotDir(droplet, A), "job-search-project");
        expect(git(checkout, "rev-parse", "HEAD")).to.equal(repo.first);
        expect(git(checkout, "status", "--porcelain", "--ignored")).to.equal("");
        expect(git(checkout, "rev-parse", "--is-shallow-repository")).to.equal("true");
        expect(git(checkout, "rev-list", "--count", "--all")).to.equal("1");
        // The branch check keeps the branch's history, commits only, beside the checkout.
        const history = path.join(slotDir(droplet, A), ".branch-history.git");
        expect(git(history, "rev-parse", "refs/claimed-branch")).to.equal(repo.second);
        expect(() => execFileSync("git", ["-C", checkout, "symbolic-ref", "-q", "HEAD"], { stdio: "ignore" })).to.throw();

        const envPath = path.join(slotDir(droplet, A), `.env.staging-${A}`);
        expect(statSync(envPath).mode & 0o777).to.equal(0o600);
        const env = envFile(droplet, A);
        const url = stdinValue(cmd.stdin, "DATABASE_URL");
        expect(url).to.match(new RegExp(`^postgresql://job_search_staging_${A}:mock-password-for-staging-${A}-db-password@[a-z0-9.-]+:25060/job_search_staging_${A}\\?sslmode=require$`));
        expect(Object.fromEntries(env)).to.deep.equal({
            STAGING_SLOT: `staging-${A}`,
            COMPOSE_PROJECT_NAME: `staging-${A}`,
            CAMPAIGN_UI_PORT: String(5000 + A),
            AIRFLOW_PORT: String(8080 + A),
            APP_COMMIT: repo.first,
            APP_BRANCH: "feature/login",
            DATABASE_URL: url,
            APP_ENV: "staging",
        });

        // A slot this droplet never ran adopts its database as it is: nothing to reset, then the
        // slot's own unused images and old build cache are pruned.
        expect(dockerCalls(droplet)).to.deep.equal([
            `compose -p staging-${A} --project-directory ${checkout} --env-file ${envPath} up -d --build --remove-orphans`,
            `image prune --all --force --filter label=com.docker.compose.project=staging-${A}`,
            "builder prune --force --filter until=72h",
        ]);
        // The example app's own answer, served by its server.js.
        expect(JSON.parse((await apiVersion(5000 + A)) ?? "null")).to.deep.equal({
            service: "campaign-ui",
            commit: repo.first,
            branch: "feature/login",
            slot: `staging-${A}`,
            database: "not configured",
        });
        expect(result?.freeDiskGb).to.be.a("number").and.be.above(0);
        expect(readFileSync(path.join(slotDir(droplet, A), "data-owner"), "utf8")).to.equal(`${dataOwnerKey("JOB-123")}\n0\n`);

        expect(versionJson(droplet, A)).to.deep.equal({
            slot: `staging-${A}`,
            status: "deployed",
            branch: "feature/login",
            commit: repo.first,
            deploymentId: stdinValue(cmd.stdin, "DEPLOYMENT_ID"),
            deployedAt: result?.deployedAt,
        });
        expect(statSync(path.join(slotDir(droplet, A), "version.json")).mode & 0o777).to.equal(0o644);
        // No temporary file (env, version, fetch errors) is left beside the real ones.
        expect(readdirSync(slotDir(droplet, A)).sort()).to.deep.equal([".branch-history.git", ".deployment-id", `.env.staging-${A}`, ".lock", "data-owner", "job-search-project", "last-deploy.log", "version.json"]);
        expect(statSync(path.join(slotDir(droplet, A), "last-deploy.log")).mode & 0o777).to.equal(0o600);
    });

    it("a new commit replaces the checkout with nothing left over from the old one", async function () {
        ok(await deploy(A, { commit: repo.first }));
        const checkout = path.join(slotDir(droplet, A), "job-search-project");
        writeFileSync(path.join(checkout, "scratch.txt"), "written by the app at runtime\n");
        mkdirSync(path.join(checkout, "build"));
        writeFileSync(path.join(checkout, "build", "artifact"), "ignored build output\n");
        writeFileSync(path.join(checkout, "app.txt"), "edited in place\n");

        const r = await deploy(A, { commit: repo.second });
        ok(r);
        expect(parseDeployResult(r.stdout)?.commit).to.equal(repo.second);
        expect(git(checkout, "rev-parse", "HEAD")).to.equal(repo.second);
        expect(git(checkout, "status", "--porcelain", "--ignored")).to.equal("");
        for (const gone of ["old-notes.txt", "scratch.txt", "build"]) expect(existsSync(path.join(checkout, gone)), gone).to.equal(false);
        expect(readFileSync(path.join(checkout, "app.txt"), "utf8")).to.equal("version two\n");
        expect(versionJson(droplet, A)).to.include({ commit: repo.second, status: "deployed" });
        expect(envFile(droplet, A).get("APP_COMMIT")).to.equal(repo.second);
        expect(await apiVersion(5000 + A)).to.contain(repo.second);
    });

    it("the same commit twice: both runs succeed and leave the same checkout and env file", async function () {
        ok(await deploy(A, { commit: repo.first }));
        const envBefore = readFileSync(path.join(slotDir(droplet, A), `.env.staging-${A}`), "utf8");
        const r = await deploy(A, { commit: repo.first });
        ok(r);
        const checkout = path.join(slotDir(droplet, A), "job-search-project");
        expect(git(checkout, "rev-parse", "HEAD")).to.equal(repo.first);
        expect(git(checkout, "status", "--porcelain", "--ignored")).to.equal("");
        expect(readFileSync(path.join(slotDir(droplet, A), `.env.staging-${A}`), "utf8")).to.equal(envBefore);
        expect(versionJson(droplet, A)).to.include({ commit: repo.first, status: "deployed" });
        expect(dockerCalls(droplet).filter((c) => c.endsWith(" up -d --build --remove-orphans"))).to.have.length(2);
        expect(await apiVersion(5000 + A)).to.contain(repo.first);
    });

    it("two slots deploy at the same time without waiting for each other, each with its own commit and port", async function () {
        const cmds = await commands({ [A]: { commit: repo.first }, [B]: { commit: repo.second, task: "JOB-5", owner: "bob" } });
        const slow = { DOCKER_STANDIN_UP_DELAY: "1" };
        const [a, b] = [cmds.get(A) as SlotCommand, cmds.get(B) as SlotCommand];
        const [ra, rb] = await Promise.all([run(droplet, a.create, a.stdin, slow), run(droplet, b.create, b.stdin, slow)]);
        ok(ra);
        ok(rb);
        expect(versionJson(droplet, A)).to.include({ commit: repo.first, slot: `staging-${A}` });
        expect(versionJson(droplet, B)).to.include({ commit: repo.second, slot: `staging-${B}` });
        expect(await apiVersion(5000 + A)).to.contain(repo.first);
        expect(await apiVersion(5000 + B)).to.contain(repo.second);
        expect(envFile(droplet, B).get("DATABASE_URL")).to.contain(`/job_search_staging_${B}?`);
        // Each slot's lock is its own: the second `up` began before the first one ended.
        const events = dockerEvents(droplet);
        expect(events.slice(0, 2).map((e) => e.split(" ")[0])).to.deep.equal(["up-start", "up-start"]);
    });

    it("two runs on one slot at the same time are serialised by the slot's lock", async function () {
        const cmd = await command(A, { commit: repo.first });
        const slow = { DOCKER_STANDIN_UP_DELAY: "1" };
        const results = await Promise.all([run(droplet, cmd.create, cmd.stdin, slow), run(droplet, cmd.create, cmd.stdin, slow)]);
        results.forEach(ok);
        expect(dockerEvents(droplet)).to.deep.equal([`up-start staging-${A}`, `up-end staging-${A}`, `up-start staging-${A}`, `up-end staging-${A}`]);
        expect(results.map((r) => r.stderr).join("")).to.contain(`staging-${A} is busy with another deployment or release; waiting for it`);
    });

    it("release stops the project, keeps volumes and checkout by default, marks version.json released; a second release succeeds and changes nothing", async function () {
        const cmd = await command(A, { commit: repo.first });
        ok(await run(droplet, cmd.create, cmd.stdin));
        const r1 = await run(droplet, cmd.delete);
        ok(r1);
        expect(dockerCalls(droplet).slice(3)).to.deep.equal([`compose -p staging-${A} down --remove-orphans`]);
        expect(await apiVersion(5000 + A)).to.equal(undefined);
        const released = versionJson(droplet, A);
        expect(released).to.include({ slot: `staging-${A}`, status: "released" });
        expect(released.releasedAt).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        expect(existsSync(path.join(slotDir(droplet, A), "job-search-project", "app.txt"))).to.equal(true);
        expect(existsSync(path.join(slotDir(droplet, A), ".deployment-id"))).to.equal(false);
        const text = versionText(droplet, A);

        const r2 = await run(droplet, cmd.delete);
        ok(r2);
        expect(versionText(droplet, A)).to.equal(text);
        expect(r2.stdout).to.contain(`"releasedAt":"${String(released.releasedAt)}"`);
    });

    it("release with releaseRemovesVolumes and releaseRemovesCheckout removes both", async function () {
        const values = { releaseRemovesVolumes: true, releaseRemovesCheckout: true };
        const cmd = await command(A, { commit: repo.first }, values);
        ok(await run(droplet, cmd.create, cmd.stdin));
        ok(await run(droplet, cmd.delete));
        expect(dockerCalls(droplet).slice(3)).to.deep.equal([`compose -p staging-${A} down --remove-orphans --volumes`]);
        expect(existsSync(path.join(slotDir(droplet, A), "job-search-project"))).to.equal(false);
        expect(existsSync(path.join(slotDir(droplet, A), ".branch-history.git"))).to.equal(false);
        expect(versionJson(droplet, A)).to.include({ status: "released" });
    });

    it("release of a never-deployed slot succeeds without touching anything", async function () {
        const cmd = await command(A, { commit: repo.first });
        ok(await run(droplet, cmd.delete));
        expect(dockerCalls(droplet)).to.deep.equal([]);
        expect(existsSync(slotDir(droplet, A))).to.equal(false);
    });

    it("the delete of a replaced deployment leaves its successor running", async function () {
        const old = await command(A, { commit: repo.first });
        const next = await command(A, { commit: repo.second });
        ok(await run(droplet, old.create, old.stdin));
        ok(await run(droplet, next.create, next.stdin));
        const r = await run(droplet, old.delete);
        ok(r);
        expect(r.stderr).to.contain("nothing to stop");
        expect(dockerCalls(droplet).filter((c) => c.includes(" down"))).to.deep.equal([]);
        expect(versionJson(droplet, A)).to.include({ status: "deployed", commit: repo.second });
        expect(await apiVersion(5000 + A)).to.contain(repo.second);
    });

    it("a health check that never reports the commit fails with the compose logs, leaving version.json and the other slots as they were", async function () {
        // deployTimeoutSeconds 60, the smallest allowed, gives the shortest health wait.
        const values = { deployTimeoutSeconds: 60 };
        const good = await commands({ [A]: { commit: repo.first }, [B]: { commit: repo.second, task: "JOB-5" } }, values);
        for (const slot of [A, B]) {
            const cmd = good.get(slot) as SlotCommand;
            ok(await run(droplet, cmd.create, cmd.stdin));
        }
        const beforeA = versionText(droplet, A);
        const beforeB = versionText(droplet, B);
        const callsBefore = dockerCalls(droplet).length;

        const broken = await command(A, { commit: repo.broken, branch: "feature/broken" }, values);
        expect(stdinValue(broken.stdin, "HEALTH_TIMEOUT")).to.equal("10");
        const started = Date.now();
        const r = await run(droplet, broken.create, broken.stdin);
        expect(r.code).to.not.equal(0);
        expect(Date.now() - started).to.be.within(9_000, 30_000);
        expect(r.stderr).to.contain(`staging-${A} did not report commit ${repo.broken} on http://127.0.0.1:${5000 + A}/api/version within 10s`);
        expect(r.stderr).to.contain(`campaign-ui exited with code 1: fixture app at ${repo.broken} is broken`);
        // The app logged its connection string; the failure text (it reaches the `pulumi up`
        // error) carries neither the URL nor the password, the droplet's 0600 log keeps both.
        const password = /:([^:@/]+)@/.exec(stdinValue(broken.stdin, "DATABASE_URL"))?.[1] as string;
        expect(password).to.have.length.above(8);
        expect(r.stderr).to.contain("campaign-ui connecting to [secret]");
        expect(r.stderr).to.not.contain(password);
        expect(readFileSync(path.join(slotDir(droplet, A), "last-deploy.log"), "utf8")).to.contain(password);
        expect(parseDeployResult(r.stdout)).to.equal(undefined);
        expect(versionText(droplet, A)).to.equal(beforeA);
        expect(versionText(droplet, B)).to.equal(beforeB);
        expect(dockerCalls(droplet).slice(callsBefore).every((c) => c.startsWith(`compose -p staging-${A} `))).to.equal(true);
        expect(await apiVersion(5000 + B)).to.contain(repo.second);
        expect(readdirSync(slotDir(droplet, A)).filter((f) => /^\.(env|version|fetch)\.[A-Za-z0-9]{6}$/.test(f))).to.deep.equal([]);
    });

    it("a commit that is not on the claimed branch is refused before anything is checked out, and the branch is fetched as commits only", async function () {
        // repo.broken exists on the remote, but only on feature/broken: claimed as feature/login
        // (or as main), the registry would name a branch the code is not on.
        for (const branch of ["feature/login", "main"]) {
            const r = await deploy(A, { commit: repo.broken, branch });
            expect(r.code, branch).to.not.equal(0);
            expect(r.stderr, branch).to.contain(`commit ${repo.broken} is not on branch ${branch} of ${repo.url} (not reachable from its head ${repo.second})`);
        }
        expect(dockerCalls(droplet)).to.deep.equal([]);
        expect(existsSync(path.join(slotDir(droplet, A), "version.json"))).to.equal(false);
        expect(existsSync(path.join(slotDir(droplet, A), `.env.staging-${A}`))).to.equal(false);

        // A commit of the branch deploys; the branch's older commits came without their trees,
        // and the checkout holds the deployed commit alone.
        ok(await deploy(A, { commit: repo.second }));
        const history = path.join(slotDir(droplet, A), ".branch-history.git");
        // Every object the history repository holds, listed without asking the remote for any.
        const held = execFileSync("git", ["-C", history, "cat-file", "--batch-check=%(objectname) %(objecttype)", "--batch-all-objects"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
            .trim()
            .split("\n");
        expect(held).to.include.members([`${repo.first} commit`, `${repo.second} commit`]);
        expect(held.filter((l) => !l.endsWith(" commit")), "trees or blobs").to.deep.equal([]);
        const checkout = path.join(slotDir(droplet, A), "job-search-project");
        expect(git(checkout, "rev-list", "--all")).to.equal(repo.second);
        expect(() => execFileSync("git", ["-C", checkout, "cat-file", "-e", repo.oldNotesBlob], { stdio: "ignore" })).to.throw();
    });

    it("a branch missing from the remote fails naming the branch, before compose runs", async function () {
        const r = await deploy(A, { commit: repo.first, branch: "feature/gone" });
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.contain(`cannot fetch branch feature/gone from ${repo.url} to check that commit ${repo.first} is on it`);
        expect(dockerCalls(droplet)).to.deep.equal([]);
    });

    it("a commit missing from the remote fails with an error naming the commit, the branch and the fix, before compose runs", async function () {
        const missing = "feedface".repeat(5);
        const r = await deploy(A, { commit: missing });
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.contain(`commit ${missing} (branch feature/login) does not exist on ${repo.url}; push the branch`);
        expect(dockerCalls(droplet)).to.deep.equal([]);
        expect(existsSync(path.join(slotDir(droplet, A), "version.json"))).to.equal(false);
        expect(existsSync(path.join(slotDir(droplet, A), `.env.staging-${A}`))).to.equal(false);
    });

    it("with postgres.appSslmode verify-full: the cluster's CA beside the env file (0644), named as DATABASE_CA_FILE, verify-full in DATABASE_URL; gone again without it", async function () {
        const verify = { postgres: { mode: "managed", appSslmode: "verify-full" } };
        const cmd = await command(A, { commit: repo.first }, verify);
        expect(stdinValue(cmd.stdin, "DATABASE_URL")).to.match(/\?sslmode=verify-full&sslrootcert=\/run\/staging-slots\/db-ca\.crt$/);
        ok(await run(droplet, cmd.create, cmd.stdin));
        const caFile = path.join(slotDir(droplet, A), "db-ca.crt");
        expect(readFileSync(caFile, "utf8")).to.equal(MOCK_DATABASE_CA);
        expect(statSync(caFile).mode & 0o777).to.equal(0o644);
        expect(envFile(droplet, A).get("DATABASE_CA_FILE")).to.equal(caFile);

        const plain = await command(A, { commit: repo.second });
        expect(plain.stdin).to.not.contain("DATABASE_CA_CERT=");
        ok(await run(droplet, plain.create, plain.stdin));
        expect(existsSync(caFile)).to.equal(false);
        expect(envFile(droplet, A).has("DATABASE_CA_FILE")).to.equal(false);
    });

    it("refuses a CA parameter that is not a base64 PEM certificate, before compose runs", async function () {
        const cmd = await command(A, { commit: repo.first });
        for (const [value, says] of [
            ["!!!not base64!!!", "parameter DATABASE_CA_CERT is not base64"],
            [Buffer.from("hello").toString("base64"), "parameter DATABASE_CA_CERT holds no PEM certificate"],
        ]) {
            const r = await run(droplet, cmd.create, `${cmd.stdin}DATABASE_CA_CERT=${value}\n`);
            expect(r.code).to.not.equal(0);
            expect(r.stderr).to.contain(says);
        }
        expect(dockerCalls(droplet)).to.deep.equal([]);
    });

    describe("hostile values never execute", function () {
        // Every payload touches $PWNED, set in the script's environment: if any part of a value
        // were ever run as shell, the marker file would appear.
        let marker: string;
        let hostileEnv: Record<string, string>;
        beforeEach(function () {
            marker = path.join(droplet.state, "pwned");
            hostileEnv = { PWNED: marker };
        });
        const payloads = {
            owner: `x$(touch "$PWNED")`,
            task: "T-1;touch $PWNED;`touch $PWNED`",
            purpose: `'; touch $PWNED; echo "$(touch $PWNED)" \`touch $PWNED\` \\" \\\\ & | > $PWNED '"'`,
        };
        // A stack may widen taskPattern; even the widest lets nothing execute.
        const anyTask = { taskPattern: ".+" };
        const programErr = (claims: Record<string, Record<string, unknown>>) => programError(claims, { repository: repo.url, slotCount: 100, ...anyTask });

        it("owner, task and purpose with ; $() backticks and quotes pass validation and never reach the droplet", async function () {
            expect(await programErr({ [A]: { commit: repo.first, ...payloads } })).to.equal(undefined);
            const cmd = await command(A, { commit: repo.first, ...payloads }, anyTask);
            // They are the registry row's: the deployment's command, stdin and release carry none of
            // them; the task only as the data owner's digest (a hex string), never its text.
            const plain = await command(A, { commit: repo.first }, anyTask);
            expect({ ...cmd, stdin: withStdinLine(cmd.stdin, "DATA_OWNER", dataOwnerKey("JOB-123")) }).to.deep.equal(plain);
            expect(stdinValue(cmd.stdin, "DATA_OWNER")).to.equal(dataOwnerKey(payloads.task)).and.match(/^[0-9a-f]{16}$/);
            const r = await run(droplet, cmd.create, cmd.stdin, hostileEnv);
            ok(r);
            expect(existsSync(marker), "marker file").to.equal(false);
            ok(await run(droplet, cmd.delete, "", hostileEnv));
            expect(existsSync(marker), "marker file").to.equal(false);
        });

        it("a hostile branch is refused by validation, and the script keeps such a value as data", async function () {
            // A name git accepts as a branch (no spaces), so the remote can hold it.
            const branch = "x$(touch${IFS}$PWNED);`touch${IFS}$PWNED`\"q\"";
            expect(await programErr({ [A]: { commit: repo.first, branch } })).to.match(new RegExp(`staging-${A} branch: .*may contain only letters`));
            const cmd = await command(A, { commit: repo.first });
            const hostile = withStdinLine(cmd.stdin, "BRANCH", branch);
            // Not on the remote yet: refused by the branch check, and still nothing ran.
            const refused = await run(droplet, cmd.create, hostile, hostileEnv);
            expect(refused.code).to.not.equal(0);
            expect(refused.stderr).to.contain(`cannot fetch branch ${branch} from`);
            expect(existsSync(marker), "marker file").to.equal(false);
            git(repo.dir, "branch", branch, repo.second);
            const r = await run(droplet, cmd.create, hostile, hostileEnv);
            git(repo.dir, "branch", "-D", branch);
            ok(r);
            expect(existsSync(marker), "marker file").to.equal(false);
            expect(versionJson(droplet, A).branch).to.equal(branch);
            // Quoted so compose reads it without interpolating $(…).
            expect(envFile(droplet, A).get("APP_BRANCH")).to.equal(`'${branch}'`);
        });

        it("a line break is refused by validation and the renderer, and a smuggled stdin line is refused by the script", async function () {
            expect(await programErr({ [A]: { commit: repo.first, purpose: "QA\n$(touch $PWNED)" } })).to.match(new RegExp(`staging-${A} purpose`));
            const cmd = await command(A, { commit: repo.first });
            expect(() =>
                deployStdin({
                    layout: slotLayout(A, "justapply.net"),
                    claim: { ...claimOf(cmd.stdin), branch: "QA\ntouch $PWNED" },
                    repository: repo.url,
                    databaseUrl: "postgresql://x",
                    appEnv: {},
                    healthTimeoutSeconds: 10,
                    data: { databaseOnNewTask: "reset", volumesOnNewTask: "reset", pruneAfterHours: 72, minFreeDiskGb: 5 },
                }),
            ).to.throw(/BRANCH contains a line break/);

            const smuggled = [
                { line: "$(touch $PWNED)", says: "stdin line without KEY=VALUE form" },
                { line: "X=$(touch $PWNED)", says: "unknown parameter on stdin: X" },
                { line: "REPOSITORY=file:///tmp/evil;touch $PWNED", says: "parameter REPOSITORY given twice" },
                { line: "OWNER=`touch $PWNED`", says: "unknown parameter on stdin: OWNER" },
                { line: "BRANCH=`touch $PWNED`", says: "parameter BRANCH given twice" },
                { line: "HEALTH_TIMEOUT=1;touch $PWNED", says: "parameter HEALTH_TIMEOUT given twice" },
            ];
            for (const { line, says } of smuggled) {
                const r = await run(droplet, cmd.create, withStdinLine(cmd.stdin, "APP_ENV", `APP_ENV=staging\n${line}`), hostileEnv);
                expect(r.code, line).to.not.equal(0);
                expect(r.stderr, line).to.contain(says);
            }
            const tab = await run(droplet, cmd.create, withStdinLine(cmd.stdin, "BRANCH", "a\tb"), hostileEnv);
            expect(tab.stderr).to.contain("parameter BRANCH contains a control character");
            // bash's read would drop the NUL and read "featurelogin"; the script refuses the input instead.
            const nul = await run(droplet, cmd.create, withStdinLine(cmd.stdin, "BRANCH", "feature\0login"), hostileEnv);
            expect(nul.code).to.not.equal(0);
            expect(nul.stderr).to.contain("stdin contains a NUL byte");
            expect(existsSync(marker), "marker file").to.equal(false);
            expect(dockerCalls(droplet)).to.deep.equal([]);
            expect(existsSync(slotDir(droplet, A))).to.equal(false);
        });
    });

    itNeeds(["docker-compose"], "the example app's compose file reads the slot's env file: loopback ports, the slot's database, values verbatim", async function () {
        // Compose v1 (the parser CI has) interpolates ${…} even inside single quotes, compose v2
        // does not; every other special character below is read literally by both.
        const appEnv = { APP_ENV: "hello $(whoami) #not-a-comment `id` \"quoted\" $HOME" };
        const branch = "feature/a$b`c`";
        const cmd = await command(A, { commit: repo.first }, { appEnv });
        git(repo.dir, "branch", branch, repo.second);
        const r = await run(droplet, cmd.create, withStdinLine(cmd.stdin, "BRANCH", branch));
        git(repo.dir, "branch", "-D", branch);
        ok(r);
        const checkout = path.join(slotDir(droplet, A), "job-search-project");
        const envPath = path.join(slotDir(droplet, A), `.env.staging-${A}`);
        const text = execFileSync("docker-compose", ["-f", path.join(checkout, "docker-compose.yml"), "--env-file", envPath, "config"], {
            encoding: "utf8",
            cwd: checkout,
            env: { ...process.env, HOME: tmp },
        });
        interface ComposeConfig {
            services: Record<string, { ports: string[]; environment: Record<string, string>; build: { args: Record<string, string> } }>;
        }
        const config = parseYaml(text) as ComposeConfig;
        // `config` prints a literal $ as $$.
        const env = (service: string) =>
            Object.fromEntries(Object.entries(config.services[service].environment).map(([k, v]) => [k, String(v).replace(/\$\$/g, "$")]));
        expect(config.services["campaign-ui"].ports).to.deep.equal([`127.0.0.1:${5000 + A}:8000/tcp`]);
        expect(config.services.airflow.ports).to.deep.equal([`127.0.0.1:${8080 + A}:8080/tcp`]);
        expect(env("campaign-ui")).to.deep.equal({
            PORT: "8000",
            DATABASE_URL: stdinValue(cmd.stdin, "DATABASE_URL"),
            STAGING_SLOT: `staging-${A}`,
            APP_BRANCH: branch,
            APP_ENV: appEnv.APP_ENV,
        });
        expect(env("airflow")).to.deep.equal({ PORT: "8080", DATABASE_URL: stdinValue(cmd.stdin, "DATABASE_URL") });
        // The image is built from the deployed commit, and says so on /api/version.
        for (const service of ["campaign-ui", "airflow"]) expect(config.services[service].build.args).to.deep.equal({ APP_COMMIT: repo.first });
    });
});

/** The claim fields a deploy stdin carries, for rendering variants of it. */
function claimOf(stdin: string): Parameters<typeof deployStdin>[0]["claim"] {
    return { branch: stdinValue(stdin, "BRANCH"), commit: stdinValue(stdin, "COMMIT"), redeploy: 0 };
}

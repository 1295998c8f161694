// The `slots` command's contract, as tables of ok/fail cases run in process on temporary copies of
// the project's stack file. Every refused case also checks that the file was left byte for byte.

import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";

import {
    CHECK_HELP,
    CLAIM_HELP,
    COMMENT_HELP,
    DIFF_HELP,
    EXTEND_HELP,
    HELP,
    LIST_HELP,
    REDEPLOY_HELP,
    RELEASE_HELP,
    REPOINT_HELP,
    TABLE_HELP,
} from "../../cli/help";
import { tempDir } from "../helpers/tempDirs";
import { COMMIT, DIGIT_COMMIT, ROOT, Run, STACK_TEXT, claimArgs, run, stackText, tempProject } from "./harness";

/** Commands run first, each of which must succeed. */
type Setup = readonly (readonly string[])[];

interface Expect {
    /** Patterns stdout must match. */
    readonly stdout?: readonly RegExp[];
    /** Checks on the stack file's text afterwards. */
    readonly file?: (text: string, before: string) => void;
    readonly now?: Date;
}

async function prepare(setup: Setup): Promise<string> {
    const dir = tempProject();
    for (const argv of setup) {
        const r = await run(dir, argv);
        expect(r.code, `setup ${argv.join(" ")}: ${r.stderr}`).to.equal(0);
    }
    return dir;
}

function ok(name: string, argv: readonly string[], expected: Expect = {}, setup: Setup = []): void {
    it(name, async () => {
        const dir = await prepare(setup);
        const before = stackText(dir);
        const r: Run = await run(dir, argv, expected.now ? { now: expected.now } : {});
        expect(r.code, r.stderr).to.equal(0);
        for (const re of expected.stdout ?? []) expect(r.stdout).to.match(re);
        expected.file?.(stackText(dir), before);
    });
}

function fail(name: string, argv: readonly string[], code: 1 | 2, stderr: readonly RegExp[], setup: Setup = [], now?: Date): void {
    it(name, async () => {
        const dir = await prepare(setup);
        const before = stackText(dir);
        const r = await run(dir, argv, now ? { now } : {});
        expect(r.code, r.stdout + r.stderr).to.equal(code);
        for (const re of stderr) expect(r.stderr).to.match(re);
        expect(r.stderr, "no stack trace").not.to.match(/\n\s+at /);
        expect(stackText(dir), "the file is untouched").to.equal(before);
    });
}

function claims(text: string): Record<string, Record<string, unknown>> {
    const config = parseDocument(text).toJS() as { config: Record<string, unknown> };
    return (config.config["staging-slots:claims"] ?? {}) as Record<string, Record<string, unknown>>;
}

const LATER = new Date("2026-11-25T12:00:00Z");

describe("slots command", () => {
    describe("help and usage", () => {
        const helps: [string, string][] = [
            ["list", LIST_HELP],
            ["claim", CLAIM_HELP],
            ["repoint", REPOINT_HELP],
            ["release", RELEASE_HELP],
            ["redeploy", REDEPLOY_HELP],
            ["extend", EXTEND_HELP],
            ["check", CHECK_HELP],
            ["diff", DIFF_HELP],
            ["comment", COMMENT_HELP],
            ["table", TABLE_HELP],
        ];
        for (const [command, text] of helps) {
            it(`${command} --help prints its help and exits 0`, async () => {
                const r = await run(tempProject(), [command, "--help"]);
                expect(r).to.deep.equal({ code: 0, stdout: text, stderr: "" });
            });
        }
        it("--help prints the overview", async () => {
            expect(await run(tempProject(), ["--help"])).to.deep.equal({ code: 0, stdout: HELP, stderr: "" });
        });
        for (const command of ["plan", "guard"]) {
            it(`${command} --help is dispatched to its command`, async () => {
                const r = await run(tempProject(), [command, "--help"]);
                expect(r.code).to.equal(0);
                expect(r.stdout).to.match(new RegExp(`slots ${command}`));
            });
        }
        fail("no command", [], 2, [/Usage: slots <command>/]);
        fail("unknown command", ["grab"], 2, [/unknown command "grab"/, /Usage: slots <command>/]);
        it("an unknown command or option suggests the closest one and prints one line of usage, not the whole help", async () => {
            const dir = tempProject();
            expect(await run(dir, ["lsit"])).to.deep.equal({
                code: 2,
                stdout: "",
                stderr: 'slots: unknown command "lsit"; did you mean `list`?\nUsage: slots <command> [options] [--stack NAME]\nRun slots --help for every option.\n',
            });
            expect(await run(dir, ["list", "--jsn"])).to.deep.equal({
                code: 2,
                stdout: "",
                stderr: "slots: unknown option --jsn; did you mean --json?\nUsage: slots list [--wide] [--json] [--stack NAME]\nRun slots list --help for every option.\n",
            });
            const plan = await run(dir, ["plan", "--bse", "HEAD"]);
            expect(plan.code).to.equal(2);
            expect(plan.stderr).to.equal("slots: unknown option --bse; did you mean --base?\nUsage: slots plan [--base REV] [--json] [--stack NAME]\nRun slots plan --help for every option.\n");
        });
        it("in a checkout without node_modules says to run npm ci, in one line and no stack trace", () => {
            const dir = tempProject();
            mkdirSync(path.join(dir, "cli"));
            copyFileSync(path.join(ROOT, "cli", "bin.js"), path.join(dir, "cli", "bin.js"));
            const r = spawnSync(process.execPath, [path.join(dir, "cli", "bin.js"), "check"], { cwd: dir, encoding: "utf8" });
            expect(r.status).to.equal(1);
            expect(r.stderr).to.equal(`slots: the project's dependencies are not installed; run npm ci first (in ${dir})\n`);
        });
        it("plan --help and guard --help have the layout of the other commands", async () => {
            for (const command of ["plan", "guard"]) {
                const text = (await run(tempProject(), [command, "--help"])).stdout;
                // The usage may go on in indented continuation lines, as claim's does.
                expect(text).to.match(new RegExp(`^Usage: slots ${command} .*\\n(?: {19}\\S.*\\n)*\\n[^\\n]+`));
                expect(text).to.match(/\n\nOptions:\n(  --[a-z-]+( [A-Z]+)? +\S.*\n)+/);
                expect(text).to.match(/\n  --stack NAME          the stack whose file is read \(default: staging\)\n  -h, --help            show this help\n$/);
            }
        });
        fail("option before the command", ["--stack", "x", "list"], 2, [/the command comes first/]);
        fail("unknown option", ["list", "--colour"], 2, [/unknown option --colour\n/, /Usage: slots list/]);
        fail("claim without --task, --owner, --branch", ["claim"], 2, [/missing --task, --owner, --branch/, /Usage: slots claim/]);
        fail("a flag taken as a value", ["claim", "--task", "--owner", "bob", "--branch", "b"], 2, [/Option '--task' argument is ambiguous/]);
        fail("a slot that is not a number", ["release", "four"], 2, [/"four" is not a slot number/]);
        fail("release with a slot and --task", ["release", "4", "--task", "JOB-1"], 2, [/not both/]);
        fail("extra positional", ["redeploy", "4", "5"], 2, [/unexpected argument "5"/]);
        fail("extend without a note", ["extend", "1"], 2, [/missing --long-running/], [claimArgs("JOB-1")]);
        fail("a stack name that is not one", ["list", "--stack", "../x"], 1, [/stack name/]);
        fail("a stack with no file", ["list", "--stack", "prod"], 1, [/Pulumi\.prod\.yaml not found/]);
    });

    describe("claim", () => {
        ok("takes the lowest free slot of the qa pool", claimArgs("JOB-1"), {
            stdout: [/Claimed staging-1 for JOB-1: https:\/\/staging-1\.justapply\.net/, /staging-1: Available → In Use by alice for JOB-1, feature\/login @ 0123456/, /Next: commit Pulumi\.staging\.yaml/],
            file: (text) =>
                expect(claims(text)).to.deep.equal({
                    "1": { owner: "alice", task: "JOB-1", branch: "feature/login", commit: COMMIT, claimedAt: "2026-11-23T12:00:00Z" },
                }),
        });
        ok("skips held slots", claimArgs("JOB-2"), { stdout: [/Claimed staging-2/] }, [claimArgs("JOB-1")]);
        ok("takes the slot asked for", claimArgs("JOB-4", ["--slot", "4"]), { file: (t) => expect(Object.keys(claims(t))).to.deep.equal(["4"]) });
        ok("keeps claims in slot order", claimArgs("JOB-2", ["--slot", "2"]), { file: (t) => expect(Object.keys(claims(t))).to.deep.equal(["2", "5"]) }, [claimArgs("JOB-5", ["--slot", "5"])]);
        ok("takes the staging pool's slot and records the pool", claimArgs("REL-1", ["--pool", "staging"]), {
            file: (t) => expect(claims(t)["10"]).to.include({ pool: "staging" }),
        });
        ok("writes purpose and long-running note", claimArgs("JOB-1", ["--purpose", "QA for PR #123", "--long-running", "soak until Friday"]), {
            file: (t) => {
                expect(claims(t)["1"]).to.include({ purpose: "QA for PR #123", longRunning: "soak until Friday" });
                expect(t).to.contain('purpose: "QA for PR #123"');
            },
        });
        ok("keeps an all-digit commit a quoted string", ["claim", "--task", "JOB-1", "--owner", "alice", "--branch", "b", "--commit", DIGIT_COMMIT], {
            file: (t) => {
                expect(t).to.contain(`commit: "${DIGIT_COMMIT}"`);
                expect(claims(t)["1"].commit).to.equal(DIGIT_COMMIT);
            },
        });
        ok("quotes values a YAML 1.1 reader would turn into booleans", ["claim", "--task", "JOB-1", "--owner", "no", "--branch", "on", "--commit", COMMIT], {
            file: (t) => {
                expect(t).to.contain('owner: "no"');
                expect(t).to.contain('branch: "on"');
            },
        });
        ok("keeps every comment and untouched line", claimArgs("JOB-1"), {
            file: (text, before) => {
                const kept = before.split("\n").filter((l) => !l.includes("staging-slots:claims"));
                const lines = text.split("\n");
                for (const line of kept) expect(lines).to.include(line);
            },
        });

        fail("a held slot, naming holder and task", claimArgs("JOB-2", ["--slot", "1"]), 1, [/staging-1 is held by alice for JOB-1/], [claimArgs("JOB-1")]);
        fail("a second slot for one task, naming it", claimArgs("JOB-1", ["--slot", "3"]), 1, [/task JOB-1 already holds staging-1/], [claimArgs("JOB-1")]);
        fail("a full pool, listing who holds it", claimArgs("REL-2", ["--pool", "staging"]), 1, [/pool staging has no free slot/, /staging-10: alice for REL-1/], [claimArgs("REL-1", ["--pool", "staging"])]);
        fail("a slot reserved for another pool", claimArgs("JOB-1", ["--slot", "10"]), 1, [/staging-10 is not in pool qa .*reserved for pool staging/]);
        fail("a slot the stack does not have", claimArgs("JOB-1", ["--slot", "11"]), 1, [/there is no staging-11: this stack has 10 slots/]);
        fail("a pool that is not defined", claimArgs("JOB-1", ["--pool", "ci"]), 1, [/pool "ci" is not defined; the pools are qa, staging/]);
        const invalid: [string, string[], RegExp][] = [
            ["an empty owner", ["--owner", " "], /staging-1 owner: owner must not be empty/],
            ["an owner with a line break", ["--owner", "al\nice"], /staging-1 owner: .*line break/],
            ["an owner over 64 characters", ["--owner", "a".repeat(65)], /staging-1 owner: owner is 65 characters long; the limit is 64/],
            ["a task over 64 characters", ["--task", "T".repeat(65)], /staging-1 task: task is 65 characters long/],
            ["a commit that is not hex", ["--commit", "xyz"], /staging-1 commit: .*full 40-character/],
            ["a purpose over 200 characters", ["--purpose", "p".repeat(201)], /staging-1 purpose: purpose is 201 characters long/],
            ["a long-running note with a control character", ["--long-running", "soak\u0007"], /staging-1 longRunning: .*control character/],
        ];
        for (const [what, flags, message] of invalid) {
            const argv = claimArgs("JOB-1");
            for (let i = 0; i < flags.length; i += 2) {
                const at = argv.indexOf(flags[i]);
                if (at === -1) argv.push(flags[i], flags[i + 1]);
                else argv[at + 1] = flags[i + 1];
            }
            fail(`${what}`, argv, 1, [/would have 1 problem after this change; nothing was written/, message]);
        }
        const asAlice = ["claim", "--task", "JOB-1", "--owner", "alice"];
        fail("a branch with a space", [...asAlice, "--branch", "feature login", "--commit", COMMIT], 1, [/^branch "feature login" may contain only/]);
        fail("a branch with '..'", [...asAlice, "--branch", "a..b", "--commit", COMMIT], 1, [/^branch "a\.\.b" must not contain '\.\.'/]);
        fail("a short commit the repository cannot resolve, with the full-SHA hint", [...asAlice, "--branch", "feature/login", "--commit", "1a2b3c4"], 1, [
            /^--commit: commit 1a2b3c4 is not a full SHA and git@github\.com:justapply\/job-search-project\.git cannot be asked to resolve it \(.+\); pass the full 40-character SHA \(git rev-parse 1a2b3c4\)\n$/,
        ]);
        it("lowercases an upper-case commit and says, on one line, that it could not be verified offline", async () => {
            const dir = tempProject();
            const r = await run(dir, [...asAlice, "--branch", "feature/login", "--commit", COMMIT.toUpperCase()]);
            expect(r.code, r.stderr).to.equal(0);
            expect(claims(stackText(dir))["1"].commit).to.equal(COMMIT);
            expect(r.stderr).to.match(/^warning: --commit: could not reach git@github\.com:justapply\/job-search-project\.git \(.+\); commit 0123456789ab not verified\n$/);
        });
        it("refuses when the stack file already has a problem, listing it with its line", async () => {
            const dir = tempProject(STACK_TEXT.replace("staging-slots:domain: justapply.net", "staging-slots:domain: Just Apply"));
            const before = stackText(dir);
            const r = await run(dir, claimArgs("JOB-1"));
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/has 1 problem; fix it before you claim a slot/);
            expect(r.stderr).to.match(/Pulumi\.staging\.yaml:4: staging-slots:domain: domain "Just Apply"/);
            expect(stackText(dir)).to.equal(before);
        });
    });

    describe("release, redeploy, extend", () => {
        it("claim then release gives back the file byte for byte", async () => {
            const dir = tempProject();
            for (const argv of [claimArgs("JOB-1"), claimArgs("JOB-7", ["--slot", "7", "--purpose", "QA"]), ["release", "1"], ["release", "--task", "JOB-7"]]) {
                expect((await run(dir, argv)).code).to.equal(0);
            }
            expect(stackText(dir)).to.equal(STACK_TEXT);
        });
        ok("release --task frees the task's slot", ["release", "--task", "JOB-3"], {
            stdout: [/Released staging-3; its database is kept/, /staging-3: In Use by alice for JOB-3 → Available/],
            file: (t) => expect(Object.keys(claims(t))).to.deep.equal(["1"]),
        }, [claimArgs("JOB-1"), claimArgs("JOB-3", ["--slot", "3"])]);
        ok("redeploy bumps the counter", ["redeploy", "1"], {
            stdout: [/redeploy 1 → 2/],
            file: (t) => expect(claims(t)["1"]).to.include({ redeploy: 2, commit: COMMIT }),
        }, [claimArgs("JOB-1"), ["redeploy", "1"]]);
        ok("extend adds the long-running note in field order", ["extend", "staging-1", "--long-running", "soak test"], {
            file: (t) => {
                expect(claims(t)["1"].longRunning).to.equal("soak test");
                expect(Object.keys(claims(t)["1"])).to.deep.equal(["owner", "task", "branch", "commit", "claimedAt", "longRunning"]);
            },
        }, [claimArgs("JOB-1")]);
        it("release of a free slot exits 0 with a note and leaves the file as it is", async () => {
            const dir = tempProject();
            const r = await run(dir, ["release", "2"]);
            expect(r).to.deep.equal({ code: 0, stdout: "staging-2 is not claimed; nothing to release.\n", stderr: "" });
            expect(stackText(dir)).to.equal(STACK_TEXT);
        });
        fail("release of a task with no slot", ["release", "--task", "JOB-9"], 1, [/no slot is held for task JOB-9/]);
        for (const command of ["release", "repoint", "comment"]) {
            it(`${command} --task finds the claim whatever the task's case`, async () => {
                const dir = await prepare([claimArgs("JOB-7", ["--slot", "7"])]);
                const argv = command === "repoint" ? ["repoint", "--task", "job-7", "--commit", COMMIT.replace("0123", "4567")] : [command, "--task", "job-7"];
                const r = await run(dir, argv);
                expect(r.code, r.stderr).to.equal(0);
                expect(r.stdout).to.contain("staging-7");
            });
        }
        fail("a second claim for a task in another case", claimArgs("job-1", ["--slot", "3"]), 1, [/task job-1 already holds staging-1/], [claimArgs("JOB-1")]);
        fail("redeploy of a free slot", ["redeploy", "2"], 1, [/staging-2 is not claimed/]);
        ok("extend --until writes expiresAt as a quoted UTC time, from a date or a date-time", ["extend", "1", "--long-running", "soak", "--until", "2026-12-01"], {
            stdout: [/staging-1 stays claimed until 2026-12-01T00:00:00Z, then shows as stale\./, /staging-1: In Use by alice for JOB-1; long-running: soak; until 2026-12-01T00:00:00Z\n/],
            file: (t) => {
                expect(t).to.contain('expiresAt: "2026-12-01T00:00:00Z"');
                expect(Object.keys(claims(t)["1"])).to.deep.equal(["owner", "task", "branch", "commit", "claimedAt", "longRunning", "expiresAt"]);
            },
        }, [claimArgs("JOB-1")]);
        ok("extend --until alone keeps the claim's note and takes a time", ["extend", "1", "--until", "2026-11-24T18:30Z"], {
            file: (t) => expect(claims(t)["1"]).to.include({ longRunning: "soak", expiresAt: "2026-11-24T18:30:00Z" }),
        }, [claimArgs("JOB-1", ["--long-running", "soak"])]);
        fail("extend --until with no note anywhere", ["extend", "1", "--until", "2026-12-01"], 1, [/^staging-1 has no long-running note; say why it stays: slots extend 1 --until 2026-12-01 --long-running "why"\n$/], [claimArgs("JOB-1")]);
        fail("extend --until in the past", ["extend", "1", "--long-running", "x", "--until", "2026-11-01"], 1, [/^--until 2026-11-01T00:00:00Z is not in the future; give a later date \(it is now 2026-11-23T12:00:00Z\)\n$/], [claimArgs("JOB-1")]);
        fail("extend --until that is not a date", ["extend", "1", "--long-running", "x", "--until", "next friday"], 1, [/^--until "next friday" is not a UTC date or time; write it like 2026-12-01 or 2026-12-01T18:00Z\n$/], [claimArgs("JOB-1")]);
        fail("extend with a note over 200 characters", ["extend", "1", "--long-running", "x".repeat(201)], 1, [/staging-1 longRunning: longRunning is 201 characters long/], [claimArgs("JOB-1")]);
    });

    describe("list, check, comment, table", () => {
        ok("list shows every slot with its claim", ["list"], {
            stdout: [/^SLOT +STATUS +OWNER/, /staging-1 +In Use +alice +JOB-1 +feature\/login +0123456 +0m +- +qa +https:\/\/staging-1\.justapply\.net +5001 +8081 +job_search_staging_1/m, /staging-10 +Available .* staging /, /1 of 10 slots in use\./],
        }, [claimArgs("JOB-1")]);
        ok("list marks a stale claim", ["list"], { now: LATER, stdout: [/staging-1 +In Use \(stale\) +alice/, /Stale \(past their end, or over 24h with no long-running note\): staging-1/] }, [claimArgs("JOB-1")]);
        ok("list shows a note without an end as open-ended, and an end as the time it ends", ["list"], {
            now: LATER,
            stdout: [/staging-1 +In Use +alice .* open-ended /, /staging-2 +In Use +alice .* 2026-12-01 00:00 /],
        }, [claimArgs("JOB-1", ["--long-running", "soak"]), claimArgs("JOB-2", ["--long-running", "demo"]), ["extend", "2", "--until", "2026-12-01"]]);
        it("list fits an 80- and a 120-column terminal, dropping and cutting columns in a fixed order; --wide shows all", async () => {
            const long = ["--owner", "alice.with-a-long-name", "--branch", "feature/a-rather-long-branch-name-for-the-login-page", "--purpose", "QA for PR #123: the new login page, with SSO"];
            const dir = await prepare([claimArgs("JOB-1", long), claimArgs("JOB-2", [...long, "--long-running", "soak test"])]);
            for (const columns of [80, 120]) {
                const r = await run(dir, ["list"], { isTTY: true, env: { NO_COLOR: "1", COLUMNS: String(columns) } });
                const table = r.stdout.split("\n").filter((l) => l.startsWith("SLOT") || l.startsWith("staging-"));
                expect(table).to.have.length(11);
                for (const l of table) expect(l.length, l).to.be.at.most(columns);
                expect(table[0]).to.match(/^SLOT +STATUS +OWNER +TASK +BRANCH +COMMIT/);
                expect(table[0]).not.to.contain("DATABASE");
                expect(table[1]).to.match(/^staging-1 +In Use +alice\S* +JOB-1 +feature\/\S*…? +0123456/);
            }
            const narrow = (await run(dir, ["list"], { isTTY: true, env: { NO_COLOR: "1", COLUMNS: "80" } })).stdout;
            expect(narrow).to.contain("…");
            const wide = (await run(dir, ["list", "--wide"], { isTTY: true, env: { NO_COLOR: "1", COLUMNS: "80" } })).stdout;
            expect(wide).to.match(/^SLOT +STATUS +OWNER +TASK +BRANCH +COMMIT +AGE +UNTIL +POOL +URL +UI +AIRFLOW +DATABASE +HOST +NOTE$/m);
            expect(wide).to.contain("feature/a-rather-long-branch-name-for-the-login-page");
        });
        it("list has no colour off a terminal and colour on one", async () => {
            const dir = await prepare([claimArgs("JOB-1")]);
            expect((await run(dir, ["list"])).stdout).not.to.contain("\u001b[");
            expect((await run(dir, ["list"], { isTTY: true })).stdout).to.contain("\u001b[33mIn Use");
            expect((await run(dir, ["list"], { isTTY: true, env: { NO_COLOR: "1" } })).stdout).not.to.contain("\u001b[");
        });
        it("list --json has a stable shape", async () => {
            const dir = await prepare([claimArgs("JOB-1", ["--long-running", "soak"])]);
            const r = await run(dir, ["list", "--json"], { now: LATER });
            const out = JSON.parse(r.stdout) as { stack: string; slots: Record<string, unknown>[] };
            expect(out.stack).to.equal("staging");
            expect(out.slots).to.have.length(10);
            expect(out.slots[0]).to.deep.equal({
                slot: 1, id: "staging-1", url: "https://staging-1.justapply.net", campaignUiPort: 5001, airflowPort: 8081, database: "job_search_staging_1",
                pools: ["qa"], status: "In Use", owner: "alice", task: "JOB-1", branch: "feature/login", commit: COMMIT, purpose: null,
                claimedAt: "2026-11-23T12:00:00Z", ageSeconds: 172800, pool: "qa", longRunning: "soak", expiresAt: null, openEnded: true, redeploy: 0, stale: false, host: "staging",
            });
            expect(out.slots[9]).to.include({ id: "staging-10", status: "Available", owner: null, stale: false });
            expect(out.slots[9].pools).to.deep.equal(["staging"]);
        });
        ok("check passes a valid file", ["check"], { stdout: [/Pulumi\.staging\.yaml: ok \(1 of 10 slots claimed\)/] }, [claimArgs("JOB-1")]);
        ok("check warns about a stale claim without failing", ["check"], { now: LATER, stdout: [/ok \(1 of 10 slots claimed, 1 stale\)/] }, [claimArgs("JOB-1")]);
        fail("check --strict fails on a stale claim", ["check", "--strict"], 1, [/Pulumi\.staging\.yaml:\d+: staging-1 longRunning: claimed by alice for JOB-1 at 2026-11-23T12:00:00Z, over 24 hours ago/], [claimArgs("JOB-1")], LATER);
        it("check lists every problem at once, each with its line", async () => {
            const broken = STACK_TEXT.replace("staging-slots:slotCount: 10", "staging-slots:slotCount: 0").replace(
                "staging-slots:claims: {}",
                `staging-slots:claims:\n    "4":\n      owner: alice\n      task: JOB-1\n      branch: feature/login\n      commit: ${DIGIT_COMMIT}\n      claimedAt: "2026-11-23T10:00:00Z"\n      colour: red`,
            );
            const r = await run(tempProject(broken), ["check"]);
            expect(r.code).to.equal(1);
            const lines = r.stderr.trim().split("\n");
            expect(lines).to.have.length(3);
            expect(lines[0]).to.match(/^Pulumi\.staging\.yaml:5: staging-slots:slotCount: must be a whole number from 1 to 100/);
            expect(lines.join("\n")).to.match(/Pulumi\.staging\.yaml:33: staging-4 colour: unknown claim field "colour"/);
            expect(lines.join("\n")).to.match(/Pulumi\.staging\.yaml:31: staging-4 commit: commit was read as a YAML number/);
        });
        it("check reports broken YAML with its line", async () => {
            const r = await run(tempProject(STACK_TEXT.replace("  staging-slots:region: nyc3", "  staging-slots:region: [nyc3")), ["check"]);
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/^Pulumi\.staging\.yaml:\d+: not valid YAML/);
        });
        it("check reports one slot claimed under two spellings of its key", async () => {
            const claim = `owner: a\n      task: T-1\n      branch: b\n      commit: "${COMMIT}"\n      claimedAt: "2026-11-23T10:00:00Z"`;
            const text = STACK_TEXT.replace("staging-slots:claims: {}", `staging-slots:claims:\n    "4":\n      ${claim}\n    4:\n      ${claim.replace("T-1", "T-2")}`);
            const r = await run(tempProject(text), ["check"]);
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/^Pulumi\.staging\.yaml:\d+: staging-4: slot 4 is claimed twice \(once as "4" \(line \d+\), once as 4 \(line \d+\)\)/);
        });
        describe("comment and table say when a slot was really deployed", () => {
            // A pulumi stand-in on an otherwise empty PATH: it prints the stack outputs given in $OUTPUTS.
            function pulumiBin(outputs: string | undefined): Record<string, string | undefined> {
                const bin = tempDir("slots-pulumi-");
                if (outputs !== undefined) {
                    writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\n[ "$1 $2 $3" = "stack output --json" ] || exit 9\nprintf '%s\\n' '${outputs}'\n`, { mode: 0o755 });
                }
                return { PATH: bin };
            }
            const deployedOutputs = (commit: string): string => JSON.stringify({ slots: [{ slot: 1, commit, deployedAt: "2026-11-23T12:07:31Z" }, { slot: 2, commit: null, deployedAt: null }] });
            const comment = (lines: string): RegExp =>
                new RegExp(`^\\*\\*Staging Deployment\\*\\*\\n- Slot: staging-1\\n- Branch: feature/login\\n- Commit: ${COMMIT}\\n${lines}- URL: https://staging-1\\.justapply\\.net\\n$`);
            it("without the stack outputs: Claimed at the claim time, Deployed pending", async () => {
                const dir = await prepare([claimArgs("JOB-1")]);
                const r = await run(dir, ["comment", "1"], { env: pulumiBin(undefined) });
                expect(r.code, r.stderr).to.equal(0);
                expect(r.stdout).to.match(comment("- Claimed: 2026-11-23T12:00:00Z\\n- Deployed: pending \\(pulumi up\\)\\n"));
                expect(r.stdout).not.to.match(/Deployed: 2026/);
            });
            it("with the stack outputs: the real deployment time, only for the claim's own commit", async () => {
                const dir = await prepare([claimArgs("JOB-1")]);
                const r = await run(dir, ["comment", "1", "--from-stack"], { env: pulumiBin(deployedOutputs(COMMIT)) });
                expect(r.code, r.stderr).to.equal(0);
                expect(r.stdout).to.match(comment("- Deployed: 2026-11-23T12:07:31Z\\n"));
                const older = await run(dir, ["comment", "1"], { env: pulumiBin(deployedOutputs("f".repeat(40))) });
                expect(older.stdout).to.contain("- Deployed: pending (pulumi up)");
                const json = JSON.parse((await run(dir, ["comment", "1", "--json"], { env: pulumiBin(deployedOutputs(COMMIT)) })).stdout) as Record<string, unknown>;
                expect(json).to.include({ slot: 1, commit: COMMIT, claimedAt: "2026-11-23T12:00:00Z", deployedAt: "2026-11-23T12:07:31Z" });
                expect(json.markdown).to.match(comment("- Deployed: 2026-11-23T12:07:31Z\\n"));
            });
            it("--from-stack without a pulumi that can answer is refused, naming why", async () => {
                const dir = await prepare([claimArgs("JOB-1")]);
                const r = await run(dir, ["comment", "1", "--from-stack"], { env: pulumiBin(undefined) });
                expect(r.code).to.equal(1);
                expect(r.stderr).to.match(/^--from-stack: cannot read the outputs of stack staging: the pulumi CLI is not installed or not on PATH; /);
            });
            it("table: Deployed At from the stack outputs, else pending, and --json", async () => {
                const dir = await prepare([claimArgs("JOB-1", ["--purpose", "QA"])]);
                const pending = await run(dir, ["table"], { env: pulumiBin(undefined) });
                expect(pending.stdout).to.match(/^\| Slot \| Status \| Owner \| Branch \| Commit SHA \| Deployed At \| Purpose \|\n\|------/);
                expect(pending.stdout).to.contain(`\n| 1 | In Use | alice | feature/login | ${COMMIT} | pending | QA |\n| 2 | Available | - | - | - | - | - |\n`);
                const real = await run(dir, ["table", "--json"], { env: pulumiBin(deployedOutputs(COMMIT)) });
                const json = JSON.parse(real.stdout) as { rows: Record<string, unknown>[]; markdown: string };
                expect(json.rows[0]).to.deep.equal({ slot: 1, status: "In Use", owner: "alice", branch: "feature/login", commit: COMMIT, deployedAt: "2026-11-23T12:07:31Z", purpose: "QA" });
                expect(json.rows[1]).to.include({ slot: 2, status: "Available", deployedAt: null });
                expect(json.markdown).to.contain(`| 1 | In Use | alice | feature/login | ${COMMIT} | 2026-11-23T12:07:31Z | QA |`);
            });
        });
        fail("comment on a free slot", ["comment", "2"], 1, [/staging-2 is not claimed/]);
    });

    describe("the lock", () => {
        it("refuses, naming the lock file, when a dead process left it", async () => {
            const dir = tempProject();
            const { writeFileSync } = await import("node:fs");
            const { hostname } = await import("node:os");
            writeFileSync(`${dir}/Pulumi.staging.yaml.lock`, JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), at: "2026-11-23T11:00:00Z", token: "x" }));
            const r = await run(dir, claimArgs("JOB-1"));
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/Pulumi\.staging\.yaml\.lock was left by process \d+ .* delete Pulumi\.staging\.yaml\.lock/);
            expect(stackText(dir)).to.equal(STACK_TEXT);
        });
    });
});

// One hostile stack file, every reader: check, diff, plan, guard and `npm run plan` must refuse it
// alike, with the same line, exit 1, no stack trace, and leave the file byte-identical.

import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

import { guardCommand } from "../../cli/guard";
import { planCommand } from "../../cli/plan";
import { ConfigError, formatProblem } from "../../components/validation";
import { main as npmRunPlan } from "../../offline/plan";
import { evaluate } from "../../offline/recorder";
import { parseStackConfig } from "../../offline/stackFile";
import { NOW } from "../helpers/config";
import { COMMIT, STACK_TEXT, run } from "./harness";
import { StackRepo, captureIo } from "../plan/stackRepo";

const CLAIM = `owner: alice\n      task: JOB-1\n      branch: feature/login\n      commit: "${COMMIT}"\n      claimedAt: "2026-11-23T10:00:00Z"`;

function withClaims(claims: string, extra = ""): string {
    return STACK_TEXT.replace("  staging-slots:claims: {}", `${extra}  staging-slots:claims:\n${claims}`);
}

interface Hostile {
    readonly name: string;
    readonly text: string;
    /** What every reader must say, line number included. */
    readonly says: RegExp;
}

const HOSTILE: readonly Hostile[] = [
    {
        name: "one slot under two spellings of its key (4 and \"4\")",
        text: withClaims(`    4:\n      ${CLAIM}\n    "4":\n      ${CLAIM.replace("JOB-1", "JOB-2")}`),
        says: /Pulumi\.staging\.yaml:\d+: staging-4: slot 4 is claimed twice \(once as 4 \(line \d+\), once as "4" \(line \d+\)\)/,
    },
    {
        name: "one slot as 4 and 4.0",
        text: withClaims(`    4:\n      ${CLAIM}\n    4.0:\n      ${CLAIM.replace("JOB-1", "JOB-2")}`),
        says: /staging-4: slot 4 is claimed twice \(once as 4 \(line \d+\), once as 4\.0 \(line \d+\)\)/,
    },
    {
        name: "staging-slots:claims and a bare claims",
        text: withClaims(`    "4":\n      ${CLAIM}`, `  claims:\n    "5":\n      ${CLAIM.replace("JOB-1", "JOB-2")}\n`),
        says: /Pulumi\.staging\.yaml:\d+: staging-slots:claims: given 2 times, as "claims" \(line \d+\) and "staging-slots:claims" \(line \d+\)/,
    },
    {
        name: "a key under its legacy staging-slots:config: spelling",
        text: withClaims("    {}", "  staging-slots:config:region: ams3\n").replace("  staging-slots:claims:\n    {}", "  staging-slots:claims: {}"),
        says: /staging-slots:region: given 2 times, as "staging-slots:region" \(line \d+\) and "staging-slots:config:region"/,
    },
    {
        name: "an unquoted 012: slot 10 to Pulumi, slot 12 to YAML 1.2",
        text: withClaims(`    012:\n      ${CLAIM}`),
        says: /Pulumi\.staging\.yaml:\d+: staging-slots:claims: the key 012 is slot 10 to Pulumi \(YAML 1\.1\) but slot 12 to YAML 1\.2 tools; write the slot you mean in plain digits, quoted: "10" or "12"/,
    },
    {
        name: "an owner written yes",
        text: withClaims(`    "4":\n      ${CLAIM.replace("owner: alice", "owner: yes")}`),
        says: /staging-4 owner: the unquoted value yes is the boolean true to Pulumi \(YAML 1\.1\) but the string "yes" to YAML 1\.2 tools; quote it \("yes"\)/,
    },
    {
        name: "a commit tagged !!binary",
        text: withClaims(`    "4":\n      ${CLAIM.replace(`commit: "${COMMIT}"`, "commit: !!binary aGVsbG8=")}`),
        says: /staging-4 commit: the value is tagged !!binary, which the stack file does not support/,
    },
    {
        name: "a redeploy counter of 1e400 (Infinity, which JSON would turn into a missing value)",
        text: withClaims(`    "4":\n      ${CLAIM}\n      redeploy: 1e400`),
        says: /staging-4 redeploy: 1e400 is not a finite number \(Infinity\)/,
    },
    {
        name: "an alias bomb",
        text: `${STACK_TEXT}  x-a: &a [x, x, x, x, x, x, x, x, x, x]\n  x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  x-d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
        says: /^Pulumi\.staging\.yaml: its aliases \(\*name\) expand to more than 100 copies, as an alias bomb does/,
    },
];

type Said = Record<string, { code: number; err: string }>;

/**
 * Runs every reader on the file in `dir`. `describes` adds the commands that describe or remove a
 * claim without judging the rest of the config (diff, release): they still refuse a file whose
 * YAML the engine would read differently. `program` adds the program itself.
 */
async function readAll(dir: string, text: string, opts: { describes: boolean; program: boolean }): Promise<Said> {
    writeFileSync(path.join(dir, "preview.json"), readFileSync(path.join(__dirname, "..", "fixtures", "preview", "claim-staging-4.json")));
    const said: Said = {};
    const commands: string[][] = [["check"], ["list"], ["claim", "--task", "JOB-77", "--owner", "x", "--branch", "main", "--commit", COMMIT]];
    if (opts.describes) commands.push(["diff"], ["release", "4"]);
    for (const argv of commands) {
        const r = await run(dir, argv);
        said[argv[0]] = { code: r.code, err: r.stderr };
    }
    const plan = captureIo(dir);
    said.plan = { code: await planCommand([], plan.io), err: plan.stderr() };
    const guard = captureIo(dir);
    said.guard = { code: await guardCommand(["--preview", "preview.json"], guard.io), err: guard.stderr() };
    let npmErr = "";
    const npmCode = await npmRunPlan([], dir, () => undefined, (s) => (npmErr += s));
    said["npm run plan"] = { code: npmCode, err: npmErr };
    if (opts.program) {
        const ev = await evaluate(parseStackConfig(text, "Pulumi.staging.yaml"), { now: NOW });
        const refused = ev.error instanceof ConfigError && ev.resources.length === 0;
        said.program = { code: refused ? 1 : 0, err: ev.error instanceof ConfigError ? ev.error.problems.map(formatProblem).join("\n") : String(ev.error) };
    }
    return said;
}

function suite(title: string, cases: readonly Hostile[], opts: { describes: boolean; program: boolean }): void {
    describe(title, () => {
        let repo: StackRepo;
        beforeEach(() => {
            repo = new StackRepo();
            writeFileSync(path.join(repo.dir, "Pulumi.staging.yaml"), STACK_TEXT);
            repo.git("add", "Pulumi.staging.yaml");
            repo.git("commit", "-q", "-m", "base");
        });
        afterEach(() => repo.remove());

        for (const h of cases) {
            it(h.name, async () => {
                const file = path.join(repo.dir, "Pulumi.staging.yaml");
                writeFileSync(file, h.text);
                for (const [reader, r] of Object.entries(await readAll(repo.dir, h.text, opts))) {
                    expect(r.code, `${reader}: ${r.err}`).to.equal(1);
                    expect(r.err, reader).to.match(new RegExp(h.says.source, "m"));
                    expect(r.err, reader).to.not.match(/\n\s+at /);
                    expect(r.err, reader).to.not.include("TEST-ONLY-plain-key");
                }
                expect(readFileSync(file, "utf8")).to.equal(h.text);
            });
        }
    });
}

suite("a hostile stack file is refused by every reader alike", HOSTILE, { describes: true, program: false });

// Problems of the config rather than of its YAML: every reader that judges the file refuses it,
// and so does the program when the engine hands it the same config (diff only describes).
const INVALID: readonly Hostile[] = [
    {
        name: "a secret key in plain text",
        text: STACK_TEXT.replace("  staging-slots:claims: {}", "  staging-slots:claims: {}\n  staging-slots:repositoryKey: TEST-ONLY-plain-key"),
        says: /staging-slots:repositoryKey: staging-slots:repositoryKey is a secret but the stack file holds it in plain text/,
    },
    {
        name: "a task with a zero-width space",
        text: withClaims(`    "4":\n      ${CLAIM.replace("JOB-1", "JOB-\u200B1")}`),
        says: /staging-4 task: task contains the invisible or bidirectional control character U\+200B/,
    },
    {
        name: "adminCidrs that add up to the whole internet",
        text: STACK_TEXT.replace("    - 203.0.113.0/24", "    - 0.0.0.0/1\n    - 128.0.0.0/1"),
        says: /staging-slots:adminCidrs: 0\.0\.0\.0\/1, 128\.0\.0\.0\/1 together cover the whole IPv4 address space/,
    },
    {
        name: "a misspelled project prefix",
        text: STACK_TEXT.replace("  staging-slots:region: nyc3", "  staging-slot:region: nyc3"),
        says: /staging-slot:region: "staging-slot:region" is under the namespace "staging-slot", which nothing reads: the prefix is misspelled; did you mean staging-slots:region\?/,
    },
];

suite("an invalid stack config is refused by every reader that judges it, and by the program", INVALID, { describes: false, program: true });

describe("a hostile stack file at the base revision is refused, naming the revision", () => {
    let repo: StackRepo;
    afterEach(() => repo.remove());

    it("by diff, plan and guard", async () => {
        repo = new StackRepo();
        const file = path.join(repo.dir, "Pulumi.staging.yaml");
        writeFileSync(file, withClaims(`    "4":\n      ${CLAIM.replace("owner: alice", "owner: on")}`));
        repo.git("add", "Pulumi.staging.yaml");
        repo.git("commit", "-q", "-m", "hostile base");
        writeFileSync(file, STACK_TEXT);
        writeFileSync(path.join(repo.dir, "preview.json"), readFileSync(path.join(__dirname, "..", "fixtures", "preview", "claim-staging-4.json")));
        const diff = await run(repo.dir, ["diff", "--base", "HEAD"]);
        const plan = captureIo(repo.dir);
        const planCode = await planCommand(["--base", "HEAD"], plan.io);
        const guard = captureIo(repo.dir);
        const guardCode = await guardCommand(["--preview", "preview.json", "--base", "HEAD"], guard.io);
        for (const [reader, code, err] of [["diff", diff.code, diff.stderr], ["plan", planCode, plan.stderr()], ["guard", guardCode, guard.stderr()]] as const) {
            expect(code, `${reader}: ${err}`).to.equal(1);
            expect(err, reader).to.match(/^Pulumi\.staging\.yaml at HEAD:\d+: staging-4 owner: the unquoted value on is the boolean true to Pulumi \(YAML 1\.1\)/m);
        }
    });
});

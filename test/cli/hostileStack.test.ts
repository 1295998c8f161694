// One hostile stack file, every reader: check, diff, plan, guard and `npm run plan` must refuse it
// alike, with the same line, exit 1, no stack trace, and leave the file byte-identical.

import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

import { guardCommand } from "../../cli/guard";
import { planCommand } from "../../cli/plan";
import { main as npmRunPlan } from "../../offline/plan";
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
        says: /Pulumi\.staging\.yaml:\d+: slot 4 is claimed twice \(once as 4 \(line \d+\), once as "4" \(line \d+\)\)/,
    },
    {
        name: "one slot as 4 and 4.0",
        text: withClaims(`    4:\n      ${CLAIM}\n    4.0:\n      ${CLAIM.replace("JOB-1", "JOB-2")}`),
        says: /slot 4 is claimed twice \(once as 4 \(line \d+\), once as 4\.0 \(line \d+\)\)/,
    },
    {
        name: "staging-slots:claims and a bare claims",
        text: withClaims(`    "4":\n      ${CLAIM}`, `  claims:\n    "5":\n      ${CLAIM.replace("JOB-1", "JOB-2")}\n`),
        says: /Pulumi\.staging\.yaml:\d+: staging-slots:claims is given 2 times, as "claims" \(line \d+\) and "staging-slots:claims" \(line \d+\)/,
    },
    {
        name: "a key under its legacy staging-slots:config: spelling",
        text: withClaims("    {}", "  staging-slots:config:region: ams3\n").replace("  staging-slots:claims:\n    {}", "  staging-slots:claims: {}"),
        says: /staging-slots:region is given 2 times, as "staging-slots:region" \(line \d+\) and "staging-slots:config:region"/,
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
        name: "an alias bomb",
        text: `${STACK_TEXT}  x-a: &a [x, x, x, x, x, x, x, x, x, x]\n  x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  x-d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
        says: /^Pulumi\.staging\.yaml: its aliases \(\*name\) expand to more than 100 copies, as an alias bomb does/,
    },
];

describe("a hostile stack file is refused by every reader alike", () => {
    let repo: StackRepo;
    beforeEach(() => {
        repo = new StackRepo();
        writeFileSync(path.join(repo.dir, "Pulumi.staging.yaml"), STACK_TEXT);
        repo.git("add", "Pulumi.staging.yaml");
        repo.git("commit", "-q", "-m", "base");
    });
    afterEach(() => repo.remove());

    for (const h of HOSTILE) {
        it(h.name, async () => {
            const file = path.join(repo.dir, "Pulumi.staging.yaml");
            writeFileSync(file, h.text);
            const preview = path.join(repo.dir, "preview.json");
            writeFileSync(preview, readFileSync(path.join(__dirname, "..", "fixtures", "preview", "claim-staging-4.json")));

            const said: Record<string, { code: number; err: string }> = {};
            for (const command of ["check", "diff", "list", "release"] as const) {
                const r = await run(repo.dir, command === "release" ? ["release", "4"] : [command]);
                said[command] = { code: r.code, err: r.stderr };
            }
            const plan = captureIo(repo.dir);
            said.plan = { code: await planCommand([], plan.io), err: plan.stderr() };
            const guard = captureIo(repo.dir);
            said.guard = { code: await guardCommand(["--preview", "preview.json"], guard.io), err: guard.stderr() };
            let npmErr = "";
            said["npm run plan"] = { code: await npmRunPlan([], repo.dir, () => undefined, (s) => (npmErr += s)), err: "" };
            said["npm run plan"] = { ...said["npm run plan"], err: npmErr };

            for (const [command, r] of Object.entries(said)) {
                expect(r.code, `${command}: ${r.err}`).to.equal(1);
                expect(r.err, command).to.match(new RegExp(h.says.source, "m"));
                expect(r.err, command).to.not.match(/\n\s+at /);
            }
            expect(readFileSync(file, "utf8")).to.equal(h.text);
        });
    }
});

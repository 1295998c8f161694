// The pure pieces of the daily workflow, as tables: "did you mean", one-line usage, --until,
// branch names and shell words for --pr, conflicts with the base branch, the stack outputs.

import { expect } from "chai";

import { closest } from "../../cli/args";
import { conflicts } from "../../cli/check";
import { untilTimestamp } from "../../cli/claims";
import { usageLines } from "../../cli/commandErrors";
import { deployedAt, deploymentsOf } from "../../cli/deployments";
import { RawClaim, describeChange } from "../../cli/diff";
import { CLAIM_HELP, HELP, REPOINT_HELP } from "../../cli/help";
import { UsageError, UserError } from "../../cli/io";
import { editBranch, shellQuote } from "../../cli/pullRequest";
import { NOW } from "../helpers/config";

const COMMANDS = ["list", "claim", "repoint", "release", "redeploy", "extend", "check", "diff", "comment", "table", "plan", "guard"];

describe("the daily workflow's pure pieces", () => {
    it("suggests the closest command or option, and nothing for a word far from all", () => {
        const table: [string, readonly string[], string | undefined][] = [
            ["lsit", COMMANDS, "list"],
            ["relase", COMMANDS, "release"],
            ["clam", COMMANDS, "claim"],
            ["repoitn", COMMANDS, "repoint"],
            ["rep", COMMANDS, "repoint"],
            ["re", COMMANDS, undefined],
            ["grab", COMMANDS, undefined],
            ["--jsn", ["--json", "--stack", "--help"], "--json"],
            ["--bsae", ["--base", "--json"], "--base"],
            ["--colour", ["--json", "--stack", "--help"], undefined],
        ];
        for (const [word, candidates, want] of table) expect(closest(word, candidates), word).to.equal(want);
    });

    it("a usage error is the mistake, the one-line usage (with its continuation lines) and where the rest is", () => {
        expect(usageLines(new UsageError("missing --owner", CLAIM_HELP))).to.equal(
            "slots: missing --owner\n" +
                "Usage: slots claim --task T --owner O --branch B [--commit SHA] [--slot N] [--pool P]\n" +
                "                   [--purpose TEXT] [--long-running NOTE] [--until DATE] [--wait]\n" +
                "                   [--ahead-of-queue] [--base REV] [--pr] [--stack NAME]\n" +
                "Run slots claim --help for every option.\n",
        );
        expect(usageLines(new UsageError("not both", REPOINT_HELP)).split("\n").slice(1, 3)).to.deep.equal([
            "Usage: slots repoint N [--branch B] [--commit SHA] [--pr] [--stack NAME]",
            "       slots repoint --task T [--branch B] [--commit SHA] [--pr] [--stack NAME]",
        ]);
        expect(usageLines(new UsageError('unknown command "x"', HELP))).to.equal('slots: unknown command "x"\nUsage: slots <command> [options] [--stack NAME]\nRun slots --help for every option.\n');
    });

    it("reads --until as a UTC date (its start) or date-time, and refuses anything else or the past", () => {
        const ok: [string, string][] = [
            ["2026-12-01", "2026-12-01T00:00:00Z"],
            ["2026-12-01T18:00Z", "2026-12-01T18:00:00Z"],
            ["2026-12-01T18:00:30Z", "2026-12-01T18:00:30Z"],
            [" 2026-11-24 ", "2026-11-24T00:00:00Z"],
        ];
        for (const [text, want] of ok) expect(untilTimestamp(text, NOW), text).to.equal(want);
        const bad: [string, RegExp][] = [
            ["2026-02-30", /is not a UTC date or time/],
            ["2026-12-01T18:00", /is not a UTC date or time/],
            ["2026-12-01T18:00+01:00", /is not a UTC date or time/],
            ["tomorrow", /is not a UTC date or time/],
            ["2026-11-23", /2026-11-23T00:00:00Z is not in the future/],
            ["2026-11-23T12:00Z", /is not in the future/],
        ];
        for (const [text, says] of bad) {
            expect(() => untilTimestamp(text, NOW), text).to.throw(UserError, says);
        }
    });

    it("names --pr branches after the task, in what git and a shell take plainly", () => {
        const table: [string, string, string][] = [
            ["claim", "JOB-123", "slots/claim-job-123"],
            ["release", "Fix login (urgent)", "slots/release-fix-login-urgent"],
            ["repoint", "..weird..name..", "slots/repoint-weird.name"],
            ["extend", "!!!", "slots/extend-edit"],
        ];
        for (const [action, subject, want] of table) expect(editBranch(action, subject), subject).to.equal(want);
        expect(shellQuote("slots/claim-job-1")).to.equal("slots/claim-job-1");
        expect(shellQuote("Claim staging-1 for JOB-1")).to.equal("'Claim staging-1 for JOB-1'");
        expect(shellQuote("it's $HOME")).to.equal("'it'\\''s $HOME'");
    });

    it("finds the conflicts of two sides that parted: one slot given twice, one task given two slots", () => {
        const c = (task: string, owner = "alice"): RawClaim => ({ owner, task, branch: "b", commit: "0".repeat(40), claimedAt: "2026-11-23T10:00:00Z" });
        const none = new Map<number, RawClaim>();
        const kept = new Map([[3, c("JOB-3", "carol")]]);
        // The same slot, two claims.
        const slot = conflicts(kept, new Map([...kept, [1, c("JOB-1")]]), new Map([...kept, [1, c("JOB-9", "bob")]]), "origin/main");
        expect(slot.map((p) => [p.slot, p.field])).to.deep.equal([[1, "claims.1"]]);
        expect(slot[0].message).to.match(/^claimed here for JOB-1 \(alice\) and, since this branch started, on origin\/main for JOB-9 \(bob\)/);
        // The same claim made on both sides is no conflict, nor are changes on one side only.
        expect(conflicts(none, new Map([[1, c("JOB-1")]]), new Map([[1, c("JOB-1")]]), "origin/main")).to.deep.equal([]);
        expect(conflicts(kept, new Map([...kept, [1, c("JOB-1")]]), kept, "origin/main")).to.deep.equal([]);
        expect(conflicts(kept, kept, new Map([...kept, [2, c("JOB-2")]]), "origin/main")).to.deep.equal([]);
        // One task, a slot on each side (in any case).
        const task = conflicts(none, new Map([[1, c("JOB-1")]]), new Map([[2, c("job-1", "bob")]]), "origin/main");
        expect(task.map((p) => [p.slot, p.field])).to.deep.equal([[1, "claims.1.task"]]);
        expect(task[0].message).to.match(/^task JOB-1 is claimed here on staging-1 and, since this branch started, on origin\/main on staging-2; one slot per task/);
        // Compared as the validator compares tasks: full-width letters are the same task.
        const wide = conflicts(none, new Map([[1, c("JOB-1")]]), new Map([[2, c("\uff2a\uff2f\uff22-1", "bob")]]), "origin/main");
        expect(wide.map((p) => [p.slot, p.field])).to.deep.equal([[1, "claims.1.task"]]);
    });

    it("reads the deployments in the stack outputs and says Deployed only for the claim's own commit", () => {
        const outputs = deploymentsOf(JSON.stringify({ ipAddress: "203.0.113.7", slots: [{ slot: 4, commit: "a".repeat(40), deployedAt: "2026-11-23T12:07:31Z" }, { slot: 5, commit: null, deployedAt: null }] }));
        expect(deployedAt(outputs, 4, "a".repeat(40))).to.equal("2026-11-23T12:07:31Z");
        expect(deployedAt(outputs, 4, "b".repeat(40)), "re-pointed, not deployed yet").to.equal(undefined);
        expect(deployedAt(outputs, 5, "a".repeat(40))).to.equal(undefined);
        expect(deployedAt(undefined, 4, "a".repeat(40))).to.equal(undefined);
        for (const text of ["", "not json", "[]", '{"slots": "x"}']) expect(deploymentsOf(text), text).to.equal(undefined);
    });

    it("says a resetDatabase bump empties the database, and a lower counter keeps it", () => {
        const c: RawClaim = { owner: "alice", task: "JOB-1", branch: "feature/x", commit: "a".repeat(40) };
        const table: [number | undefined, number | undefined, string][] = [
            [undefined, 1, "resetDatabase 0 → 1 (the deployment empties the slot's database)"],
            [1, 2, "resetDatabase 1 → 2 (the deployment empties the slot's database)"],
            [2, 0, "resetDatabase 2 → 0 (lower: recorded, the database is kept)"],
            [2, undefined, "resetDatabase 2 → 0 (lower: recorded, the database is kept)"],
        ];
        for (const [before, after, says] of table) {
            const sentence = describeChange("staging-4", { ...c, resetDatabase: before }, { ...c, resetDatabase: after }, ["resetDatabase"]);
            expect(sentence, `${String(before)} → ${String(after)}`).to.equal(`staging-4: In Use by alice for JOB-1; ${says}`);
        }
    });
});

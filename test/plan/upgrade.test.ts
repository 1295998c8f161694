// The upgrade that ships staging-slots:hosts and images, seen as a reviewer sees it: `slots plan
// --base REV` evaluates each side with its own program, so a stack file that does not use the new
// keys, evaluated by the program from before them and by the program that shipped them, must show
// no change at all. Both sides are fixed commits: later changes to the program (a new deploy
// script, a new registry provider version) are changes of their own, reviewed when they land, and
// must not read as a failure of this upgrade.

import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";

import { claim } from "../helpers/config";
import { itRequires } from "../helpers/tools";

const ROOT = path.join(__dirname, "..", "..");

function git(cwd: string, ...args: string[]): string {
    return execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** The commit before the one that added components/hosts.ts, when this clone has that history. */
function beforeHosts(): string | undefined {
    try {
        const added = git(ROOT, "log", "--diff-filter=A", "--format=%H", "--", "components/hosts.ts").split("\n").filter(Boolean).pop();
        return added ? git(ROOT, "rev-parse", `${added}^`) : undefined;
    } catch {
        return undefined;
    }
}

/** The commit that completed hosts and images (the last commit of that change on main). */
const SHIPPED = "56e59ffadbc90039bdc73742a0374217b9aa6b13";

function inHistory(commit: string): boolean {
    try {
        git(ROOT, "merge-base", "--is-ancestor", commit, "HEAD");
        return true;
    } catch {
        return false;
    }
}

const BEFORE = inHistory(SHIPPED) ? beforeHosts() : undefined;

describe("upgrading to hosts and images", function () {
    this.timeout(180_000);

    itRequires(BEFORE ? [] : ["git history"], "the commits before and after hosts and images are not in this clone (a shallow clone?)", "an existing stack file sees no change between the program before hosts and this one (slots plan --base, each side its own program)", async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), "slots-upgrade-"));
        try {
            // The base: the program and files from before hosts, with this tree's dependencies
            // (the plan evaluates a revision's own program only on the dependencies installed),
            // and a stack file with a claim, so deployments and registry rows are compared too.
            git(dir, "init", "-q", "-b", "main");
            execFileSync("bash", ["-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "archive", ROOT, BEFORE as string, dir]);
            for (const f of ["package.json", "package-lock.json"]) cpSync(path.join(ROOT, f), path.join(dir, f));
            const doc = parseDocument(readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8"));
            doc.setIn(["config", "staging-slots:claims"], { "4": claim({ claimedAt: "2026-11-23T10:30:00Z", longRunning: "upgrade test" }) });
            const stack = String(doc);
            writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stack);
            git(dir, "add", "-A");
            git(dir, "commit", "-q", "-m", "before hosts");
            // The working tree: the program that shipped hosts and images, the same stack file.
            execFileSync("bash", ["-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "archive", ROOT, SHIPPED, dir]);
            for (const f of ["package.json", "package-lock.json"]) cpSync(path.join(ROOT, f), path.join(dir, f));
            writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stack);
            symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));

            // The shipped program's own `slots plan`, so that neither side is today's code.
            const r = spawnSync(process.execPath, [path.join(dir, "cli", "bin.js"), "plan", "--base", "HEAD"], { cwd: dir, encoding: "utf8" });
            const code = r.status;
            expect(code, r.stderr).to.equal(0);
            expect(r.stderr).to.not.contain("cannot evaluate the program");
            expect(r.stdout).to.equal("Pulumi.staging.yaml and the program: working tree against HEAD (offline evaluation of each side with its own program)\nNo resource changes.\n");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

// The upgrade that ships staging-slots:hosts and images, seen as a reviewer sees it: `slots plan
// --base REV` evaluates each side with its own program, so a stack file that does not use the new
// keys, evaluated by the program from before them and by this one, must show no change at all.

import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";

import { planCommand } from "../../cli/plan";
import { claim } from "../helpers/config";
import { itRequires } from "../helpers/tools";
import { runCommand } from "./stackRepo";

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

const BEFORE = beforeHosts();

describe("upgrading to hosts and images", function () {
    this.timeout(180_000);

    itRequires(BEFORE ? [] : ["git history"], "the commit before components/hosts.ts was added is not in this clone (a shallow clone?)", "an existing stack file sees no change between the program before hosts and this one (slots plan --base, each side its own program)", async () => {
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
            // The working tree: this program, the same stack file.
            execFileSync("bash", ["-c", `git -C "$1" ls-files -z | xargs -0 -I{} cp --parents {} "$2"`, "copy", ROOT, dir]);
            writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stack);
            symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));

            const r = await runCommand(planCommand, dir, ["--base", "HEAD"]);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stderr).to.not.contain("cannot evaluate the program");
            // Hosts and images change nothing. The one change is the data policy's (a fresh
            // database for a new task, the disk floor and pruning): a new deploy script and its
            // parameters, so each claimed slot's deployment runs once more after the upgrade.
            expect(r.stdout).to.equal(
                "Pulumi.staging.yaml and the program: working tree against HEAD (offline evaluation of each side with its own program)\n\n" +
                    "staging-4\n  ~ update command:remote:Command staging-4-deploy: create, stdin [secret]\n\n" +
                    "1 change: 0 to create, 1 to update, 0 to replace, 0 to delete.\n",
            );
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

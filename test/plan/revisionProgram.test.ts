// `slots plan --base REV` evaluates REV's stack file with REV's own program: a project repository
// holding a copy of this program, whose base commit differs from the working tree's code.

import { expect } from "chai";
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { planCommand } from "../../cli/plan";
import { DEPENDENCY_PATHS, PROGRAM_PATHS, revisionProgram } from "../../cli/revisionProgram";
import { Change } from "../../offline/planDiff";
import { baseValues } from "../helpers/config";
import { describeNeeds } from "../helpers/tools";
import { StackRepo, captureIo } from "./stackRepo";

const ROOT = path.resolve(__dirname, "..", "..");
const HOST = path.join("components", "host.ts");
// The firewall rule the working tree's host.ts writes for SSH, and a base that opened it to the world.
const SSH_RULE = `{ protocol: "tcp", portRange: "22", sourceAddresses: [...args.adminCidrs] }`;
const SSH_OPEN = `{ protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0", "::/0"] }`;

/** Copies the program (as the working tree has it) into the repository's working tree. */
function copyProgram(repo: StackRepo): void {
    for (const p of [...PROGRAM_PATHS, ...DEPENDENCY_PATHS]) cpSync(path.join(ROOT, p), path.join(repo.dir, p), { recursive: true });
}

function edit(repo: StackRepo, file: string, from: string, to: string): void {
    const full = path.join(repo.dir, file);
    const text = readFileSync(full, "utf8");
    expect(text, `${file} holds ${from}`).to.contain(from);
    writeFileSync(full, text.replace(from, to));
}

/** Commits the working tree as it is; returns the commit. */
function commitAll(repo: StackRepo, message: string): string {
    repo.git("add", "-A");
    repo.git("commit", "-q", "-m", message);
    return repo.git("rev-parse", "HEAD").trim();
}

async function plan(repo: StackRepo, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const cap = captureIo(repo.dir);
    const code = await planCommand(argv, cap.io);
    return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

function slotsPlanBaseDirs(): string[] {
    return readdirSync(os.tmpdir()).filter((f) => f.startsWith("slots-plan-base-"));
}

describeNeeds(["git"], "slots plan --base REV with REV's own program", function () {
    this.timeout(120_000);
    let repo: StackRepo;
    let leftBefore: string[];
    beforeEach(() => {
        leftBefore = slotsPlanBaseDirs();
        repo = new StackRepo();
        copyProgram(repo);
        repo.write(baseValues());
    });
    afterEach(() => {
        repo.remove();
        // Whatever the outcome, the base's copy of the program is removed.
        expect(slotsPlanBaseDirs()).to.deep.equal(leftBefore);
    });

    it("shows a change to the program itself: the firewall's SSH rule, with the same stack file on both sides", async () => {
        edit(repo, HOST, SSH_RULE, SSH_OPEN);
        const base = commitAll(repo, "a program that opens SSH to the world");
        copyProgram(repo);
        const before = slotsPlanBaseDirs();

        const r = await plan(repo, ["--base", base, "--json"]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.equal("");
        const changes = (JSON.parse(r.stdout) as { changes: Change[] }).changes;
        expect(changes).to.deep.equal([
            { op: "update", slot: null, type: "digitalocean:index/firewall:Firewall", name: "staging-firewall", keys: ["inboundRules"] },
        ]);
        const text = await plan(repo, ["--base", base]);
        expect(text.stdout.split("\n")[0]).to.equal(`Pulumi.staging.yaml and the program: working tree against ${base} (offline evaluation of each side with its own program)`);
        // The base's copy of the program is gone, and git knows of no extra worktree.
        expect(slotsPlanBaseDirs()).to.deep.equal(before);
        expect(repo.git("worktree", "list").trim().split("\n")).to.have.length(1);
        expect(repo.git("status", "--porcelain")).to.equal(" M components/host.ts\n");
    });

    it("evaluates both sides in-process when the program did not change", async () => {
        const base = commitAll(repo, "program");
        expect(revisionProgram(repo.dir, base)).to.deep.equal({ kind: "same" });
        const r = await plan(repo, ["--base", base]);
        expect(r.stdout).to.equal(`Pulumi.staging.yaml: working tree against ${base} (offline evaluation of the program)\nNo resource changes.\n`);
        // An uncommitted edit of the program counts, and so does a new file.
        writeFileSync(path.join(repo.dir, "components", "extra.ts"), "export const extra = 1;\n");
        const own = revisionProgram(repo.dir, base);
        expect(own.kind).to.equal("own");
        if (own.kind === "own") own.dispose();
    });

    it("falls back to the working tree's program with a visible warning when REV's dependencies differ", async () => {
        edit(repo, HOST, SSH_RULE, SSH_OPEN);
        edit(repo, "package.json", `"yaml": "`, `"yaml": "0.0.1 || `);
        const base = commitAll(repo, "other dependencies");
        copyProgram(repo);

        const r = await plan(repo, ["--base", base]);
        expect(r.code, r.stderr).to.equal(0);
        const warning = `warning: cannot evaluate the program at ${base}: its dependencies (package.json, package-lock.json) differ from the working tree's, which are the only ones installed; both sides use the working tree's program, so changes to the program itself are not shown`;
        expect(r.stderr).to.equal(`${warning}\n`);
        expect(r.stdout).to.equal(`Pulumi.staging.yaml: working tree against ${base} (offline evaluation of the program)\n${warning}\nNo resource changes.\n`);
    });

    it("falls back the same way when REV's program does not load, naming why", async () => {
        writeFileSync(path.join(repo.dir, "components", "index.ts"), `export * from "./no-such-module";\n`);
        const base = commitAll(repo, "broken program");
        copyProgram(repo);
        const r = await plan(repo, ["--base", base]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.match(new RegExp(`^warning: cannot evaluate the program at ${base}: its program does not load \\(Cannot find module '\\./no-such-module'`));
        expect(existsSync(path.join(repo.dir, "node_modules"))).to.equal(false);
    });

    it("names the revision and the problems when REV's own program refuses REV's stack file", async () => {
        // REV's validation is stricter than the working tree's: a domain it refuses.
        const head = "export function requireValidSettings(raw: Readonly<Record<string, unknown>>, now: Date): { settings: Settings; warnings: readonly Problem[] } {";
        edit(repo, path.join("components", "validation.ts"), head, `${head}\n    if (raw.domain === "justapply.net") throw new ConfigError([{ field: "domain", message: "refused at the base" }]);`);
        const base = commitAll(repo, "stricter validation");
        copyProgram(repo);
        const r = await plan(repo, ["--base", base]);
        expect(r.code).to.equal(1);
        expect(r.stderr).to.equal(`Pulumi.staging.yaml at ${base}: staging-slots:domain: refused at the base\n`);
    });
});

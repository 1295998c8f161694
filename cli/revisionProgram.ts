// The program as it was at a git revision, for `slots plan --base REV`: a pull request that
// changes the program (say, opens port 22 in components/host.ts) must show that change, so the
// base side is evaluated with REV's own code, not the working tree's. REV's program files are
// written from git's object store into a temporary folder (the repository, its index and its
// worktrees are not touched) and loaded from there with the working tree's node_modules, which
// is only faithful when REV's dependencies are the working tree's; otherwise the caller falls
// back to the working tree's code and says so.
//
// Trust: this runs REV's program code in this process, with whatever credentials the process
// has. `slots plan` needs none, and the review workflow runs it in a job that holds no secret.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import type { ProgramFunction } from "../offline/recorder";

/** The files that make up the program the engine runs (besides its dependencies). */
export const PROGRAM_PATHS: readonly string[] = ["Pulumi.yaml", "index.ts", "tsconfig.json", "components"];
/** The files that pin the program's dependencies. */
export const DEPENDENCY_PATHS: readonly string[] = ["package.json", "package-lock.json"];

/** How the base side of a plan is evaluated. */
export type RevisionProgram =
    /** REV's program is the working tree's: evaluate both sides with the code already loaded. */
    | { readonly kind: "same" }
    /** REV's own program, loaded from a temporary folder; call `dispose` when done. */
    | { readonly kind: "own"; readonly program: ProgramFunction; dispose(): void }
    /** REV's program differs but cannot be evaluated here; `reason` says why, in a few words. */
    | { readonly kind: "unavailable"; readonly reason: string };

function git(cwd: string, args: readonly string[], input?: string): Buffer {
    return execFileSync("git", args, { cwd, input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
}

/** True when the working tree (tracked and untracked files) differs from REV under `paths`. */
function differs(cwd: string, rev: string, paths: readonly string[]): boolean {
    try {
        git(cwd, ["diff", "--quiet", rev, "--", ...paths]);
    } catch {
        return true;
    }
    return git(cwd, ["ls-files", "--others", "--exclude-standard", "--", ...paths]).length > 0;
}

/** Writes REV's files under `paths` (relative to `cwd`) into `dir`, straight from git's objects. */
function writeTree(cwd: string, rev: string, paths: readonly string[], dir: string): void {
    const entries = git(cwd, ["ls-tree", "-r", "-z", rev, "--", ...paths])
        .toString("utf8")
        .split("\0")
        .filter(Boolean)
        .map((line) => {
            const [meta, file] = line.split("\t");
            const [mode, type, sha] = meta.split(" ");
            return { mode, type, sha, file };
        })
        .filter((e) => e.type === "blob");
    if (entries.length === 0) return;
    // One `cat-file --batch` for every blob: "<sha> blob <size>\n<bytes>\n" each.
    const out = git(cwd, ["cat-file", "--batch"], entries.map((e) => e.sha).join("\n") + "\n");
    let at = 0;
    for (const e of entries) {
        const eol = out.indexOf(0x0a, at);
        const size = Number(out.subarray(at, eol).toString("utf8").split(" ")[2]);
        const body = out.subarray(eol + 1, eol + 1 + size);
        at = eol + 1 + size + 1;
        const target = path.join(dir, e.file);
        if (!target.startsWith(dir + path.sep)) continue;
        mkdirSync(path.dirname(target), { recursive: true });
        if (e.mode === "120000") continue; // a symlink in the program would point outside the copy
        writeFileSync(target, body, { mode: e.mode === "100755" ? 0o755 : 0o644 });
    }
}

/** The node_modules folder this process loads @pulumi/pulumi from. */
function loadedNodeModules(): string {
    return path.resolve(require.resolve("@pulumi/pulumi/package.json"), "..", "..", "..");
}

function firstLine(e: unknown): string {
    return (e instanceof Error ? e.message : String(e)).split("\n")[0].trim();
}

/** Finds out how the base side at `rev` can be evaluated; never throws for REV's own failings. */
export function revisionProgram(cwd: string, rev: string): RevisionProgram {
    const dependenciesDiffer = differs(cwd, rev, DEPENDENCY_PATHS);
    if (!dependenciesDiffer && !differs(cwd, rev, PROGRAM_PATHS)) return { kind: "same" };
    if (dependenciesDiffer) {
        return { kind: "unavailable", reason: `its dependencies (${DEPENDENCY_PATHS.join(", ")}) differ from the working tree's, which are the only ones installed` };
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), "slots-plan-base-"));
    const dispose = (): void => {
        for (const key of Object.keys(require.cache)) {
            if (key.startsWith(dir + path.sep)) delete require.cache[key];
        }
        rmSync(dir, { recursive: true, force: true });
    };
    try {
        writeTree(cwd, rev, [...PROGRAM_PATHS, ...DEPENDENCY_PATHS], dir);
        symlinkSync(loadedNodeModules(), path.join(dir, "node_modules"), "dir");
        // Loaded through the same module system as the working tree's code, with the same
        // @pulumi/pulumi instance (node_modules resolves to the same real path), so the mock
        // runtime the recorder sets up is the one REV's program registers its resources with.
        const mod = require(path.join(dir, "components")) as { stagingSlots?: unknown };
        if (typeof mod.stagingSlots !== "function") {
            dispose();
            return { kind: "unavailable", reason: "its components/ exports no stagingSlots program" };
        }
        return { kind: "own", program: mod.stagingSlots as ProgramFunction, dispose };
    } catch (e) {
        dispose();
        return { kind: "unavailable", reason: `its program does not load (${firstLine(e)})` };
    }
}

// The stack file's claims at the base branch: the shared truth a new claim is chosen against, and
// what `slots check --base` compares a pull request with. Two people claiming in two pull requests
// each see the other's claim once it is merged, however old their own checkout is.

import { execFileSync } from "node:child_process";

import { RawClaim, claimsOf } from "./diff";
import { stackFileAt } from "./revision";
import { Stack, analyse } from "./stack";

/** The base branch used when --base is not given, if the clone has it. */
export const DEFAULT_BASE = "origin/main";

/** The claims of the stack file at a revision. */
export interface BaseClaims {
    readonly rev: string;
    /** The stack at the revision; undefined when the file did not exist there. */
    readonly stack?: Stack;
    readonly claims: ReadonlyMap<number, RawClaim>;
}

function hasRevision(cwd: string, rev: string): boolean {
    try {
        execFileSync("git", ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { cwd, stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

/**
 * The claims at `rev` (a UserError when it is not a revision of this clone), or, when `rev` is
 * undefined, at origin/main if the clone has it, else undefined: outside git or without a remote
 * the working tree is all there is.
 */
export function claimsAt(current: Stack, cwd: string, rev: string | undefined, now: Date): BaseClaims | undefined {
    const at = rev ?? DEFAULT_BASE;
    if (rev === undefined && !hasRevision(cwd, at)) return undefined;
    const text = stackFileAt(cwd, at, current.name);
    if (text === undefined) return { rev: at, claims: new Map() };
    const stack = analyse(current.stack, current.file, text, now);
    return { rev: at, stack, claims: claimsOf(stack.raw) };
}

/** The commit both `a` and `b` descend from, or undefined when git cannot say. */
export function mergeBase(cwd: string, a: string, b: string): string | undefined {
    try {
        return execFileSync("git", ["merge-base", a, b], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || undefined;
    } catch {
        return undefined;
    }
}

// The stack file's claims at the base branch: the shared truth a new claim is chosen against, and
// what `slots check --base` compares a pull request with. Two people claiming in two pull requests
// each see the other's claim once it is merged, however old their own checkout is.

import { RawClaim, claimsOf } from "./diff";
import { git } from "./git";
import { UserError } from "./io";
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

/** The environment git runs with: the caller's own process unless the caller says otherwise. */
type Env = Readonly<Record<string, string | undefined>>;

async function hasRevision(cwd: string, rev: string, env: Env): Promise<boolean> {
    try {
        return (await git({ cwd, env }, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`])).code === 0;
    } catch (e) {
        // Without git there is no base branch to ask: the working tree is all there is.
        if (e instanceof UserError) return false;
        throw e;
    }
}

/**
 * The claims at `rev` (a UserError when it is not a revision of this clone), or, when `rev` is
 * undefined, at origin/main if the clone has it, else undefined: outside git or without a remote
 * the working tree is all there is.
 */
export async function claimsAt(current: Stack, cwd: string, rev: string | undefined, now: Date, env: Env = process.env): Promise<BaseClaims | undefined> {
    const at = rev ?? DEFAULT_BASE;
    if (rev === undefined && !(await hasRevision(cwd, at, env))) return undefined;
    const text = await stackFileAt(cwd, at, current.name, env);
    if (text === undefined) return { rev: at, claims: new Map() };
    const stack = analyse(current.stack, current.file, text, now);
    return { rev: at, stack, claims: claimsOf(stack.raw) };
}

/** The commit both `a` and `b` descend from, or undefined when git cannot say. */
export async function mergeBase(cwd: string, a: string, b: string, env: Env = process.env): Promise<string | undefined> {
    const r = await git({ cwd, env }, ["merge-base", a, b]);
    return r.code === 0 ? r.stdout.trim() || undefined : undefined;
}

// `slots check`: every problem in the stack file at once, each on its own line with the line it
// points at, for people, for a pre-commit hook and for the review workflow. Every rule runs on
// every run: the validator's, the YAML's, whether each claimed commit exists in the repository
// (when it can be asked), and with --base, what the base branch did meanwhile.

import { Problem, branchProblem, formatProblem, isRepositoryUrl, taskKey } from "../components/validation";
import { parseCommand } from "./args";
import { BaseClaims, claimsAt, mergeBase } from "./base";
import { askCommit } from "./commits";
import { RawClaim, claimsOf, diffClaims } from "./diff";
import { CHECK_HELP } from "./help";
import { Io } from "./io";
import { Stack, analyse, errorsOf, problemLine, readStack } from "./stack";
import { stackFileAt } from "./revision";
import { hostConfigChanges } from "../offline/configChanges";

/** One line of the check's report. */
interface Finding {
    readonly level: "error" | "warning";
    readonly problem: Problem;
    /** The line in the stack file it points at, when known. */
    readonly text: string;
}

function who(c: RawClaim): string {
    return `${String(c.task)} (${String(c.owner)})`;
}

/**
 * Claims that two sides added or changed since they parted: the same slot given to different
 * claims, or one task given a slot on each side. Each is an error saying what happened and the fix.
 */
export function conflicts(common: ReadonlyMap<number, RawClaim>, ours: ReadonlyMap<number, RawClaim>, theirs: ReadonlyMap<number, RawClaim>, rev: string): Problem[] {
    const same = (a: RawClaim | undefined, b: RawClaim | undefined): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    const problems: Problem[] = [];
    const changed = (side: ReadonlyMap<number, RawClaim>, slot: number): boolean => !same(side.get(slot), common.get(slot));
    const update = `update your branch (git fetch origin && git rebase ${rev})`;
    for (const slot of [...new Set([...ours.keys(), ...theirs.keys()])].sort((a, b) => a - b)) {
        const mine = ours.get(slot);
        const other = theirs.get(slot);
        if (!mine || !other || !changed(ours, slot) || !changed(theirs, slot) || same(mine, other)) continue;
        problems.push({
            slot,
            field: `claims.${slot}`,
            message: `claimed here for ${who(mine)} and, since this branch started, on ${rev} for ${who(other)}; the slot cannot hold both: ${update}, then take a free slot (slots release ${slot}, then slots claim --task ${String(mine.task)} …)`,
        });
    }
    const taskOf = (c: RawClaim | undefined): string => (typeof c?.task === "string" ? taskKey(c.task) : "");
    for (const [slot, mine] of ours) {
        if (!changed(ours, slot) || taskOf(mine) === "") continue;
        for (const [other, theirsClaim] of theirs) {
            if (other === slot || !changed(theirs, other) || taskOf(theirsClaim) !== taskOf(mine) || ours.has(other)) continue;
            problems.push({
                slot,
                field: `claims.${slot}.task`,
                message: `task ${String(mine.task)} is claimed here on staging-${slot} and, since this branch started, on ${rev} on staging-${other}; one slot per task: ${update}, then release one of them`,
            });
        }
    }
    return problems;
}

function claimsOfText(current: Stack, text: string | undefined, now: Date): Map<number, RawClaim> {
    return text === undefined ? new Map() : claimsOf(analyse(current.stack, current.file, text, now).raw);
}

/** The slots whose claim the working tree adds or changes against `base`. */
function changedSlots(base: BaseClaims, current: Stack): Set<number> {
    return new Set(diffClaims(base.stack?.raw ?? {}, current.raw).filter((c) => c.after !== null).map((c) => c.slot));
}

async function commitProblems(io: Io, stack: Stack, slots: ReadonlySet<number> | undefined): Promise<{ errors: Problem[]; warnings: Problem[] }> {
    const repository = stack.raw.repository;
    const errors: Problem[] = [];
    const warnings: Problem[] = [];
    if (typeof repository !== "string" || !isRepositoryUrl(repository)) return { errors, warnings };
    for (const [slot, claim] of claimsOf(stack.raw)) {
        if (slots && !slots.has(slot)) continue;
        if (typeof claim.commit !== "string" || !/^[0-9a-f]{40}$/.test(claim.commit)) continue;
        // The branch is asked about only when it is a valid name: it goes into a refspec.
        const branch = typeof claim.branch === "string" && branchProblem(claim.branch) === undefined ? claim.branch : undefined;
        const answer = await askCommit(io, repository, claim.commit, branch);
        if (answer.state === "refused") errors.push({ slot, field: `claims.${slot}.commit`, message: answer.message });
        if (answer.state === "unverified") {
            // One line for the whole file: the next claim would meet the same closed door.
            warnings.push({ field: "repository", message: `${answer.why}; the claimed commits were not verified` });
            break;
        }
    }
    return { errors, warnings };
}

/** `slots check [--strict] [--base REV] [--offline] [--json]`. */
export async function checkCommand(argv: readonly string[], io: Io): Promise<number> {
    const options = { strict: { type: "boolean" }, base: { type: "string" }, offline: { type: "boolean" }, json: { type: "boolean" } } as const;
    const args = parseCommand(argv, options, CHECK_HELP, 0);
    if (args.help) {
        io.stdout(CHECK_HELP);
        return 0;
    }
    const strict = args.flag("strict");
    const stack = readStack(io, args.stack, { listProblems: true });
    const now = io.now();
    const rev = args.string("base");
    const base = rev === undefined ? undefined : await claimsAt(stack, io.cwd, rev, now);
    const changed = base ? changedSlots(base, stack) : undefined;

    const errors: Problem[] = [...errorsOf(stack)];
    const warnings: Problem[] = [];
    // With --base, --strict holds the pull request to account for what it changes only: a stale
    // claim elsewhere stays a warning, so yesterday's green check does not turn red overnight;
    // a warning about the host settings (no slot) is its own when it changes a host setting.
    const hostChanged = base === undefined || base.stack === undefined || hostConfigChanges({ text: base.stack.text, name: stack.name }, { text: stack.text, name: stack.name }).length > 0;
    for (const w of stack.result.warnings) {
        const own = changed === undefined || (w.slot === undefined ? hostChanged : changed.has(w.slot));
        (strict && own ? errors : warnings).push(w);
    }
    if (base && rev !== undefined) {
        const forkPoint = await mergeBase(io.cwd, "HEAD", rev);
        if (forkPoint) {
            const common = claimsOfText(stack, await stackFileAt(io.cwd, forkPoint, stack.name), now);
            errors.push(...conflicts(common, claimsOf(stack.raw), base.claims, rev));
        }
    }
    if (!args.flag("offline")) {
        const found = await commitProblems(io, stack, changed);
        errors.push(...found.errors);
        warnings.push(...found.warnings);
    }

    const findings: Finding[] = [
        ...errors.map((p): Finding => ({ level: "error", problem: p, text: problemLine(stack, p) })),
        ...warnings.map((p): Finding => ({ level: "warning", problem: p, text: problemLine(stack, p) })),
    ];
    const settings = stack.result.settings;
    const held = settings ? settings.claims.size : 0;
    // Warnings of a slot are stale claims; the others (a wide adminCidrs block) are not.
    const stale = stack.result.warnings.filter((w) => w.slot !== undefined).length;
    if (args.flag("json")) {
        const lineOf = (f: Finding): number | null => {
            const m = /^[^:]+:(\d+): /.exec(f.text);
            return m ? Number(m[1]) : null;
        };
        const out = {
            file: stack.name,
            ok: errors.length === 0,
            base: rev ?? null,
            changedSlots: changed ? [...changed].sort((a, b) => a - b) : null,
            problems: findings.map((f) => ({ level: f.level, slot: f.problem.slot ?? null, field: f.problem.field, line: lineOf(f), message: formatProblem(f.problem) })),
        };
        io.stdout(`${JSON.stringify(out, null, 2)}\n`);
        return errors.length > 0 ? 1 : 0;
    }
    const lines = findings.map((f) => `${f.level === "warning" ? "warning: " : ""}${f.text}`);
    if (lines.length > 0) io.stderr(`${lines.join("\n")}\n`);
    if (errors.length > 0) return 1;
    io.stdout(`${stack.name}: ok (${held} of ${settings?.slotCount ?? 0} slots claimed${stale > 0 ? `, ${stale} stale` : ""})\n`);
    return 0;
}

// `slots fetch`: prepares what `pulumi preview`/`up` builds images from when `staging-slots:images`
// is set: a checkout of every claimed commit in .slots-cache/<commit>/ (ignored by git), fetched
// shallow from the configured repository. A checkout holds the commit's files only, no .git: the
// docker provider's Check hashes the whole build context into the image's inputs
// (`contextDigest`, pulumi-docker provider/provider.go), so a .git folder, which differs from
// clone to clone, would show every image as changed on another machine. Checkouts of commits no
// longer claimed are removed.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import * as path from "node:path";

import { CHECKOUT_CACHE, checkoutPath, claimedCommits, slotsOfCommit } from "../components/images";
import { parseCommand } from "./args";
import { firstLine, git } from "./git";
import { FETCH_HELP } from "./help";
import { Io, UserError } from "./io";
import { readStack, requireSettings } from "./stack";

/** `slots fetch [--stack NAME]`. */
export async function fetchCommand(argv: readonly string[], io: Io): Promise<number> {
    const args = parseCommand(argv, {}, FETCH_HELP, 0);
    if (args.help) {
        io.stdout(FETCH_HELP);
        return 0;
    }
    const stack = readStack(io, args.stack);
    const settings = requireSettings(stack, "fetch the claimed commits");
    if (!settings.images) {
        io.stdout(`${stack.name}: staging-slots:images is not set, so slots build on their droplet; nothing to fetch\n`);
        return 0;
    }
    const cache = path.join(io.cwd, CHECKOUT_CACHE);
    mkdirSync(cache, { recursive: true });
    const commits = claimedCommits(settings.claims);
    const problems: string[] = [];
    for (const commit of commits) {
        const slots = slotsOfCommit(settings.claims, commit).map((s) => `staging-${s}`).join(", ");
        const final = path.join(io.cwd, checkoutPath(commit));
        if (existsSync(final)) {
            io.stdout(`${checkoutPath(commit)}/ (${slots}): already there\n`);
            continue;
        }
        // Built beside its place and renamed into it: a checkout that exists is complete.
        const work = path.join(cache, `.tmp-${commit}-${randomBytes(4).toString("hex")}`);
        const gitDir = `${work}.git`;
        try {
            mkdirSync(work);
            const steps: string[][] = [
                ["init", "-q", "--bare", gitDir],
                ["--git-dir", gitDir, "fetch", "-q", "--no-tags", "--depth", "1", settings.repository, commit],
                ["--git-dir", gitDir, "--work-tree", work, "checkout", "-q", "-f", commit, "--", "."],
            ];
            let failed: string | undefined;
            for (const step of steps) {
                const r = await git(io, step, 300_000);
                if (r.code !== 0) {
                    failed = r.code === 124 ? "git did not finish within five minutes" : firstLine(r.stderr) || `git exited with ${r.code}`;
                    break;
                }
            }
            if (failed) {
                const claim = settings.claims.get(slotsOfCommit(settings.claims, commit)[0]);
                problems.push(`cannot fetch commit ${commit} (${slots}, branch ${claim?.branch ?? "?"}) from ${settings.repository}: ${failed}; push the branch, or check your access to the repository`);
                continue;
            }
            renameSync(work, final);
            io.stdout(`${checkoutPath(commit)}/ (${slots}): fetched\n`);
        } finally {
            rmSync(work, { recursive: true, force: true });
            rmSync(gitDir, { recursive: true, force: true });
        }
    }
    for (const entry of readdirSync(cache)) {
        if (/^[0-9a-f]{40}$/.test(entry) && !commits.includes(entry)) {
            rmSync(path.join(cache, entry), { recursive: true, force: true });
            io.stdout(`${CHECKOUT_CACHE}/${entry}/: removed (no claim names it)\n`);
        }
    }
    if (problems.length > 0) throw new UserError(problems);
    return 0;
}

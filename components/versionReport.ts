// What commit a slot's app reports on GET /api/version. The rule is the deploy script's health
// check (components/scripts/deploy.sh, `reports_commit`, in bash on the droplet):
//
//     the body reports commit C when C, the full 40-hex SHA, occurs in it    [[ $body == *"$C"* ]]
//
// `slots status` applies the same rule here (reportsCommit); test/components/versionReport.test.ts
// feeds both the same table of bodies, running the deploy script's own function. So
// `{"commit":"<sha>"}`, `<sha>` alone and `version <sha> built …` all report <sha>; a short SHA or
// an upper-case one does not.
//
// Only `slots status` also needs to name a commit that is neither the claim's nor the registry's
// (a hand deployment): for that it takes the first run of exactly 40 hex digits in the body.

const COMMIT_TOKEN = /(?<![0-9a-fA-F])[0-9a-fA-F]{40}(?![0-9a-fA-F])/;

/** Whether the body of /api/version reports `commit`: the deploy script's health-check rule. */
export function reportsCommit(body: string, commit: string): boolean {
    return commit.length > 0 && body.includes(commit);
}

/**
 * The commit the body reports: the first of `known` it reports (by reportsCommit), else the first
 * run of exactly 40 hex digits, lowercased; null when there is none.
 */
export function reportedCommit(body: string, known: ReadonlyArray<string | null | undefined> = []): string | null {
    for (const commit of known) if (commit && reportsCommit(body, commit)) return commit;
    const m = COMMIT_TOKEN.exec(body);
    return m ? m[0].toLowerCase() : null;
}

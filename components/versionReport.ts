// What commit a slot's app reports: the one rule that both the deploy script's health check
// (components/scripts/deploy.sh, `reported_commit`, in bash on the droplet) and `slots status`
// (here, in TypeScript) apply to the body of GET /api/version. The two implementations are fed
// the same table of bodies in test/components/versionReport.test.ts.
//
// The rule: the reported commit is the first run of exactly 40 hexadecimal digits in the body
// that is not part of a longer run of hexadecimal digits, lowercased; a body without one reports
// no commit. So `{"commit":"<sha>"}`, `<sha>` on its own and `version <sha> built …` all report
// <sha>, while a 64-digit image digest or a short SHA is not taken for a commit. An app whose
// /api/version names other SHAs must name the deployed commit first.

const COMMIT_TOKEN = /(?<![0-9a-fA-F])[0-9a-fA-F]{40}(?![0-9a-fA-F])/;

/** The commit the body of /api/version reports, or null when it reports none. */
export function reportedCommit(body: string): string | null {
    const m = COMMIT_TOKEN.exec(body);
    return m ? m[0].toLowerCase() : null;
}

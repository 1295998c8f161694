// Which pull request each pending `slots/…` branch has open, asked of GitHub with the server's
// own gh (its GH_TOKEN, read-only here: `gh pr list` only lists). This is how the dashboard links
// pull requests it did not open in this process: those opened before a restart, and those opened
// with `slots … --pr`. The branches come from the remote (server/remote.ts pendingChanges); gh
// only says which pull request is open for each, so nothing GitHub answers can add a change.
//
// gh facts (cli.github.com/manual/gh_pr_list): `--state open` and `--base BRANCH` filter the
// list, `--limit` caps it (default 30), and `--json number,url,headRefName,headRefOid,
// isCrossRepository` prints those fields of each pull request as a JSON array.

import { Gh, ghCli } from "../cli/github";

/** How many open pull requests one lookup reads: far more than a pool has slots and waiters. */
export const PULL_REQUEST_LIMIT = 200;

/** How long one lookup may take before the read goes on without links. */
export const GH_TIMEOUT_MS = 20_000;

interface Listed {
    readonly url?: unknown;
    readonly headRefName?: unknown;
    readonly headRefOid?: unknown;
    readonly isCrossRepository?: unknown;
}

/**
 * The URL of the open pull request of each branch in `heads` (branch → the commit the remote has
 * at its head). Only a pull request from the repository itself whose head is that very commit
 * counts: a fork's pull request with a branch of the same name links nothing. Resolves to an
 * empty map, with the reason passed to `warn`, when gh cannot answer (not installed, not logged
 * in, the remote is not on GitHub, no answer in time): the changes still show, without links.
 */
export async function openPullRequestUrls(
    heads: ReadonlyMap<string, string>,
    options: { readonly dir: string; readonly env: Readonly<Record<string, string | undefined>>; readonly base: string; readonly gh?: Gh; readonly warn?: (message: string) => void },
): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (heads.size === 0) return found;
    const gh = options.gh ?? ghCli({ ...options.env, GH_PROMPT_DISABLED: "1" }, { cwd: options.dir, timeoutMs: GH_TIMEOUT_MS });
    let listed: unknown;
    try {
        listed = JSON.parse(await gh(["pr", "list", "--state", "open", "--base", options.base, "--limit", String(PULL_REQUEST_LIMIT), "--json", "number,url,headRefName,headRefOid,isCrossRepository"]));
    } catch (e) {
        options.warn?.(`open pull requests not listed: ${(e as Error).message}`);
        return found;
    }
    if (!Array.isArray(listed)) return found;
    for (const pr of listed as Listed[]) {
        if (typeof pr !== "object" || pr === null) continue;
        const { url, headRefName, headRefOid, isCrossRepository } = pr;
        if (typeof url !== "string" || !/^https:\/\//.test(url) || typeof headRefName !== "string" || isCrossRepository !== false) continue;
        if (heads.get(headRefName) === headRefOid) found.set(headRefName, url);
    }
    return found;
}

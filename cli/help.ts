// The `slots` command's help texts, one constant per command, so tests and the README quote the
// same words the command prints.

const PR = "  --pr                  commit the edit on a new branch and open the pull request";
const STACK = "  --stack NAME          work on Pulumi.<NAME>.yaml in the project root (default: staging)\n  -h, --help            show this help";

export const HELP = `\
slots: claim, release and inspect the staging slots in the stack file

Usage: slots <command> [options] [--stack NAME]

Commands:
  list [--wide] [--json]            every slot: status, holder, branch, commit, age, until, pool;
                                    then the waitlist with positions
  claim --task T --owner O --branch B [--commit SHA] [--slot N] [--pool P]
        [--purpose TEXT] [--long-running NOTE] [--until DATE] [--wait]
                                    write a claim (lowest free slot of the pool by default);
                                    --wait queues it when the pool is full
  repoint N | repoint --task T [--branch B] [--commit SHA]
                                    same slot, URL and database; a new commit (branch head by default)
  release N | release --task T [--no-promote]
                                    remove a claim; the pool's first waiter takes the slot
  promote                           move waiters into the free slots of their pools
  unwait --task T                   leave the waitlist
  expire [--now T]                  release every claim past its expiresAt (with promotion)
  redeploy N                        deploy the same commit again (bumps the redeploy counter)
  extend N --long-running NOTE [--until DATE]
                                    keep a claim past 24 hours, saying why (and until when)
  check [--strict] [--base REV] [--json]
                                    every problem in the stack file; --strict: stale claims too
  diff [--base REV] [--json]        slot changes since a git revision (default HEAD)
  comment N [--json]                the "Staging Deployment" comment for slot N
  table [--json]                    the slot usage registry table in markdown
  plan [--base REV] [--json]        offline evaluation of the program: resources that change
  guard --preview FILE [--json]     fails if a pulumi preview touches what it must not
  guard --events FILE | --config-only   the same rules for what pulumi up did, or the config alone
  serve [--port 8080] --remote URL  the Staging Dashboard and API: claims become pull requests
  fetch                             check out every claimed commit for the image builds
  status [N…] [--json] [--timeout S] [--url-template T] [--registry-url URL] [--from-stack]
                                    what every slot really serves, against its claim

For the workflows (they need gh and a token):
  deployments --base REV [--repo OWNER/NAME] [--log-url URL]
                                    record GitHub deployments for the slots changed since REV
  report --status FILE --list FILE  open, update or close the "Staging slots need attention" issue

Every command takes --stack NAME (default: staging) and --help. claim, repoint, release,
promote and extend take --pr: commit the edit on a new branch and open the pull request (gh),
or print the commands that do.
Exit codes: 0 success, 1 a problem with the request or the stack file (one line each, file
untouched), 2 bad usage.
`;

export const LIST_HELP = `\
Usage: slots list [--wide] [--json] [--stack NAME]

Shows every slot: id, status (In Use or Available), owner, task, branch, short commit, claim
age, until when (expiresAt, or open-ended for a long-running note without an end), pool, URL,
ports, database, note and the host it runs on. A claim past its end, or older than 24 hours with
neither a note nor an end, is marked stale. On a terminal the table fits its width: the database,
ports, URL, pool and age columns go first, then long cells are cut short.
Then the waitlist, in queue order, with each entry's position in its pool.

Options:
  --wide                every column, however wide
  --json                one JSON object with a "slots" array, for scripts
${STACK}
`;

export const CLAIM_HELP = `\
Usage: slots claim --task T --owner O --branch B [--commit SHA] [--slot N] [--pool P]
                   [--purpose TEXT] [--long-running NOTE] [--until DATE] [--wait]
                   [--ahead-of-queue] [--base REV] [--pr] [--stack NAME]

Writes a claim into the stack file: slot N, or the lowest free slot of the pool. A slot held on
the base branch (origin/main when the clone has it) counts as held. Without --commit the
branch's head is asked from the configured repository (git ls-remote); a given commit must exist
there (a short one is resolved; offline, a warning says it was not verified). Refused, with the
file untouched, when the slot is held, the task already holds a slot, the pool is full (unless
--wait), the slot is not in the pool, the commit does not exist, or any field is invalid. With
maxClaimHours set, the claim expires that many hours from now unless --until says earlier. A
task on the waitlist that claims a free slot leaves the waitlist. The queue goes first: while
tasks wait for the pool, a free slot goes to them (slots promote) unless more slots are free than
tasks wait ahead of this one; --wait then queues, and --ahead-of-queue takes the slot anyway.

Options:
  --task T              the task: an issue key matching taskPattern (default like JOB-123);
                        one slot per task, however its case or width is written
  --owner O             who holds the slot
  --branch B            the git branch to deploy
  --commit SHA          the commit (default: the branch's head); must exist in the repository
  --slot N              the slot to take (default: the lowest free slot of the pool)
  --pool P              the pool to take it from (default: qa)
  --purpose TEXT        a short description, e.g. "QA for PR #123"
  --long-running NOTE   why the claim may stay past 24 hours
  --until DATE          when the claim expires: a UTC date or time (2026-12-01, 2026-12-01T18:00Z)
                        or a duration from now (36h, 3d); slots expire releases it after that
                        (a queued claim gets maxClaimHours from its promotion instead)
  --wait                when the pool is full, join its waitlist instead (the commit, if
                        given, is kept; otherwise the branch head is taken at promotion)
  --ahead-of-queue      take a free slot that waiting tasks are owed; say why in the pull
                        request (for what cannot wait)
  --base REV            also count the claims at REV as held (default: origin/main, if present)
${PR}
${STACK}
`;

export const REPOINT_HELP = `\
Usage: slots repoint N [--branch B] [--commit SHA] [--pr] [--stack NAME]
       slots repoint --task T [--branch B] [--commit SHA] [--pr] [--stack NAME]

Points the claim on slot N (or the slot held for task T) at a new commit and keeps everything
else: the same slot, URL, database and holder. Without --commit the head of the branch (the
claim's own, or --branch) is asked from the configured repository (git ls-remote); a given commit
must exist there. After the merge, pulumi up redeploys the slot.

Options:
  --task T              re-point the slot this task holds (any case)
  --branch B            deploy this branch from now on (default: the claim's branch)
  --commit SHA          the commit (default: the branch's head)
${PR}
${STACK}
`;

export const RELEASE_HELP = `\
Usage: slots release N [--no-promote] [--pr] [--stack NAME]
       slots release --task T [--no-promote] [--pr] [--stack NAME]

Removes the claim on slot N (or the slot held for task T, in any case). In the same edit, the
first waiter of the slot's pool takes it: with the commit its entry gives, else its branch head
(git ls-remote); a waiter whose branch is gone is skipped with a note and stays queued. After the
merge, pulumi up stops the slot's app (or deploys the promoted claim); its database is kept, or
emptied for a new task (databaseOnNewTask). Releasing a slot that is already free does nothing
and exits 0.

Options:
  --task T              release the slot this task holds
  --no-promote          only release; the waitlist is left as it is
${PR}
${STACK}
`;

export const PROMOTE_HELP = `\
Usage: slots promote [--base REV] [--pr] [--stack NAME]

Moves waiters into the free slots of their pools, in queue order, as a release does for the slot
it frees: with the commit the entry gives, else its branch head (git ls-remote); a waiter whose
branch is gone is skipped with a note and stays queued. For slots left free while tasks wait (a
release with --no-promote, a skipped waiter, a new slot in the pool). A slot held on the base
branch counts as held. With nobody to promote it writes nothing and exits 0.

Options:
  --base REV            also count the claims at REV as held (default: origin/main, if present)
${PR}
${STACK}
`;

export const UNWAIT_HELP = `\
Usage: slots unwait --task T [--stack NAME]

Removes task T's entry from the waitlist. The waitlist changes no resource.

Options:
  --task T              the task that leaves the queue
${STACK}
`;

export const EXPIRE_HELP = `\
Usage: slots expire [--now T] [--no-promote] [--stack NAME]

Releases every claim whose expiresAt is past, promoting each freed slot's first waiter as
slots release does, and prints what it did; nothing is written when no claim has expired. The
scheduled "Expire staging slots" workflow runs it and opens the pull request "Release expired
staging slots", so an expiry is reviewed like any release.

Options:
  --now T               judge expiry at this UTC time instead of now (2026-11-30T18:00:00Z)
  --no-promote          only release; the waitlist is left as it is
${STACK}
`;

export const REDEPLOY_HELP = `\
Usage: slots redeploy N [--stack NAME]

Bumps the redeploy counter of the claim on slot N, so pulumi up deploys the same commit again.

Options:
${STACK}
`;

export const EXTEND_HELP = `\
Usage: slots extend N --long-running NOTE [--until DATE] [--pr] [--stack NAME]

Adds (or replaces) the long-running note on the claim on slot N, and with --until its end
(expiresAt): the claim is quiet until then and stale after. A note without an end keeps the claim
quiet and open-ended (slots list says so).

Options:
  --long-running NOTE   why the claim stays, e.g. "soak test" (needed unless the claim has one)
  --until DATE          UTC date or time it ends: 2026-12-01 (its start) or 2026-12-01T18:00Z
${PR}
${STACK}
`;

export const CHECK_HELP = `\
Usage: slots check [--strict] [--base REV] [--offline] [--json] [--stack NAME]

Lists every problem in the stack file at once, with its line: every rule runs on every run. Each
claimed commit must exist in the configured repository (when it cannot be reached, one warning
line says the commits were not verified). Exits 1 on any error; with --strict also on warnings:
stale claims (over 24 hours with no long-running note, or past their expiresAt), adminCidrs
wider than /16 (IPv4) or /32 (IPv6), and a data reset the database's TLS settings would refuse.
Suits a pre-commit hook.

With --base REV (a pull request's base), --strict fails only for claims this change adds or
alters, and stale claims elsewhere stay warnings; a warning about the host settings fails only a
change that touches a host setting; only the changed claims' commits are looked up; and
a slot or task claimed both here and on REV since this branch started is an error that says how
to fix it.

Options:
  --strict              treat warnings (stale claims, wide adminCidrs, ...) as errors
  --base REV            judge the change against this git revision (e.g. origin/main)
  --offline             do not ask the repository whether the commits exist
  --json                {"file","ok","base","changedSlots","problems":[{"level","slot","field","line","message"}]}
${STACK}
`;

export const DIFF_HELP = `\
Usage: slots diff [--base REV] [--json] [--stack NAME]

Slot-level changes between the stack file at a git revision and the working tree, one sentence
per slot, e.g. "staging-4: Available → In Use by alice for JOB-123, feature/login @ 1a2b3c4",
then one per waitlist change, e.g. "waitlist: JOB-7 leaves the queue: promoted into staging-4",
then one for each new claim that takes a slot the queue was owed ("taken ahead of the queue").

Options:
  --base REV            the git revision to compare with (default: HEAD)
  --json                the changes as JSON
${STACK}
`;

const REGISTRY_URL = `  --registry-url URL    read the registry table (marts.staging_slots) with this connection
                        string (default: $STAGING_REGISTRY_URL); read-only, with a timeout`;

export const COMMENT_HELP = `\
Usage: slots comment N [--registry-url URL] [--from-stack] [--json] [--stack NAME]
       slots comment --task T [--registry-url URL] [--from-stack] [--json] [--stack NAME]

Prints the "Staging Deployment" markdown comment for the claim on slot N (or the slot held for
task T), to paste into the task. "Deployed" is the real deployment time: from the registry when
it is given (--registry-url or STAGING_REGISTRY_URL) and shows the claim deployed, else from the
stack outputs (pulumi stack output --json) when the pulumi CLI can read them and they show the
claim's commit; otherwise the comment says "Claimed: <time>" and "Deployed: pending (pulumi up)".

Options:
  --task T              the slot this task holds (any case)
${REGISTRY_URL}
  --from-stack          require the stack outputs (fail when pulumi cannot read them)
  --json                the fields and the markdown as JSON
${STACK}
`;

export const TABLE_HELP = `\
Usage: slots table [--registry-url URL] [--from-stack] [--json] [--stack NAME]

Prints the slot usage registry table in markdown, from the stack file. Deployed At is the real
deployment time: from the registry when it is given (--registry-url or STAGING_REGISTRY_URL),
else from the stack outputs when pulumi can read them; "pending" until pulumi up has deployed the
claim.

Options:
${REGISTRY_URL}
  --from-stack          require the stack outputs (fail when pulumi cannot read them)
  --json                the rows and the markdown as JSON
${STACK}
`;

export const SERVE_HELP = `\
Usage: slots serve --remote URL [--port 8080] [--host 127.0.0.1] [--base main] [--stack NAME]
                   [--github-repo OWNER/NAME] [--jwks-url URL] [--jwt-issuer ISS]
                   [--jwt-audience AUD] [--read-auth open|token] [--writes-per-minute 10]
                   [--refresh-seconds 10] [--trust-proxy] [--url-template T] [--timeout 5]
                   [--registry-url URL] [--live-seconds 30] [--no-live]

Serves the Staging Dashboard at /staging and its API at /api/staging/slots. Reads show the stack
file on the base branch of the remote, with the changes waiting for review on slots/ branches
and their open pull requests (gh pr list). A claim or release (admin JWT) runs the same edit as
slots claim / slots release on a fresh clone, pushes it to a branch slots/claim-<task> (or
slots/release-<task>, slots/wait-<task>) and opens a pull request with gh; nothing else is
written.

Options:
  --remote URL          the git remote to clone and push branches to (or SLOTS_REMOTE)
  --port N              port to listen on (default: 8080; 0 picks a free one)
  --host ADDR           address to listen on (default: 127.0.0.1; 0.0.0.0 for every interface)
  --base BRANCH         the branch pull requests target (default: main)
  --github-repo O/N     the repository gh opens pull requests on (default: from --remote)
  --jwks-url URL        verify tokens with this issuer's keys instead of SLOTS_JWT_SECRET
  --jwt-issuer ISS      tokens must have this iss
  --jwt-audience AUD    tokens must have this aud
  --read-auth MODE      open (default): anyone may read; token: reads need a valid token too
  --writes-per-minute N claims and releases one client address may send a minute (default: 10)
  --refresh-seconds N   how long a read of the remote is reused (default: 10)
  --trust-proxy         take the client address from X-Forwarded-For (behind a proxy only)
  --url-template T      probe each slot here, as slots status does (default: its public URL)
  --timeout S           per-probe timeout in seconds, as slots status (default: 5)
  --registry-url URL    read deployed_at from the registry (or STAGING_REGISTRY_URL)
  --live-seconds N      how long one probe of the slots is shown (default: 30)
  --no-live             show no live state (live: null), probe nothing
${STACK}

Environment: SLOTS_JWT_SECRET (HMAC secret, at least 32 bytes) unless --jwks-url; GH_TOKEN for
gh (pull_requests: write, which also lets it list them); git's own credentials for the remote
(e.g. GIT_SSH_COMMAND).
`;

export const FETCH_HELP = `\
Usage: slots fetch [--stack NAME]

With staging-slots:images set, pulumi preview and up build each claimed commit's images from a
checkout in .slots-cache/<commit>/ (ignored by git). This fetches every claimed commit there,
shallow, from the configured repository (the files only, no .git), and removes the checkouts of
commits no claim names any more. Without images it does nothing.

Options:
${STACK}
`;

export const STATUS_HELP = `\
Usage: slots status [N…] [--json] [--timeout S] [--url-template T] [--registry-url URL]
                    [--from-stack] [--stack NAME]

Probes every slot (or slots N…) in parallel at https://staging-N.<domain>/api/version and
compares the commit the app reports with the claim and, when read, the registry row:
  serving    claimed, and the app reports the claimed commit
  pending    claimed, the app reports another commit or none, and pulumi up has not deployed
             the claim yet (the registry row is older, or the registry was not read)
  drifted    the app reports a commit neither the claim nor the registry row holds
  down       claimed, but no answer, a TLS error, a non-2xx answer, or nothing running although
             pulumi up deployed it
  free       Available, and the slot-is-free page (or nothing) answers
  occupied   Available, yet an app answers
Then each host (droplet) with its slots and the free disk its latest deployment reported.
Exit codes: 0 every claimed slot is serving, 1 otherwise (or a problem with the stack file),
2 bad usage.

Options:
  --json                one JSON object with a "slots" array, for scripts
  --timeout S           seconds each request may take (default: 5; at most 60); at most 50
                        requests run at once, so 100 slots take at most twice that
  --url-template T      probe T/api/version instead of the public URL, e.g.
                        'http://127.0.0.1:{campaignUiPort}' on the droplet; placeholders
                        {slot}, {identifier}, {domain}, {campaignUiPort}, {host} (the
                        slot's host: e.g. 'http://{host}.internal:{campaignUiPort}' reaches
                        each host's slots from one machine)
  --from-stack          read the stack outputs (pulumi stack output --json, your own login)
                        for each host's free disk after its latest deployment; without it
                        free disk is "unknown"
${REGISTRY_URL}
${STACK}
`;

export const DEPLOYMENTS_HELP = `\
Usage: slots deployments --base REV [--repo OWNER/NAME] [--log-url URL] [--timeout S]
                         [--url-template T] [--registry-url URL] [--stack NAME]

Run by the deploy workflow after pulumi up. For every slot whose claim changed since REV (the
commit last deployed), records a GitHub deployment on the app's repository: environment
staging-N, ref the claimed commit, environment URL the slot's URL, state success when slots
status finds the slot serving, else failure. A released slot's deployments are marked inactive.
Calls gh api; gh reads its token from GH_TOKEN (it needs Deployments: write on the app repository).

Options:
  --base REV            the commit last deployed (required)
  --repo OWNER/NAME     the app's GitHub repository (default: from staging-slots:repository)
  --log-url URL         the workflow run, linked from each deployment status
  --timeout S, --url-template T, --registry-url URL
                        as for slots status
${STACK}
`;

export const REPORT_HELP = `\
Usage: slots report --status FILE --list FILE [--run-url URL]

Run by the daily report workflow. Reads the output of slots status --json (FILE) and slots list
--json (FILE) and keeps one open issue titled "Staging slots need attention": created when a slot
is down, drifted, occupied or stale (one line each: the slot, its holder, what to do), updated
while anything is, closed when all is well. Calls gh; gh reads its token from GH_TOKEN and the
repository from GH_REPO.

Options:
  --status FILE         what slots status --json printed
  --list FILE           what slots list --json printed
  --run-url URL         the workflow run, linked from the issue
  -h, --help            show this help
`;

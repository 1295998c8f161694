// The `slots` command's help texts, one constant per command, so tests and the README quote the
// same words the command prints.

const STACK = "  --stack NAME          work on Pulumi.<NAME>.yaml in the project root (default: staging)\n  -h, --help            show this help";

export const HELP = `\
slots: claim, release and inspect the staging slots in the stack file

Usage: slots <command> [options] [--stack NAME]

Commands:
  list [--json]                     every slot: status, holder, branch, commit, age, pool
  claim --task T --owner O --branch B [--commit SHA] [--slot N] [--pool P]
        [--purpose TEXT] [--long-running NOTE]
                                    write a claim (lowest free slot of the pool by default)
  release N | release --task T      remove a claim (the slot's database is kept)
  redeploy N                        deploy the same commit again (bumps the redeploy counter)
  extend N --long-running NOTE      keep a claim past 24 hours, saying why
  check [--strict]                  every problem in the stack file; --strict: stale claims too
  diff [--base REV] [--json]        slot changes since a git revision (default HEAD)
  comment N                         the "Staging Deployment" comment for slot N
  table                             the slot usage registry table in markdown
  plan [--base REV] [--json]        offline evaluation of the program: resources that change
  guard --preview FILE              fails if a pulumi preview touches what it must not

Every command takes --stack NAME (default: staging) and --help.
Exit codes: 0 success, 1 a problem with the request or the stack file (one line each, file
untouched), 2 bad usage.
`;

export const LIST_HELP = `\
Usage: slots list [--json] [--stack NAME]

Shows every slot: id, status, owner, task, branch, short commit, claim age, pool, URL, ports and
database. A claim older than 24 hours without a long-running note is marked stale.

Options:
  --json                one JSON object with a "slots" array, for scripts
${STACK}
`;

export const CLAIM_HELP = `\
Usage: slots claim --task T --owner O --branch B [--commit SHA] [--slot N] [--pool P]
                   [--purpose TEXT] [--long-running NOTE] [--stack NAME]

Writes a claim into the stack file: slot N, or the lowest free slot of the pool. Without --commit
the branch's head is asked from the configured repository (git ls-remote). Refused, with the file
untouched, when the slot is held, the task already holds a slot, the pool is full, the slot is
not in the pool, or any field is invalid.

Options:
  --task T              the task (issue key); one slot per task
  --owner O             who holds the slot
  --branch B            the git branch to deploy
  --commit SHA          the full 40-character commit (default: the branch's head)
  --slot N              the slot to take (default: the lowest free slot of the pool)
  --pool P              the pool to take it from (default: qa)
  --purpose TEXT        a short description, e.g. "QA for PR #123"
  --long-running NOTE   why the claim may stay past 24 hours
${STACK}
`;

export const RELEASE_HELP = `\
Usage: slots release N [--stack NAME]
       slots release --task T [--stack NAME]

Removes the claim on slot N (or the slot held for task T). After the merge, pulumi up stops the
slot's app and marks it Available; its database is kept.

Options:
  --task T              release the slot this task holds
${STACK}
`;

export const REDEPLOY_HELP = `\
Usage: slots redeploy N [--stack NAME]

Bumps the redeploy counter of the claim on slot N, so pulumi up deploys the same commit again.

Options:
${STACK}
`;

export const EXTEND_HELP = `\
Usage: slots extend N --long-running NOTE [--stack NAME]

Adds (or replaces) the long-running note on the claim on slot N: a claim with a note is not
reported as stale after 24 hours.

Options:
  --long-running NOTE   why the claim stays, e.g. "soak test until Friday"
${STACK}
`;

export const CHECK_HELP = `\
Usage: slots check [--strict] [--stack NAME]

Lists every problem in the stack file at once, with its line. Exits 1 on any error; with
--strict also on stale claims (over 24 hours with no long-running note). Suits a pre-commit hook.

Options:
  --strict              treat stale claims as errors
${STACK}
`;

export const DIFF_HELP = `\
Usage: slots diff [--base REV] [--json] [--stack NAME]

Slot-level changes between the stack file at a git revision and the working tree, one sentence
per slot, e.g. "staging-4: Available → In Use by alice for JOB-123, feature/login @ 1a2b3c4".

Options:
  --base REV            the git revision to compare with (default: HEAD)
  --json                the changes as JSON
${STACK}
`;

export const COMMENT_HELP = `\
Usage: slots comment N [--stack NAME]

Prints the "Staging Deployment" markdown comment for the claim on slot N (slot, branch, commit,
time, URL), to paste into the task. The time is the claim's claimedAt: the stack file does not
know when pulumi up ran.

Options:
${STACK}
`;

export const TABLE_HELP = `\
Usage: slots table [--stack NAME]

Prints the slot usage registry table in markdown, from the stack file. Deployed At shows the
claim time; the registry row in the database holds the real deployment time.

Options:
${STACK}
`;

# shellcheck shell=bash
# Deploys one staging slot at one exact commit. Run by the slot's remote.Command as
#   bash -c "$(this script)" staging-deploy
# with its parameters on stdin, one KEY=VALUE per line. Values are data: they are stored in
# variables and files, never evaluated, never spliced into a command line.
# STAGING_ROOT overrides /home/deploy (tests only).
set -euo pipefail

die() { printf 'staging-deploy: %s\n' "$*" >&2; exit 1; }

declare -A param=()
app_env=()
# bash's read drops NUL bytes without a word, so "a<NUL>b" would arrive as "ab": read the whole
# input with NUL turned into U+0001 and refuse it, before any line is taken as a parameter.
input=$(LC_ALL=C tr '\000' '\001')
[[ $input != *$'\001'* ]] || die "stdin contains a NUL byte (or a U+0001 control character); the deploy parameters are malformed"
seed_args=()
while IFS= read -r line || [[ -n $line ]]; do
  [[ -z $line ]] && continue
  [[ $line == *=* ]] || die "stdin line without KEY=VALUE form; the deploy parameters are malformed"
  key=${line%%=*}
  value=${line#*=}
  # Validation already refuses control characters; a value that still carries one was not
  # rendered by the program and must not reach a file the app or compose parses.
  [[ $value != *[[:cntrl:]]* ]] || die "parameter $key contains a control character"
  case $key in
    SLOT|BRANCH|COMMIT|REPOSITORY|DATABASE_URL|DATABASE_CA_CERT|DEPLOYMENT_ID|HEALTH_TIMEOUT|\
    DATABASE_ON_NEW_TASK|VOLUMES_ON_NEW_TASK|RESET_DATABASE|DATABASE_CLIENT|SEED_SERVICE|PRUNE_AFTER_HOURS|MIN_FREE_DISK_GB|DATA_OWNER)
      # A second line for the same key would mean a value smuggled in a line break.
      [[ -z ${param[$key]+set} ]] || die "parameter $key given twice"
      param[$key]=$value
      ;;
    APP_ENV) app_env+=("$value") ;;
    SEED_ARG) seed_args+=("$value") ;;
    *) die "unknown parameter on stdin: $key" ;;
  esac
done <<<"$input"

for required in SLOT BRANCH COMMIT REPOSITORY DATABASE_URL DEPLOYMENT_ID; do
  [[ -n ${param[$required]:-} ]] || die "missing parameter $required"
done
slot=${param[SLOT]}
commit=${param[COMMIT]}
branch=${param[BRANCH]}
repository=${param[REPOSITORY]}
health_timeout=${param[HEALTH_TIMEOUT]:-300}
[[ $slot =~ ^[1-9][0-9]{0,2}$ ]] || die "bad slot number"
[[ $commit =~ ^[0-9a-f]{40}$ ]] || die "commit must be a full 40-hex SHA"
[[ ${param[DEPLOYMENT_ID]} =~ ^[0-9a-f]{16}$ ]] || die "bad deployment id"
[[ $health_timeout =~ ^[1-9][0-9]{0,4}$ ]] || die "HEALTH_TIMEOUT must be a number of seconds"
# A leading dash would turn the URL into an option of git.
[[ $repository != -* ]] || die "repository must not start with '-'"
database_on_new_task=${param[DATABASE_ON_NEW_TASK]:-reset}
volumes_on_new_task=${param[VOLUMES_ON_NEW_TASK]:-reset}
reset_counter=${param[RESET_DATABASE]:-0}
psql_image=${param[DATABASE_CLIENT]:-postgres:16-alpine}
seed_service=${param[SEED_SERVICE]:-}
prune_hours=${param[PRUNE_AFTER_HOURS]:-72}
min_free_gb=${param[MIN_FREE_DISK_GB]:-5}
[[ $database_on_new_task == reset || $database_on_new_task == keep ]] || die "DATABASE_ON_NEW_TASK must be reset or keep"
[[ $volumes_on_new_task == reset || $volumes_on_new_task == keep ]] || die "VOLUMES_ON_NEW_TASK must be reset or keep"
# Up to 16 digits: the claim's counter goes to 2^53 - 1 (validation), well inside bash's 64-bit arithmetic.
counter_re='^(0|[1-9][0-9]{0,15})$'
[[ $reset_counter =~ $counter_re ]] || die "RESET_DATABASE must be a whole number"
[[ $psql_image =~ ^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9._-]+$ ]] || die "bad DATABASE_CLIENT"
[[ -z $seed_service || $seed_service =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ]] || die "bad SEED_SERVICE"
((${#seed_args[@]} == 0)) || [[ -n $seed_service ]] || die "SEED_ARG without SEED_SERVICE"
[[ $prune_hours =~ ^[1-9][0-9]{0,4}$ ]] || die "PRUNE_AFTER_HOURS must be a number of hours"
[[ $min_free_gb =~ ^(0|[1-9][0-9]{0,6})$ ]] || die "MIN_FREE_DISK_GB must be a number of GB"

id="staging-$slot"
root=${STAGING_ROOT:-/home/deploy}
dir="$root/$id"
checkout="$dir/job-search-project"
env_file="$dir/.env.$id"
version_file="$dir/version.json"
ui_port=$((5000 + slot))
airflow_port=$((8080 + slot))

tmp_files=()
cleanup() { ((${#tmp_files[@]} == 0)) || rm -f -- "${tmp_files[@]}"; }
trap cleanup EXIT

mkdir -p "$dir"
# One deployment or release of this slot at a time; other slots have their own lock.
exec 9>"$dir/.lock"
if ! flock -n 9; then
  printf 'staging-deploy: %s is busy with another deployment or release; waiting for it\n' "$id" >&2
  flock 9
fi

# Free disk where the slots live, in KiB (POSIX df: the fourth field of the second line).
free_kib() { df -Pk -- "$root" | awk 'NR == 2 { print $4 }'; }
free_gb() { awk -v k="$(free_kib)" 'BEGIN { printf "%.1f", k / 1048576 }'; }
# A build that runs out of disk half-way leaves the slot broken and the droplet full; refuse
# before anything changes instead.
if ((min_free_gb > 0)) && (($(free_kib) < min_free_gb * 1048576)); then
  die "only $(free_gb) GB free on the droplet ($root), under the floor of $min_free_gb GB (minFreeDiskGb); nothing was changed. Free space first (release unused slots, or docker system prune on the droplet), or lower minFreeDiskGb"
fi

# json_string: prints its argument as a JSON string literal (control characters were refused
# above, so quotes and backslashes are all that need escaping).
json_string() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# env_line NAME VALUE: one line of a compose env file holding VALUE literally. Unquoted values
# are subject to ${...} interpolation and ` #` comments, so anything beyond a plain set of
# characters is single-quoted, which compose reads verbatim; a single quote or backslash has no
# spelling that every compose version reads back unchanged, so it is refused.
env_line() {
  local name=$1 value=$2
  if [[ $value =~ ^[A-Za-z0-9_./:@+,=?%-]*$ ]]; then
    printf '%s=%s\n' "$name" "$value"
  elif [[ $value == *[\'\\]* ]]; then
    die "the value of $name contains a single quote or a backslash, which a compose env file cannot carry; change it in the stack config"
  else
    printf "%s='%s'\n" "$name" "$value"
  fi
}

# redact: copies stdin to stdout with the database URL and its password replaced, so app and
# build output shown on failure (it lands in the `pulumi up` error) never carries the secret.
db_url=${param[DATABASE_URL]}
db_userinfo=${db_url#*://}
db_userinfo=${db_userinfo%%@*}
db_password=${db_userinfo#*:}
[[ $db_password != "$db_userinfo" ]] || db_password=""
redact() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line//"$db_url"/[secret]}
    [[ -z $db_password ]] || line=${line//"$db_password"/[secret]}
    printf '%s\n' "$line"
  done
}

# git over SSH: accept the repository host's key on first contact (the droplet has never seen
# it) and use the repository read key the program installs, when there is one.
ssh_command="ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new"
if [[ -n ${HOME:-} && -f $HOME/.ssh/id_repository ]]; then
  printf -v ssh_command '%s -o IdentitiesOnly=yes -i %q' "$ssh_command" "$HOME/.ssh/id_repository"
fi
export GIT_SSH_COMMAND=$ssh_command

# set_origin REPO: points REPO's origin at the configured repository.
set_origin() {
  if git -C "$1" remote get-url origin >/dev/null 2>&1; then
    git -C "$1" remote set-url origin "$repository"
  else
    git -C "$1" remote add origin "$repository"
  fi
}

# Exactly the claimed commit, nothing else: a shallow fetch of that one commit, a detached
# checkout, and no file left over from the previous commit or from the app's own runs.
if [[ ! -d $checkout/.git ]]; then
  rm -rf "$checkout"
  git init -q "$checkout"
fi
set_origin "$checkout"
fetch_err=$(mktemp "$dir/.fetch.XXXXXX")
tmp_files+=("$fetch_err")
if ! git -C "$checkout" fetch -q --no-tags --depth 1 origin "$commit" 2>"$fetch_err"; then
  cat "$fetch_err" >&2
  if grep -qiE "not our ref|couldn't find remote ref|no such remote ref|unadvertised object" "$fetch_err"; then
    die "commit $commit (branch $branch) does not exist on $repository; push the branch, or set the claim's commit to a SHA that is on the remote (git rev-parse origin/$branch)"
  fi
  die "cannot fetch commit $commit (branch $branch) from $repository; check that the droplet can reach the repository (deploy key, network)"
fi

# The commit must belong to the claimed branch, or the registry and the deploy comment would say
# `main` for code that is on no reviewed branch (a fork's commit fetched by SHA). The branch's
# history is fetched as commits only (--filter=tree:0: no trees, no blobs; a server without
# filter support sends them anyway, which costs time, never correctness) into a bare repository
# of its own, kept between deployments so each fetch brings only new commits. The checkout stays
# an ordinary shallow clone that never asks the remote for a missing object behind git's back.
history="$dir/.branch-history.git"
[[ -d $history ]] || git init -q --bare "$history"
set_origin "$history"
if ! git -C "$history" fetch -q --no-tags --filter=tree:0 origin "+refs/heads/$branch:refs/claimed-branch" 2>"$fetch_err"; then
  cat "$fetch_err" >&2
  die "cannot fetch branch $branch from $repository to check that commit $commit is on it; push the branch, or fix the claim's branch"
fi
# rev-list walks the commits just fetched and nothing else; merge-base would ask the remote for a
# commit that is not there (a partial clone fetches missing objects on demand), trees and all.
on_branch=$(git -C "$history" rev-list refs/claimed-branch)
if [[ $'\n'$on_branch$'\n' != *$'\n'$commit$'\n'* ]]; then
  die "commit $commit is not on branch $branch of $repository (not reachable from its head ${on_branch%%$'\n'*}); claim a commit of that branch (git rev-parse origin/$branch), or name the branch the commit is on"
fi
git -C "$checkout" -c advice.detachedHead=false checkout -q --force --detach "$commit"
git -C "$checkout" clean -q -ffdx
head=$(git -C "$checkout" rev-parse HEAD)
[[ $head == "$commit" ]] || die "checkout is at $head instead of $commit"
# Shallow fetches of successive commits pile up objects; let git prune them when it sees fit.
git -C "$checkout" gc --auto --quiet >/dev/null 2>&1 || true

# The database's CA certificate (postgres.appSslmode verify-full), base64 on stdin: written
# beside the env file, readable by the app's containers (it is public), and named in the env
# file as DATABASE_CA_FILE for the app's compose file to mount where DATABASE_URL's sslrootcert
# points. Without it no CA file is left behind from an earlier deployment.
ca_file="$dir/db-ca.crt"
if [[ -n ${param[DATABASE_CA_CERT]:-} ]]; then
  tmp_ca=$(mktemp "$dir/.db-ca.XXXXXX")
  tmp_files+=("$tmp_ca")
  printf '%s' "${param[DATABASE_CA_CERT]}" | base64 -d >"$tmp_ca" 2>/dev/null || die "parameter DATABASE_CA_CERT is not base64"
  grep -q -- '-----BEGIN CERTIFICATE-----' "$tmp_ca" || die "parameter DATABASE_CA_CERT holds no PEM certificate"
  chmod 644 "$tmp_ca"
  mv -f "$tmp_ca" "$ca_file"
else
  rm -f "$ca_file"
fi

# Written beside its target and renamed over it, so compose never reads half a file. mktemp
# creates it 0600: the database password never has a moment of wider permissions.
tmp_env=$(mktemp "$dir/.env.XXXXXX")
tmp_files+=("$tmp_env")
{
  env_line STAGING_SLOT "$id"
  env_line COMPOSE_PROJECT_NAME "$id"
  env_line CAMPAIGN_UI_PORT "$ui_port"
  env_line AIRFLOW_PORT "$airflow_port"
  env_line APP_COMMIT "$commit"
  env_line APP_BRANCH "$branch"
  env_line DATABASE_URL "${param[DATABASE_URL]}"
  [[ ! -f $ca_file ]] || env_line DATABASE_CA_FILE "$ca_file"
  for entry in "${app_env[@]}"; do
    name=${entry%%=*}
    [[ $entry == *=* && $name =~ ^[A-Z_][A-Z0-9_]*$ ]] || die "bad APP_ENV entry; app settings must be NAME=value"
    env_line "$name" "${entry#*=}"
  done
} >"$tmp_env"
chmod 600 "$tmp_env"
mv -f "$tmp_env" "$env_file"

cd "$checkout"
compose=(docker compose -p "$id" --project-directory "$checkout" --env-file "$env_file")
# fd 9 (the lock) is closed for compose: nothing it leaves running may hold the slot's lock.
# Build and start output goes to a 0600 log on the droplet; only its redacted tail is shown.
deploy_log="$dir/last-deploy.log"
: >"$deploy_log"
chmod 600 "$deploy_log"

# Whose data the slot's database and volumes hold: data-owner keeps the claim's DATA_OWNER (a
# digest of its task; the task itself never reaches the droplet) and its reset counter. Without
# that file (a slot this droplet never deployed, or deployed before the file existed) the
# claim adopts the data as it is. Without DATA_OWNER (both policies keep) ownership never
# changes.
owner_file="$dir/data-owner"
task=${param[DATA_OWNER]:-}
[[ -z $task || $task =~ ^[0-9a-f]{16}$ ]] || die "bad DATA_OWNER"
data_task=$task
data_counter=$reset_counter
if [[ -f $owner_file ]]; then
  { IFS= read -r data_task || true; IFS= read -r data_counter || true; } <"$owner_file"
  # Recorded while both policies were keep: nobody in particular, so the claim adopts the data.
  [[ -n $data_task ]] || data_task=$task
  [[ -n $task ]] || task=$data_task
fi
new_task=false
[[ $data_task == "$task" ]] || new_task=true
reset_database=false
reset_volumes=false
if [[ $new_task == true ]]; then
  [[ $database_on_new_task == keep ]] || reset_database=true
  [[ $volumes_on_new_task == keep ]] || reset_volumes=true
elif ! [[ $data_counter =~ $counter_re ]]; then
  # A counter this script did not write (the file edited by hand): keep the data, as without a
  # record, and record the claim's counter from here on.
  printf 'staging-deploy: warning: %s: the reset counter in %s is not a whole number; the data is kept and resetDatabase %s recorded\n' "$id" "$owner_file" "$reset_counter" >&2
elif ((reset_counter > data_counter)); then
  # resetDatabase was bumped: a fresh database for the same task. Only a higher counter is a bump,
  # like redeploy's: a claim of the same task made again (its counter back at 0) or a counter set
  # back is recorded as it is, the data kept, and the next number above it resets.
  reset_database=true
elif ((reset_counter < data_counter)); then
  printf 'staging-deploy: %s: resetDatabase %s is lower than the recorded %s: recorded, the data kept (bump it above %s to empty the database)\n' "$id" "$reset_counter" "$data_counter" "$reset_counter" >&2
fi

why="the claim is for another task"
[[ $new_task == true ]] || why="resetDatabase is now $reset_counter"

# psql_settings: the command that runs psql as the slot's role, in psql_cmd: psql from a pinned
# image, the connection settings in a 0600 file (never on a command line), and the server
# verified as the app verifies it. Refuses, before anything is stopped, a connection whose server
# psql could not verify.
psql_cmd=()
psql_settings() {
  # The program's URL: role and password are letters, digits and _ (nothing URL-encoded).
  local re='^postgres(ql)?://([^:@/]+):([^@/]*)@([^:/?]+):([0-9]+)/([^?/]+)(\?sslmode=([a-z-]+))?(&sslrootcert=[^&]+)?$'
  [[ $db_url =~ $re ]] || die "$id: DATABASE_URL is not of the form postgresql://role:password@host:port/database?sslmode=…; the deploy parameters are malformed (nothing was stopped): deploy with the program's own (pulumi up)"
  local user=${BASH_REMATCH[2]} password=${BASH_REMATCH[3]} host=${BASH_REMATCH[4]} port=${BASH_REMATCH[5]} database=${BASH_REMATCH[6]}
  local sslmode=${BASH_REMATCH[8]:-require} root_cert=${BASH_REMATCH[9]#&sslrootcert=}
  # It becomes a mount point (docker run -v SRC:DST:ro), where a ':' or a relative path would not hold.
  [[ -z $root_cert || $root_cert =~ ^/[A-Za-z0-9._/-]+$ ]] || die "$id: DATABASE_URL's sslrootcert must be an absolute path of letters, digits and . _ / -; the deploy parameters are malformed (nothing was stopped): deploy with the program's own (pulumi up)"
  if [[ $sslmode == verify-ca || $sslmode == verify-full ]]; then
    # libpq verifies against sslrootcert, else ~/.postgresql/root.crt, which the psql image does
    # not have (PostgreSQL docs, libpq "SSL Support", "Client Verification of Server
    # Certificates"; psql fails with "root certificate file … does not exist"). The program hands
    # the droplet a CA only with postgres.appSslmode: verify-full (managed), and names it in the
    # URL; an existing instance's verify-ca / verify-full comes with none, and the app's image
    # brings its own trust, which psql's does not share.
    if [[ -z $root_cert ]]; then
      local fix="databaseOnNewTask: keep (the new task takes the data as it is)"
      [[ $new_task == true ]] || fix="the claim's resetDatabase back to $data_counter (the recorded counter)"
      die "cannot empty the database of $id ($why): postgres.sslmode is $sslmode, and no CA certificate reaches the droplet for it (postgres.mode: existing hands none over), so psql cannot verify the server; nothing was stopped or changed, version.json left as it was. Set $fix, or postgres.sslmode: require (encrypted, the server not verified) in a pull request of its own"
    fi
    [[ -f $ca_file ]] || die "$id: DATABASE_URL names sslrootcert $root_cert but no DATABASE_CA_CERT came with it; the deploy parameters are malformed (nothing was stopped): deploy with the program's own (pulumi up)"
  fi
  local pg_env
  pg_env=$(mktemp "$dir/.pgenv.XXXXXX")
  tmp_files+=("$pg_env")
  printf 'PGUSER=%s\nPGPASSWORD=%s\nPGHOST=%s\nPGPORT=%s\nPGDATABASE=%s\nPGSSLMODE=%s\n' \
    "$user" "$password" "$host" "$port" "$database" "$sslmode" >"$pg_env"
  psql_cmd=(docker run --rm -i --network host --env-file "$pg_env")
  if [[ -n $root_cert && -f $ca_file ]]; then
    # Verify the server as the app does, with the same CA, mounted where the URL names it.
    printf 'PGSSLROOTCERT=%s\n' "$root_cert" >>"$pg_env"
    psql_cmd+=(-v "$ca_file:$root_cert:ro")
  fi
  psql_cmd+=("$psql_image" psql -X -q -v ON_ERROR_STOP=1)
}

# empty_database: drops everything the slot's role owns in the slot's database and recreates
# the schemas it owned, connected as that role (it can reach no other database, and it cannot
# drop itself).
empty_database() {
  # DROP OWNED removes the role's tables, views, sequences, functions and schemas in this
  # database only (and privileges granted to it here); the database and the role stay.
  "${psql_cmd[@]}" >>"$deploy_log" 2>&1 9>&- <<'SQL'
DO $reset$
DECLARE
  owned text[];
  s text;
BEGIN
  SELECT coalesce(array_agg(nspname::text ORDER BY nspname), '{}') INTO owned
    FROM pg_namespace
    WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
      AND nspname NOT LIKE 'pg\_%';
  EXECUTE 'DROP OWNED BY CURRENT_USER';
  FOREACH s IN ARRAY owned LOOP
    EXECUTE format('CREATE SCHEMA %I', s);
  END LOOP;
END
$reset$;
SQL
}

if [[ $reset_database == true ]]; then
  psql_settings
  # Connect once before anything stops: a server psql cannot reach or verify (a CA that does not
  # sign its certificate, a wrong address or password) fails here, with the app still running.
  if ! "${psql_cmd[@]}" -c 'SELECT 1' >>"$deploy_log" 2>&1 9>&- </dev/null; then
    tail -n 20 "$deploy_log" | redact >&2
    die "cannot connect to the database of $id as its role to empty it ($why); nothing was stopped or changed, version.json left as it was. psql's error is above: check that the droplet reaches the database and the slot's role may log in, with postgres.appSslmode: verify-full that the CA the program read signs the server's certificate for its host name, and, for \"too many clients\", that the server has a connection left while the old app still holds its own"
  fi
fi

if [[ $reset_database == true || $reset_volumes == true ]]; then
  # Nothing of the previous app may hold a connection or a volume while its data goes.
  down=("${compose[@]}" down --remove-orphans)
  [[ $reset_volumes == false ]] || down+=(--volumes)
  if ! "${down[@]}" >>"$deploy_log" 2>&1 9>&-; then
    tail -n 20 "$deploy_log" | redact >&2
    die "could not stop $id before resetting its data; version.json left as it was"
  fi
  [[ $reset_volumes == false ]] || printf 'staging-deploy: %s: removed the named volumes of %s (volumesOnNewTask: reset)\n' "$why" "$id" >&2
  if [[ $reset_database == true ]]; then
    if ! empty_database; then
      tail -n 20 "$deploy_log" | redact >&2
      die "could not empty the database of $id; version.json left as it was"
    fi
    printf 'staging-deploy: %s: emptied the database of %s\n' "$why" "$id" >&2
  fi
fi
if [[ $reset_database == true && -n $seed_service ]]; then
  if ! "${compose[@]}" run --rm --build "$seed_service" "${seed_args[@]}" >>"$deploy_log" 2>&1 9>&- </dev/null; then
    printf 'staging-deploy: last 50 lines of the seed command for %s (all of it in %s):\n' "$id" "$deploy_log" >&2
    tail -n 50 "$deploy_log" | redact >&2
    die "the seed command (seedCommand: $seed_service) failed for $id; the database is empty and data-owner still names the previous data, so the next deployment (pulumi up again) empties and seeds it again; version.json left as it was"
  fi
  printf 'staging-deploy: seeded the database of %s with %s\n' "$id" "$seed_service" >&2
fi
# Written before the app starts: from here on the data is this task's, even if the start fails.
# After a seed only once it succeeded, so that a failed seed is done again, reset first.
tmp_owner=$(mktemp "$dir/.data-owner.XXXXXX")
tmp_files+=("$tmp_owner")
printf '%s\n%s\n' "$task" "$reset_counter" >"$tmp_owner"
mv -f "$tmp_owner" "$owner_file"
if ! "${compose[@]}" up -d --build --remove-orphans >>"$deploy_log" 2>&1 9>&-; then
  printf 'staging-deploy: last 50 lines of compose up for %s (all of it in %s):\n' "$id" "$deploy_log" >&2
  tail -n 50 "$deploy_log" | redact >&2
  die "docker compose up failed for $id; version.json left as it was"
fi

# The seed's verification endpoint must report the claimed commit before the slot counts as
# deployed; until then version.json keeps describing the last deployment that passed.
deadline=$((SECONDS + health_timeout))
# The body is read whole: `curl | grep -q` under pipefail fails when grep stops reading early.
reports_commit() {
  local body
  body=$(curl -fsS --max-time 5 "http://127.0.0.1:$ui_port/api/version" 2>/dev/null) && [[ $body == *"$commit"* ]]
}
until reports_commit; do
  if ((SECONDS >= deadline)); then
    printf 'staging-deploy: last 50 lines of the compose logs of %s (also in %s):\n' "$id" "$deploy_log" >&2
    "${compose[@]}" logs --no-color --tail 50 >>"$deploy_log" 2>&1 9>&- || true
    tail -n 50 "$deploy_log" | redact >&2
    die "$id did not report commit $commit on http://127.0.0.1:$ui_port/api/version within ${health_timeout}s; version.json left as it was"
  fi
  sleep 1
done

deployed_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
tmp_version=$(mktemp "$dir/.version.XXXXXX")
tmp_files+=("$tmp_version")
{
  printf '{\n'
  printf '  "slot": %s,\n' "$(json_string "$id")"
  printf '  "status": "deployed",\n'
  printf '  "branch": %s,\n' "$(json_string "$branch")"
  printf '  "commit": %s,\n' "$(json_string "$commit")"
  printf '  "deploymentId": %s,\n' "$(json_string "${param[DEPLOYMENT_ID]}")"
  printf '  "deployedAt": %s\n' "$(json_string "$deployed_at")"
  printf '}\n'
} >"$tmp_version"
chmod 644 "$tmp_version"
mv -f "$tmp_version" "$version_file"
printf '%s\n' "${param[DEPLOYMENT_ID]}" >"$dir/.deployment-id"

# Disk hygiene, once the slot is up: images built for this compose project that no container
# uses any more (compose labels what it builds with the project's name, so another slot's
# images never match), and build cache older than pruneAfterHours. A failed prune is a warning:
# the deployment itself succeeded.
if ! docker image prune --all --force --filter "label=com.docker.compose.project=$id" >>"$deploy_log" 2>&1 9>&-; then
  printf 'staging-deploy: warning: could not prune the unused images of %s (see %s)\n' "$id" "$deploy_log" >&2
fi
if ! docker builder prune --force --filter "until=${prune_hours}h" >>"$deploy_log" 2>&1 9>&-; then
  printf 'staging-deploy: warning: could not prune build cache older than %sh (see %s)\n' "$prune_hours" "$deploy_log" >&2
fi

printf 'STAGING_DEPLOY_RESULT {"slot":%s,"commit":"%s","deployedAt":"%s","freeDiskGb":%s}\n' "$slot" "$commit" "$deployed_at" "$(free_gb)"

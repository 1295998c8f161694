# Deploys one staging slot at one exact commit. Run by the slot's remote.Command as
#   bash -c "$(this script)" staging-deploy
# with its parameters on stdin, one KEY=VALUE per line (values are data: never evaluated).
# STAGING_ROOT overrides /home/deploy (tests only).
set -euo pipefail
umask 077

die() { printf 'staging-deploy: %s\n' "$*" >&2; exit 1; }

declare -A param=()
app_env=()
while IFS= read -r line || [[ -n $line ]]; do
  [[ -z $line ]] && continue
  key=${line%%=*}
  value=${line#*=}
  case $key in
    SLOT|BRANCH|COMMIT|REPOSITORY|OWNER|TASK|PURPOSE|DATABASE_URL|DEPLOYMENT_ID|HEALTH_TIMEOUT) param[$key]=$value ;;
    APP_ENV) app_env+=("$value") ;;
    *) die "unknown parameter on stdin: $key" ;;
  esac
done

for required in SLOT BRANCH COMMIT REPOSITORY OWNER TASK DATABASE_URL DEPLOYMENT_ID; do
  [[ -n ${param[$required]:-} ]] || die "missing parameter $required"
done
slot=${param[SLOT]}
commit=${param[COMMIT]}
[[ $slot =~ ^[1-9][0-9]{0,2}$ ]] || die "bad slot number"
[[ $commit =~ ^[0-9a-f]{40}$ ]] || die "commit must be a full 40-hex SHA"
id="staging-$slot"
root=${STAGING_ROOT:-/home/deploy}
dir="$root/$id"
checkout="$dir/job-search-project"
env_file="$dir/.env.$id"
ui_port=$((5000 + slot))
airflow_port=$((8080 + slot))
health_timeout=${param[HEALTH_TIMEOUT]:-300}

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

# json_string: prints its argument as a JSON string literal (validated inputs carry no
# control characters, so quotes and backslashes are all that need escaping).
json_string() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# Exactly the claimed commit, nothing else: shallow fetch of that one object, detached checkout,
# and no files left over from the previous commit.
if [[ ! -d $checkout/.git ]]; then
  git init -q "$checkout"
fi
if git -C "$checkout" remote get-url origin >/dev/null 2>&1; then
  git -C "$checkout" remote set-url origin "${param[REPOSITORY]}"
else
  git -C "$checkout" remote add origin "${param[REPOSITORY]}"
fi
if ! git -C "$checkout" fetch -q --depth 1 origin "$commit" 2>"$dir/.fetch.err"; then
  cat "$dir/.fetch.err" >&2
  die "commit $commit of branch ${param[BRANCH]} cannot be fetched from the repository; push it, or check the SHA"
fi
git -C "$checkout" -c advice.detachedHead=false checkout -q --force --detach "$commit"
git -C "$checkout" clean -q -ffdx

# The env file is written beside its target and renamed over it, so compose never reads half a file.
tmp_env=$(mktemp "$dir/.env.XXXXXX")
{
  printf 'STAGING_SLOT=%s\n' "$id"
  printf 'COMPOSE_PROJECT_NAME=%s\n' "$id"
  printf 'CAMPAIGN_UI_PORT=%s\n' "$ui_port"
  printf 'AIRFLOW_PORT=%s\n' "$airflow_port"
  printf 'APP_COMMIT=%s\n' "$commit"
  printf 'APP_BRANCH=%s\n' "${param[BRANCH]}"
  printf 'DATABASE_URL=%s\n' "${param[DATABASE_URL]}"
  for entry in "${app_env[@]}"; do
    printf '%s\n' "$entry"
  done
} >"$tmp_env"
chmod 600 "$tmp_env"
mv -f "$tmp_env" "$env_file"

compose=(docker compose -p "$id" --project-directory "$checkout" --env-file "$env_file")
"${compose[@]}" up -d --build --remove-orphans >&2

# The seed's verification endpoint must report the claimed commit before the slot counts as deployed.
deadline=$((SECONDS + health_timeout))
until curl -fsS --max-time 5 "http://127.0.0.1:$ui_port/api/version" 2>/dev/null | grep -q "$commit"; do
  if ((SECONDS >= deadline)); then
    "${compose[@]}" logs --tail 50 >&2 || true
    die "$id did not report commit $commit on http://127.0.0.1:$ui_port/api/version within ${health_timeout}s"
  fi
  sleep 2
done

deployed_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
tmp_version=$(mktemp "$dir/.version.XXXXXX")
{
  printf '{\n'
  printf '  "slot": %s,\n' "$(json_string "$id")"
  printf '  "status": "deployed",\n'
  printf '  "branch": %s,\n' "$(json_string "${param[BRANCH]}")"
  printf '  "commit": %s,\n' "$(json_string "$commit")"
  printf '  "owner": %s,\n' "$(json_string "${param[OWNER]}")"
  printf '  "task": %s,\n' "$(json_string "${param[TASK]}")"
  printf '  "purpose": %s,\n' "$(json_string "${param[PURPOSE]:-}")"
  printf '  "deploymentId": %s,\n' "$(json_string "${param[DEPLOYMENT_ID]}")"
  printf '  "deployedAt": %s\n' "$(json_string "$deployed_at")"
  printf '}\n'
} >"$tmp_version"
chmod 644 "$tmp_version"
mv -f "$tmp_version" "$dir/version.json"
printf '%s\n' "${param[DEPLOYMENT_ID]}" >"$dir/.deployment-id"

printf 'STAGING_DEPLOY_RESULT {"slot":%s,"commit":"%s","deployedAt":"%s"}\n' "$slot" "$commit" "$deployed_at"

# shellcheck shell=bash
# Releases one staging slot: stops its compose project and marks version.json released.
# Run by the slot's remote.Command on delete as
#   bash -c "$(this script)" staging-release SLOT DEPLOYMENT_ID REMOVE_VOLUMES REMOVE_CHECKOUT
# It only acts if the slot still runs the deployment that asks: when a re-point replaced the
# deployment, the new one is already up and the old one's delete must leave it alone.
# Releasing a slot that is already released succeeds and changes nothing.
# STAGING_ROOT overrides /home/deploy (tests only).
set -euo pipefail

die() { printf 'staging-release: %s\n' "$*" >&2; exit 1; }

slot=${1:-}
deployment_id=${2:-}
remove_volumes=${3:-false}
remove_checkout=${4:-false}
[[ $slot =~ ^[1-9][0-9]{0,2}$ ]] || die "bad slot number"
[[ $deployment_id =~ ^[0-9a-f]{16}$ ]] || die "bad deployment id"
[[ $remove_volumes == true || $remove_volumes == false ]] || die "REMOVE_VOLUMES must be true or false"
[[ $remove_checkout == true || $remove_checkout == false ]] || die "REMOVE_CHECKOUT must be true or false"
id="staging-$slot"
root=${STAGING_ROOT:-/home/deploy}
dir="$root/$id"

[[ -d $dir ]] || exit 0
exec 9>"$dir/.lock"
if ! flock -n 9; then
  printf 'staging-release: %s is busy with another deployment or release; waiting for it\n' "$id" >&2
  flock 9
fi

current=$(cat "$dir/.deployment-id" 2>/dev/null || true)
if [[ -n $current && $current != "$deployment_id" ]]; then
  printf 'staging-release: %s now runs deployment %s; nothing to stop for %s\n' "$id" "$current" "$deployment_id" >&2
  exit 0
fi

# `down` finds the containers by the project label, so it works without the checkout too.
down=(docker compose -p "$id" down --remove-orphans)
if [[ $remove_volumes == true ]]; then
  down+=(--volumes)
fi
"${down[@]}" >&2 9>&-

if [[ -z $current ]] && grep -q '"status": "released"' "$dir/version.json" 2>/dev/null; then
  # Already released: keep the first release's time.
  released_at=$(sed -n 's/^  "releasedAt": "\(.*\)"$/\1/p' "$dir/version.json")
else
  released_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  tmp_version=$(mktemp "$dir/.version.XXXXXX")
  trap 'rm -f -- "$tmp_version"' EXIT
  printf '{\n  "slot": "%s",\n  "status": "released",\n  "releasedAt": "%s"\n}\n' "$id" "$released_at" >"$tmp_version"
  chmod 644 "$tmp_version"
  mv -f "$tmp_version" "$dir/version.json"
fi
rm -f "$dir/.deployment-id"
if [[ $remove_checkout == true ]]; then
  rm -rf "$dir/job-search-project" "$dir/.branch-history.git"
fi
printf 'STAGING_RELEASE_RESULT {"slot":%s,"releasedAt":"%s"}\n' "$slot" "$released_at"

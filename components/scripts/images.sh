# shellcheck shell=bash
# Deploys a slot whose images were built once (staging-slots:images). Run by the slot's
# remote.Command as
#   bash -c "$(this script)" staging-deploy-images "$(deploy.sh)"
# with the deploy parameters on stdin, plus one IMAGE=<service>=<repository>@sha256:<digest> line
# per built service. It takes the IMAGE lines out, hands the rest to the deploy script unchanged,
# and gives that script a `docker` that turns its `compose … up --build` into: write an override
# pinning each service to its digest, `compose -f <app file> -f <override> pull <services>`, then
# `up --no-build`; the seed command's `compose … run --build` becomes the same pull and a `run`
# without --build. The deploy script itself stays the one slots without images run, so turning
# images on or off changes nothing else about a deployment.
set -euo pipefail

die() { printf 'staging-deploy: %s\n' "$*" >&2; exit 1; }

deploy_script=${1:?the deploy script text is the first argument}
pins=()
rest=()
while IFS= read -r line || [[ -n $line ]]; do
  if [[ $line == IMAGE=* ]]; then
    pin=${line#IMAGE=}
    [[ $pin =~ ^[a-z0-9][a-z0-9_-]*=[a-z0-9.-]+(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$ ]] || die "bad IMAGE pin; expected <service>=<repository>@sha256:<digest>"
    pins+=("$pin")
  else
    rest+=("$line")
  fi
done
((${#pins[@]} > 0)) || die "no IMAGE pin on stdin; a deployment with images gets one per built service"
STAGING_IMAGE_PINS=$(printf '%s\n' "${pins[@]}")
export STAGING_IMAGE_PINS

# docker compose -p ID --project-directory DIR --env-file FILE ACTION ARGS…, as deploy.sh calls
# it; every other use of docker passes through.
docker() {
  if [[ ${1:-} != compose ]]; then command docker "$@"; return; fi
  local -a opts=()
  local project_dir="" env_file=""
  shift
  while (($#)); do
    case $1 in
      -p) opts+=("$1" "$2"); shift 2 ;;
      --project-directory) project_dir=$2; opts+=("$1" "$2"); shift 2 ;;
      --env-file) env_file=$2; opts+=("$1" "$2"); shift 2 ;;
      *) break ;;
    esac
  done
  [[ -n $project_dir && -n $env_file ]] || { printf 'staging-deploy: compose called without a project directory and env file\n' >&2; return 2; }
  local base_file="" candidate
  for candidate in compose.yaml compose.yml docker-compose.yaml docker-compose.yml; do
    if [[ -f $project_dir/$candidate ]]; then base_file=$project_dir/$candidate; break; fi
  done
  [[ -n $base_file ]] || { printf 'staging-deploy: no compose file (compose.yaml or docker-compose.yml) in %s to pin the images into\n' "$project_dir" >&2; return 1; }
  # Beside the env file, in the slot's folder: the checkout stays exactly the commit.
  local override
  override="$(dirname "$env_file")/compose.images.yml"
  opts+=(-f "$base_file" -f "$override")

  # Written before any action, not only up: the down and seed run of a data reset come first and
  # name the same files, and a slot deployed before images were turned on has no override yet.
  local tmp pin services=()
  tmp=$(mktemp "$override.XXXXXX")
  {
    printf '# Written by the deploy script: the images built once for this deployment.\n'
    printf 'services:\n'
    while IFS= read -r pin; do
      printf '  %s:\n    image: %s\n' "${pin%%=*}" "${pin#*=}"
      services+=("${pin%%=*}")
    done <<<"$STAGING_IMAGE_PINS"
  } >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$override"
  case ${1:-} in
    up | run) ;;
    *) command docker compose "${opts[@]}" "$@"; return ;;
  esac

  # Both start containers of the pinned images, so both pull them first: compose then finds each
  # image present and neither pulls nor builds it (compose's build skips a service whose image is
  # present locally unless its pull policy is build: docker/compose pkg/compose/build.go).
  if ! command docker compose "${opts[@]}" pull "${services[@]}"; then
    printf 'staging-deploy: docker compose pull failed: is the deploy user logged in to the registry (~/.docker/config.json), and were the images pushed?\n' >&2
    return 1
  fi
  if [[ $1 == run ]]; then
    # The seed command after a data reset, `run --rm --build SERVICE ARGS…`: its --build would
    # build every service of the app that has a build section, on the droplet (compose run's
    # --build sets their pull policy to build: docker/compose cmd/compose/create.go, Apply), and
    # run has no --no-build, so --build is dropped. Only the options before the service are read:
    # the seed's own arguments are data and go through as they are.
    shift
    local -a run_opts=()
    while [[ ${1:-} == -* ]]; do
      [[ $1 == --build ]] || run_opts+=("$1")
      shift
    done
    command docker compose "${opts[@]}" run "${run_opts[@]}" "$@"
    return
  fi
  shift
  local -a up_args=()
  local arg replaced=""
  for arg in "$@"; do
    if [[ $arg == --build ]]; then up_args+=(--no-build); replaced=1; else up_args+=("$arg"); fi
  done
  [[ -n $replaced ]] || up_args=(--no-build "${up_args[@]}")
  command docker compose "${opts[@]}" up "${up_args[@]}"
}
export -f docker

printf '%s\n' "${rest[@]}" | bash -c "$deploy_script" staging-deploy

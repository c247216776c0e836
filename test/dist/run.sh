#!/usr/bin/env bash
# The ways people install and run the exporter, checked for real (root, Linux; CI runs it):
#   pack      npm pack builds and ships dist/, the worker, config/, README and LICENSE, no tests
#   install   npm install -g into an empty prefix and npx --yes of the tarball: --version
#   systemd   systemd-analyze verify of examples/systemd (the unit and its drop-in)
#   promtool  promtool check config of examples/prometheus/*.yml and the compose Prometheus'
#   compose   docker-compose config of examples/compose
#   daemon    with the e2e fleet's daemon A (test/e2e/fleet.sh): the installed copy serves
#             /metrics with every running container's stats parsed in a worker thread, and the
#             compose file's exporter service, started for real, serves the daemon too
# Each step prints how long it took. Exit code: 0 when every check passed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"

if [ "$(uname -s)" != Linux ] || [ "$(id -u)" -ne 0 ]; then
  echo "test/dist/run.sh: needs root on Linux (it starts dockerd); see test/e2e/ci-setup.sh" >&2
  exit 1
fi
for bin in npm systemd-analyze promtool docker-compose curl jq; do
  command -v "$bin" >/dev/null 2>&1 || { echo "test/dist/run.sh: $bin is missing; run test/e2e/ci-setup.sh first" >&2; exit 1; }
done

WORK="$(mktemp -d /tmp/dfe-dist-XXXXXX)"
VERSION="$(node -p 'require("./package.json").version')"
TGZ="$WORK/docker-fleet-exporter-$VERSION.tgz"
COMPOSE=(docker-compose -f "$REPO/examples/compose/docker-compose.yml" -p dfe-dist)
started=$SECONDS
step_start=$SECONDS
fleet_up=0
exporter_pid=""

log() { printf '[dist %s] %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
step() { log "$1: ok in $((SECONDS - step_start))s"; step_start=$SECONDS; }

cleanup() {
  local rc=$?
  [ -z "$exporter_pid" ] || { kill "$exporter_pid" 2>/dev/null || true; wait "$exporter_pid" 2>/dev/null || true; }
  if [ "$fleet_up" = 1 ]; then
    [ -z "${SOCK:-}" ] || DOCKER_HOST="unix://$SOCK" "${COMPOSE[@]}" down --timeout 5 >/dev/null 2>&1 || true
    bash "$REPO/test/e2e/fleet.sh" down || true
  fi
  rm -rf "$WORK"
  log "$([ $rc -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started))s"
}
trap cleanup EXIT

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# wait_metrics <url> <seconds> <pattern>: the body of url once a line matches the pattern
wait_metrics() {
  local deadline=$((SECONDS + $2)) body=""
  while [ $SECONDS -lt $deadline ]; do
    body="$(curl -fsS --max-time 10 "$1" 2>/dev/null || true)"
    if grep -qE "$3" <<<"$body"; then printf '%s' "$body"; return 0; fi
    sleep 0.5
  done
  printf '%s' "$body" | head -20 >&2
  return 1
}

# scrape_problem <body> <host> <socket>: what is wrong with a scrape of daemon A (nothing when it
# is right): the host up, every running container with its CPU series (from its parsed stats),
# no container failed, promtool's lint.
scrape_problem() {
  local body="$1" host="$2" sock="$3" running got
  grep -qE "^docker_host_up\{host=\"$host\"\} 1$" <<<"$body" || { echo "docker_host_up{host=\"$host\"} is not 1"; return; }
  running="$(curl -fsS --unix-socket "$sock" 'http://docker/containers/json' | jq length)"
  [ "$running" -gt 0 ] || { echo "daemon A runs no container"; return; }
  got="$(grep -E "^container_cpu_usage_seconds_total\{host=\"$host\"" <<<"$body" | grep -oE 'name="[^"]*"' | sort -u | wc -l)"
  [ "$got" -eq "$running" ] || { echo "container_cpu_usage_seconds_total for $got containers, daemon A runs $running"; return; }
  if grep -E '^docker_probe_container_failed_total\{' <<<"$body" | grep -vqE ' 0$'; then
    echo "containers failed: $(grep -E '^docker_probe_container_failed_total\{' <<<"$body" | tr '\n' ' ')"; return
  fi
  promtool check metrics <<<"$body" >/dev/null 2>&1 || echo "promtool check metrics: $(promtool check metrics <<<"$body" 2>&1 | head -3)"
}

check_scrape() {
  local problem
  problem="$(scrape_problem "$@")"
  [ -z "$problem" ] || fail "$2: $problem"
  log "  $2: up, every running container with stats"
}

# start_installed <log>: the installed copy on a free port against daemon A; sets PORT, exporter_pid
start_installed() {
  PORT="$(free_port)"
  (cd "$WORK/empty" && exec "$BIN" --config.file="$WORK/fleet.yml" --web.listen-address="127.0.0.1:$PORT") 2>"$1" &
  exporter_pid=$!
}

stop_installed() {
  kill "$exporter_pid"
  wait "$exporter_pid" || fail "the installed exporter did not exit 0 on SIGTERM"
  exporter_pid=""
}

# ---- pack ------------------------------------------------------------------------------------
npm pack --pack-destination "$WORK" --silent >/dev/null
[ -f "$TGZ" ] || fail "npm pack wrote no $TGZ"
tar -tzf "$TGZ" | sed 's|^package/||' | sort >"$WORK/files"
for f in package.json README.md LICENSE dist/src/cli.js dist/src/stats/runner.js dist/workers/parse-stats.js config/example.yml monitoring/alerts.yml monitoring/rules.yml examples/systemd/docker-fleet-exporter.service; do
  grep -qxF "$f" "$WORK/files" || fail "the package lacks $f"
done
# every compiled worker (stats parsing, bcrypt): the pools load them by path from dist/
for f in dist/workers/*.js; do
  grep -qxF "$f" "$WORK/files" || fail "the package lacks the worker $f"
done
if grep -E '^(test|bench|src|workers|scripts|docs|node_modules)/|\.ts$|\.map$|^dist/(bench|test)/' "$WORK/files"; then
  fail "the package ships the files above (tests, benches, sources or maps)"
fi
log "  $(wc -l <"$WORK/files") files, $(du -k "$TGZ" | cut -f1) KiB"
step pack

# ---- install ---------------------------------------------------------------------------------
PREFIX="$WORK/prefix"
export npm_config_cache="$WORK/npm-cache" # empty: every dependency comes from the registry
npm install -g --prefix "$PREFIX" --no-audit --no-fund --loglevel=error "$TGZ" >/dev/null
BIN="$PREFIX/bin/docker-fleet-exporter"
out="$("$BIN" --version)"
[[ "$out" == "docker-fleet-exporter $VERSION "* ]] || fail "installed --version said: $out"
# npx as the README gives it: in a folder that holds nothing but the tarball
mkdir "$WORK/empty" "$WORK/npx"
cp "$TGZ" "$WORK/npx/"
out="$(cd "$WORK/npx" && npm_config_prefix="$WORK/npx-prefix" npx --yes "./$(basename "$TGZ")" --version)"
[[ "$out" == "docker-fleet-exporter $VERSION "* ]] || fail "npx --version said: $out"
step install

# ---- systemd ---------------------------------------------------------------------------------
# The unit as shipped, its command pointed at the copy installed above (verify checks it exists);
# verify reads the drop-in from the unit's own search path. Any warning fails.
UNITS="$WORK/units"
mkdir "$UNITS"
sed "s|/usr/local/bin/docker-fleet-exporter|$BIN|g" examples/systemd/docker-fleet-exporter.service >"$UNITS/docker-fleet-exporter.service"
cp -r examples/systemd/docker-fleet-exporter.service.d "$UNITS/"
grep -qF "$BIN" "$UNITS/docker-fleet-exporter.service" || fail "the unit does not run /usr/local/bin/docker-fleet-exporter"
verify="$(cd "$UNITS" && SYSTEMD_UNIT_PATH="$UNITS:" systemd-analyze verify docker-fleet-exporter.service 2>&1)" || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify warned: $verify"
step systemd

# ---- promtool --------------------------------------------------------------------------------
for f in examples/prometheus/*.yml; do
  promtool check config "$f" >/dev/null || { promtool check config "$f"; fail "promtool check config $f"; }
done
# the compose Prometheus' config with the rule files where the compose file mounts them from
sed -e "s|/etc/prometheus/docker-fleet/|$REPO/monitoring/|" examples/compose/prometheus.yml >"$WORK/compose-prometheus.yml"
promtool check config "$WORK/compose-prometheus.yml" >/dev/null || { promtool check config "$WORK/compose-prometheus.yml"; fail "promtool check config examples/compose/prometheus.yml"; }
step promtool

# ---- compose ---------------------------------------------------------------------------------
"${COMPOSE[@]}" config --quiet || fail "docker-compose config"
step compose

# ---- daemon ----------------------------------------------------------------------------------
fleet_up=1
bash test/e2e/fleet.sh up
SOCK="$(jq -r .a.socket test/e2e/.run/fleet.json)"
step "fleet up"

# The installed copy, stats parsed in a worker thread (pool.threads: 1).
cat >"$WORK/fleet.yml" <<YAML
pool:
  threads: 1
hosts:
  - name: a
    url: unix://$SOCK
YAML
start_installed "$WORK/exporter.log"
body="$(wait_metrics "http://127.0.0.1:$PORT/metrics" 30 '^container_cpu_usage_seconds_total\{host="a"')" || { cat "$WORK/exporter.log" >&2; fail "the installed exporter served no container stats of daemon A"; }
check_scrape "$body" a "$SOCK"
stop_installed
# The control: without its compiled worker the same copy must fail the check, else the check
# does not see whether the pool found the worker.
WORKER="$PREFIX/lib/node_modules/docker-fleet-exporter/dist/workers/parse-stats.js"
mv "$WORKER" "$WORKER.away"
start_installed "$WORK/control.log"
body="$(wait_metrics "http://127.0.0.1:$PORT/metrics" 30 '^docker_host_up\{host="a"\} 1$')" || fail "the control exporter never served daemon A"
problem="$(scrape_problem "$body" a "$SOCK")"
[ -n "$problem" ] || fail "the check passed without the worker file: it does not test the worker"
log "  control without dist/workers/parse-stats.js: $problem"
stop_installed
mv "$WORKER.away" "$WORKER"
step "installed copy against daemon A"

# The compose file's exporter service on daemon A: the image from the Dockerfile, the socket and
# fleet.yml mounted as the file says.
bash test/e2e/image.sh build "$SOCK" docker-fleet-exporter:latest
step "image build"
PORT="$(free_port)"
export DOCKER_HOST="unix://$SOCK" DOCKER_SOCKET="$SOCK" DOCKER_GID="$(stat -c %g "$SOCK")" EXPORTER_LISTEN_ADDRESS="127.0.0.1:$PORT"
"${COMPOSE[@]}" up -d --no-build exporter
body="$(wait_metrics "http://127.0.0.1:$PORT/metrics" 60 '^container_cpu_usage_seconds_total\{host="local"')" || { "${COMPOSE[@]}" logs exporter >&2; fail "the compose exporter served no container stats"; }
check_scrape "$body" local "$SOCK"
"${COMPOSE[@]}" down --timeout 5
step "compose exporter against daemon A"

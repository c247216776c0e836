#!/usr/bin/env bash
# The end-to-end suite: builds the exporter, brings up a real fleet (fleet.sh up), runs
# test/e2e/*.test.ts against it, and takes the fleet down on exit, whatever happened. Then the
# engine tests again, on a fleet whose A and B run Docker 26 (no Swarm: pass one had it).
# Needs root and a Linux machine with the packages of ci-setup.sh. Exit code: the tests'.
#
# E2E_ENGINES: the passes to run, "20.10 26" unless set (e.g. E2E_ENGINES=26 for the second alone).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"

# The tests of what the exporter reads from a daemon, run against every engine; the rest (the
# web side, Prometheus, dashboards, SSH, the status page, the Swarm) run once, on 20.10's pass.
ENGINE_TESTS=(values limits events disk docker-contexts image)

if [ "$(uname -s)" != Linux ] || [ "$(id -u)" -ne 0 ]; then
  echo "test/e2e/run.sh: needs root on Linux (it starts dockerd, sshd and Prometheus); see test/e2e/ci-setup.sh" >&2
  exit 1
fi
for bin in dockerd docker sshd prometheus promtool busybox openssl curl jq chromium debootstrap; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || {
    echo "test/e2e/run.sh: $bin is missing; run test/e2e/ci-setup.sh first" >&2
    exit 1
  }
done
bash "$HERE/docker26.sh" path >/dev/null || exit 1

start=$SECONDS
npm run build --silent

summary=()
engine=20.10
trap 'E2E_ENGINE="$engine" bash "$HERE/fleet.sh" down || true; printf "e2e: %s\n" "${summary[@]}"; echo "e2e: $((SECONDS - start))s in all"' EXIT

rc=0
for engine in ${E2E_ENGINES:-20.10 26}; do
  files=()
  if [ "$engine" = 20.10 ]; then
    files=("$HERE"/*.test.ts) # Node 20 does not expand globs itself
    swarm=1
  else
    for f in "${ENGINE_TESTS[@]}"; do files+=("$HERE/$f.test.ts"); done
    swarm=0
  fi
  t0=$SECONDS
  echo "e2e: Docker $engine: fleet up, ${#files[@]} test files" >&2
  E2E_ENGINE="$engine" E2E_SWARM="$swarm" bash "$HERE/fleet.sh" up
  # Files run one at a time (they share the fleet).
  set +e
  node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
  pass_rc=$?
  set -e
  E2E_ENGINE="$engine" bash "$HERE/fleet.sh" down
  summary+=("Docker $engine: $([ "$pass_rc" -eq 0 ] && echo passed || echo "FAILED (exit $pass_rc)") in $((SECONDS - t0))s (${#files[@]} files)")
  if [ "$pass_rc" -ne 0 ]; then
    rc=$pass_rc
    echo "e2e: Docker $engine FAILED (exit $pass_rc); daemon, sshd and exporter logs are kept in $(E2E_ENGINE="$engine" bash "$HERE/fleet.sh" logs-dir)" >&2
  fi
done
exit "$rc"

#!/usr/bin/env bash
# The end-to-end suite: builds the exporter, brings up a real fleet (fleet.sh up), runs
# test/e2e/*.test.ts against it, and takes the fleet down on exit, whatever happened.
# Needs root and a Linux machine with the packages of ci-setup.sh. Exit code: the tests'.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"

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

start=$SECONDS
npm run build --silent

trap 'bash "$HERE/fleet.sh" down || true; echo "e2e: $((SECONDS - start))s in all"' EXIT
bash "$HERE/fleet.sh" up

# Node 20 does not expand globs itself; files run one at a time (they share the fleet).
files=("$HERE"/*.test.ts)
set +e
node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  echo "e2e: FAILED (exit $rc); daemon, sshd and exporter logs are kept in $(ls -d /tmp/dfe-e2e-*-logs 2>/dev/null | head -1) after teardown" >&2
fi
exit "$rc"

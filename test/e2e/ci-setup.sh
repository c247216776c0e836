#!/usr/bin/env bash
# Installs what the end-to-end suite (test/e2e/run.sh) needs on a fresh Debian machine, as root.
# Idempotent: packages already present are left alone, and apt is skipped when nothing is missing.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "ci-setup.sh: must run as root (it installs packages and the suite starts dockerd)" >&2
  exit 1
fi

# binary -> Debian package that provides it
declare -A need=(
  [dockerd]=docker.io          # the real Engine, 20.10 (and containerd, runc, which Docker 26 runs on too)
  [sshd]=openssh-server        # ssh:// hosts
  [ssh-keygen]=openssh-client
  [busybox]=busybox-static     # the image's only binary (no registry is reachable)
  [prometheus]=prometheus      # a real scraper; brings promtool
  [promtool]=prometheus
  [openssl]=openssl            # TLS certificates made at test time
  [curl]=curl                  # the Engine API over a unix socket, readiness checks
  [jq]=jq                      # fleet.json
  [ps]=procps
  [ip]=iproute2
  [chromium]=chromium          # renders the status pages (status-page.test.ts)
  [debootstrap]=debootstrap    # the image's base, Debian bookworm (image.sh)
  [docker-compose]=docker-compose  # examples/compose (test/dist/run.sh)
  [systemd-analyze]=systemd    # examples/systemd (test/dist/run.sh)
)
missing=()
for bin in "${!need[@]}"; do
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ] && [ ! -x "/usr/bin/$bin" ]; then
    missing+=("${need[$bin]}")
  fi
done
# busybox-static specifically: a dynamically linked busybox would not run inside the image.
if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
  missing+=(busybox-static)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "ci-setup.sh: installing ${pkgs[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}"
else
  echo "ci-setup.sh: everything already installed"
fi

# Debian's packages start services where an init system runs; the suite starts its own daemons
# on its own sockets and ports, so the stock ones are not needed (and are left as they are).
for bin in dockerd containerd runc sshd prometheus promtool busybox openssl curl jq chromium debootstrap; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || { echo "ci-setup.sh: $bin still missing" >&2; exit 1; }
done
# Docker 26 beside bookworm's 20.10 (the Swarm and the second engine run): cached after the first run.
bash "$(dirname "${BASH_SOURCE[0]}")/docker26.sh" fetch >/dev/null
echo "ci-setup.sh: ok"

#!/usr/bin/env bash
# Docker 26 for the e2e fleet: dockerd from Debian trixie's docker.io, run on this machine's
# (bookworm's) containerd and runc. Trixie's own containerd and runc need glibc 2.38; its dockerd
# does not.
#
#   docker26.sh fetch   downloads and unpacks it when it is not cached; prints dockerd's path
#   docker26.sh path    prints the cached dockerd's path (fails when not fetched)
#
# The .deb comes from the Debian mirror apt uses here, through a private apt state (its own
# sources.list, lists and archives in a temporary directory): the machine's apt sources and lists
# are not touched. Only dockerd and docker-proxy are kept, in $DFE_IMAGE_CACHE/dockerd-26/
# (default /var/cache/docker-fleet-exporter, as image.sh's base): once there, nothing is downloaded.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${DFE_IMAGE_CACHE:-/var/cache/docker-fleet-exporter}"
DIR="$CACHE/dockerd-26"
MAJOR=26

log() { printf '[docker26 %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# shellcheck source=lib/debian-mirror.sh
. "$HERE/lib/debian-mirror.sh"

cached() { # the cached dockerd runs and is the right major version
  [ -x "$DIR/dockerd" ] && "$DIR/dockerd" --version 2>/dev/null | grep -q "^Docker version $MAJOR\."
}

fetch() {
  local work mirror deb t0=$SECONDS
  mkdir -p "$CACHE"
  work="$(mktemp -d "$CACHE/.docker26.XXXXXX")"
  # apt's download sandbox user cannot write into a root-only mktemp directory
  chmod 755 "$work"
  mkdir -p "$work/lists/partial" "$work/archives/partial"
  mirror="$(debian_mirror)"
  printf 'deb %s trixie main\n' "$mirror" >"$work/sources.list"
  local -a apt=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache::Archives=$work/archives" -o APT::Sandbox::User=root)
  log "downloading trixie's docker.io from $mirror (private apt state in $work)"
  if ! apt-get "${apt[@]}" update >"$work/apt.log" 2>&1 || ! (cd "$work" && apt-get "${apt[@]}" download docker.io >>"$work/apt.log" 2>&1); then
    tail -20 "$work/apt.log" >&2
    rm -rf "$work"
    die "apt-get could not download trixie's docker.io"
  fi
  deb="$(ls "$work"/docker.io_*.deb)"
  dpkg-deb -x "$deb" "$work/root"
  mkdir -p "$work/out"
  install -m 755 "$work/root/usr/sbin/dockerd" "$work/root/usr/sbin/docker-proxy" "$work/out/"
  basename "$deb" >"$work/out/deb"
  "$work/out/dockerd" --version | grep -q "^Docker version $MAJOR\." ||
    { rm -rf "$work"; die "$(basename "$deb") is not Docker $MAJOR: $("$work/out/dockerd" --version 2>&1)"; }
  rm -rf "$DIR"
  mv "$work/out" "$DIR" # whole or absent
  rm -rf "$work"
  log "cached $(cat "$DIR/deb") in $DIR in $((SECONDS - t0))s: $("$DIR/dockerd" --version)"
}

case "${1:-}" in
  fetch)
    if cached; then log "from the cache: $("$DIR/dockerd" --version) ($DIR)"; else fetch; fi
    printf '%s\n' "$DIR/dockerd" ;;
  path)
    cached || die "Docker $MAJOR is not in $DIR; run test/e2e/ci-setup.sh (or test/e2e/docker26.sh fetch)"
    printf '%s\n' "$DIR/dockerd" ;;
  *) echo "usage: $0 fetch|path" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The exporter's container image, built from the repository's Dockerfile, without an image registry.
#
#   image.sh base                  makes the base image tarball when it is not cached; prints its path
#   image.sh build <socket> <tag>  imports the base into the daemon on <socket> as the Dockerfile's
#                                  FROM (unless it has it), then `docker build`s the repository as <tag>
#
# The base stands in for the official node:20-bookworm-slim: Debian bookworm from
# `debootstrap --variant=minbase` (from the mirror apt uses here), this machine's Node 20 and npm,
# a `node` user with uid and gid 1000. debootstrap takes ~1 min, so the tarball is cached in
# $DFE_IMAGE_CACHE (default /var/cache/docker-fleet-exporter), keyed by the recipe version and the
# Node and npm versions; the e2e daemons' data roots are new each run, so it is imported each run.
#
# Behind a TLS-intercepting proxy (as here), npm in the build needs the proxy's CA: the CAs this
# machine adds to Debian's set (/usr/local/share/ca-certificates/*.crt, or $E2E_BUILD_CA_FILE) go
# in as the Dockerfile's EXTRA_CA_CERTS build argument.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${DFE_IMAGE_CACHE:-/var/cache/docker-fleet-exporter}"
RECIPE=2 # bump when make_base changes, so cached tarballs of the old recipe are not used

log() { printf '[image %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# shellcheck source=lib/debian-mirror.sh
. "$HERE/lib/debian-mirror.sh"

node_bin() { command -v node || die "node is not installed"; }
npm_dir() { # the machine's npm package directory (…/node_modules/npm)
  local cli; cli="$(readlink -f "$(command -v npm || die "npm is not installed")")"
  cli="$(dirname "$(dirname "$cli")")"
  [ -f "$cli/package.json" ] || die "cannot find npm's package directory from $(command -v npm)"
  printf '%s\n' "$cli"
}

base_tar() {
  local node_v npm_v
  node_v="$("$(node_bin)" --version)"
  npm_v="$(node -p "require('$(npm_dir)/package.json').version")"
  case "$node_v" in v20.*) ;; *) die "the image needs Node 20; this machine's node is $node_v" ;; esac
  printf '%s\n' "$CACHE/base-bookworm-minbase-r$RECIPE-node$node_v-npm$npm_v.tar"
}

make_base() { # make_base <tarball>
  local out="$1" work rootfs mirror
  command -v debootstrap >/dev/null || die "debootstrap is missing; run test/e2e/ci-setup.sh"
  mkdir -p "$CACHE"
  work="$(mktemp -d "$CACHE/.work.XXXXXX")"
  rootfs="$work/rootfs"
  mirror="$(debian_mirror)"
  log "debootstrap --variant=minbase bookworm from $mirror (about a minute)"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -20 "$work/debootstrap.log" >&2
    rm -rf "$work"
    die "debootstrap failed"
  fi
  # Node 20 and npm where the official image has them.
  install -D -m 755 "$(node_bin)" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$(npm_dir)" "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$rootfs" /usr/local/bin/node --version >/dev/null || die "node does not run in the bookworm rootfs"
  # What Debian's slim images leave out (docs, man pages, translations), and apt's caches: a
  # smaller base is copied faster by every step of a build on the vfs storage driver.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/lintian/*
  tar --numeric-owner -C "$rootfs" -cf "$work/base.tar" .
  mv "$work/base.tar" "$out" # atomic: a cached tarball is always whole
  rm -rf "$work"
  find "$CACHE" -maxdepth 1 -name 'base-*.tar' ! -path "$out" -delete # other recipes and versions
  log "base cached: $out ($(du -h "$out" | cut -f1))"
}

cmd_base() {
  local tar; tar="$(base_tar)"
  if [ -f "$tar" ]; then log "base from the cache: $tar"
  else
    local t0=$SECONDS
    make_base "$tar"
    log "base made in $((SECONDS - t0))s"
  fi
  printf '%s\n' "$tar"
}

# Every FROM of the Dockerfile names one base (the build and runtime stages).
dockerfile_base() {
  local bases
  bases="$(awk 'toupper($1) == "FROM" { print $2 }' "$REPO/Dockerfile" | sort -u)"
  [ "$(printf '%s\n' "$bases" | wc -l)" -eq 1 ] || die "the Dockerfile has several bases ($bases); image.sh makes one"
  printf '%s\n' "$bases"
}

extra_ca() { # the PEM text for EXTRA_CA_CERTS, or nothing
  if [ -n "${E2E_BUILD_CA_FILE:-}" ]; then cat "$E2E_BUILD_CA_FILE"; return; fi
  local f
  for f in /usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt; do
    [ -f "$f" ] && cat "$f"
  done
  return 0
}

cmd_build() { # cmd_build <socket> <tag>
  local socket="$1" tag="$2" tar from t0=$SECONDS
  [ -S "$socket" ] || die "no daemon socket at $socket"
  tar="$(cmd_base)"
  from="$(dockerfile_base)"
  dk() { DOCKER_HOST="unix://$socket" DOCKER_CONTEXT= DOCKER_TLS_VERIFY= DOCKER_CERT_PATH= docker "$@"; }
  if dk image inspect "$from" >/dev/null 2>&1; then log "$from already in the daemon"
  else
    local ti=$SECONDS
    dk import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["node"]' "$tar" "$from" >/dev/null
    log "imported $from in $((SECONDS - ti))s"
  fi
  local -a args=(build --network host -t "$tag")
  local ca; ca="$(extra_ca)"
  if [ -n "$ca" ]; then
    args+=(--build-arg "EXTRA_CA_CERTS=$ca")
    log "EXTRA_CA_CERTS: $(printf '%s\n' "$ca" | grep -c 'BEGIN CERTIFICATE') certificate(s)"
  fi
  local cli; cli="$(buildkit_cli)"
  if [ -n "$cli" ]; then
    log "builder: BuildKit, through $cli"
    args+=(--progress=plain)
    export DOCKER_BUILDKIT=1
  else
    cli=docker
    log "builder: classic (no docker CLI here drives BuildKit)"
    args+=(--force-rm)
    export DOCKER_BUILDKIT=0
  fi
  local t1=$SECONDS
  DOCKER_HOST="unix://$socket" DOCKER_CONTEXT= DOCKER_TLS_VERIFY= DOCKER_CERT_PATH= \
    "$cli" "${args[@]}" "$REPO" || die "docker build failed"
  log "built $tag in $((SECONDS - t1))s ($((SECONDS - t0))s with the base)"
}

# A docker CLI that builds with BuildKit, or nothing. Measured here (vfs storage, 2 busy cores):
# this Dockerfile in 15 s with BuildKit, 150-290 s with the classic builder, which commits a
# container (a full copy of the image on vfs) for every step. CLI >= 23 drives BuildKit only
# through the buildx plugin; Debian's docker.io CLI (20.10) has it built in.
# E2E_IMAGE_BUILDER=classic forces the classic builder.
buildkit_cli() {
  [ "${E2E_IMAGE_BUILDER:-}" != classic ] || return 0
  if docker buildx version >/dev/null 2>&1; then command -v docker; return; fi
  local cli major
  for cli in "$(command -v docker)" /usr/bin/docker; do
    [ -x "$cli" ] || continue
    major="$("$cli" --version 2>/dev/null | sed -nE 's/^Docker version ([0-9]+)\..*/\1/p')"
    if [ -n "$major" ] && [ "$major" -ge 18 ] && [ "$major" -lt 23 ]; then printf '%s\n' "$cli"; return; fi
  done
}

case "${1:-}" in
  base) cmd_base ;;
  build) [ $# -eq 3 ] || { echo "usage: $0 build <daemon socket> <tag>" >&2; exit 2; }; cmd_build "$2" "$3" ;;
  *) echo "usage: $0 base | build <daemon socket> <tag>" >&2; exit 2 ;;
esac

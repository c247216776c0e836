#!/usr/bin/env bash
# What `npm test` needs besides node_modules: a real sshd (ssh:// hosts), openssl (test
# certificates) and promtool (the exposition lint). Installs what is missing when run as root
# on Debian; otherwise says what to install. Idempotent and quiet when all is there.
set -euo pipefail
declare -A need=([sshd]=openssh-server [ssh-keygen]=openssh-client [ssh-agent]=openssh-client [openssl]=openssl [promtool]=prometheus)
missing=()
for bin in "${!need[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("${need[$bin]}")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup-deps: installing ${pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
else
  echo "setup-deps: the tests need these Debian packages: ${pkgs[*]} (run as root, or install them)" >&2
  exit 1
fi

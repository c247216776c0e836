# Sourced: debian_mirror prints the Debian archive apt uses here (deb822 .sources or one-line
# lists), not the security one; E2E_DEBIAN_MIRROR overrides.
debian_mirror() {
  if [ -n "${E2E_DEBIAN_MIRROR:-}" ]; then printf '%s\n' "$E2E_DEBIAN_MIRROR"; return; fi
  local found
  found="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
      /^[ \t]*$/ { if (deb && uri != "" && !security) { print uri; exit } deb = 0; uri = ""; security = 0; next }
      $1 == "Types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      $1 == "URIs:" { uri = $2 }
      $1 == "Suites:" { security = ($2 ~ /-security$/) }
      END { if (deb && uri != "" && !security) print uri }' | head -1)"
  if [ -z "$found" ]; then
    found="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -nE 's/^deb[ \t]+(\[[^]]*\][ \t]+)?([^ \t]+)[ \t]+([^ \t]+).*/\2 \3/p' | awk '$2 !~ /-security$/ {print $1; exit}')"
  fi
  printf '%s\n' "${found:-http://deb.debian.org/debian}"
}

#!/usr/bin/env bash
# Install the Debian packages libevote needs, and only those that are missing.
# Runs as root or through sudo. A second run installs nothing and is quiet.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libssl-dev openssl
  libp11-dev libp11-kit-dev
  softhsm2 opensc
  check libsubunit-dev
  libjansson-dev libsqlite3-dev sqlite3 libpq-dev
)
# Extra packages a module needs can be listed in scripts/deps.d/*.list
# (one package per line) so that modules do not edit each other's lines.
here=$(cd "$(dirname "$0")" && pwd)
if [ -d "$here/deps.d" ]; then
  for f in "$here"/deps.d/*.list; do
    [ -e "$f" ] || continue
    while read -r p; do
      case "$p" in ''|'#'*) ;; *) PACKAGES+=("$p") ;; esac
    done <"$f"
  done
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once if they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n 1)" ]; then
  $SUDO apt-get update -q
fi
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

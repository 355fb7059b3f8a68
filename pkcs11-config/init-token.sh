#!/usr/bin/env bash
# init-token.sh DIR LABEL
#
# Create DIR/softhsm2.conf (from softhsm2.conf.in) with its token store in
# DIR/tokens, and initialise a SoftHSM2 token labelled LABEL through
# `evote token init`. Prints the line to export SOFTHSM2_CONF.
#
# PINs never go on a command line:
#   SO PIN:   $EVOTE_SO_PIN, else the file $EVOTE_SO_PIN_FILE, else a prompt
#   user PIN: $EVOTE_PIN,    else the file $EVOTE_PIN_FILE,    else a prompt
# The module is $EVOTE_PKCS11_MODULE or SoftHSM2's (find-module.sh); the
# evote program is $EVOTE_CLI, else `evote` on PATH, else ../build/evote.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
[ $# -eq 2 ] || { usage >&2; exit 2; }
dir=$1
label=$2

if [ -n "${EVOTE_CLI:-}" ]; then
  evote=$EVOTE_CLI
elif command -v evote >/dev/null 2>&1; then
  evote=$(command -v evote)
elif [ -x "$here/../build/evote" ]; then
  evote=$here/../build/evote
else
  echo "init-token: cannot find the evote program (set EVOTE_CLI)" >&2
  exit 1
fi
module=$("$here/find-module.sh")

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p -m 0700 "$dir/tokens"
conf=$dir/softhsm2.conf
if [ ! -e "$conf" ]; then
  umask 077
  # '|' as sed delimiter: DIR may contain '/'; refuse the one character
  # that would break the substitution.
  case "$dir" in *'|'*|*'&'*|*'\'*)
    echo "init-token: DIR must not contain | & or \\" >&2; exit 1 ;;
  esac
  sed "s|@TOKENDIR@|$dir/tokens|" "$here/softhsm2.conf.in" >"$conf.tmp"
  mv "$conf.tmp" "$conf"
fi

args=(token init --label "$label" --module "$module")
if [ -z "${EVOTE_SO_PIN:-}" ] && [ -n "${EVOTE_SO_PIN_FILE:-}" ]; then
  args+=(--so-pin-file "$EVOTE_SO_PIN_FILE")
fi
if [ -z "${EVOTE_PIN:-}" ] && [ -n "${EVOTE_PIN_FILE:-}" ]; then
  args+=(--pin-file "$EVOTE_PIN_FILE")
fi
SOFTHSM2_CONF=$conf "$evote" "${args[@]}" >&2

echo "export SOFTHSM2_CONF=$conf"

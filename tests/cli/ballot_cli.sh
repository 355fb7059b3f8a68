#!/usr/bin/env bash
# evote manifest check / ballot encrypt / ballot verify from the shell:
# success paths, --help, misuse (exit 2) and refusals (exit 1).
set -uo pipefail
cli=${EVOTE_CLI:?EVOTE_CLI not set}
src=${EVOTE_SOURCE_DIR:?EVOTE_SOURCE_DIR not set}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/evote-test-cli-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
expect() { # expect STATUS DESCRIPTION -- command...
  local want=$1 what=$2
  shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want"
    sed 's/^/  | /' "$tmp/out" "$tmp/err"
    fails=$((fails + 1))
  fi
}
grep_out() { # grep_out PATTERN DESCRIPTION  (in the last command's stdout+stderr)
  if ! grep -q -- "$1" "$tmp/out" "$tmp/err"; then
    echo "FAIL: $2: output lacks '$1'"
    fails=$((fails + 1))
  fi
}

M=$src/docs/examples/manifest.json
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/sk.pem" 2>/dev/null
openssl ec -in "$tmp/sk.pem" -pubout -out "$tmp/pk.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/sk2.pem" 2>/dev/null
openssl ec -in "$tmp/sk2.pem" -pubout -out "$tmp/pk2.pem" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$tmp/ed.pem" 2>/dev/null
openssl pkey -in "$tmp/ed.pem" -pubout -out "$tmp/ed.pub" 2>/dev/null

for c in "manifest check" "ballot encrypt" "ballot verify" "tally"; do
  expect 0 "$c --help" -- $cli $c --help
  grep_out "usage: evote $c" "$c --help"
done

# manifest check
expect 0 "manifest check example" -- "$cli" manifest check "$M"
grep_out "shugiin-2026-overseas" "manifest check prints the election id"
grep_out "$(sha256sum "$M" | cut -d' ' -f1)" "manifest check prints the file's SHA-256"
grep_out "2026-10-12 08:30:00 JST (2026-10-11 23:30:00 UTC" "window in JST and UTC"
grep_out "みらい党" "options listed"
sed 's/+09:00/Z/' "$M" >"$tmp/utc.json"
expect 1 "manifest with a UTC window" -- "$cli" manifest check "$tmp/utc.json"
grep_out "voting_window.opens" "refusal names the field"
expect 2 "manifest check without a file" -- "$cli" manifest check
expect 1 "manifest check of a missing file" -- "$cli" manifest check "$tmp/none.json"

# ballot encrypt + verify
expect 0 "encrypt by option id" -- "$cli" ballot encrypt --manifest "$M" --pubkey "$tmp/pk.pem" \
  --contest proportional-tokyo --option sakura --out "$tmp/b1.evb"
expect 0 "encrypt by index" -- "$cli" ballot encrypt --manifest "$M" --pubkey "$tmp/pk.pem" \
  --contest district-tokyo-1 --selection 3 --out "$tmp/b2.evb"
expect 0 "verify b1" -- "$cli" ballot verify --manifest "$M" --pubkey "$tmp/pk.pem" "$tmp/b1.evb"
grep_out "proof verifies" "verify says so"
expect 0 "verify b2" -- "$cli" ballot verify --manifest "$M" --pubkey "$tmp/pk.pem" "$tmp/b2.evb"
[ "$(head -c 4 "$tmp/b1.evb" | od -An -tx1 | tr -d ' \n')" = "45564201" ] ||
  { echo "FAIL: ballot does not start with EVB 01"; fails=$((fails + 1)); }

expect 1 "verify under another key" -- "$cli" ballot verify --manifest "$M" --pubkey "$tmp/pk2.pem" "$tmp/b1.evb"
grep_out "EVOTE_ERR_PROOF_INVALID" "wrong key is a proof failure"
cp "$M" "$tmp/m2.json"; echo " " >>"$tmp/m2.json" # same content, other bytes
expect 1 "verify against another manifest" -- "$cli" ballot verify --manifest "$tmp/m2.json" --pubkey "$tmp/pk.pem" "$tmp/b1.evb"
grep_out "EVOTE_ERR_MANIFEST_MISMATCH" "other manifest"
# flip the last byte of z, then one byte of C2
cp "$tmp/b1.evb" "$tmp/t.evb"
n=$(stat -c %s "$tmp/t.evb")
printf '\x00' | dd of="$tmp/t.evb" bs=1 seek=$((n - 1)) conv=notrunc 2>/dev/null
expect 1 "verify tampered z" -- "$cli" ballot verify --manifest "$M" --pubkey "$tmp/pk.pem" "$tmp/t.evb"
head -c $((n - 1)) "$tmp/b1.evb" >"$tmp/short.evb"
expect 1 "verify truncated" -- "$cli" ballot verify --manifest "$M" --pubkey "$tmp/pk.pem" "$tmp/short.evb"
grep_out "EVOTE_ERR_TRUNCATED" "truncated"
{ cat "$tmp/b1.evb"; printf 'x'; } >"$tmp/long.evb"
expect 1 "verify oversized" -- "$cli" ballot verify --manifest "$M" --pubkey "$tmp/pk.pem" "$tmp/long.evb"
grep_out "EVOTE_ERR_TOO_LARGE" "oversized"

expect 1 "unknown contest" -- "$cli" ballot encrypt --manifest "$M" --pubkey "$tmp/pk.pem" \
  --contest district-osaka-1 --selection 0 --out "$tmp/x.evb"
grep_out "EVOTE_ERR_CONTEST_UNKNOWN" "unknown contest"
expect 1 "selection out of range" -- "$cli" ballot encrypt --manifest "$M" --pubkey "$tmp/pk.pem" \
  --contest district-tokyo-1 --selection 4 --out "$tmp/x.evb"
grep_out "EVOTE_ERR_SELECTION_RANGE" "selection range"
expect 1 "unknown option" -- "$cli" ballot encrypt --manifest "$M" --pubkey "$tmp/pk.pem" \
  --contest district-tokyo-1 --option mirai --out "$tmp/x.evb"
expect 1 "non-P-256 key" -- "$cli" ballot encrypt --manifest "$M" --pubkey "$tmp/ed.pub" \
  --contest district-tokyo-1 --selection 0 --out "$tmp/x.evb"
expect 2 "both --selection and --option" -- "$cli" ballot encrypt --manifest "$M" --pubkey "$tmp/pk.pem" \
  --contest district-tokyo-1 --selection 0 --option sato-hanako --out "$tmp/x.evb"
expect 2 "negative selection" -- "$cli" ballot encrypt --manifest "$M" --pubkey "$tmp/pk.pem" \
  --contest district-tokyo-1 --selection -1 --out "$tmp/x.evb"
expect 2 "missing --out" -- "$cli" ballot encrypt --manifest "$M" --pubkey "$tmp/pk.pem" \
  --contest district-tokyo-1 --selection 0
[ ! -e "$tmp/x.evb" ] || { echo "FAIL: a refused encryption left a file"; fails=$((fails + 1)); }
expect 2 "verify without a ballot" -- "$cli" ballot verify --manifest "$M" --pubkey "$tmp/pk.pem"

if [ "$fails" -ne 0 ]; then
  echo "$fails failure(s)"
  exit 1
fi
echo "ballot CLI: all checks passed"

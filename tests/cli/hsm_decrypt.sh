#!/usr/bin/env bash
# `evote decrypt` from the command line, on the token and lists of a small
# demo: errors (PIN source, wrong PIN, key, contest, public key, input,
# output) with their exit statuses and messages, then a decryption that
# reproduces the demo's plaintext list byte for byte and tallies.
set -euo pipefail
evote=${EVOTE_CLI:?EVOTE_CLI must name the built evote}
T=$(mktemp -d "${TMPDIR:-/tmp}/evote-test-XXXXXX")
trap 'rm -rf "$T"' EXIT
unset EVOTE_PIN EVOTE_SO_PIN SOFTHSM2_CONF
fail() { echo "FAIL: $*" >&2; exit 1; }
notty() { setsid -w "$@" </dev/null; }
expect() {
  local want=$1 pat=$2 out st
  shift 2
  set +e
  out=$(notty "$@" 2>&1)
  st=$?
  set -e
  [ "$st" -eq "$want" ] || fail "exit $st, expected $want: $* => $out"
  grep -q -- "$pat" <<<"$out" || fail "no '$pat' in output of $*: $out"
}

"$evote" demo --ballots 12 --dir "$T/demo" >/dev/null 2>&1 </dev/null || fail "demo failed"
D=$T/demo
export SOFTHSM2_CONF=$D/softhsm2.conf
C=proportional-tokyo
dec=("$evote" decrypt --manifest "$D/manifest.json" --contest $C --token evote-demo
     --key-label election-key --in "$D/$C.mixed.bt")  # the demo decrypts the verified mix output

expect 0 "usage: evote decrypt" "$evote" decrypt --help
expect 2 "need --manifest" "$evote" decrypt --contest $C
expect 2 "--threads 0" "${dec[@]}" --out "$T/p" --threads 0
expect 2 "--sessions x" "${dec[@]}" --out "$T/p" --sessions x
# PIN: none available; wrong one
expect 1 "EVOTE_ERR_PIN_SOURCE" "${dec[@]}" --out "$T/p"
expect 1 "incorrect PIN \[EVOTE_ERR_PIN_INCORRECT\]" env EVOTE_PIN=wrong-pin-0000 \
  "${dec[@]}" --out "$T/p"
[ ! -e "$T/p" ] || fail "a failed decrypt wrote output"
export EVOTE_PIN=$(cat "$D/user-pin")
expect 1 "EVOTE_ERR_KEY_NOT_FOUND" "$evote" decrypt --manifest "$D/manifest.json" \
  --contest $C --token evote-demo --key-label no-such-key --in "$D/$C.ciphertexts.bt" --out "$T/p"
expect 1 "EVOTE_ERR_TOKEN_NOT_FOUND" "$evote" decrypt --manifest "$D/manifest.json" \
  --contest $C --token no-such-token --key-label election-key --in "$D/$C.ciphertexts.bt" \
  --out "$T/p"
expect 1 "EVOTE_ERR_CONTEST_UNKNOWN" "$evote" decrypt --manifest "$D/manifest.json" \
  --contest no-such-contest --token evote-demo --key-label election-key \
  --in "$D/$C.ciphertexts.bt" --out "$T/p"
# a public key that is not the token's
openssl ecparam -name prime256v1 -genkey -noout -out "$T/other.key" 2>/dev/null
openssl pkey -in "$T/other.key" -pubout -out "$T/other.pem"
expect 1 "EVOTE_ERR_KEY_MISMATCH" "${dec[@]}" --out "$T/p" --pubkey "$T/other.pem"
# a truncated list, a missing list
head -c 300 "$D/$C.ciphertexts.bt" >"$T/short.bt"
expect 1 "EVOTE_ERR_BYTETREE" "$evote" decrypt --manifest "$D/manifest.json" --contest $C \
  --token evote-demo --key-label election-key --in "$T/short.bt" --out "$T/p"
expect 1 "EVOTE_ERR_NOT_FOUND" "$evote" decrypt --manifest "$D/manifest.json" --contest $C \
  --token evote-demo --key-label election-key --in "$T/none.bt" --out "$T/p"
[ ! -e "$T/p" ] || fail "a failed decrypt wrote output"
# the output exists already
expect 1 "EVOTE_ERR_EXISTS" "${dec[@]}" --out "$D/$C.plaintexts"

# success: same plaintext list as the demo's, whatever the threads/sessions
expect 0 "12 valid, 0 invalid" "${dec[@]}" --out "$T/p3" --threads 3 --sessions 2 \
  --pubkey "$D/election-key.pem"
cmp "$T/p3" "$D/$C.plaintexts" || fail "plaintext list differs from the demo's"
unset EVOTE_PIN
printf '%s\n' "$(cat "$D/user-pin")" >"$T/pin"
expect 0 "12 valid" "${dec[@]}" --out "$T/p1" --threads 1 --sessions 1 --pin-file "$T/pin"
cmp "$T/p1" "$D/$C.plaintexts" || fail "single-thread plaintext list differs"
expect 0 "(total)" "$evote" tally --manifest "$D/manifest.json" --plaintexts "$T/p1"
echo "hsm_decrypt: all checks passed"

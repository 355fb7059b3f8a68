#!/usr/bin/env bash
# `evote token init` (through pkcs11-config/init-token.sh) and `evote keygen`
# from the command line: PIN sources, wrong PIN, refusals and their exit
# statuses and messages, and the artefacts of a successful keygen.
set -euo pipefail
evote=${EVOTE_CLI:?EVOTE_CLI must name the built evote}
src=${EVOTE_SOURCE_DIR:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/evote-test-XXXXXX")
trap 'rm -rf "$T"' EXIT
unset EVOTE_PIN EVOTE_SO_PIN EVOTE_PIN_FILE EVOTE_SO_PIN_FILE

. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh" # fail, notty, expect

printf 'so-secret-1234\n' >"$T/so.pin"
printf 'user-secret-5678\n' >"$T/user.pin"
printf 'not-the-pin\n' >"$T/wrong.pin"
chmod 600 "$T"/*.pin

# ---- token init -----------------------------------------------------------
expect 0 "usage: evote token init" "$evote" token init --help
expect 2 "usage:" "$evote" token init
# no SO PIN anywhere (and no terminal to ask on)
expect 1 "EVOTE_ERR_PIN_SOURCE" env SOFTHSM2_CONF=/nonexistent "$evote" token init --label x

export EVOTE_CLI=$evote
out=$(EVOTE_SO_PIN_FILE=$T/so.pin EVOTE_PIN_FILE=$T/user.pin notty \
      "$src/pkcs11-config/init-token.sh" "$T/hsm" cli-token)
[ "$out" = "export SOFTHSM2_CONF=$T/hsm/softhsm2.conf" ] || fail "init-token printed: $out"
grep -q "^directories.tokendir = $T/hsm/tokens\$" "$T/hsm/softhsm2.conf" ||
  fail "token directory not inside DIR"
export SOFTHSM2_CONF=$T/hsm/softhsm2.conf
# the same label twice
expect 1 "EVOTE_ERR_EXISTS" env EVOTE_SO_PIN=so-secret-1234 EVOTE_PIN=user-secret-5678 \
  "$evote" token init --label cli-token

# ---- keygen: refusals -----------------------------------------------------
cat >"$T/manifest.json" <<'JSON'
{
  "format": "libevote-manifest/1",
  "election_id": "cli-test-2026",
  "title": "CLI テスト",
  "voting_window": {"opens": "2026-01-01T08:30:00+09:00",
                    "closes": "2036-12-31T20:00:00+09:00"},
  "contests": [
    {"id": "district-1", "title": "小選挙区 第1区", "kind": "district",
     "options": [{"id": "a", "name": "山田 太郎"}, {"id": "b", "name": "佐藤 花子"}]}
  ]
}
JSON
kg=("$evote" keygen --token cli-token --manifest "$T/manifest.json")

expect 0 "usage: evote keygen" "$evote" keygen --help
expect 2 "need --token" "$evote" keygen --token cli-token
# no PIN source: no file, no $EVOTE_PIN, no terminal
expect 1 "EVOTE_ERR_PIN_SOURCE" "${kg[@]}" --key-label k1 --out-pubkey "$T/k1.pem"
expect 1 "EVOTE_ERR_PIN_SOURCE" "${kg[@]}" --key-label k1 --out-pubkey "$T/k1.pem" \
  --pin-file "$T/no-such-file"
# wrong PIN, from the environment and from a file
expect 1 "incorrect PIN \[EVOTE_ERR_PIN_INCORRECT\]" env EVOTE_PIN=not-the-pin \
  "${kg[@]}" --key-label k1 --out-pubkey "$T/k1.pem"
expect 1 "CKR_PIN_INCORRECT" "${kg[@]}" --key-label k1 --out-pubkey "$T/k1.pem" \
  --pin-file "$T/wrong.pin"
[ ! -e "$T/k1.pem" ] || fail "a failed keygen wrote a public key"
# unknown token, unloadable module
expect 1 "EVOTE_ERR_TOKEN_NOT_FOUND" "$evote" keygen --token no-such-token \
  --manifest "$T/manifest.json" --key-label k1 --out-pubkey "$T/k1.pem" --pin-file "$T/user.pin"
expect 1 "EVOTE_ERR_MODULE_LOAD" "${kg[@]}" --key-label k1 --out-pubkey "$T/k1.pem" \
  --pin-file "$T/user.pin" --module "$T/no-such-module.so"
# an output that exists already is refused before any key is made
echo keep >"$T/exists.pem"
expect 1 "EVOTE_ERR_EXISTS" "${kg[@]}" --key-label k1 --out-pubkey "$T/exists.pem" \
  --pin-file "$T/user.pin"
[ "$(cat "$T/exists.pem")" = keep ] || fail "existing output was touched"

# ---- keygen: success --------------------------------------------------------
expect 0 "election key \"k1\" generated" "${kg[@]}" --key-label k1 --out-pubkey "$T/k1.pem" \
  --record "$T/k1.json" --pin-file "$T/user.pin"
openssl pkey -pubin -in "$T/k1.pem" -noout || fail "public key is not PEM"
openssl pkey -pubin -in "$T/k1.pem" -text -noout | grep -q "NIST CURVE: P-256" ||
  fail "public key is not P-256"
mh=$(sha256sum "$T/manifest.json" | cut -d' ' -f1)
for want in "\"manifest_sha256\": \"$mh\"" '"election_id": "cli-test-2026"' \
            '"label": "cli-token"' '"model": "SoftHSM v2"' '"label": "k1"' \
            '"CKA_SENSITIVE": true' '"CKA_EXTRACTABLE": false' \
            '"CKA_NEVER_EXTRACTABLE": true' '"CKA_ALWAYS_SENSITIVE": true' \
            '"CKA_DERIVE": true' '"CKA_SIGN": false' '"CKA_DECRYPT": false' \
            '"CKA_VALUE_readable": false' '"time_jst": "[0-9T:-]*+09:00"' \
            '"time_utc": "[0-9T:-]*Z"'; do
  grep -q -- "$want" "$T/k1.json" || fail "keygen record lacks $want"
done
# the record's public key is the PEM's (compressed form)
pkhex=$(grep '"public_key"' "$T/k1.json" | sed 's/.*: "\(.*\)".*/\1/')
pem_hex=$(openssl pkey -pubin -in "$T/k1.pem" -outform DER | tail -c 65 | od -An -tx1 | tr -d ' \n')
[ "${pkhex:2}" = "${pem_hex:2:64}" ] || fail "record public key differs from the PEM"

# the same key label again is refused, with fresh output names
expect 1 "EVOTE_ERR_KEY_EXISTS" "${kg[@]}" --key-label k1 --out-pubkey "$T/k1b.pem" \
  --pin-file "$T/user.pin"
[ ! -e "$T/k1b.pem" ] || fail "refused keygen wrote a public key"
# an existing record file is refused too, before a key is made ...
expect 1 "EVOTE_ERR_EXISTS" "${kg[@]}" --key-label k2 --out-pubkey "$T/k2.pem" \
  --record "$T/k1.json" --pin-file "$T/user.pin"
# ... so k2 is still free
expect 0 "generated" env EVOTE_PIN=user-secret-5678 "${kg[@]}" --key-label k2 \
  --out-pubkey "$T/k2.pem"
echo "hsm_keygen: all checks passed"

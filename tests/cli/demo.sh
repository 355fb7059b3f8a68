#!/usr/bin/env bash
# `evote demo` end to end with a small --ballots, then pkcs11-tool on the
# demo's token: the election private key must show as sensitive and never
# extractable, with derive as its only usage. The PIN reaches pkcs11-tool
# through the environment (`--pin env:VAR`, OpenSC ≥ 0.22), not argv.
set -euo pipefail
evote=${EVOTE_CLI:?EVOTE_CLI must name the built evote}
T=$(mktemp -d "${TMPDIR:-/tmp}/evote-test-XXXXXX")
trap 'rm -rf "$T"' EXIT
unset EVOTE_PIN EVOTE_SO_PIN SOFTHSM2_CONF
fail() { echo "FAIL: $*" >&2; exit 1; }

# 30 voters: two card tokens of 25 (the signer switches tokens)
out=$("$evote" demo --ballots 30 --dir "$T/demo" </dev/null 2>&1) || fail "demo failed: $out"
echo "$out"
grep -q "^tally matches the 60 ballots cast$" <<<"$out" || fail "no match line"
grep -q "みらい党" <<<"$out" || fail "no result table"
grep -q '"voter-cards-001".."voter-cards-002"' <<<"$out" || fail "not two card tokens"
grep -q "^sign  *60 ballots signed" <<<"$out" || fail "no sign line"
grep -q "^mix  *district-tokyo-1: 2 parties shuffled 30 ciphertexts.*chain verified" <<<"$out" ||
  fail "no verified mix line"
"$evote" mix verify --quiet --protinfo "$T/demo/district-tokyo-1.mix/protInfo.xml" \
  "$T/demo/district-tokyo-1.mix" >/dev/null || fail "demo's mix chain does not verify"
for f in softhsm2.conf manifest.json election-key.pem keygen-record.json \
         district-tokyo-1.ciphertexts.bt district-tokyo-1.plaintexts district-tokyo-1.tally.json \
         proportional-tokyo.ciphertexts.bt proportional-tokyo.plaintexts \
         district-tokyo-1.mixed.bt district-tokyo-1.mix/ShuffledCiphertexts.bt \
         proportional-tokyo.mix/proofs/PoSReply02.bt; do
  [ -s "$T/demo/$f" ] || fail "demo did not write $f"
done
[ "$(stat -c %a "$T/demo/user-pin")" = 600 ] || fail "PIN file is readable by others"
grep -q "^directories.tokendir = $T/demo/tokens\$" "$T/demo/softhsm2.conf" ||
  fail "token store outside the workspace"
# the printed inspection command names this workspace and no PIN
grep -q "SOFTHSM2_CONF=$T/demo/softhsm2.conf" <<<"$out" || fail "no inspection hint"
grep -q -- "--pin env:EVOTE_PIN" <<<"$out" || fail "inspection hint puts the PIN elsewhere"
! grep -q -- "$(cat "$T/demo/user-pin")" <<<"$out" || fail "demo printed the PIN"

# the printed command, as printed: module and slot of the election token
# (pkcs11-tool's --token-label matches by prefix, so the demo names a slot)
module=$(grep -o -- "--module [^ ]*" <<<"$out" | head -n1 | cut -d' ' -f2)
slot=$(grep -o -- "--slot [0-9]*" <<<"$out" | head -n1 | cut -d' ' -f2)
[ -n "$slot" ] || fail "inspection hint names no slot"
listing=$(SOFTHSM2_CONF=$T/demo/softhsm2.conf EVOTE_PIN=$(cat "$T/demo/user-pin") \
  pkcs11-tool --module "$module" --slot "$slot" --login --pin env:EVOTE_PIN \
  --list-objects 2>&1) || fail "pkcs11-tool: $listing"
echo "$listing"
priv=$(awk '/^Private Key Object/{p=1} /^Public Key Object/{p=0} p' <<<"$listing")
[ -n "$priv" ] || fail "pkcs11-tool shows no private key"
grep -q "label: *election-key" <<<"$priv" || fail "private key label"
access=$(grep "Access:" <<<"$priv")
grep -q "sensitive" <<<"$access" || fail "private key not sensitive: $access"
grep -q "always sensitive" <<<"$access" || fail "private key not always sensitive: $access"
grep -q "never extractable" <<<"$access" || fail "private key extractable: $access"
! grep -q -E "(^|, )extractable" <<<"${access#*:}" || fail "private key extractable: $access"
grep -q "Usage: *derive$" <<<"$priv" || fail "private key usage is not derive only"
[ "$(grep -c '^Private Key Object' <<<"$listing")" -eq 1 ] || fail "more than one private key"
# and it is the election token, not one of the officials' or the operator's
slots=$(SOFTHSM2_CONF=$T/demo/softhsm2.conf pkcs11-tool --module "$module" -T 2>&1)
label=$(awk -v id="(0x$(printf '%x' "$slot"))" '/^Slot /{p = index($0, id) > 0} p && /token label/{sub(/.*: /, ""); print; exit}' <<<"$slots")
[ "$label" = evote-demo ] || fail "slot $slot holds token '$label', not the election token: $slots"

# Without --dir/--keep the workspace goes away afterwards.
mkdir "$T/tmp"
TMPDIR=$T/tmp "$evote" demo --ballots 2 </dev/null >"$T/small.out" 2>&1 ||
  fail "small demo: $(cat "$T/small.out")"
grep -q "tally matches the 4 ballots cast" "$T/small.out" || fail "small demo result"
[ -z "$(ls -A "$T/tmp")" ] || fail "demo left its workspace behind: $(ls -A "$T/tmp")"
# --dir refuses an existing directory; bad options are usage errors
set +e
"$evote" demo --ballots 2 --dir "$T/demo" >/dev/null 2>&1; st=$?
"$evote" demo --ballots 0 >/dev/null 2>&1; st2=$?
set -e
[ "$st" -eq 1 ] || fail "demo reused an existing directory (exit $st)"
[ "$st2" -eq 2 ] || fail "demo --ballots 0 exit $st2"
"$evote" demo --help | grep -q "usage: evote demo" || fail "demo --help"
echo "demo: all checks passed"

#!/usr/bin/env bash
# `evote demo` end to end with a small --ballots, then pkcs11-tool on a
# trustee's token: their private key share must show as sensitive and never
# extractable, with derive as its only usage; and the observer's derive
# repeated by hand, as the demo prints it, must give the expected x it
# printed. The PIN reaches pkcs11-tool through the environment
# (`--pin env:VAR`, OpenSC ≥ 0.22), not argv.
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
for f in softhsm2.conf manifest.json election-key.pem \
         district-tokyo-1.ciphertexts.bt district-tokyo-1.plaintexts district-tokyo-1.tally.json \
         proportional-tokyo.ciphertexts.bt proportional-tokyo.plaintexts \
         district-tokyo-1.mixed.bt district-tokyo-1.mix/ShuffledCiphertexts.bt \
         proportional-tokyo.mix/proofs/PoSReply02.bt; do
  [ -s "$T/demo/$f" ] || fail "demo did not write $f"
done
# the decryption ceremony, in the record's layout (LAYOUT: PROTOCOL §17)
R=$T/demo/record
for f in trustees/key-ceremony.json results/results.json results/results.csv \
         results/results.html; do
  [ -s "$R/$f" ] || fail "record lacks $f"
done
for t in trustee-1 trustee-2; do
  for f in trustees/$t.commitment.json trustees/$t.key.json trustees/$t.keygen-record.json; do
    [ -s "$R/$f" ] || fail "record lacks $f"
  done
  [ "$(stat -c %a "$T/demo/$t.pin")" = 600 ] || fail "$t's PIN file is readable by others"
done
for c in district-tokyo-1 proportional-tokyo; do
  for f in decrypt/$c.authorization.json decrypt/$c.approval-1.cms decrypt/$c.approval-2.cms \
           decrypt/partials/$c/trustee-1.evpd decrypt/partials/$c/trustee-2.evpd \
           decrypt/confirmations/$c.json decrypt/$c.plaintexts tally/$c.json; do
    [ -s "$R/$f" ] || fail "record lacks $f"
  done
  [ "$(grep -c "^trustee trustee-[12]: CONFIRMED$" <<<"$(sed -n "/^confirm  *$c asks/,/^confirm  *$c:/p" <<<"$out")")" -eq 2 ] ||
    fail "$c: not confirmed by both trustees' tokens"
done
! ls "$R/keygen" >/dev/null 2>&1 || fail "a single-key ceremony record in a trustees' election"
# the sheet is the real one: the manifest's names, both contests, cast counts
grep -q "みらい党" "$R/results/results.html" || fail "HTML sheet lacks the options"
python3 - "$R/results/results.json" <<'PY' || fail "results.json"
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
s = json.dumps(r, ensure_ascii=False)
assert "district-tokyo-1" in s and "proportional-tokyo" in s, s[:200]
PY
"$evote" verify "$R" >"$T/verify.txt" || fail "evote verify on the demo's record: $(cat "$T/verify.txt")"
! grep -q "UNCHECKED" "$T/verify.txt" || fail "verify left checks UNCHECKED: $(cat "$T/verify.txt")"
for k in trustees decryption tally; do
  grep -q "^  \[PASS *\] $k " "$T/verify.txt" || fail "verify: $k is not PASS: $(cat "$T/verify.txt")"
done
grep -q "^directories.tokendir = $T/demo/tokens\$" "$T/demo/softhsm2.conf" ||
  fail "token store outside the workspace"
# the printed inspection command names this workspace and no PIN
grep -q "SOFTHSM2_CONF=$T/demo/softhsm2.conf" <<<"$out" || fail "no inspection hint"
grep -q -- "--pin env:EVOTE_PIN" <<<"$out" || fail "inspection hint puts the PIN elsewhere"
for t in trustee-1 trustee-2; do
  ! grep -q -- "$(cat "$T/demo/$t.pin")" <<<"$out" || fail "demo printed $t's PIN"
done

# the printed command, as printed: module and token of trustee 1
module=$(grep -o -- "--module [^ ]*" <<<"$out" | head -n1 | cut -d' ' -f2)
grep -q -- "--token-label trustee-1 " <<<"$out" || fail "inspection hint names no token"
listing=$(SOFTHSM2_CONF=$T/demo/softhsm2.conf EVOTE_PIN=$(cat "$T/demo/trustee-1.pin") \
  pkcs11-tool --module "$module" --token-label trustee-1 --login --pin env:EVOTE_PIN \
  --list-objects 2>&1) || fail "pkcs11-tool: $listing"
echo "$listing"
priv=$(awk '/^Private Key Object/{p=1} /^Public Key Object/{p=0} p' <<<"$listing")
[ -n "$priv" ] || fail "pkcs11-tool shows no private key"
grep -q "label: *evote-trustee-trustee-1" <<<"$priv" || fail "private key label"
access=$(grep "Access:" <<<"$priv")
grep -q "sensitive" <<<"$access" || fail "private key not sensitive: $access"
grep -q "always sensitive" <<<"$access" || fail "private key not always sensitive: $access"
grep -q "never extractable" <<<"$access" || fail "private key extractable: $access"
! grep -q -E "(^|, )extractable" <<<"${access#*:}" || fail "private key extractable: $access"
grep -q "Usage: *derive$" <<<"$priv" || fail "private key usage is not derive only"
[ "$(grep -c '^Private Key Object' <<<"$listing")" -eq 1 ] || fail "more than one private key"

# The observer's derive by hand, exactly as the demo printed it (trustee 2,
# proportional contest), gives the x the demo printed as expected.
c=proportional-tokyo
cmd=$(awk -v c="$c" '$0 ~ "^confirm +" c ": to ask a token yourself" {p=1; next}
  p && /^  SOFTHSM2_CONF=.*trustee-2.pin/ {q=1} q {print} q && /echo$/ {exit}' <<<"$out")
[ -n "$cmd" ] || fail "no pkcs11-tool --derive hint for $c"
grep -q -- "--derive -m ECDH1-DERIVE" <<<"$cmd" || fail "hint is not a derive: $cmd"
want=$(sed -n "/^confirm  *$c asks/,/^CONFIRMED/p" <<<"$out" |
  sed -n 's/^trustee trustee-2: expected x = //p')
[ -n "$want" ] || fail "no expected x for trustee-2 in $c"
got=$(cd "$T" && bash -c "$cmd" 2>/dev/null | tail -n1) || fail "the printed derive failed: $cmd"
[ "$got" = "$want" ] || fail "pkcs11-tool derive gave '$got', the demo expected '$want'"

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

#!/usr/bin/env bash
# `evote demo` leaves a complete election record that `evote verify` passes
# (two trustees, partial decryptions, approvals, observer confirmations,
# result sheets: every check PASS, none UNCHECKED); then every kind of
# artefact in it is corrupted (one byte), removed, or swapped in from
# another election, and the precise failing check is expected.
set -euo pipefail
evote=${EVOTE_CLI:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=${EVOTE_TEST_QUICK:+6}
n=${n:-10}

"$evote" demo --ballots "$n" --dir "$work/a" >"$work/a.out" 2>&1 || { cat "$work/a.out"; exit 1; }
grep -q 'evote verify PASS' "$work/a.out"
# A second run: another election (its officials, pinned in the manifest,
# are new), other key, ballots and trail.
"$evote" demo --ballots "$n" --dir "$work/b" >/dev/null 2>&1
rec=$work/a/record

"$evote" verify "$rec" >"$work/v.txt"
grep -q '^RESULT: PASS$' "$work/v.txt"
"$evote" verify "$rec" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["ok"] is True
st = {c["id"]: c["status"] for c in r["checks"]}
for k in ("manifest", "key-ceremony", "trustees", "opening", "box-log", "program", "bundle", "mix",
          "decryption", "tally", "results", "audit", "audit-coverage"):
    assert st[k] == "PASS", (k, st[k])
assert "UNCHECKED" not in st.values(), st
'
"$evote" audit verify "$rec/audit/audit.log" --ca "$rec/audit/operators-ca.pem" \
  --manifest "$rec/manifest.json" >/dev/null

# expect CHECK ERROR: the record under $work/t fails check CHECK with error
# ERROR (or any error if ERROR is "-").
expect() {
  local check=$1 err=$2 what=$3
  set +e
  "$evote" verify "$work/t" --json >"$work/r.json" 2>/dev/null
  local rc=$?
  set -e
  if [ "$rc" -ne 1 ]; then echo "FAIL ($what): verify exit $rc" >&2; exit 1; fi
  python3 - "$work/r.json" "$check" "$err" "$what" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
check, err, what = sys.argv[2], sys.argv[3], sys.argv[4]
c = {c["id"]: c for c in r["checks"]}[check]
if c["status"] != "FAIL" or (err != "-" and c.get("error") != err):
    sys.exit("%s: expected %s to fail with %s, got %s" % (what, check, err, json.dumps(c)))
PY
}
fresh() { rm -rf "$work/t"; cp -a "$rec" "$work/t"; }
flip() { # flip one byte in the middle of a file
  python3 - "$1" <<'PY'
import sys
p = sys.argv[1]; d = bytearray(open(p, "rb").read()); d[len(d) // 2] ^= 1
open(p, "wb").write(d)
PY
}
c1=district-tokyo-1

fresh; flip "$work/t/manifest.json";                       expect manifest - "manifest byte"
fresh; rm "$work/t/manifest.json";                         expect manifest EVOTE_ERR_NOT_FOUND "manifest missing"
fresh; sed -i 's/"election_id": *"[^"]*"/"election_id": "another-election"/' "$work/t/manifest.json"
! cmp -s "$work/t/manifest.json" "$rec/manifest.json"
                                                           expect audit EVOTE_ERR_MANIFEST_MISMATCH "manifest of another election"

fresh; flip "$work/t/election-key.pem";                    expect key-ceremony EVOTE_ERR_FORMAT "key byte"
fresh; cp "$work/b/record/election-key.pem" "$work/t/";    expect trustees EVOTE_ERR_KEY_MISMATCH "key swapped"
t1=trustees/trustee-1
fresh; flip "$work/t/$t1.commitment.json";                 expect trustees - "commitment byte"
fresh; rm "$work/t/trustees/trustee-2.commitment.json";    expect trustees EVOTE_ERR_NOT_FOUND "commitment missing"
fresh; cp "$work/b/record/$t1.key.json" "$work/t/trustees/"
                                                           expect trustees EVOTE_ERR_MANIFEST_MISMATCH "key share swapped"
fresh; cp "$work/b/record/trustees/key-ceremony.json" "$work/t/trustees/"
                                                           expect trustees EVOTE_ERR_MANIFEST_MISMATCH "key ceremony swapped"
fresh; sed -i 's/"CKA_EXTRACTABLE": false/"CKA_EXTRACTABLE": true/' "$work/t/$t1.keygen-record.json"
! cmp -s "$work/t/$t1.keygen-record.json" "$rec/$t1.keygen-record.json"
                                                           expect trustees EVOTE_ERR_KEY_POLICY "trustee key policy"

p1=decrypt/partials/$c1/trustee-1.evpd
fresh; flip "$work/t/$p1";                                 expect decryption - "partial byte"
fresh; rm "$work/t/decrypt/partials/$c1/trustee-2.evpd";   expect decryption EVOTE_ERR_NOT_FOUND "partial missing"
fresh; cp "$work/b/record/$p1" "$work/t/$p1";              expect decryption EVOTE_ERR_MANIFEST_MISMATCH "partial swapped"
cf=decrypt/confirmations/$c1.json
fresh; flip "$work/t/$cf";                                 expect decryption - "confirmation byte"
fresh; rm "$work/t/$cf";                                   expect decryption EVOTE_ERR_NOT_FOUND "confirmation missing"
fresh; cp "$work/b/record/$cf" "$work/t/$cf";              expect decryption EVOTE_ERR_MANIFEST_MISMATCH "confirmation swapped"
fresh; flip "$work/t/decrypt/$c1.approval-1.cms";          expect decryption - "approval byte"
fresh; rm "$work/t/decrypt/$c1.approval-2.cms";            expect decryption EVOTE_ERR_POLICY "approval missing"
fresh; flip "$work/t/decrypt/$c1.authorization.json";     expect decryption - "authorization byte"
for f in results.json results.csv results.html; do
  fresh; flip "$work/t/results/$f";                        expect results EVOTE_ERR_DIGEST_MISMATCH "$f byte"
done
fresh; rm "$work/t/results/results.html";                  expect results EVOTE_ERR_NOT_FOUND "result sheet missing"
fresh; cp "$work/b/record/results/results.json" "$work/t/results/"
                                                           expect results - "results swapped"

fresh; flip "$work/t/decrypt/$c1.input.bt";                expect tally EVOTE_ERR_DIGEST_MISMATCH "input list byte"
fresh; cp "$work/b/record/decrypt/$c1.input.bt" "$work/t/decrypt/"
                                                           expect tally EVOTE_ERR_DIGEST_MISMATCH "input list swapped"
fresh; flip "$work/t/decrypt/$c1.plaintexts";              expect tally - "plaintexts byte"
fresh; rm "$work/t/decrypt/$c1.plaintexts";                expect tally EVOTE_ERR_NOT_FOUND "plaintexts missing"
fresh; cp "$work/b/record/decrypt/$c1.plaintexts" "$work/t/decrypt/"
                                                           expect tally EVOTE_ERR_MANIFEST_MISMATCH "plaintexts swapped"
fresh; flip "$work/t/tally/$c1.json";                      expect tally - "tally byte"
fresh; rm "$work/t/tally/$c1.json";                        expect tally EVOTE_ERR_NOT_FOUND "tally missing"
fresh; cp "$work/b/record/tally/$c1.json" "$work/t/tally/"; expect tally - "tally swapped"

fresh; flip "$work/t/audit/audit.log";                     expect audit - "audit byte"
fresh; rm "$work/t/audit/audit.log";                       expect audit-coverage EVOTE_ERR_AUDIT_CHAIN "audit missing"
fresh; cp "$work/b/record/audit/audit.log" "$work/t/audit/"; expect audit EVOTE_ERR_MANIFEST_MISMATCH "audit swapped"
fresh; cp "$work/b/record/audit/operators-ca.pem" "$work/t/audit/"
                                                           expect audit EVOTE_ERR_CERT_CHAIN "operators' CA swapped"
fresh; head -n -2 "$work/t/audit/audit.log" >"$work/t/x" && mv "$work/t/x" "$work/t/audit/audit.log"
                                                           expect audit-coverage EVOTE_ERR_AUDIT_CHAIN "last audit entries dropped"
fresh; echo extra >"$work/t/tally/extra.txt";              expect audit-coverage EVOTE_ERR_AUDIT_CHAIN "unrecorded file"
echo "verify_demo: record passes; every corruption caught by its check"

fresh; flip "$work/t/bundle/ballots/$c1.evbx";             expect bundle EVOTE_ERR_DIGEST_MISMATCH "bundle ballots byte"
fresh; rm "$work/t/bundle/opening.json";                   expect bundle - "bundle opening missing"
fresh; cp "$work/b/record/bundle/closing.json" "$work/t/bundle/"
                                                           expect bundle - "bundle closing swapped"
fresh; f=$(ls "$work/t/mix/$c1/proofs/"PoSReply*.bt | head -n1); flip "$f"
                                                           expect mix - "demo mix proof byte"

# ---- the mix, decryption and count again, each step run through the CLI
# and recorded by the demo operator's token (the audit hook end to end).
ws=$work/a
full=$work/full
cp -a "$rec" "$full"
rm -rf "$full/mix" && mkdir "$full/mix"
export SOFTHSM2_CONF=$ws/softhsm2.conf
EVOTE_OPERATOR_PIN=$(cat "$ws/operator-pin")
export EVOTE_OPERATOR_PIN
aud=(--audit-log "$full/audit/audit.log" --operator-token evote-demo-operator)
cer=(--manifest "$full/manifest.json" --record "$full/trustees/key-ceremony.json")
rm -rf "$full/results" "$full/decrypt/confirmations" && mkdir "$full/results" "$full/decrypt/confirmations"
res=()
for c in district-tokyo-1 proportional-tokyo; do
  "$evote" mix --manifest "$full/manifest.json" --contest "$c" --pubkey "$full/election-key.pem" \
    --party 1 --in "$full/bundle/ciphertexts/$c.bt" --out "$full/mix/$c" --quiet "${aud[@]}" 2>/dev/null
  rm -f "$full/decrypt/$c".* "$full/decrypt/partials/$c"/* "$full/tally/$c.json"
  cp "$full/mix/$c/ShuffledCiphertexts.bt" "$full/decrypt/$c.input.bt"
  in=(--contest "$c" --input "$full/decrypt/$c.input.bt")
  # two officials approve the mixed list (the demo's policy), which each
  # trustee's token decrypts only as the output of the chain just verified
  for i in 1 2; do
    "$evote" decrypt authorize --manifest "$full/manifest.json" "${in[@]}" \
      --authorization "$full/decrypt/$c.authorization.json" \
      --signature-out "$full/decrypt/$c.approval-$i.cms" --token official-$i --key-label sign \
      --pin-file "$ws/official-$i.pin" "${aud[@]}" >/dev/null 2>&1
  done
  parts=() toks=()
  for t in trustee-1 trustee-2; do
    "$evote" decrypt partial "${cer[@]}" "${in[@]}" --mix-chain "$full/mix/$c" \
      --authorization "$full/decrypt/$c.authorization.json" \
      --signature "$full/decrypt/$c.approval-1.cms" --signature "$full/decrypt/$c.approval-2.cms" \
      --trustee $t --token $t --pin-file "$ws/$t.pin" \
      --out "$full/decrypt/partials/$c/$t.evpd" "${aud[@]}" >/dev/null 2>&1
    parts+=(--partial "$full/decrypt/partials/$c/$t.evpd")
    toks+=(--trustee $t --token $t --pin-file "$ws/$t.pin")
  done
  "$evote" decrypt combine "${cer[@]}" "${in[@]}" --mix-chain "$full/mix/$c" "${parts[@]}" \
    --out "$full/decrypt/$c.plaintexts" "${aud[@]}" >/dev/null 2>&1
  "$evote" tally --manifest "$full/manifest.json" --plaintexts "$full/decrypt/$c.plaintexts" \
    --json "$full/tally/$c.json" "${aud[@]}" >/dev/null 2>&1
  # the observer, after publication: dice rolls of their own
  python3 -c 'import random; print("".join(random.choice("123456") for _ in range(60)))' \
    >"$work/dice-$c.txt"
  "$evote" confirm "${cer[@]}" "${in[@]}" --decryption "$full/decrypt/$c.plaintexts" "${parts[@]}" \
    --randomness "$work/dice-$c.txt" "${toks[@]}" --out "$full/decrypt/confirmations/$c.json" \
    "${aud[@]}" >"$work/confirm-$c.txt" 2>&1 || { cat "$work/confirm-$c.txt"; exit 1; }
  grep -q "^trustee trustee-2: CONFIRMED$" "$work/confirm-$c.txt"
  res+=(--decryption "$full/decrypt/$c.plaintexts" --cast "$c=$n")
done
"$evote" result --manifest "$full/manifest.json" "${res[@]}" --json "$full/results/results.json" \
  --csv "$full/results/results.csv" --sheet "$full/results/results.html" "${aud[@]}" >/dev/null 2>&1
unset EVOTE_OPERATOR_PIN
for t in trustee-1 trustee-2; do ! grep -q "$(cat "$ws/$t.pin")" "$full/audit/audit.log"; done
! grep -q "$(cat "$ws/operator-pin")" "$full/audit/audit.log"
"$evote" verify "$full" >"$work/v2.txt" || { cat "$work/v2.txt"; exit 1; }
grep -q '^  \[PASS       \] mix' "$work/v2.txt"
grep -q '^  \[PASS       \] decryption' "$work/v2.txt"
! grep -q UNCHECKED "$work/v2.txt"
rec=$full
fresh; f=$(ls "$work/t/mix/$c1/proofs/"PoSReply*.bt | head -n1); flip "$f"
                                                           expect mix - "mix proof byte"
fresh; rm "$work/t/mix/$c1/protInfo.xml";                  expect mix - "mix protInfo missing"
fresh; cp "$work/a/record/decrypt/$c1.input.bt" "$work/t/decrypt/"
                                                           expect mix EVOTE_ERR_NOT_MIX_OUTPUT "unmixed list decrypted"
fresh; rm -rf "$work/t/mix/$c1";                           expect mix EVOTE_ERR_NOT_FOUND "mix chain missing"
fresh; echo junk >"$work/t/bundle/index.json";            expect bundle - "junk bundle index"
echo "verify_demo: mix chain verified; its corruptions caught"

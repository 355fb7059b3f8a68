#!/usr/bin/env bash
# `evote verify` on a record of a two-trustee decryption ceremony built step
# by step through the CLI (PROTOCOL §17.1, /LAYOUT.md): trustees' commitments,
# keys, token attribute records and key-ceremony record; a mix chain per
# contest; the officials' approvals; each trustee's partial decryption; the
# combination; the tally; the observer's confirmation asking both trustees'
# tokens; the result sheets — every step recorded in the audit trail by the
# operator's token. All checks PASS; then every new artefact is flipped
# (one byte), deleted and swapped in from another election, and the precise
# failing check (and error) is expected.
set -euo pipefail
evote=${EVOTE_CLI:?EVOTE_CLI must name the built evote}
W=$(mktemp -d "${TMPDIR:-/tmp}/evote-vc-XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
unset EVOTE_PIN EVOTE_SO_PIN SOFTHSM2_CONF EVOTE_AUDIT_LOG EVOTE_OPERATOR_TOKEN
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
NB=${EVOTE_TEST_QUICK:+3}
NB=${NB:-5}

# The demo's workspace gives the officials' and the operator's tokens.
demo_workspace "$W/demo"
D=$W/demo
PIN=$(cat "$D/trustee-1.pin")
export EVOTE_PIN=$PIN EVOTE_OPERATOR_PIN=$(cat "$D/operator-pin")
for t in 1 2 3 4; do
  softhsm2-util --init-token --free --label "trustee-tok-$t" --so-pin so-secret-1234 \
    --pin "$PIN" >/dev/null
done
contests=(district-tokyo-1 proportional-tokyo)

# build NAME ELECTION_ID TOKEN_A TOKEN_B VOTE_OFFSET: the record $W/NAME/record
build() {
  local name=$1 eid=$2 ta=$3 tb=$4 off=$5
  local S=$W/$name R=$W/$name/record
  mkdir -p "$S" "$R/trustees" "$R/mix" "$R/decrypt/confirmations" "$R/results" "$R/tally" "$R/audit"
  # the demo's manifest with two trustees (and, for B, another election id)
  jq --arg e "$eid" '.election_id = $e | .trustees = [{"id": "T1", "name": "開票管理者 1"},
      {"id": "T2", "name": "開票管理者 2"}]' "$D/manifest.json" >"$R/manifest.json"
  cp "$D/record/audit/operators-ca.pem" "$R/audit/"
  local M=$R/manifest.json
  local aud=(--audit-log "$R/audit/audit.log" --operator-token evote-demo-operator)
  local i tok
  for i in 1 2; do
    tok=$ta; [ $i = 2 ] && tok=$tb
    "$evote" trustee keygen --manifest "$M" --trustee T$i --token "$tok" \
      --commitment-out "$R/trustees/T$i.commitment.json" --key-out "$R/trustees/T$i.key.json" \
      --record-out "$R/trustees/T$i.keygen-record.json" "${aud[@]}" >/dev/null
  done
  "$evote" trustee combine-keys --manifest "$M" --commitment "$R/trustees/T1.commitment.json" \
    --commitment "$R/trustees/T2.commitment.json" --key "$R/trustees/T1.key.json" \
    --key "$R/trustees/T2.key.json" --out "$R/election-key.pem" \
    --record "$R/trustees/key-ceremony.json" "${aud[@]}" >/dev/null
  local c j sel
  for c in "${contests[@]}"; do
    # NB ballots → a ciphertext list (the box's, in a real election)
    for j in $(seq 1 "$NB"); do
      sel=$(( (j * 3 + off) % 4 ))
      "$evote" ballot encrypt --manifest "$M" --pubkey "$R/election-key.pem" --contest "$c" \
        --selection $sel --out "$S/$c.$j.evb" >/dev/null
    done
    ciphertext_list "$S/$c.list.bt" "$S"/$c.*.evb
    "$evote" mix --manifest "$M" --contest "$c" --pubkey "$R/election-key.pem" --party 1 \
      --in "$S/$c.list.bt" --out "$R/mix/$c" --quiet "${aud[@]}" 2>/dev/null
    cp "$R/mix/$c/ShuffledCiphertexts.bt" "$R/decrypt/$c.input.bt"
    local in=$R/decrypt/$c.input.bt apr=(--authorization "$R/decrypt/$c.authorization.json")
    for i in 1 2; do
      "$evote" decrypt authorize --manifest "$M" --contest "$c" --input "$in" \
        --authorization "$R/decrypt/$c.authorization.json" \
        --signature-out "$R/decrypt/$c.approval-$i.cms" --token official-$i --key-label sign \
        --pin-file "$D/official-$i.pin" "${aud[@]}" >/dev/null
      apr+=(--signature "$R/decrypt/$c.approval-$i.cms")
    done
    mkdir -p "$R/decrypt/partials/$c"
    for i in 1 2; do
      tok=$ta; [ $i = 2 ] && tok=$tb
      "$evote" decrypt partial --manifest "$M" --record "$R/trustees/key-ceremony.json" \
        --contest "$c" --input "$in" --mix-chain "$R/mix/$c" --trustee T$i --token "$tok" \
        --out "$R/decrypt/partials/$c/T$i.evpd" "${apr[@]}" "${aud[@]}" >/dev/null
    done
    "$evote" decrypt combine --manifest "$M" --record "$R/trustees/key-ceremony.json" \
      --contest "$c" --input "$in" --mix-chain "$R/mix/$c" \
      --partial "$R/decrypt/partials/$c/T1.evpd" --partial "$R/decrypt/partials/$c/T2.evpd" \
      --out "$R/decrypt/$c.plaintexts" "${aud[@]}" >/dev/null
    "$evote" tally --manifest "$M" --plaintexts "$R/decrypt/$c.plaintexts" \
      --json "$R/tally/$c.json" "${aud[@]}" >/dev/null
    # the observer's dice, typed after the plaintexts were published
    for j in $(seq 60); do printf '%d ' $(( RANDOM % 6 + 1 )); done >"$S/$c.dice"
    "$evote" confirm --manifest "$M" --record "$R/trustees/key-ceremony.json" --contest "$c" \
      --input "$in" --decryption "$R/decrypt/$c.plaintexts" \
      --partial "$R/decrypt/partials/$c/T1.evpd" --partial "$R/decrypt/partials/$c/T2.evpd" \
      --randomness "$S/$c.dice" --trustee T1 --token "$ta" --trustee T2 --token "$tb" \
      --out "$R/decrypt/confirmations/$c.json" "${aud[@]}" >/dev/null
  done
  "$evote" result --manifest "$M" --decryption "$R/decrypt/${contests[0]}.plaintexts" \
    --decryption "$R/decrypt/${contests[1]}.plaintexts" \
    --cast "${contests[0]}=$NB" --cast "${contests[1]}=$NB" \
    --json "$R/results/results.json" --csv "$R/results/results.csv" \
    --sheet "$R/results/results.html" "${aud[@]}" >/dev/null
}
build a ceremony-a trustee-tok-1 trustee-tok-2 0
build b ceremony-b trustee-tok-3 trustee-tok-4 1
rec=$W/a/record

"$evote" verify "$rec" >"$W/v.txt" || { cat "$W/v.txt"; fail "verify of the ceremony record"; }
"$evote" verify "$rec" --json | jq -e '.ok and ([.checks[] | select(
    (.id | IN("opening", "box-log", "program", "bundle")) as $absent
    | .status != (if $absent then "not present" else "PASS" end))] | length == 0)' >/dev/null ||
  fail "the two-trustee record: not every check PASS"
echo "verify_ceremony: the two-trustee record passes"; [ -z "${KEEP:-}" ] || echo "$W"

# expect CHECK ERROR WHAT: the record $W/t fails check CHECK with ERROR ("-": any)
expect() {
  local check=$1 err=$2 what=$3 rc
  set +e
  "$evote" verify "$W/t" --json >"$W/r.json" 2>/dev/null
  rc=$?
  set -e
  [ "$rc" -eq 1 ] || fail "$what: verify exit $rc"
  jq -e --arg c "$check" --arg e "$err" '.checks[] | select(.id == $c) |
      .status == "FAIL" and ($e == "-" or .error == $e)' "$W/r.json" >/dev/null ||
    fail "$what: expected $check to fail with $err, got $(jq -c --arg c "$check" '.checks[] | select(.id == $c)' "$W/r.json")"
}
fresh() { rm -rf "$W/t"; cp -a "$rec" "$W/t"; }
flip() { # flip one bit of the byte in the middle of a file
  local f=$1 off b
  off=$(( $(stat -c %s "$f") / 2 ))
  b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
  printf "$(printf '\\%03o' $(( b ^ 1 )))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}

# case CHECK FLIP_ERR RM_ERR SWAP_ERR FILE: one byte, deleted, from election b
case3() {
  local check=$1 e_flip=$2 e_rm=$3 e_swap=$4 f=$5
  fresh; flip "$W/t/$f";                  expect "$check" "$e_flip" "$f: one byte"
  fresh; rm "$W/t/$f";                    expect "$check" "$e_rm" "$f: deleted"
  fresh; cp "$W/b/record/$f" "$W/t/$f";   expect "$check" "$e_swap" "$f: from another election"
}
c=district-tokyo-1
MM=EVOTE_ERR_MANIFEST_MISMATCH NF=EVOTE_ERR_NOT_FOUND DM=EVOTE_ERR_DIGEST_MISMATCH
case3 trustees - $NF $MM trustees/T1.commitment.json
case3 trustees - $NF $MM trustees/T2.key.json
case3 trustees - $NF $MM trustees/key-ceremony.json
case3 trustees - $NF $MM trustees/T1.keygen-record.json
case3 trustees - $NF EVOTE_ERR_KEY_MISMATCH election-key.pem
fresh; cp "$W/b/record/election-key.pem" "$W/t/"; expect key-ceremony EVOTE_ERR_KEY_MISMATCH "key swapped"
case3 decryption - $NF $MM decrypt/partials/$c/T1.evpd
case3 decryption - $NF $MM decrypt/confirmations/$c.json
# the middle byte of the authorization may be a hex digit of a digest: a flip
# gives another digest (POLICY) or a non-hex character (FORMAT), so any error
case3 decryption - $NF EVOTE_ERR_POLICY decrypt/$c.authorization.json
case3 decryption - EVOTE_ERR_POLICY EVOTE_ERR_SIGNATURE decrypt/$c.approval-2.cms
case3 results $DM $NF $DM results/results.json
case3 results $DM $NF $DM results/results.csv
case3 results $DM $NF $DM results/results.html
# precise failures
fresh; k2=$(jq -r .public_key "$W/t/trustees/T2.key.json")
# T1 publishes a key other than the one committed to
jq --arg k "$k2" '.public_key = $k' "$rec/trustees/T1.key.json" >"$W/t/trustees/T1.key.json"
expect trustees EVOTE_ERR_COMMITMENT "key share not matching its commitment"
fresh; sed -i 's/"CKA_EXTRACTABLE": false/"CKA_EXTRACTABLE": true/' "$W/t/trustees/T2.keygen-record.json"
expect trustees EVOTE_ERR_KEY_POLICY "trustee key extractable"
fresh; cp "$W/t/trustees/T1.commitment.json" "$W/t/trustees/T9.commitment.json"
expect trustees EVOTE_ERR_KEY_MISMATCH "a commitment of no trustee"
fresh; mv "$W/t/decrypt/partials/$c/T2.evpd" "$W/t/decrypt/partials/$c/T3.evpd"
expect decryption EVOTE_ERR_KEY_MISMATCH "partial of an unknown trustee"
fresh; cp "$W/t/decrypt/partials/proportional-tokyo/T1.evpd" "$W/t/decrypt/partials/$c/T1.evpd"
expect decryption EVOTE_ERR_CONTEST_UNKNOWN "partial of another contest"
fresh; jq '.trustees[1].token_answer |= (if startswith("0") then "1" else "0" end) + .[1:]' \
  "$rec/decrypt/confirmations/$c.json" >"$W/t/decrypt/confirmations/$c.json"
expect decryption EVOTE_ERR_CONFIRM_FAILED "token answer differs from x(E_i)"
fresh; sed -i 's/"verdict": "CONFIRMED"$/"verdict": "FAILED"/' "$W/t/decrypt/confirmations/$c.json"
expect decryption EVOTE_ERR_CONFIRM_FAILED "confirmation FAILED"
# other dice, the same Q recorded
fresh; jq '.randomness |= sub("1"; "2")' "$rec/decrypt/confirmations/$c.json" \
  >"$W/t/decrypt/confirmations/$c.json"
expect decryption EVOTE_ERR_CONFIRM_FAILED "randomness edited"
fresh; cp "$W/b/record/decrypt/$c.plaintexts" "$W/t/decrypt/"
expect decryption $MM "plaintexts of another election"
fresh; rm -rf "$W/t/decrypt/partials"
expect decryption $NF "partial decryptions missing"
# a crashed trustee run's checkpoint published by mistake: refused as
# unfinished, by its name and (renamed to a partial's) by its content
EVOTE_TEST_STOP_AFTER=1 "$evote" decrypt partial --manifest "$rec/manifest.json" \
  --record "$rec/trustees/key-ceremony.json" --contest $c --input "$rec/decrypt/$c.input.bt" \
  --mix-chain "$rec/mix/$c" --trustee T1 --token trustee-tok-1 --out "$W/crash-T1.evpd" \
  --checkpoint-every 1 --authorization "$rec/decrypt/$c.authorization.json" \
  --signature "$rec/decrypt/$c.approval-1.cms" --signature "$rec/decrypt/$c.approval-2.cms" \
  >/dev/null 2>&1 && fail "the stopped trustee run succeeded"
[ -s "$W/crash-T1.evpd.ckpt" ] || fail "the stopped trustee run left no checkpoint"
ckpt_detail() { # $1 = the file's name in decrypt/partials/$c/
  jq -e --arg d "decrypt/partials/$c/$1 is an unfinished partial-decryption checkpoint: finish or remove it" \
    '.checks[] | select(.id == "decryption") | .detail == $d' "$W/r.json" >/dev/null ||
    fail "checkpoint $1 not named: $(jq -c '.checks[] | select(.id == "decryption")' "$W/r.json")"
}
fresh; cp "$W/crash-T1.evpd.ckpt" "$W/t/decrypt/partials/$c/T1.evpd.ckpt"
expect decryption EVOTE_ERR_CHECKPOINT "a checkpoint beside the partials"
ckpt_detail T1.evpd.ckpt
fresh; cp "$W/crash-T1.evpd.ckpt" "$W/t/decrypt/partials/$c/T1.evpd"
expect decryption EVOTE_ERR_CHECKPOINT "a checkpoint in place of a partial"
ckpt_detail T1.evpd
# a token that answers for another key: FAILED, recorded, exit status 1
fresh; t=$W/t
set +e
"$evote" confirm --manifest "$t/manifest.json" --record "$t/trustees/key-ceremony.json" \
  --contest $c --input "$t/decrypt/$c.input.bt" --decryption "$t/decrypt/$c.plaintexts" \
  --partial "$t/decrypt/partials/$c/T1.evpd" --partial "$t/decrypt/partials/$c/T2.evpd" \
  --randomness "$W/a/$c.dice" --trustee T1 --token trustee-tok-2 --key-label evote-trustee-T2 \
  --out "$t/decrypt/confirmations/$c.json" >"$W/conf.out" 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || fail "confirm with the wrong token: exit $rc"
grep -qx FAILED "$W/conf.out" || fail "confirm with the wrong token: no FAILED"
jq -e '.verdict == "FAILED" and .trustees[0].verdict == "FAILED" and
  .trustees[1].verdict == "NOT ASKED" and .trustees[1].token_answer == null' \
  "$t/decrypt/confirmations/$c.json" >/dev/null || fail "FAILED confirmation not recorded"
expect decryption EVOTE_ERR_CONFIRM_FAILED "confirmation recorded as FAILED"
echo "verify_ceremony: every corruption of a ceremony artefact caught by its check"

# ---- the demo's own record: two trustees on their own tokens, approvals,
# partials, confirmations asking both tokens, result sheets — every check
# PASS (key-ceremony: election-key.pem is the trustees' combined key).
rec=$D/record
"$evote" verify "$rec" --json | jq -e '.ok and ([.checks[] | select(.status != "PASS")]
    | length == 0)' >/dev/null || fail "the demo's record: not every check PASS"
c=district-tokyo-1
fresh; flip "$W/t/decrypt/$c.plaintexts"; expect decryption - "demo: plaintexts byte"
fresh; sed -i 's/"trustee_id": "trustee-2"/"trustee_id": "trustee-1"/' "$W/t/decrypt/confirmations/$c.json"
! cmp -s "$W/t/decrypt/confirmations/$c.json" "$rec/decrypt/confirmations/$c.json"
expect decryption - "demo: confirmation names another trustee"
echo "verify_ceremony: the demo's two-trustee record passes; corruptions caught"

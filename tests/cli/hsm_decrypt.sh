#!/usr/bin/env bash
# `evote decrypt` from the command line, on the token and lists of a small
# demo's SoftHSM2 store (a single-key election beside the demo's own):
# errors (PIN source, wrong PIN, key, contest, public key, input,
# output) with their exit statuses and messages; refusals of a list that is
# not the verified mix chain's final output (the box's own order, a subset,
# a reordering, no chain given) and of missing/insufficient approvals (the
# demo's policy needs 2 officials); then decryptions that agree byte for
# byte whatever the threads and sessions, and a tally.
set -euo pipefail
evote=${EVOTE_CLI:?EVOTE_CLI must name the built evote}
T=$(mktemp -d "${TMPDIR:-/tmp}/evote-test-XXXXXX")
trap 'rm -rf "$T"' EXIT
unset EVOTE_PIN EVOTE_SO_PIN SOFTHSM2_CONF
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

demo_workspace "$T/demo"
D=$T/demo
C=proportional-tokyo
# The demo's election has two trustees; `evote decrypt` is the single-key
# case: one token "evote-demo" in the demo's SoftHSM2 store holds the
# election key, 12 ballots per contest under it, one mix party each.
S=$T/single
mkdir "$S"
printf '%s\n' "$(cat "$D/trustee-1.pin")" >"$S/pin"
softhsm2-util --init-token --free --label evote-demo --so-pin so-secret-1234 \
  --pin "$(cat "$D/trustee-1.pin")" >/dev/null
"$evote" keygen --token evote-demo --key-label election-key --manifest "$D/manifest.json" \
  --out-pubkey "$S/election-key.pem" --pin-file "$S/pin" >/dev/null || fail "keygen"
for c in district-tokyo-1 proportional-tokyo; do
  for j in $(seq 1 12); do
    "$evote" ballot encrypt --manifest "$D/manifest.json" --pubkey "$S/election-key.pem" \
      --contest "$c" --selection $((j % 4)) --out "$S/$c.$j.evb" >/dev/null
  done
  ciphertext_list "$S/$c.ciphertexts.bt" "$S"/$c.*.evb
  "$evote" mix --manifest "$D/manifest.json" --contest "$c" --pubkey "$S/election-key.pem" \
    --party 1 --in "$S/$c.ciphertexts.bt" --out "$S/$c.mix" --quiet 2>/dev/null || fail "mix $c"
  cp "$S/$c.mix/ShuffledCiphertexts.bt" "$S/$c.mixed.bt"
done
# approvals by two officials (their tokens are in the demo's SoftHSM2 dir)
approve() { # LIST AUTH SIGPREFIX
  for i in 1 2; do
    "$evote" decrypt authorize --manifest "$D/manifest.json" --contest $C --input "$1" \
      --authorization "$2" --signature-out "$3$i.p7s" --token official-$i --key-label sign \
      --pin-file "$D/official-$i.pin" >/dev/null || fail "official $i could not approve $1"
  done
}
approve "$S/$C.mixed.bt" "$T/auth.json" "$T/sig"
apr=(--authorization "$T/auth.json" --signature "$T/sig1.p7s" --signature "$T/sig2.p7s")
chain=(--mix-chain "$S/$C.mix")
dec=("$evote" decrypt --manifest "$D/manifest.json" --contest $C --token evote-demo
     --key-label election-key --in "$S/$C.mixed.bt" "${apr[@]}" "${chain[@]}")  # the verified mix output

expect 0 "usage: evote decrypt" "$evote" decrypt --help
expect 2 "need --manifest" "$evote" decrypt --contest $C
expect 2 "--threads 0" "${dec[@]}" --out "$T/p" --threads 0
expect 2 "--sessions x" "${dec[@]}" --out "$T/p" --sessions x
# PIN: none available; wrong one
expect 1 "EVOTE_ERR_PIN_SOURCE" "${dec[@]}" --out "$T/p"
expect 1 "incorrect PIN \[EVOTE_ERR_PIN_INCORRECT\]" env EVOTE_PIN=wrong-pin-0000 \
  "${dec[@]}" --out "$T/p"
[ ! -e "$T/p" ] || fail "a failed decrypt wrote output"
export EVOTE_PIN=$(cat "$D/trustee-1.pin")
expect 1 "EVOTE_ERR_KEY_NOT_FOUND" "$evote" decrypt --manifest "$D/manifest.json" \
  --contest $C --token evote-demo --key-label no-such-key --in "$S/$C.mixed.bt" --out "$T/p" \
  "${apr[@]}" "${chain[@]}"
expect 1 "EVOTE_ERR_TOKEN_NOT_FOUND" "$evote" decrypt --manifest "$D/manifest.json" \
  --contest $C --token no-such-token --key-label election-key --in "$S/$C.mixed.bt" \
  --out "$T/p" "${apr[@]}" "${chain[@]}"
expect 1 "EVOTE_ERR_CONTEST_UNKNOWN" "$evote" decrypt --manifest "$D/manifest.json" \
  --contest no-such-contest --token evote-demo --key-label election-key \
  --in "$S/$C.ciphertexts.bt" --out "$T/p"
# a public key that is not the token's
openssl ecparam -name prime256v1 -genkey -noout -out "$T/other.key" 2>/dev/null
openssl pkey -in "$T/other.key" -pubout -out "$T/other.pem"
expect 1 "EVOTE_ERR_KEY_MISMATCH" "${dec[@]}" --out "$T/p" --pubkey "$T/other.pem"
# a truncated list, a missing list
head -c 300 "$S/$C.ciphertexts.bt" >"$T/short.bt"
expect 1 "EVOTE_ERR_BYTETREE" "$evote" decrypt --manifest "$D/manifest.json" --contest $C \
  --token evote-demo --key-label election-key --in "$T/short.bt" --out "$T/p"
expect 1 "EVOTE_ERR_NOT_FOUND" "$evote" decrypt --manifest "$D/manifest.json" --contest $C \
  --token evote-demo --key-label election-key --in "$T/none.bt" --out "$T/p"
[ ! -e "$T/p" ] || fail "a failed decrypt wrote output"
# approvals: none, one of the two required, one official twice, another list's
nodec=("$evote" decrypt --manifest "$D/manifest.json" --contest $C --token evote-demo
       --key-label election-key --in "$S/$C.mixed.bt" "${chain[@]}" --out "$T/p")
expect 1 "EVOTE_ERR_POLICY" "${nodec[@]}"
expect 1 "1 of the 2 required" "${nodec[@]}" --authorization "$T/auth.json" --signature "$T/sig1.p7s"
expect 1 "EVOTE_ERR_POLICY" "${nodec[@]}" --authorization "$T/auth.json" \
  --signature "$T/sig1.p7s" --signature "$T/sig1.p7s"
approve "$S/$C.ciphertexts.bt" "$T/auth-box.json" "$T/sbox"
expect 1 "EVOTE_ERR" "${nodec[@]}" --authorization "$T/auth-box.json" \
  --signature "$T/sbox1.p7s" --signature "$T/sbox2.p7s"
[ ! -e "$T/p" ] || fail "a decrypt without approvals wrote output"
# not the mix chain's final output, though approved: the box's own order, a
# subset, a reordering of the mixed list; no chain given; a chain from
# another contest
expect 1 "EVOTE_ERR_NOT_MIX_OUTPUT" "$evote" decrypt --manifest "$D/manifest.json" --contest $C \
  --token evote-demo --key-label election-key --in "$S/$C.ciphertexts.bt" --out "$T/p" \
  --authorization "$T/auth-box.json" --signature "$T/sbox1.p7s" --signature "$T/sbox2.p7s" \
  "${chain[@]}"
# a list is node(node(C1_1..C1_N), node(C2_1..C2_N)), each point 81 bytes
python3 - "$S/$C.mixed.bt" "$T/subset.bt" "$T/reordered.bt" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack(">I", b[6:10])[0]
half = 5 + 81 * n
h1, h2 = b[5:5 + half], b[5 + half:]
assert len(h2) == half and b[0] == 0 and h1[0] == 0
pts = lambda h: [h[5 + 81 * i:5 + 81 * (i + 1)] for i in range(n)]
def lst(a, c):
    node = lambda ps: b"\0" + struct.pack(">I", len(ps)) + b"".join(ps)
    return b"\0" + struct.pack(">I", 2) + node(a) + node(c)
a, c = pts(h1), pts(h2)
open(sys.argv[2], "wb").write(lst(a[:-1], c[:-1]))
open(sys.argv[3], "wb").write(lst(a[1:2] + a[:1] + a[2:], c[1:2] + c[:1] + c[2:]))
PY
for l in subset reordered; do
  approve "$T/$l.bt" "$T/auth-$l.json" "$T/s$l"
  expect 1 "EVOTE_ERR_NOT_MIX_OUTPUT" "$evote" decrypt --manifest "$D/manifest.json" \
    --contest $C --token evote-demo --key-label election-key --in "$T/$l.bt" --out "$T/p" \
    --authorization "$T/auth-$l.json" --signature "$T/s${l}1.p7s" --signature "$T/s${l}2.p7s" \
    "${chain[@]}"
done
expect 1 "give --mix-chain" "$evote" decrypt --manifest "$D/manifest.json" --contest $C \
  --token evote-demo --key-label election-key --in "$S/$C.mixed.bt" --out "$T/p" "${apr[@]}"
expect 1 "EVOTE_ERR" "${nodec[@]}" "${apr[@]}" --mix-chain "$S/district-tokyo-1.mix"
expect 2 "--unmixed excludes" "${dec[@]}" --out "$T/p" --unmixed
[ ! -e "$T/p" ] || fail "a refused decrypt wrote output"

# success, and the output exists already
expect 0 "12 valid, 0 invalid" "${dec[@]}" --out "$S/$C.plaintexts"
expect 1 "EVOTE_ERR_EXISTS" "${dec[@]}" --out "$S/$C.plaintexts"

# the same plaintext list whatever the threads/sessions
expect 0 "12 valid, 0 invalid" "${dec[@]}" --out "$T/p3" --threads 3 --sessions 2 \
  --pubkey "$S/election-key.pem"
cmp "$T/p3" "$S/$C.plaintexts" || fail "plaintext list differs with 3 threads on 2 sessions"
unset EVOTE_PIN
cp "$S/pin" "$T/pin"
expect 0 "12 valid" "${dec[@]}" --out "$T/p1" --threads 1 --sessions 1 --pin-file "$T/pin"
cmp "$T/p1" "$S/$C.plaintexts" || fail "single-thread plaintext list differs"
# practice: --unmixed decrypts the box's own list, with a warning
expect 0 "WARNING: --unmixed" "$evote" decrypt --manifest "$D/manifest.json" --contest $C \
  --token evote-demo --key-label election-key --in "$S/$C.ciphertexts.bt" --out "$T/pu" \
  --pin-file "$T/pin" --authorization "$T/auth-box.json" --signature "$T/sbox1.p7s" \
  --signature "$T/sbox2.p7s" --unmixed
expect 0 "(total)" "$evote" tally --manifest "$D/manifest.json" --plaintexts "$T/p1"
echo "hsm_decrypt: all checks passed"

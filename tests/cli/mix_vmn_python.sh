#!/usr/bin/env bash
# Interop evidence until Verificatum's own vmnv can be run here: the
# independent Python verifier (tests/vectors/vmn_verify.py, written from
# VERIFICATUM.md and vmnv's protInfo schema, standard library only) accepts
# both Verificatum fixtures and chains that `evote mix` writes (N = 1, 2, 5
# and 20, one to three parties), and rejects single-byte flips in chosen files
# (fixture N = 20, chain N = 5) and swapped outputs. `evote mix verify` agrees
# on every case. Skipped (77) without python3.
# EVOTE_MIX_PY_N1000=1 also checks the N = 1000 fixture.
set -euo pipefail
: "${EVOTE_CLI:?}" "${EVOTE_SOURCE_DIR:?}"
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
command -v python3 >/dev/null 2>&1 || { echo "python3 missing: skipped"; exit 77; }
vec="$EVOTE_SOURCE_DIR/tests/vectors"
fix="$EVOTE_SOURCE_DIR/../shared/vectors/verificatum"
[ -d "$fix" ] || fail "no Verificatum fixtures at $fix"
work=$(mktemp -d "${TMPDIR:-/tmp}/evote-test-mix-py-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

pyv() { python3 "$vec/vmn_verify.py" -q "$@"; }
# Both verifiers must accept protInfo + dir.
accept() {
  pyv "$1" "$2" || fail "python verifier rejects $2"
  "$EVOTE_CLI" mix verify --quiet --protinfo "$1" "$2" >/dev/null || fail "evote rejects $2"
}
# Copy the case in $1 (protInfo.xml + proof dir $2 inside it), flip one
# byte of file $3 at offset $4: both verifiers must reject.
reject_flip() {
  local src=$1 sub=$2 file=$3 off=$4
  rm -rf case && cp -r "$src" case && chmod -R u+w case
  flip_byte "case/$file" "$off"
  if pyv case/protInfo.xml "case/$sub" 2>py.err; then
    fail "python verifier accepts $file flipped at $off"
  fi
  if "$EVOTE_CLI" mix verify --quiet --protinfo case/protInfo.xml "case/$sub" >/dev/null 2>&1
  then
    fail "evote accepts $file flipped at $off"
  fi
  echo "  $file @ $off: $(cat py.err)"
}

echo "Verificatum fixture N = 20"
accept "$fix/p256-shuffle-n20/protInfo.xml" "$fix/p256-shuffle-n20/default"
# N = 1000 takes about 8 s of CPU in Python (40 s and more on the shared,
# loaded CI cores): only on request.
if [ "${EVOTE_MIX_PY_N1000:-0}" = 1 ]; then
  echo "Verificatum fixture N = 1000"
  accept "$fix/p256-shuffle-n1000/protInfo.xml" "$fix/p256-shuffle-n1000/default"
fi
# Offsets: inside a y coordinate of an element in the middle of each file,
# the sid, the auxsid, and one byte in each small file.
for f in "default/proofs/PoSReply01.bt 900" "default/proofs/PoSReply01.bt -1" \
         "default/proofs/PoSCommitment01.bt 1800" "default/proofs/Ciphertexts01.bt 1600" \
         "default/ShuffledCiphertexts.bt 3000" "default/auxsid 2"; do
  set -- $f
  reject_flip "$fix/p256-shuffle-n20" default "$1" "$2"
done
# the session id in protInfo.xml (changes the global prefix)
rm -rf case && cp -r "$fix/p256-shuffle-n20" case && chmod -R u+w case
sed -i 's|<sid>MyDemo</sid>|<sid>MyDemp</sid>|' case/protInfo.xml
! pyv case/protInfo.xml case/default 2>/dev/null || fail "python accepts another sid"

echo "chains written by evote mix"
small_manifest manifest.json mix-python-interop interop
C=(--manifest manifest.json --contest district-1 --public-key pk.pem --quiet)
for n in 1 2 5 20; do
  python3 "$vec/mix_testlist.py" "$n" pk.pem box.bt
  rm -rf "chain$n" && mkdir "chain$n"
  "$EVOTE_CLI" mix "${C[@]}" --party 1 --in box.bt --out "chain$n/mix" >/dev/null
  cp "chain$n/mix/protInfo.xml" "chain$n/protInfo.xml"
  accept "chain$n/protInfo.xml" "chain$n/mix"
  "$EVOTE_CLI" mix "${C[@]}" --party 2 --in box.bt --out "chain$n/mix" >/dev/null
  cp "chain$n/mix/protInfo.xml" "chain$n/protInfo.xml"
  accept "chain$n/protInfo.xml" "chain$n/mix"
  # the input the chain claims is the box export list
  cmp -s box.bt "chain$n/mix/Ciphertexts.bt" || fail "Ciphertexts.bt is not the box list"
  if [ "$n" -le 2 ]; then # the smallest lists: a third party, no flips
    "$EVOTE_CLI" mix "${C[@]}" --party 3 --in box.bt --out "chain$n/mix" >/dev/null
    cp "chain$n/mix/protInfo.xml" "chain$n/protInfo.xml"
    accept "chain$n/protInfo.xml" "chain$n/mix"
    echo "  N = $n: three parties accepted"
    continue
  fi
  mid=$((5 + 5 + n * 81 / 2 + 40))
  # k_B of the middle element of party 1; the last byte of party 2's k_F;
  # a point of party 2's commitment; the input and the intermediate list
  if [ "$n" -eq 5 ]; then # N = 20: accepted, and the swap below, only
  for f in "mix/proofs/PoSReply01.bt $((5 + 38 + 38 * n / 2 + 20))" \
           "mix/proofs/PoSReply02.bt -1" "mix/proofs/PoSCommitment02.bt $mid" \
           "mix/proofs/Ciphertexts01.bt $mid" "mix/Ciphertexts.bt $mid"; do
    set -- $f
    reject_flip "chain$n" mix "$1" "$2"
  done
  fi
  # two valid ciphertexts swapped in party 1's output: only the proof
  # equations can notice
  rm -rf case && cp -r "chain$n" case
  swap_first_ciphertexts case/mix/proofs/Ciphertexts01.bt
  ! pyv case/protInfo.xml case/mix 2>py.err || fail "python accepts swapped outputs"
  grep -q "party 01: PoS" py.err || fail "swap not caught by party 1's equations: $(cat py.err)"
  ! "$EVOTE_CLI" mix verify --quiet --protinfo case/protInfo.xml case/mix >/dev/null 2>&1 \
    || fail "evote accepts swapped outputs"
  echo "  swapped outputs: $(cat py.err)"
done
echo "python verifier: fixtures and evote chains accepted, every flip rejected"

#!/usr/bin/env bash
# A two-party mix chain through the CLI (docs/PROTOCOL.md 14.5):
#  * party 2 verifies the chain from the box export list before mixing and
#    refuses a chain with a tampered party-1 proof, a swapped intermediate
#    list or another box list, naming the party and the check, and leaves
#    the directory as it was;
#  * `evote mix verify` names the failing party and check for party 1 and
#    party 2;
#  * progress: nothing on stderr when it is not a terminal or with --quiet;
#    on a terminal (script(1)) the steps and an estimate are shown.
# Input lists are made by tests/vectors/mix_testlist.py (python3; else 77).
set -euo pipefail
: "${EVOTE_CLI:?}" "${EVOTE_SOURCE_DIR:?}"
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
command -v python3 >/dev/null 2>&1 || { echo "python3 missing: skipped"; exit 77; }
vec="$EVOTE_SOURCE_DIR/tests/vectors"
work=$(mktemp -d "${TMPDIR:-/tmp}/evote-test-mix-chain-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

snapshot() { (cd chain && find . -type f | sort | xargs sha256sum); }

small_manifest manifest.json mix-chain-cli chain
n=8
python3 "$vec/mix_testlist.py" $n pk.pem box.bt
python3 "$vec/mix_testlist.py" $n pk2.pem other.bt
C=(--manifest manifest.json --contest district-1 --public-key pk.pem)

# --- progress on party 1: silent when stderr is not a terminal ----------------
"$EVOTE_CLI" mix "${C[@]}" --party 1 --in box.bt --out chain >out.txt 2>err.txt \
  || fail "party 1: $(cat err.txt)"
[ ! -s err.txt ] || fail "progress written to a non-terminal stderr: $(cat err.txt)"
grep -q "party 01 mixed" out.txt || fail "party 1 output: $(cat out.txt)"

# --- party 2 refuses a chain that does not verify -----------------------------
refuse() { # $1 = what, $2 = expected text in the error
  local before after
  before=$(snapshot)
  if "$EVOTE_CLI" mix "${C[@]}" --party 2 --in "${IN:-box.bt}" --out chain --quiet \
       >/dev/null 2>err.txt; then
    fail "party 2 mixed a chain with $1"
  fi
  grep -q "refusing to mix" err.txt || fail "$1: no refusal: $(cat err.txt)"
  grep -q -- "$2" err.txt || fail "$1: error does not name '$2': $(cat err.txt)"
  after=$(snapshot)
  [ "$before" = "$after" ] || fail "$1: the refused mix changed the chain directory"
  echo "  refused ($1): $(cat err.txt)"
}
cp -r chain pristine
flip_byte chain/proofs/PoSReply01.bt $((5 + 38 + 38 * 3 + 20)) # inside k_B,3
refuse "a tampered party-1 reply" "party 01: proofs/PoSReply01.bt: PoS"
rm -rf chain && cp -r pristine chain
swap_first_ciphertexts chain/proofs/Ciphertexts01.bt
cp chain/proofs/Ciphertexts01.bt chain/ShuffledCiphertexts.bt
refuse "a swapped party-1 output" "party 01: proofs/PoSReply01.bt: PoS"
rm -rf chain && cp -r pristine chain
IN=other.bt refuse "another box list" "Ciphertexts.bt: input list"
"$EVOTE_CLI" mix --manifest manifest.json --contest district-1 --public-key pk2.pem --party 2 \
  --in box.bt --out chain --quiet >/dev/null 2>err.txt && fail "party 2 under another key"
grep -q "another public key" err.txt || fail "other key: $(cat err.txt)"
# party 2 without the box list is a usage error
rc=0
"$EVOTE_CLI" mix "${C[@]}" --party 2 --out chain >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "party 2 without --in: exit $rc, expected 2 (usage)"

# --- the honest party 2; progress silenced by --quiet --------------------------
"$EVOTE_CLI" mix "${C[@]}" --party 2 --in box.bt --out chain --quiet >/dev/null 2>err.txt \
  || fail "party 2: $(cat err.txt)"
[ ! -s err.txt ] || fail "--quiet wrote to stderr: $(cat err.txt)"
"$EVOTE_CLI" mix verify "${C[@]}" --in box.bt chain >out.txt 2>err.txt \
  || fail "verify: $(cat err.txt)"
[ ! -s err.txt ] || fail "verify progress on a non-terminal: $(cat err.txt)"
grep -q "through 2 parties" out.txt || fail "verify output: $(cat out.txt)"
# --chunk: the same chain verified a few ciphertexts at a time; bad values refused
"$EVOTE_CLI" mix verify "${C[@]}" --in box.bt --chunk 3 chain >out.txt 2>err.txt \
  || fail "verify --chunk 3: $(cat err.txt)"
grep -q "through 2 parties" out.txt || fail "verify --chunk 3 output: $(cat out.txt)"
for bad in 0 -1 x 16777217; do
  rc=0
  "$EVOTE_CLI" mix verify "${C[@]}" --in box.bt --chunk "$bad" chain >/dev/null 2>err.txt \
    || rc=$?
  [ "$rc" -eq 2 ] || fail "--chunk $bad: exit $rc, expected 2"
  grep -q -- "--chunk must be" err.txt || fail "--chunk $bad: $(cat err.txt)"
done

# --- mix verify names the party and the check ----------------------------------
cp -r chain good
for party in 01 02; do
  rm -rf chain && cp -r good chain
  flip_byte "chain/proofs/PoSReply$party.bt" $((5 + 38 + 38 * 5 + 20)) # inside k_B,5
  if "$EVOTE_CLI" mix verify "${C[@]}" --in box.bt chain >out.txt 2>err.txt; then
    fail "verify accepts party $party's tampered reply"
  fi
  grep -q "FAILED: party $party, check PoS\.[A-F] (proofs/PoSReply$party.bt)" out.txt \
    || fail "party $party not named: $(cat out.txt)"
  echo "  verify: $(cat out.txt)"
  rm -rf chain && cp -r good chain
  flip_byte "chain/proofs/PermutationCommitment$party.bt" 200 # a coordinate: off the curve
  ! "$EVOTE_CLI" mix verify "${C[@]}" --in box.bt chain >out.txt 2>/dev/null \
    || fail "verify accepts party $party's tampered permutation commitment"
  grep -q "FAILED: party $party, check permutation commitment" out.txt \
    || fail "party $party commitment not named: $(cat out.txt)"
  echo "  verify: $(cat out.txt)"
done
rm -rf chain && cp -r good chain
flip_byte chain/ShuffledCiphertexts.bt 300
! "$EVOTE_CLI" mix verify "${C[@]}" --in box.bt chain >out.txt 2>/dev/null \
  || fail "verify accepts a tampered final list"
grep -q "FAILED: check final output (ShuffledCiphertexts.bt)" out.txt \
  || fail "final list not named: $(cat out.txt)"
# a third party refuses a chain whose party 2 is tampered
rm -rf chain && cp -r good chain
flip_byte chain/proofs/PoSReply02.bt -1
refuse_p3() {
  ! "$EVOTE_CLI" mix "${C[@]}" --party 3 --in box.bt --out chain --quiet >/dev/null 2>err.txt \
    || fail "party 3 mixed a chain with a tampered party 2"
  grep -q "refusing to mix.*party 02: proofs/PoSReply02.bt: PoS" err.txt \
    || fail "party 3 refusal: $(cat err.txt)"
}
refuse_p3

# --- progress on a terminal ------------------------------------------------------
rm -rf chain && cp -r good chain
if command -v script >/dev/null 2>&1 && script -q -c true /dev/null >/dev/null 2>&1; then
  script -q -c "'$EVOTE_CLI' mix verify --manifest manifest.json --contest district-1 \
    --public-key pk.pem --in box.bt chain >/dev/null" /dev/null >tty.txt 2>&1 || true
  grep -q "verify shuffle" tty.txt || fail "no progress on a terminal: $(cat tty.txt)"
  script -q -c "'$EVOTE_CLI' mix verify --quiet --manifest manifest.json \
    --contest district-1 --public-key pk.pem --in box.bt chain >/dev/null" /dev/null \
    >tty.txt 2>&1 || true
  ! grep -q "verify shuffle" tty.txt || fail "--quiet printed progress on a terminal"
  script -q -c "'$EVOTE_CLI' mix --manifest manifest.json --contest district-1 \
    --public-key pk.pem --party 3 --in box.bt --out chain >/dev/null" /dev/null >tty.txt 2>&1 \
    || true
  grep -q "shuffle and prove" tty.txt || fail "no prove progress on a terminal: $(cat tty.txt)"
  echo "  terminal progress shown, --quiet silent"
else
  echo "  script(1) unavailable: terminal progress not tested"
fi
echo "mix chain: refusals and failures named, progress only on a terminal"

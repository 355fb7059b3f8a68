#!/usr/bin/env bash
# Run Verificatum's own verifier (vmnv -shuffle) on proofs of shuffle that
# `evote mix` writes, and on the Verificatum-made fixtures (docs/PROTOCOL.md
# 14.6). Opt-in tool for auditors who have Verificatum installed; it is not
# part of `make check` (CI has no Verificatum).
#
#   VMNV=/path/to/vmnv scripts/vmnv-check.sh [CHAINDIR ...]
#   VMNV=/path/to/vmnv EVOTE=build/evote scripts/vmnv-check.sh --make
#
# CHAINDIR is a chain directory written by `evote mix` (it holds its own
# protInfo.xml; PROTINFO=FILE overrides it). With --make, chains for
# N = 1, 2, 5, 20 (MAKE_NS="...") and 1..3 parties are made with $EVOTE (extra
# `evote mix` options in MIX_ARGS, e.g. MIX_ARGS="--chunk 3") from
# lists made by tests/vectors/mix_testlist.py and checked in turn.
#
# First, as a check of the checker, the fixtures in VMN_FIXTURES (default
# ../shared/vectors/verificatum beside the repository) must be accepted and a
# copy of the N = 20 fixture with one flipped bit in proofs/PoSReply01.bt
# must be refused; without the fixtures this step is skipped with a note.
#
# vmnv exits 0 even when a proof fails, so a directory counts as accepted
# only if vmnv exits 0, prints "Verify proof of shuffle... done." once for
# every party 1..λ (λ = proofs/activethreshold) and prints no "failed.",
# "Too few proofs" or exception. vmnv's full output is kept in OUTDIR
# (default: a new temporary directory, printed at the end).
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# small_manifest, flip_byte: the same helpers the shell tests use
. "$here/tests/cli/lib/common.sh"
: "${VMNV:?set VMNV to a vmnv executable (Verificatum Mix-Net verifier)}"
fixtures=${VMN_FIXTURES:-$here/../shared/vectors/verificatum}
out=${OUTDIR:-$(mktemp -d "${TMPDIR:-/tmp}/vmnv-check-XXXXXX")}
mkdir -p "$out"
failures=0
n_run=0

# check DIR PROTINFO EXPECT(accept|reject) LABEL
check() {
  local dir=$1 prot=$2 expect=$3 label=$4 log rc lambda done_n verdict
  n_run=$((n_run + 1))
  log="$out/$(printf '%02d' "$n_run")-$(echo "$label" | tr -c 'A-Za-z0-9_.=-' '_').txt"
  rm -rf "$out/wd"; mkdir -p "$out/wd"
  "$VMNV" -shuffle -v -wd "$out/wd" "$prot" "$dir" >"$log" 2>&1
  rc=$?
  lambda=$(cat "$dir/proofs/activethreshold" 2>/dev/null || echo 0)
  done_n=$(grep -c '^Verify proof of shuffle\.\.\. done\.' "$log")
  if [ "$rc" -eq 0 ] && [ "$lambda" -ge 1 ] && [ "$done_n" -eq "$lambda" ] \
     && ! grep -qE 'failed\.|Too few proofs|Exception|ERROR' "$log"; then
    verdict=accept
  else
    verdict=reject
  fi
  if [ "$verdict" = "$expect" ]; then
    echo "ok   $label: $verdict (exit $rc, $done_n of $lambda parties verified)"
  else
    echo "FAIL $label: expected $expect, vmnv gave $verdict (exit $rc, $done_n of $lambda parties verified); see $log"
    failures=$((failures + 1))
  fi
}

if [ -d "$fixtures/p256-shuffle-n20" ]; then
  for f in p256-shuffle-n20 p256-shuffle-n1000; do
    [ -d "$fixtures/$f" ] || continue
    check "$fixtures/$f/default" "$fixtures/$f/protInfo.xml" accept "fixture $f"
  done
  t="$out/tampered-n20"
  rm -rf "$t"; cp -r "$fixtures/p256-shuffle-n20" "$t"; chmod -R u+w "$t"
  flip_byte "$t/default/proofs/PoSReply01.bt" -7
  check "$t/default" "$t/protInfo.xml" reject "fixture p256-shuffle-n20 with a flipped bit in PoSReply01.bt"
else
  echo "note: no fixtures at $fixtures (set VMN_FIXTURES): fixture step skipped"
fi

dirs=()
if [ "${1:-}" = "--make" ]; then
  : "${EVOTE:?--make needs EVOTE=path/to/evote}"
  command -v python3 >/dev/null || { echo "--make needs python3" >&2; exit 2; }
  m="$out/made"; mkdir -p "$m"
  small_manifest "$m/manifest.json" vmnv-check "vmnv check"
  for n in ${MAKE_NS:-1 2 5 20}; do
    d="$m/n$n"; mkdir -p "$d"
    python3 "$here/tests/vectors/mix_testlist.py" "$n" "$d/pk.pem" "$d/box.bt" >/dev/null
    for k in 1 2 3; do
      "$EVOTE" mix --manifest "$m/manifest.json" --contest district-1 \
        --public-key "$d/pk.pem" --party "$k" --in "$d/box.bt" \
        --out "$d/chain" --quiet ${MIX_ARGS:-} >/dev/null \
        || { echo "FAIL evote mix N=$n party $k"; exit 1; }
      cp -r "$d/chain" "$d/chain-p$k"
      dirs+=("$d/chain-p$k")
    done
  done
  shift
fi
dirs+=("$@")

for d in "${dirs[@]}"; do
  check "$d" "${PROTINFO:-$d/protInfo.xml}" accept "chain $d"
done

echo "vmnv output kept in $out"
if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all $n_run check(s) passed"

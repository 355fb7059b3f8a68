#!/usr/bin/env bash
# The ballot known-answer vectors must be reproducible from docs/PROTOCOL.md
# alone: recompute them with the independent pure-Python implementation and
# compare with the checked-in copies (which check_ballot tests the C code on).
set -euo pipefail
src=${EVOTE_SOURCE_DIR:?EVOTE_SOURCE_DIR not set}
if ! command -v python3 >/dev/null 2>&1; then
  echo "SKIP: python3 is not installed; vectors not recomputed"
  exit 0
fi
if ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)'; then
  echo "SKIP: python3 older than 3.8 (needs pow(x, -1, p))"
  exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/evote-test-vectors-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 "$src/tests/vectors/gen_ballot_vectors.py" "$tmp"
for f in selection.txt ballot.txt; do
  diff -u "$src/tests/vectors/$f" "$tmp/$f"
done
echo "vectors reproduced: selection.txt ballot.txt"

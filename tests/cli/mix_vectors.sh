#!/usr/bin/env bash
# The checked-in mix vectors (prefix, generators, session id) are exactly
# what the independent Python derivation (standard library only) produces
# from docs/PROTOCOL.md §14 and VERIFICATUM.md.
set -euo pipefail
vec="$EVOTE_SOURCE_DIR/tests/vectors"
python3 "$vec/mix_vectors.py" | cmp - <(grep -v '^#' "$vec/mix.txt")
echo "mix vectors: re-derived values match"

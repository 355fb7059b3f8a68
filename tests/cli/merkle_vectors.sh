#!/usr/bin/env bash
# The checked-in RFC 9162 vectors are exactly what the independent Python
# generator (standard library only) produces from the RFC's definitions.
set -euo pipefail
vec="$EVOTE_SOURCE_DIR/tests/vectors"
n=$(sed -n '1s/.*merkle_vectors.py \([0-9]*\)$/\1/p' "$vec/merkle.txt")
[ -n "$n" ] || { echo "merkle.txt: no generator size in its first line" >&2; exit 1; }
python3 "$vec/merkle_vectors.py" "$n" | cmp - "$vec/merkle.txt"
echo "merkle vectors: regenerated $n-leaf file matches"

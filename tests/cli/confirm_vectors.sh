#!/usr/bin/env bash
# The observer-confirmation vector (PROTOCOL §15.4) re-derived by the
# independent Python script equals tests/vectors/confirm.txt, which
# check_trustee's test_confirm_vector holds libevote to.
set -euo pipefail
command -v python3 >/dev/null || exit 77
v=$EVOTE_SOURCE_DIR/tests/vectors
python3 "$v/confirm_vectors.py" | diff -u "$v/confirm.txt" -
echo "confirm_vectors: the Python re-computation matches confirm.txt"

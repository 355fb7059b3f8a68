#!/usr/bin/env bash
# Regenerate the audit-log vector (run from the source tree after a build).
# The signatures are randomised (ECDSA), so a new run gives new bytes; the
# hashes in expected.txt are recomputed by hashes.py, independently of C.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
evote=${EVOTE_CLI:-$here/../../../build/evote}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$here/../../support/operator-token.sh" "$work" vector-op "Vector Operator" >/dev/null
export SOFTHSM2_CONF=$work/softhsm2.conf EVOTE_OPERATOR_PIN=user-secret-5678
cd "$here"
rm -f audit.log audit.log.lock
cp "$work/ca.pem" ca.pem
# Entry 1: a successful step; entry 2: a failed one (failures are logged).
mkdir "$work/record" && cp manifest.json "$work/record/"
"$evote" verify "$work/record" --report "$work/report.json" --audit-log audit.log \
  --operator-token vector-op --audit-manifest manifest.json >/dev/null
"$evote" audit verify no-such.log --audit-log audit.log --operator-token vector-op \
  >/dev/null 2>&1 || true
rm -f audit.log.lock
python3 hashes.py manifest.json audit.log >expected.txt

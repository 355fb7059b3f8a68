#!/usr/bin/env bash
# The audit-log vector (PROTOCOL §16) checked the way a third party would:
# OpenSSL for every signature, a stand-alone Python script for the hashes,
# then evote itself; and a one-byte edit must be refused by all three.
set -euo pipefail
src=${EVOTE_SOURCE_DIR:?}
evote=${EVOTE_CLI:?}
vec=$src/tests/vectors/audit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

n=0
while IFS= read -r line; do
  n=$((n + 1))
  printf '%s' "${line%%$'\t'*}" >"$work/body"
  printf '%s' "${line#*$'\t'}" | base64 -d >"$work/sig.der"
  openssl cms -verify -binary -inform DER -in "$work/sig.der" -content "$work/body" \
    -CAfile "$vec/ca.pem" -purpose any >/dev/null 2>&1 || { echo "entry $n: openssl refuses" >&2; exit 1; }
done <"$vec/audit.log"
[ "$n" -ge 2 ]

python3 "$vec/hashes.py" "$vec/manifest.json" "$vec/audit.log" | diff - "$vec/expected.txt"
"$evote" audit verify "$vec/audit.log" --ca "$vec/ca.pem" --manifest "$vec/manifest.json" >/dev/null

# One byte changed in entry 1's body: all three refuse it.
sed '1s/"step":"verify"/"step":"verifx"/' "$vec/audit.log" >"$work/bad.log"
! cmp -s "$work/bad.log" "$vec/audit.log"
head -n1 "$work/bad.log" | cut -f1 | tr -d '\n' >"$work/body"
head -n1 "$work/bad.log" | cut -f2 | base64 -d >"$work/sig.der"
if openssl cms -verify -binary -inform DER -in "$work/sig.der" -content "$work/body" \
    -CAfile "$vec/ca.pem" -purpose any >/dev/null 2>&1; then
  echo "openssl accepted an edited entry" >&2; exit 1
fi
if python3 "$vec/hashes.py" "$vec/manifest.json" "$work/bad.log" | diff -q - "$vec/expected.txt" >/dev/null; then
  echo "hashes.py gave the same hashes for an edited log" >&2; exit 1
fi
set +e
out=$("$evote" audit verify "$work/bad.log" --ca "$vec/ca.pem" 2>/dev/null)
rc=$?
set -e
[ "$rc" -eq 1 ]
grep -q 'FAIL seq 1: signature does not verify' <<<"$out"
grep -q 'FAIL seq 2: previous-entry hash does not match' <<<"$out"
echo "audit vector: OK ($n entries)"

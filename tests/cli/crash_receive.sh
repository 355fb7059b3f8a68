#!/usr/bin/env bash
# Crash test of reception: `evote receive` reads a stream of signed ballots
# into a real SQLite file and is killed with SIGKILL at a random moment.
# Afterwards every receipt it printed must have its ballot in the box (same
# contest, index and SHA-256), and the voted flags must match the stored
# ballots one for one. A second run over the whole stream then accepts
# exactly the ballots the first one had not, and the invariant still holds.
set -euo pipefail
evote=${EVOTE_CLI:?EVOTE_CLI must name the built evote}
src=${EVOTE_SOURCE_DIR:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/evote-test-XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OPENSSL_CONF=/dev/null
n=${CRASH_VOTERS:-40}
[ "${EVOTE_TEST_QUICK:-0}" = 1 ] && n=20
rounds=${CRASH_ROUNDS:-2}

bash "$src/tests/pki.sh" "$T/pki" 1 2>/dev/null
cd "$T"
cat >manifest.json <<'JSON'
{
  "format": "libevote-manifest/1",
  "election_id": "crash-test",
  "title": "crash test",
  "voting_window": {"opens": "2026-01-01T08:30:00+09:00",
                    "closes": "2035-12-31T20:00:00+09:00"},
  "contests": [
    {"id": "district-tokyo-1", "title": "d", "kind": "district",
     "options": [{"id": "c1", "name": "A"}, {"id": "c2", "name": "B"}]},
    {"id": "proportional-tokyo", "title": "p", "kind": "proportional",
     "options": [{"id": "p1", "name": "X"}, {"id": "p2", "name": "Y"}]}
  ]
}
JSON
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ek.pem
openssl pkey -in ek.pem -pubout -out pk.pem
echo "voter_id,identity,contests" >roll.csv
: >stream
u32be() { printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"; }
# One key for all voters keeps the set-up short (a key generation each
# would change nothing here); every voter has a certificate of their own.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out v.key
for i in $(seq 1 "$n"); do
  openssl req -new -key v.key -subj "/C=JP/serialNumber=JPC$i/CN=crash voter $i" -out v.csr
  openssl x509 -req -in v.csr -CA pki/ca.pem -CAkey pki/ca.key -set_serial $((7000 + i)) \
    -days 3000 -sha256 -out v.pem 2>/dev/null
  h=$(openssl x509 -in v.pem -outform DER | sha256sum | cut -c1-64)
  echo "crash-$i,sha256:$h,district-tokyo-1 proportional-tokyo" >>roll.csv
  for c in district-tokyo-1 proportional-tokyo; do
    "$evote" ballot encrypt --manifest manifest.json --pubkey pk.pem --contest "$c" \
      --selection $((i % 2)) --out b.bin >/dev/null
    openssl cms -sign -binary -nodetach -outform DER -md sha256 -signer v.pem -inkey v.key \
      -in b.bin -out b.p7
    u32be "$(stat -c %s b.p7)" >>stream
    cat b.p7 >>stream
  done
done
total=$((2 * n))

check() { # invariants of the store after a run
  local db=$1 receipts=$2
  [ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "integrity check"
  for c in district-tokyo-1 proportional-tokyo; do
    b=$(sqlite3 "$db" "SELECT count(*) FROM ballots WHERE contest = '$c'")
    v=$(sqlite3 "$db" "SELECT coalesce(sum(voted), 0) FROM roll_contest WHERE contest = '$c'")
    k=$(sqlite3 "$db" "SELECT coalesce(max(count), 0) FROM boxes WHERE contest = '$c'")
    [ "$b" = "$v" ] || fail "$c: $b ballots but $v voted flags"
    [ "$b" = "$k" ] || fail "$c: $b ballots but box count $k"
  done
  while read -r verdict name contest index code; do
    [ "$verdict" = accepted ] || continue
    got=$(sqlite3 "$db" "SELECT hex(ballot) FROM ballots WHERE contest = '$contest' AND seq = $index" |
      xxd -r -p | sha256sum | cut -c1-64)
    [ "$got" = "$code" ] || fail "receipt $name ($contest #$index) has no ballot in the box"
  done <"$receipts"
}

# Test-only: open both boxes without officials (this manifest names none, so
# `evote box open` cannot run; the store's schema is PROTOCOL §11).
open_boxes() {
  sqlite3 "$1" "INSERT INTO boxes (contest, state, count) VALUES
    ('district-tokyo-1', 'open', 0), ('proportional-tokyo', 'open', 0)"
}

common=(--manifest manifest.json --pubkey pk.pem --ca pki/ca.pem --crl pki/crl.pem)
for r in $(seq 1 "$rounds"); do
  db=store-$r.db
  "$evote" roll import --store "$db" --manifest manifest.json roll.csv >/dev/null
  open_boxes "$db"
  # kill somewhere between 20 ms and ~0.5 s into the loop
  delay=$(printf '0.%03d' $((20 + RANDOM % 480)))
  "$evote" receive --store "$db" "${common[@]}" - <stream >receipts-$r.txt 2>/dev/null &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
  before=$(grep -c '^accepted' receipts-$r.txt || true)
  check "$db" receipts-$r.txt
  stored=$(sqlite3 "$db" "SELECT count(*) FROM ballots")
  # receipts are printed after the commit: never more receipts than ballots
  [ "$before" -le "$stored" ] || fail "$before receipts but $stored ballots"
  echo "round $r: killed after $delay s: $before receipts, $stored ballots durable"
  # resume over the whole stream: the rest is accepted, nothing twice
  "$evote" receive --store "$db" "${common[@]}" - <stream >again-$r.txt 2>/dev/null || true
  check "$db" again-$r.txt
  acc=$(grep -c '^accepted' again-$r.txt || true)
  dup=$(grep -c 'EVOTE_ERR_ALREADY_VOTED' again-$r.txt || true)
  [ $((acc + dup)) = "$total" ] || fail "second run: $acc accepted + $dup already voted != $total"
  [ "$(sqlite3 "$db" "SELECT count(*) FROM ballots")" = "$total" ] || fail "not all stored"
  [ "$dup" = "$stored" ] || fail "second run refused $dup, first stored $stored"
done
echo "crash test: ok"

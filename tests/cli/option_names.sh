#!/usr/bin/env bash
# The election public key is `--public-key` in every subcommand (keygen:
# `--out-public-key`); the old `--pubkey` / `--out-pubkey` stay accepted,
# hidden from the help. One check per command family: both names reach the
# same key reader (a bad key file fails there, the good one gets past it),
# with the same exit status and message, and the help shows only the new name.
set -euo pipefail
evote=${EVOTE_CLI:?EVOTE_CLI must name the built evote}
src=${EVOTE_SOURCE_DIR:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/evote-test-XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OPENSSL_CONF=/dev/null
cd "$T"
cp "$src/docs/examples/manifest.json" manifest.json
contest=district-tokyo-1
grep -q "\"id\": \"$contest\"" manifest.json || fail "the example manifest has no $contest"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ek.pem
openssl pkey -in ek.pem -pubout -out pk.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ek2.pem
openssl pkey -in ek2.pem -pubout -out other.pem
echo "not a key" >bad.pem

# run OUTNAME CMD...: exit status to OUTNAME.rc, stdout+stderr to OUTNAME.txt
# with the option's spelling masked (so the two names compare equal)
run() {
  local name=$1
  shift
  set +e
  "$evote" "$@" >"$name.raw" 2>&1
  echo $? >"$name.rc"
  set -e
  sed -e 's/--out-pubkey/--OPT/g; s/--out-public-key/--OPT/g; s/--pubkey/--OPT/g; s/--public-key/--OPT/g' \
    "$name.raw" >"$name.txt"
}

# check_alias FAMILY NEW OLD ARGS... — ARGS hold @OPT@ for the option and @PK@ for
# its value. Both spellings behave alike with a bad and with a good key, and
# the bad key is refused where the good one is not.
check_alias() {
  local fam=$1 new=$2 old=$3
  shift 3
  for key in bad pk; do
    for spelling in "$new" "$old"; do
      local args=()
      for a in "$@"; do
        a=${a//@OPT@/$spelling}
        args+=("${a//@PK@/$key.pem}")
      done
      rm -rf chain out.bin
      run "$fam-$key-${spelling#--}" "${args[@]}"
    done
    cmp -s "$fam-$key-${new#--}.txt" "$fam-$key-${old#--}.txt" ||
      fail "$fam: $new and $old differ with $key.pem: $(cat "$fam-$key-${new#--}.txt") / $(cat "$fam-$key-${old#--}.txt")"
    cmp -s "$fam-$key-${new#--}.rc" "$fam-$key-${old#--}.rc" || fail "$fam: exit status differs with $key.pem"
  done
  [ "$(cat "$fam-bad-${new#--}.rc")" = 1 ] || fail "$fam: a bad key file is not refused"
  cmp -s "$fam-bad-${new#--}.txt" "$fam-pk-${new#--}.txt" &&
    fail "$fam: the bad and the good key gave the same result: the option is not read as the key"
  echo "$fam: $new and $old both read the key"
}

help_shows_new() { # FAMILY NEW OLD CMD...
  local fam=$1 new=$2 old=$3
  shift 3
  "$evote" "$@" --help >help.txt
  grep -q -- "$new " help.txt || fail "$fam: help does not show $new"
  grep -q -- "$old\\b" help.txt && fail "$fam: help still shows $old"
  true
}

# ballot: a full round trip, each spelling verifying the other's ballot
for s in --public-key --pubkey; do
  "$evote" ballot encrypt --manifest manifest.json $s pk.pem --contest "$contest" --selection 0 \
    --out "b$s.bin" >/dev/null || fail "ballot encrypt $s"
done
"$evote" ballot verify --manifest manifest.json --pubkey pk.pem b--public-key.bin >/dev/null ||
  fail "ballot verify --pubkey"
"$evote" ballot verify --manifest manifest.json --public-key pk.pem b--pubkey.bin >/dev/null ||
  fail "ballot verify --public-key"
for s in --public-key --pubkey; do
  set +e
  "$evote" ballot verify --manifest manifest.json $s other.pem b--pubkey.bin >/dev/null 2>&1
  rc=$?
  set -e
  [ $rc = 1 ] || fail "ballot verify $s other.pem: exit $rc, not 1"
done
check_alias ballot-encrypt --public-key --pubkey ballot encrypt --manifest manifest.json @OPT@ @PK@ \
  --contest "$contest" --selection 0 --out out.bin
check_alias ballot-verify --public-key --pubkey ballot verify --manifest manifest.json @OPT@ @PK@ b--pubkey.bin
help_shows_new ballot --public-key --pubkey ballot encrypt
help_shows_new ballot --public-key --pubkey ballot verify

# receive (fails after the key on the missing CA file)
check_alias receive --public-key --pubkey receive --store rx.db --manifest manifest.json @OPT@ @PK@ \
  --ca missing-ca.pem b--pubkey.bin
help_shows_new receive --public-key --pubkey receive

# mix and mix verify (fail after the key on the missing input list)
check_alias mix --public-key --pubkey mix --manifest manifest.json --contest "$contest" @OPT@ @PK@ \
  --party 1 --in missing.bt --out chain --quiet
check_alias mix-verify --public-key --pubkey mix verify --manifest manifest.json --contest "$contest" \
  @OPT@ @PK@ --in missing.bt --quiet chain
help_shows_new mix --public-key --pubkey mix
help_shows_new mix --public-key --pubkey mix verify

# decrypt (fails after the key on the missing list, before any token)
check_alias decrypt --public-key --pubkey decrypt --manifest manifest.json --contest "$contest" \
  --token none --key-label k --in missing.bt --out out.bin --unmixed @OPT@ @PK@
help_shows_new decrypt --public-key --pubkey decrypt

# box (zero-check reads the key before it looks for the opening statement)
check_alias box --public-key --pubkey box zero-check --store box.db --dir boxdir \
  --manifest manifest.json @OPT@ @PK@
help_shows_new box --public-key --pubkey box zero-check
help_shows_new box --public-key --pubkey box open

# keygen: the output option, checked before any token is touched (an
# existing file is refused and names the path given)
for s in --out-public-key --out-pubkey; do
  touch exists.pem
  run "keygen$s" keygen --token none --key-label k --manifest manifest.json $s exists.pem
  [ "$(cat "keygen$s.rc")" = 1 ] && grep -q "exists.pem" "keygen$s.txt" &&
    grep -q EVOTE_ERR_EXISTS "keygen$s.txt" || fail "keygen $s: $(cat "keygen$s.txt")"
done
cmp -s keygen--out-public-key.txt keygen--out-pubkey.txt || fail "keygen: the two names differ"
set +e
"$evote" keygen --token none --key-label k --manifest manifest.json >/dev/null 2>&1
rc=$?
set -e
[ $rc = 2 ] || fail "keygen without an output key: exit $rc, not 2"
help_shows_new keygen --out-public-key --out-pubkey keygen
echo "option names: ok"

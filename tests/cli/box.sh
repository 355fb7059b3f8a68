#!/usr/bin/env bash
# evote box ceremony through the CLI with officials' SoftHSM2 tokens:
# open (two of three officials), zero-check, a signed tree head, close,
# export, import on a separate "air-gapped" directory; a flipped byte in the
# bundle is refused naming the file and check; close is final.
set -euo pipefail
: "${EVOTE_CLI:?}" "${EVOTE_SOURCE_DIR:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/evote-test-box-cli-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

# A SoftHSM2 configuration of our own, never the system token directory.
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
  "$work" > softhsm2.conf
export SOFTHSM2_CONF="$work/softhsm2.conf"
printf '123456\n' > pin

pins=()
for i in 1 2 3; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "o$i.key" -out "o$i.pem" -subj "/CN=official-$i" -days 3650 >/dev/null 2>&1
  openssl pkcs8 -topk8 -nocrypt -in "o$i.key" -out "o$i.p8"
  softhsm2-util --init-token --free --label "official-$i" --so-pin 12345678 --pin 123456 \
    >/dev/null
  softhsm2-util --import "o$i.p8" --token "official-$i" --label sign --id 0$i \
    --pin 123456 >/dev/null
  pins+=("$(openssl x509 -in "o$i.pem" -outform DER | sha256sum | cut -d' ' -f1)")
done

cat > manifest.json <<EOF
{
  "format": "libevote-manifest/1",
  "election_id": "box-cli-test",
  "title": "模擬投票",
  "voting_window": {"opens": "2020-01-01T08:30:00+09:00", "closes": "2099-12-31T20:00:00+09:00"},
  "contests": [
    {"id": "district-1", "title": "小選挙区", "kind": "district",
     "options": [{"id": "a", "name": "山田"}, {"id": "b", "name": "佐藤"}]}
  ],
  "officials": [
    {"id": "official-1", "name": "委員長", "cert_sha256": "${pins[0]}"},
    {"id": "official-2", "name": "委員", "cert_sha256": "${pins[1]}"},
    {"id": "official-3", "name": "委員", "cert_sha256": "${pins[2]}"}
  ],
  "trustees": [{"id": "trustee-1", "name": "開票管理者"}],
  "policy": {"open": 2, "close": 2, "export": 2, "decrypt": 2}
}
EOF
openssl ecparam -name prime256v1 -genkey -noout -out ek.pem
openssl pkey -in ek.pem -pubout -out election-key.pem

common=(--store store.sqlite --dir box --manifest manifest.json --public-key election-key.pem)
tok() { echo --token "official-$1" --cert "o$1.pem" --pin-file pin; }

# Every box subcommand documents itself.
for s in open sign zero-check sth receipt close export import; do
  "$EVOTE_CLI" box "$s" --help | grep -q usage || fail "box $s --help"
done

# One official is not enough: the statement is written but nothing opens.
if "$EVOTE_CLI" box open "${common[@]}" $(tok 1) > out 2>&1; then fail "opened with one official"; fi
grep -q 'needs 2' out || fail "policy refusal not explained: $(cat out)"
# A second official adds a signature and the boxes open.
"$EVOTE_CLI" box open "${common[@]}" $(tok 3) > out
grep -q 'boxes open' out || fail "open: $(cat out)"
ls box/opening.official-1.p7s box/opening.official-3.p7s >/dev/null
openssl cms -verify -binary -inform DER -in box/opening.official-1.p7s -content box/opening.json \
  -noverify -out /dev/null 2>/dev/null || fail "openssl cannot verify an opening signature"

"$EVOTE_CLI" box zero-check "${common[@]}" | grep -q 'opened empty' || fail zero-check
"$EVOTE_CLI" box sth "${common[@]}" --contest district-1 $(tok 1) $(tok 2) > out
grep -q 'sth-district-1-0.json' out || fail "sth: $(cat out)"

"$EVOTE_CLI" box close "${common[@]}" $(tok 2) $(tok 3) > out
grep -q 'closed for good' out || fail "close: $(cat out)"
# Close is final.
if "$EVOTE_CLI" box close "${common[@]}" $(tok 2) $(tok 3) > out 2>&1; then fail "closed twice"; fi
grep -q EVOTE_ERR_BOX_CLOSED out || grep -qi 'closed' out || fail "second close: $(cat out)"
if "$EVOTE_CLI" box open "${common[@]}" $(tok 1) $(tok 2) > out 2>&1; then fail "reopened"; fi

"$EVOTE_CLI" box export "${common[@]}" --out media $(tok 1) $(tok 2) > out
[ -f media/index.json ] && [ -f media/index.official-1.p7s ] || fail "export: $(cat out)"
if ls media.tmp-* >/dev/null 2>&1; then fail "temporary export directory left"; fi

"$EVOTE_CLI" box import --bundle media --out airgap --manifest manifest.json > out
grep -q 'imported' out || fail "import: $(cat out)"
cmp media/index.json airgap/index.json

# One flipped byte: refused, file and check named, nothing imported.
cp -a media tampered
printf '\x01' | dd of=tampered/opening.json bs=1 seek=10 conv=notrunc 2>/dev/null
if "$EVOTE_CLI" box import --bundle tampered --out airgap2 --manifest manifest.json > out 2>&1; then
  fail "tampered bundle accepted"
fi
grep -q 'opening.json: check file-digest' out || fail "refusal does not name file and check: $(cat out)"
[ ! -e airgap2 ] || fail "refused import left airgap2"
echo "box CLI ceremony: ok"

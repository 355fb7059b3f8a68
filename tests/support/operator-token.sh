#!/usr/bin/env bash
# Test fixture: an operator's SoftHSM2 token holding a P-256 key and its
# certificate, issued by a throwaway CA.
#   operator-token.sh DIR TOKEN_LABEL "Common Name" [KEY_LABEL]
# Creates DIR/softhsm2.conf (token dir DIR/tokens) if missing, DIR/ca.pem +
# DIR/ca.key once, and DIR/<TOKEN_LABEL>.cert.pem. SO PIN "so-secret-1234",
# user PIN "user-secret-5678" (the ones in tests/support/testutil.h).
# Export SOFTHSM2_CONF=DIR/softhsm2.conf to use the token.
set -euo pipefail
dir=$1 label=$2 cn=$3 keylabel=${4:-operator}
module=${EVOTE_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
so_pin=so-secret-1234 pin=user-secret-5678
mkdir -p "$dir/tokens"
[ -e "$dir/softhsm2.conf" ] || printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' "$dir" >"$dir/softhsm2.conf"
export SOFTHSM2_CONF=$dir/softhsm2.conf
if [ ! -e "$dir/ca.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 3650 -subj "/O=libevote test/CN=Election Officials CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
fi
work=$(mktemp -d "$dir/op.XXXXXX")
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/key.pem" 2>/dev/null
openssl req -new -key "$work/key.pem" -subj "/O=libevote test/CN=$cn" -out "$work/req.pem" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n' >"$work/ext"
openssl x509 -req -in "$work/req.pem" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 3650 -extfile "$work/ext" -out "$dir/$label.cert.pem" 2>/dev/null
openssl x509 -in "$dir/$label.cert.pem" -outform DER -out "$work/cert.der"
softhsm2-util --init-token --free --label "$label" --so-pin "$so_pin" --pin "$pin" >/dev/null
softhsm2-util --import "$work/key.pem" --token "$label" --label "$keylabel" --id 01 --pin "$pin" >/dev/null
pkcs11-tool --module "$module" --token-label "$label" --login --pin "$pin" \
  --write-object "$work/cert.der" --type cert --id 01 --label "$keylabel" >/dev/null 2>&1
rm -rf "$work"

#!/usr/bin/env bash
# Build a throwaway test PKI with the openssl CLI (used by the tests and the
# demo). Usage: tests/pki.sh DIR [NVOTERS]
#
# DIR/ca.pem ca.key             root CA ("national ID" CA, RSA-2048)
# DIR/crl.pem                   CRL of the root CA (revokes voter "revoked")
# DIR/other-ca.pem              a CA nobody configured
# DIR/<name>.key <name>.pem     voter keys and certificates:
#   rsa-1 .. rsa-N   RSA-2048, national-ID-like profile (keyUsage
#                    digitalSignature+nonRepudiation, subject serialNumber)
#   ec-1             ECDSA P-256, same profile
#   expired          valid 2020-01-01 .. 2021-01-01
#   notyet           valid 2040-01-01 .. 2041-01-01
#   revoked          listed in crl.pem
#   unknown          issued by other-ca
# Ordinary certificates are valid 2025-01-01 .. 2036-01-01, so that tests
# can receive at any fixed time inside the manifest's window.
set -euo pipefail
dir=${1:?usage: pki.sh DIR [NVOTERS]}
n=${2:-2}
mkdir -p "$dir"
cd "$dir"
export OPENSSL_CONF=/dev/null

mkca() { # name subject
    local name=$1 subj=$2
    mkdir -p "$name.db/new"
    : >"$name.db/index.txt"
    echo 1000 >"$name.db/serial"
    echo 1000 >"$name.db/crlnumber"
    cat >"$name.cnf" <<CNF
[ ca ]
default_ca = ca_sect
[ ca_sect ]
dir = $PWD/$name.db
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
policy = pol
unique_subject = no
copy_extensions = none
default_crl_days = 36500
[ pol ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
serialNumber = optional
commonName = supplied
[ voter ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key" 2>/dev/null
    # Self-signed through `openssl ca` so that the CA is valid from 2020 on
    # (tests receive at fixed times long before today).
    openssl req -new -key "$name.key" -subj "$subj" -config "$name.cnf" -out "$name.csr"
    openssl ca -batch -selfsign -config "$name.cnf" -keyfile "$name.key" -in "$name.csr" \
        -extensions root -startdate 20200101000000Z -enddate 20500101000000Z \
        -out "$name.pem" -notext 2>/dev/null
    rm -f "$name.csr"
}

voter() { # ca name keytype start end serialNumber
    local ca=$1 name=$2 type=$3 start=$4 end=$5 sn=$6
    if [ "$type" = rsa ]; then
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key" 2>/dev/null
    else
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key"
    fi
    openssl req -new -key "$name.key" -subj "/C=JP/serialNumber=$sn/CN=Voter $name" \
        -config "$ca.cnf" -out "$name.csr"
    openssl ca -batch -config "$ca.cnf" -extensions voter -startdate "$start" \
        -enddate "$end" -cert "$ca.pem" -keyfile "$ca.key" -in "$name.csr" \
        -out "$name.pem" -notext 2>/dev/null
    rm -f "$name.csr"
}

mkca ca "/C=JP/O=libevote test/CN=Test National ID CA"
mkca other-ca "/C=JP/O=elsewhere/CN=Unknown CA"
ok_from=20250101000000Z ok_to=20360101000000Z
for i in $(seq 1 "$n"); do
    voter ca "rsa-$i" rsa $ok_from $ok_to "JP1000000$i"
done
voter ca ec-1 ec $ok_from $ok_to JP2000000001
voter ca expired ec 20200101000000Z 20210101000000Z JP3000000001
voter ca notyet ec 20400101000000Z 20410101000000Z JP3000000002
voter ca revoked ec $ok_from $ok_to JP3000000003
voter other-ca unknown ec $ok_from $ok_to JP3000000004
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -revoke revoked.pem \
    -crl_reason keyCompromise 2>/dev/null
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -gencrl -out crl.pem 2>/dev/null
echo "pki: $dir" >&2

#!/usr/bin/env python3
"""Test input for the mix CLI tests, made without libevote: a fresh P-256
key pair and N El Gamal encryptions of random points under it.

    mix_testlist.py N PK.pem LIST.bt [SECRET.txt]

writes the public key as a PEM SubjectPublicKeyInfo, the list as the
transposed byte tree of docs/PROTOCOL.md 3 and, if asked, the secret key in
hex (so a test can decrypt and compare plaintext multisets)."""
import base64
import secrets
import sys

from vmn_verify import G, N, bt_bytes, msm, mul, node, pt_tree, to_aff

SPKI_P256 = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")


def rand_scalar():
    return 1 + secrets.randbelow(N - 1)


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    n, pk_path, list_path = int(argv[0]), argv[1], argv[2]
    x = rand_scalar()
    Y = to_aff(mul(x, G))
    der = SPKI_P256 + b"\x04" + Y[0].to_bytes(32, "big") + Y[1].to_bytes(32, "big")
    b64 = base64.encodebytes(der).decode().replace("\n", "")
    with open(pk_path, "w") as f:
        f.write("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" % b64)
    a, b = [], []
    for _ in range(n):
        r, m = rand_scalar(), rand_scalar()
        a.append(to_aff(mul(r, G)))
        b.append(to_aff(msm([(m, G), (r, Y)])))
    with open(list_path, "wb") as f:
        f.write(bt_bytes(node(node(*[pt_tree(p) for p in a]), node(*[pt_tree(p) for p in b]))))
    if len(argv) == 4:
        with open(argv[3], "w") as f:
            f.write("%064x\n" % x)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

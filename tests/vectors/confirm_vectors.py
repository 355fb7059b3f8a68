#!/usr/bin/env python3
"""Independent re-computation of the observer-confirmation vector
(PROTOCOL §15.4) with hashlib and textbook affine P-256 arithmetic; prints
tests/vectors/confirm.txt. Single key x = 7 (no partial files: D_j = C2_j - M_j)."""
import hashlib

p = 2**256 - 2**224 + 2**192 + 2**96 - 1
n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
b = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b
G = (0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296,
     0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5)


def add(P, Q):
    if P is None:
        return Q
    if Q is None:
        return P
    if P[0] == Q[0] and (P[1] + Q[1]) % p == 0:
        return None
    if P == Q:
        l = 3 * (P[0] * P[0] - 1) * pow(2 * P[1], -1, p) % p
    else:
        l = (Q[1] - P[1]) * pow(Q[0] - P[0], -1, p) % p
    x = (l * l - P[0] - Q[0]) % p
    return (x, (l * (P[0] - x) - P[1]) % p)


def mul(k, P):
    R = None
    for bit in bin(k % n)[2:]:
        R = add(R, R)
        if bit == '1':
            R = add(R, P)
    return R


def comp(P):
    return bytes([2 + (P[1] & 1)]) + P[0].to_bytes(32, 'big')


def H(tag, *fields):
    h = hashlib.sha256()
    for f in (tag.encode(),) + fields:
        h.update(len(f).to_bytes(4, 'big') + f)
    return h.digest()


x = 7
PK = mul(x, G)
ms, rs = [1, 2], [11, 13]
C1 = [mul(r, G) for r in rs]
M = [mul(m, G) for m in ms]
C2 = [add(M[j], mul(rs[j], PK)) for j in range(2)]
D = [mul(rs[j], PK) for j in range(2)]  # C2_j - M_j
mh = bytes(range(32))
lh = bytes(range(32, 64))
cid = "district-1"
R = bytes.fromhex("00112233445566778899aabbccddeeff")
P = H("libevote/v1/confirm-plaintexts", (2).to_bytes(8, 'big'), *[comp(m) for m in M])
seed = H("libevote/v1/confirm-seed", b"hex", R, mh, cid.encode(), lh, P)
c = [int.from_bytes(H("libevote/v1/confirm-coef", seed, k.to_bytes(8, 'big')), 'big') % n
     for k in range(3)]
Q = mul(c[0], G)
E = mul(c[0], PK)
for j in range(2):
    Q = add(Q, mul(c[j + 1], C1[j]))
    E = add(E, mul(c[j + 1], D[j]))
assert E == mul(x, Q)

print("# Observer confirmation, PROTOCOL §15.4 — computed independently by")
print("# tests/vectors/confirm_vectors.py (hashlib, affine P-256). One key x = 7,")
print("# no partial files (D_j = C2_j - M_j).")
print("manifest_hash =", mh.hex())
print("contest_id =", cid)
print("input_sha256 =", lh.hex())
print("randomness =", R.hex())
print("public_key =", comp(PK).hex())
for j in range(2):
    print(f"c1_{j + 1} =", comp(C1[j]).hex())
    print(f"c2_{j + 1} =", comp(C2[j]).hex())
    print(f"plaintext_{j + 1} =", comp(M[j]).hex())
print("P =", P.hex())
print("seed =", seed.hex())
for k in range(3):
    print(f"coef_{k} =", c[k].to_bytes(32, 'big').hex())
print("Q =", comp(Q).hex())
print("expected_x =", E[0].to_bytes(32, 'big').hex())

#!/usr/bin/env python3
"""Independent re-derivation of tests/vectors/mix.txt (docs/PROTOCOL.md 14):
the global prefix and first generators of the Verificatum fixture session
and a libevote session id, from the specification alone (no libevote code).
Run: python3 tests/vectors/mix_vectors.py  (prints the vector lines)."""
import hashlib
import struct

P = 2**256 - 2**224 + 2**192 + 2**96 - 1
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
PGROUP = (b"ECqPGroup(P-256)::00000000020100000020636f6d2e766572696669636174756d2e"
          b"61726974686d2e4543715047726f75700100000005502d323536")


def leaf(b):
    return b"\x01" + struct.pack(">I", len(b)) + b


def node(*c):
    return b"\x00" + struct.pack(">I", len(c)) + b"".join(c)


def prg(seed):
    i = 0
    while True:
        yield from hashlib.sha256(seed + struct.pack(">I", i)).digest()
        i += 1


def ro(nbits, data):
    g = prg(hashlib.sha256(struct.pack(">I", nbits) + data).digest())
    out = bytearray(next(g) for _ in range((nbits + 7) // 8))
    if nbits % 8:
        out[0] &= 0xFF >> (8 - nbits % 8)
    return bytes(out)


def rho(sid, auxsid, statdist=100, vbitlenro=256, ebitlenro=256):
    u = lambda v: leaf(struct.pack(">I", v))
    return hashlib.sha256(node(leaf(b"3.1.0"), leaf((sid + "." + auxsid).encode()),
                               u(statdist), u(vbitlenro), u(ebitlenro), leaf(b"SHA-256"),
                               leaf(PGROUP), leaf(b"SHA-256"))).digest()


def generators(r, n, statdist=100):
    g = prg(ro(256, r + leaf(b"generators")))
    bits = 256 + statdist
    out = []
    while len(out) < n:
        c = bytearray(next(g) for _ in range((bits + 7) // 8))
        if bits % 8:
            c[0] &= 0xFF >> (8 - bits % 8)
        x = int.from_bytes(c, "big") % P
        f = (x * x * x - 3 * x + B) % P
        if f and pow(f, (P - 1) // 2, P) == 1:
            y = pow(f, (P + 1) // 4, P)
            y = min(y, P - y)
            out.append("%02x%064x" % (2 | (y & 1), x))
    return out


def sid(election_id, contest_id):
    tag = b"libevote/v1/mix-sid"
    d = struct.pack(">I", len(tag)) + tag
    for f in (election_id.encode(), contest_id.encode()):
        d += struct.pack(">I", len(f)) + f
    return "E" + hashlib.sha256(d).hexdigest()


if __name__ == "__main__":
    r = rho("MyDemo", "default")
    h = generators(r, 20)
    print("rho =", r.hex())
    print("h0 =", h[0])
    print("h1 =", h[1])
    print("h19 =", h[19])
    print("sid =", sid("jp-2026", "district-tokyo-1"))

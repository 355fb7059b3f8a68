#!/usr/bin/env python3
"""Independent verifier of Verificatum (VMN 3.1.0) proofs of shuffle over
ECqPGroup(P-256), width 1 -- written from VERIFICATUM.md and the VMN/VCR
sources cited in docs/PROTOCOL.md 14.7, not from libevote's code.

Python 3 standard library only (hashlib, xml.etree); P-256 arithmetic is
done here in Jacobian coordinates.

    vmn_verify.py [-q] protInfo.xml PROOFDIR

checks, like `vmnv -shuffle protInfo.xml PROOFDIR`:
  * protInfo.xml against the schema vmnv builds (element order, required
    elements, patterns and ranges: VCR ui/info/*, VMN *Gen.java);
  * version/type/auxsid/width files, FullPublicKey.bt (first element = G);
  * proofs/activethreshold between thres and nopart;
  * for every party l = 1..lambda: PermutationCommitment, PoSCommitment,
    PoSReply and the output list (proofs/Ciphertexts<l>.bt, or
    ShuffledCiphertexts.bt for the last party if that is absent), with the
    global prefix, generators, challenges and the Terelius-Wikstrom
    equations;
  * and, stricter than vmnv, that ShuffledCiphertexts.bt equals the last
    party's output (vmnv does not read it when proofs/Ciphertexts<lambda>.bt
    exists) and that every party's proof verifies (vmnv only warns and
    replaces a failed party's output by its input).
Exit status 0 when the proof verifies, 1 (with the reason on stderr) when
it does not, 2 on usage errors.
"""
import hashlib
import os
import re
import struct
import sys
import xml.etree.ElementTree as ET

# ---- P-256 -------------------------------------------------------------------

P = 2**256 - 2**224 + 2**192 + 2**96 - 1
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
A = P - 3
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
G = (GX, GY)
INF = None  # the point at infinity (affine)


class Reject(Exception):
    """The proof (or a file of it) is not accepted; the text says why."""


def on_curve(x, y):
    return (y * y - (x * x * x + A * x + B)) % P == 0


# Jacobian points (X, Y, Z); Z == 0 is infinity.
JINF = (1, 1, 0)


def to_jac(pt):
    return JINF if pt is None else (pt[0], pt[1], 1)


def to_aff(j):
    X, Y, Z = j
    if Z == 0:
        return None
    zi = pow(Z, -1, P)
    zi2 = zi * zi % P
    return (X * zi2 % P, Y * zi2 * zi % P)


def jdbl(p1):
    X, Y, Z = p1
    if Z == 0 or Y == 0:
        return JINF
    YY = Y * Y % P
    S = 4 * X * YY % P
    ZZ = Z * Z % P
    M = 3 * (X - ZZ) * (X + ZZ) % P  # a = -3
    X3 = (M * M - 2 * S) % P
    Y3 = (M * (S - X3) - 8 * YY * YY) % P
    Z3 = 2 * Y * Z % P
    return (X3, Y3, Z3)


def jadd(p1, p2):
    X1, Y1, Z1 = p1
    X2, Y2, Z2 = p2
    if Z1 == 0:
        return p2
    if Z2 == 0:
        return p1
    Z1Z1 = Z1 * Z1 % P
    Z2Z2 = Z2 * Z2 % P
    U1 = X1 * Z2Z2 % P
    U2 = X2 * Z1Z1 % P
    S1 = Y1 * Z2 * Z2Z2 % P
    S2 = Y2 * Z1 * Z1Z1 % P
    H = (U2 - U1) % P
    R = (S2 - S1) % P
    if H == 0:
        return jdbl(p1) if R == 0 else JINF
    HH = H * H % P
    HHH = H * HH % P
    V = U1 * HH % P
    X3 = (R * R - HHH - 2 * V) % P
    Y3 = (R * (V - X3) - S1 * HHH) % P
    Z3 = Z1 * Z2 * H % P
    return (X3, Y3, Z3)


def jneg(p1):
    return (p1[0], (-p1[1]) % P, p1[2])


def msm(pairs):
    """sum k_i * P_i over (k, affine point) pairs (Straus, 4-bit windows)."""
    tabs, digits = [], []
    for k, pt in pairs:
        k %= N
        if k == 0 or pt is None:
            continue
        j = to_jac(pt)
        t = [JINF, j]
        for _ in range(14):
            t.append(jadd(t[-1], j))
        tabs.append(t)
        digits.append([(k >> (4 * w)) & 15 for w in range(64)])
    acc = JINF
    for w in range(63, -1, -1):
        if acc[2] != 0:
            for _ in range(4):
                acc = jdbl(acc)
        for t, d in zip(tabs, digits):
            if d[w]:
                acc = jadd(acc, t[d[w]])
    return acc


def mul(k, pt):
    return msm([(k, pt)])


def jeq(p1, p2):
    return to_aff(p1) == to_aff(p2)


# ---- byte trees ----------------------------------------------------------------


def bt_parse(data, what):
    """Parse one byte tree filling all of data: ('n', [..]) or ('l', bytes)."""

    def rd(pos):
        if pos + 5 > len(data):
            raise Reject("%s: truncated byte tree" % what)
        kind, n = data[pos], struct.unpack(">I", data[pos + 1:pos + 5])[0]
        pos += 5
        if kind == 1:
            if pos + n > len(data):
                raise Reject("%s: leaf longer than the file" % what)
            return ("l", data[pos:pos + n]), pos + n
        if kind != 0:
            raise Reject("%s: byte-tree tag 0x%02x" % (what, kind))
        if n > len(data) - pos:  # every child takes at least 5 bytes
            raise Reject("%s: node claims too many children" % what)
        kids = []
        for _ in range(n):
            c, pos = rd(pos)
            kids.append(c)
        return ("n", kids), pos

    t, end = rd(0)
    if end != len(data):
        raise Reject("%s: %d trailing bytes" % (what, len(data) - end))
    return t


def bt_bytes(t):
    if t[0] == "l":
        return b"\x01" + struct.pack(">I", len(t[1])) + t[1]
    return b"\x00" + struct.pack(">I", len(t[1])) + b"".join(bt_bytes(c) for c in t[1])


def leaf(b):
    return ("l", b)


def node(*c):
    return ("n", list(c))


def kids(t, what, count=None):
    if t[0] != "n":
        raise Reject("%s: expected a node" % what)
    if count is not None and len(t[1]) != count:
        raise Reject("%s: %d children, expected %d" % (what, len(t[1]), count))
    return t[1]


def point(t, what):
    x, y = kids(t, what, 2)
    if x[0] != "l" or y[0] != "l" or len(x[1]) != 33 or len(y[1]) != 33:
        raise Reject("%s: a coordinate is not a 33-byte leaf" % what)
    if x[1] == b"\xff" * 33 and y[1] == b"\xff" * 33:
        return INF
    xi, yi = int.from_bytes(x[1], "big"), int.from_bytes(y[1], "big")
    if xi >= P or yi >= P or not on_curve(xi, yi):
        raise Reject("%s: not a point of P-256" % what)
    return (xi, yi)


def pt_tree(pt):
    if pt is None:
        return node(leaf(b"\xff" * 33), leaf(b"\xff" * 33))
    return node(leaf(pt[0].to_bytes(33, "big")), leaf(pt[1].to_bytes(33, "big")))


def points(t, what, count=None):
    return [point(c, "%s[%d]" % (what, i)) for i, c in enumerate(kids(t, what, count))]


def scalar(t, what):
    if t[0] != "l" or len(t[1]) != 33:
        raise Reject("%s: not a 33-byte leaf" % what)
    v = int.from_bytes(t[1], "big")
    if v >= N:
        raise Reject("%s: scalar not below the group order" % what)
    return v


def scalars(t, what, count):
    return [scalar(c, "%s[%d]" % (what, i)) for i, c in enumerate(kids(t, what, count))]


def ctlist(t, what, count=None):
    a, b = kids(t, what, 2)
    ua = points(a, what + " (first components)", count)
    ub = points(b, what + " (second components)", len(ua))
    if not ua:
        raise Reject("%s: empty list" % what)
    return ua, ub


# ---- hashes, PRG, random oracle ------------------------------------------------------


def prg(seed):
    i = 0
    while True:
        yield from hashlib.sha256(seed + struct.pack(">I", i)).digest()
        i += 1


def take(g, nbytes):
    return bytes(next(g) for _ in range(nbytes))


def ro(nbits, data):
    g = prg(hashlib.sha256(struct.pack(">I", nbits) + data).digest())
    out = bytearray(take(g, (nbits + 7) // 8))
    if nbits % 8:
        out[0] &= 0xFF >> (8 - nbits % 8)
    return bytes(out)


# ---- protInfo.xml: the schema vmnv generates (VCR ProtocolInfo/PartyInfo,
# ProtocolGen, ProtocolBBGen, ProtocolBBTGen, ProtocolElGamalGen,
# MixNetElGamalGen, BullBoardBasicHTTP(W)Gen), in order. ----------------------------

NAME_RE = r"[A-Za-z][A-Za-z0-9_ \-]{1,255}"
DESCR_RE = r"|[A-Za-z][A-Za-z0-9:;?!.()\[\] ]{0,4000}"
TOP = [
    ("version", "re", r"[0-9]{0,3}\.[0-9]{0,3}\.[0-9]{0,3}"),
    ("sid", "re", r"[A-Za-z][A-Za-z0-9]{1,1023}"),
    ("name", "re", NAME_RE),
    ("descr", "re", DESCR_RE),
    ("nopart", "int", (1, 25)),
    ("statdist", "int", (0, 256)),
    ("bullboard", "str", None),
    ("thres", "int", (1, 25)),
    ("pgroup", "str", None),
    ("keywidth", "int", (1, None)),
    ("vbitlen", "int", (1, 2048)),
    ("vbitlenro", "int", (1, 2048)),
    ("ebitlen", "int", (1, 2048)),
    ("ebitlenro", "int", (1, 2048)),
    ("prg", "str", None),
    ("rohash", "str", None),
    ("corr", "re", r"interactive|noninteractive"),
    ("width", "int", (1, None)),
    ("maxciph", "int", (0, None)),
]
PARTY = [
    ("name", "re", NAME_RE),
    ("srtbyrole", "re", r"[A-Za-z0-9][A-Za-z0-9]{1,63}"),
    ("descr", "re", DESCR_RE),
    ("pkey", "str", None),  # xs:string: any text, also empty; never read by vmnv
    ("http", "re", r"https?://[A-Za-z0-9.\-]+:[0-9]{1,5}(/.*)?"),
    ("hint", "re", r"[A-Za-z0-9.\-]+:[0-9]{1,5}"),
]
PGROUP_P256 = ("ECqPGroup(P-256)::00000000020100000020636f6d2e766572696669636174756d2e"
               "61726974686d2e4543715047726f75700100000005502d323536")


def check_fields(elems, spec, where):
    if [e.tag for e in elems] != [s[0] for s in spec]:
        raise Reject("protInfo.xml: %s elements are %s, vmnv's schema wants %s"
                     % (where, [e.tag for e in elems], [s[0] for s in spec]))
    out = {}
    for e, (tag, kind, arg) in zip(elems, spec):
        if len(e):
            raise Reject("protInfo.xml: <%s> has child elements" % tag)
        v = e.text or ""
        if kind == "re" and not re.fullmatch(arg, v):
            raise Reject("protInfo.xml: <%s> %r does not match %s" % (tag, v, arg))
        if kind == "int":
            if not re.fullmatch(r"\s*[+-]?[0-9]+\s*", v):
                raise Reject("protInfo.xml: <%s> is not an integer" % tag)
            iv = int(v)
            if iv < arg[0] or (arg[1] is not None and iv > arg[1]):
                raise Reject("protInfo.xml: <%s> %d out of range" % (tag, iv))
            v = iv
        out[tag] = v
    return out


def read_protinfo(path):
    raw = open(path, "rb").read()
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise Reject("protInfo.xml: DTDs and entities are refused (as by VCR's InfoParser)")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        raise Reject("protInfo.xml: not well-formed XML: %s" % e)
    if root.tag != "protocol" or root.attrib:
        raise Reject("protInfo.xml: root element is not a plain <protocol>")
    elems = list(root)
    top, parties = elems[:len(TOP)], elems[len(TOP):]
    pi = check_fields(top, TOP, "top-level")
    if len(parties) > 25 or any(p.tag != "party" for p in parties):
        raise Reject("protInfo.xml: after <maxciph> only up to 25 <party> elements may follow")
    for i, p in enumerate(parties):
        check_fields(list(p), PARTY, "party %d" % (i + 1))
    if pi["nopart"] != len(parties):  # ProtocolGen.validate
        raise Reject("protInfo.xml: nopart %d but %d parties" % (pi["nopart"], len(parties)))
    if pi["thres"] > pi["nopart"]:  # ProtocolBBTGen.validateLocal
        raise Reject("protInfo.xml: thres greater than nopart")
    # What this verifier (like libevote) supports:
    if pi["version"] != "3.1.0":
        raise Reject("protInfo.xml: version %s, this verifier knows 3.1.0" % pi["version"])
    if pi["pgroup"] != PGROUP_P256 or pi["prg"] != "SHA-256" or pi["rohash"] != "SHA-256":
        raise Reject("protInfo.xml: only ECqPGroup(P-256) with SHA-256 PRG and RO")
    if pi["keywidth"] != 1 or pi["width"] != 1 or pi["corr"] != "noninteractive":
        raise Reject("protInfo.xml: only keywidth 1, width 1, non-interactive proofs")
    return pi


# ---- derivations ---------------------------------------------------------------


def global_prefix(pi, auxsid):
    u = lambda v: leaf(struct.pack(">I", v))
    return hashlib.sha256(bt_bytes(node(
        leaf(pi["version"].encode()), leaf((pi["sid"] + "." + auxsid).encode()),
        u(pi["statdist"]), u(pi["vbitlenro"]), u(pi["ebitlenro"]), leaf(pi["prg"].encode()),
        leaf(pi["pgroup"].encode()), leaf(pi["rohash"].encode())))).digest()


def sqrt_p(f):
    y = pow(f, (P + 1) // 4, P)
    return y if y * y % P == f else None


def generators(rho, statdist, count):
    g = prg(ro(256, rho + bt_bytes(leaf(b"generators"))))
    bits = 256 + statdist
    out = []
    while len(out) < count:
        c = bytearray(take(g, (bits + 7) // 8))
        if bits % 8:
            c[0] &= 0xFF >> (8 - bits % 8)
        x = int.from_bytes(c, "big") % P
        f = (x * x * x + A * x + B) % P
        y = sqrt_p(f) if f else None
        if y is not None:
            out.append((x, min(y, P - y)))
    return out


def read_text(d, name):
    try:
        return open(os.path.join(d, name), "rb").read().decode("ascii")
    except FileNotFoundError:
        raise Reject("%s: missing" % name)
    except UnicodeDecodeError:
        raise Reject("%s: not ASCII" % name)


def read_tree(d, name):
    try:
        data = open(os.path.join(d, name), "rb").read()
    except FileNotFoundError:
        raise Reject("%s: missing" % name)
    return bt_parse(data, name)


def verify_pos(pi, rho, h, pk_tree, Y, w, wp, u_tree, com_tree, rep_tree, who):
    n = len(w[0])
    u = points(u_tree, who + " PermutationCommitment", n)
    # s = RO(rho | node(G, h, u, pk, w, w')), the batching seed
    seed_data = node(pt_tree(G), node(*[pt_tree(x) for x in h]), u_tree, pk_tree,
                     node(node(*[pt_tree(x) for x in w[0]]), node(*[pt_tree(x) for x in w[1]])),
                     node(node(*[pt_tree(x) for x in wp[0]]),
                          node(*[pt_tree(x) for x in wp[1]])))
    s = ro(256, rho + bt_bytes(seed_data))
    g = prg(s)
    eb = (pi["ebitlenro"] + 7) // 8
    e = []
    for _ in range(n):
        c = bytearray(take(g, eb))
        if pi["ebitlenro"] % 8:
            c[0] &= 0xFF >> (8 - pi["ebitlenro"] % 8)
        e.append(int.from_bytes(c, "big") % N)
    # commitment node(B, A', B', C', D', F')
    cB, cAp, cBp, cCp, cDp, cFp = kids(com_tree, who + " PoSCommitment", 6)
    Bv = points(cB, who + " B", n)
    Ap = point(cAp, who + " A'")
    Bp = points(cBp, who + " B'", n)
    Cp, Dp = point(cCp, who + " C'"), point(cDp, who + " D'")
    Fpa, Fpb = points(cFp, who + " F'", 2)
    v = int.from_bytes(ro(pi["vbitlenro"], rho + bt_bytes(node(leaf(s), com_tree))), "big")
    # reply node(k_A, k_B, k_C, k_D, k_E, k_F)
    rA, rB, rC, rD, rE, rF = kids(rep_tree, who + " PoSReply", 6)
    kA, kC, kD, kF = (scalar(rA, who + " k_A"), scalar(rC, who + " k_C"),
                      scalar(rD, who + " k_D"), scalar(rF, who + " k_F"))
    kB, kE = scalars(rB, who + " k_B", n), scalars(rE, who + " k_E", n)
    # A^v A' = g^k_A prod h_i^k_E,i with A = prod u_i^e_i
    lhs = jadd(msm([(v * ei, ui) for ei, ui in zip(e, u)]), to_jac(Ap))
    rhs = msm([(kA, G)] + list(zip(kE, h)))
    if not jeq(lhs, rhs):
        raise Reject("%s: PoS.A equation fails" % who)
    # B_i^v B'_i = g^k_B,i B_{i-1}^k_E,i, B_{-1} = h_0
    prev = h[0]
    for i in range(n):
        if not jeq(jadd(mul(v, Bv[i]), to_jac(Bp[i])), msm([(kB[i], G), (kE[i], prev)])):
            raise Reject("%s: PoS.B equation fails at i = %d" % (who, i))
        prev = Bv[i]
    # C = prod u_i / prod h_i; C^v C' = g^k_C
    C = to_aff(jadd(msm([(1, x) for x in u]), jneg(msm([(1, x) for x in h]))))
    if not jeq(jadd(mul(v, C), to_jac(Cp)), mul(kC, G)):
        raise Reject("%s: PoS.C equation fails" % who)
    # D = B_{N-1} / h_0^(prod e_i); D^v D' = g^k_D
    pe = 1
    for ei in e:
        pe = pe * ei % N
    D = to_aff(jadd(to_jac(Bv[n - 1]), jneg(mul(pe, h[0]))))
    if not jeq(jadd(mul(v, D), to_jac(Dp)), mul(kD, G)):
        raise Reject("%s: PoS.D equation fails" % who)
    # F = prod w_i^e_i; F^v F' = Enc(1, -k_F) prod w'_i^k_E,i
    for comp, Fp, base in ((0, Fpa, G), (1, Fpb, Y)):
        lhs = jadd(msm([(v * ei, wi) for ei, wi in zip(e, w[comp])]), to_jac(Fp))
        rhs = msm([(N - kF, base)] + list(zip(kE, wp[comp])))
        if not jeq(lhs, rhs):
            raise Reject("%s: PoS.F equation fails (%s component)" % (who, "first" if comp == 0 else "second"))


def verify(protinfo, d, log=lambda m: None):
    pi = read_protinfo(protinfo)
    # vmnv: version, type, auxsid, width files
    if read_text(d, "version") != pi["version"]:
        raise Reject("version: does not match protInfo.xml")
    if read_text(d, "type") != "shuffling":
        raise Reject("type: not \"shuffling\"")
    auxsid = read_text(d, "auxsid")
    if not re.fullmatch(r"[A-Za-z0-9_]{1,256}", auxsid):  # Protocol.validateSid
        raise Reject("auxsid: not a valid identifier")
    if auxsid != "default":  # vmnv without -auxsid expects "default"
        raise Reject("auxsid: not \"default\"")
    try:
        width = int(read_text(d, "width"))
    except ValueError:
        raise Reject("width: not a number")
    if width != pi["width"]:
        raise Reject("width: does not match protInfo.xml")
    pk_tree = read_tree(d, "FullPublicKey.bt")
    g0, Y = points(pk_tree, "FullPublicKey.bt", 2)
    if g0 != G:
        raise Reject("FullPublicKey.bt: basic public key is not the standard generator")
    rho = global_prefix(pi, auxsid)
    try:
        lam = int(read_text(d, "proofs/activethreshold"))
    except ValueError:
        raise Reject("proofs/activethreshold: not a number")
    if lam > pi["nopart"] or lam < pi["thres"]:
        raise Reject("proofs/activethreshold: not between thres and nopart")
    if os.path.exists(os.path.join(d, "proofs", "maxciph")):
        raise Reject("proofs/maxciph: pre-computation is not supported here")
    w = ctlist(read_tree(d, "Ciphertexts.bt"), "Ciphertexts.bt")
    n = len(w[0])
    h = generators(rho, pi["statdist"], n)
    log("rho %s, %d ciphertexts, %d parties" % (rho.hex(), n, lam))
    for l in range(1, lam + 1):
        who = "party %02d" % l
        com = "proofs/PoSCommitment%02d.bt" % l
        if not os.path.exists(os.path.join(d, com)):
            raise Reject("%s: %s missing (vmnv would skip an inactive party)" % (who, com))
        out = "proofs/Ciphertexts%02d.bt" % l
        if l == lam and not os.path.exists(os.path.join(d, out)):
            out = "ShuffledCiphertexts.bt"
        wp = ctlist(read_tree(d, out), out, n)
        verify_pos(pi, rho, h, pk_tree, Y, w, wp,
                   read_tree(d, "proofs/PermutationCommitment%02d.bt" % l),
                   read_tree(d, com), read_tree(d, "proofs/PoSReply%02d.bt" % l), who)
        log("%s: proof of shuffle verified" % who)
        w = wp
    final = ctlist(read_tree(d, "ShuffledCiphertexts.bt"), "ShuffledCiphertexts.bt", n)
    if final != w:
        raise Reject("ShuffledCiphertexts.bt: not the output of the last party")
    return n, lam


def main(argv):
    quiet = "-q" in argv
    args = [a for a in argv if a != "-q"]
    if len(args) != 2:
        print("usage: vmn_verify.py [-q] protInfo.xml PROOFDIR", file=sys.stderr)
        return 2
    log = (lambda m: None) if quiet else (lambda m: print(m))
    try:
        n, lam = verify(args[0], args[1], log)
    except Reject as r:
        print("REJECTED: %s" % r, file=sys.stderr)
        return 1
    except OSError as e:
        print("REJECTED: %s" % e, file=sys.stderr)
        return 1
    log("ACCEPTED: %d ciphertexts through %d parties" % (n, lam))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

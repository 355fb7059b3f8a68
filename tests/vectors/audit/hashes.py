#!/usr/bin/env python3
"""Independent re-computation of the audit-log hashes (PROTOCOL §16).

Usage: hashes.py MANIFEST AUDIT_LOG  -> prints expected.txt
Needs only the Python standard library: an auditor's second implementation.
"""
import base64, hashlib, json, struct, sys

def H(tag, *fields):
    h = hashlib.sha256()
    for f in (tag.encode(),) + fields:
        h.update(struct.pack(">I", len(f)) + f)
    return h.digest()

manifest = open(sys.argv[1], "rb").read()
mh = hashlib.sha256(manifest).digest()
genesis = H("libevote/v1/audit-genesis", mh)
print("manifest_sha256=" + mh.hex())
print("genesis=" + genesis.hex())
prev = genesis
for n, line in enumerate(open(sys.argv[2], "rb").read().split(b"\n")[:-1], 1):
    body, sig = line.split(b"\t")
    cms = base64.b64decode(sig, validate=True)
    entry = json.loads(body)
    assert entry["seq"] == n, "sequence"
    assert entry["prev"] == prev.hex(), "chain"
    assert entry["election"] == mh.hex(), "election"
    prev = H("libevote/v1/audit-entry", body, cms)
    print("entry_hash=" + prev.hex())

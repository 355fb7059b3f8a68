#!/usr/bin/env bash
# Regenerate the seed corpora under fuzz/corpus/ (run after a build; the
# output is committed). Uses the built fuzz_gen_corpus for everything the
# library makes, and the repository's own samples for the rest.
#   fuzz/make-corpus.sh [BUILD_DIR]      (default: build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
out=$here/corpus
gen=$build/fuzz/fuzz_gen_corpus
[ -x "$gen" ] || { echo "build first: $gen missing" >&2; exit 1; }

names="manifest ballot ctlist bytetree plaintexts cms roll merkle receipt protinfo
       mixproof audit trustee approval"
for n in $names; do rm -rf "${out:?}/$n"; mkdir -p "$out/$n"; done

"$gen" "$out"

# Manifests: the example, the audit vector's, and a minimal one.
cp "$src/docs/examples/manifest.json" "$out/manifest/example.json"
cp "$src/tests/vectors/audit/manifest.json" "$out/manifest/audit-vector.json"

# Audit log vector, and one-line / two-line cuts of it.
cp "$src/tests/vectors/audit/audit.log" "$out/audit/vector.log"
head -n 1 "$src/tests/vectors/audit/audit.log" >"$out/audit/first-line.log"

# CMS: the audit entries' detached signatures over their bodies, in the
# harness's layout u16be(len) ‖ content ‖ DER (len 0: attached, no content).
python3 - "$src/tests/vectors/audit/audit.log" "$out" <<'PY'
import base64, struct, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
for i, line in enumerate(lines, 1):
    body, sig = line.split(b"\t")
    der = base64.b64decode(sig)
    open(f"{sys.argv[2]}/cms/audit-entry-{i}", "wb").write(struct.pack(">H", len(body)) + body + der)
    open(f"{sys.argv[2]}/cms/audit-entry-{i}-attached", "wb").write(struct.pack(">H", 0) + der)
    # approval harness: an authorisation followed by one (foreign) signature
    auth = open(f"{sys.argv[2]}/approval/auth", "rb").read()
    if i == 1:
        open(f"{sys.argv[2]}/approval/auth-with-sig", "wb").write(auth + der)
PY

# Voter rolls (PROTOCOL §10).
h=$(printf 'x' | sha256sum | cut -d' ' -f1)
printf 'voter_id,identity,contests\r\nV1,sha256:%s,district-tokyo-1 proportional-tokyo\r\nV2,"issuer-serial:0001F:CN=Test CA,O=x ""q"",C=JP",proportional-tokyo\n' "$h" \
  >"$out/roll/roll.csv"
printf '{"format":"libevote-roll/1","voters":[{"voter_id":"V1","identity":"sha256:%s","contests":["district-tokyo-1"]},{"voter_id":"V2","identity":"issuer-serial:10:CN=A","contests":["district-tokyo-1","proportional-tokyo"]}]}\n' "$h" \
  >"$out/roll/roll.json"

# Receipt and tree-head statement for the example manifest (signatures
# are not checked on the NULL-officials path, so none are needed).
python3 - "$src/docs/examples/manifest.json" "$out/receipt" <<'PY'
import hashlib, json, sys
mh = hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()
ballots = [b"ballot-%d" % i for i in range(5)]
leaf = lambda d: hashlib.sha256(b"\0" + d).digest()
node = lambda l, r: hashlib.sha256(b"\1" + l + r).digest()
def mth(ls):
    if len(ls) == 1: return ls[0]
    k = 1
    while k * 2 < len(ls): k *= 2
    return node(mth(ls[:k]), mth(ls[k:]))
def path(m, ls):
    if len(ls) == 1: return []
    k = 1
    while k * 2 < len(ls): k *= 2
    if m < k: return path(m, ls[:k]) + [mth(ls[k:])]
    return path(m - k, ls[k:]) + [mth(ls[:k])]
ls = [leaf(b) for b in ballots]
sth = {"format": "libevote-box-tree-head/1", "election_id": "shugiin-2026-overseas",
       "manifest_sha256": mh, "time_utc": "2026-10-13T00:00:00Z",
       "time_jst": "2026-10-13T09:00:00+09:00", "contest": "district-tokyo-1",
       "tree_size": 5, "root": mth(ls).hex()}
sth_text = json.dumps(sth, indent=2, ensure_ascii=False) + "\n"
open(sys.argv[2] + "/sth.json", "w").write(sth_text)
rc = {"format": "libevote-receipt/1", "election_id": "shugiin-2026-overseas",
      "contest": "district-tokyo-1", "tracking_code": hashlib.sha256(ballots[2]).hexdigest(),
      "leaf_hash": ls[2].hex(), "leaf_index": 2,
      "inclusion_proof": [h.hex() for h in path(2, ls)], "tree_head": sth_text,
      "tree_head_signatures": {"official-1": "MAA="}}
open(sys.argv[2] + "/receipt.json", "w").write(json.dumps(rc, indent=2) + "\n")
PY
echo "corpus written to $out"

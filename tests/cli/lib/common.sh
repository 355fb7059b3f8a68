# Helpers shared by the shell tests in tests/cli/ (sourced, not a test:
# CMake registers tests/cli/*.sh only, so this folder is never run by CTest).
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# Needs EVOTE_CLI for demo_workspace; python3 for flip_byte,
# swap_first_ciphertexts and ciphertext_list (the last also needs the
# python3 "cryptography" package).

fail() { echo "FAIL: $*" >&2; exit 1; }

# No controlling terminal: a missing PIN must fail, never wait at a prompt.
notty() { setsid -w "$@" </dev/null; }

# expect STATUS PATTERN command... : the command's exit status, and a line
# of its output (stdout and stderr) matching PATTERN; run without a terminal.
expect() {
  local want=$1 pat=$2 out st
  shift 2
  set +e
  out=$(notty "$@" 2>&1)
  st=$?
  set -e
  [ "$st" -eq "$want" ] || fail "exit $st, expected $want: $* => $out"
  grep -q -- "$pat" <<<"$out" || fail "no '$pat' in output of $*: $out"
}

# small_manifest FILE ELECTION_ID TITLE: a one-contest manifest (contest
# district-1, options a and b) whose window is open now.
small_manifest() {
  cat >"$1" <<EOF
{
  "format": "libevote-manifest/1",
  "election_id": "$2",
  "title": "$3",
  "voting_window": {"opens": "2026-01-01T08:30:00+09:00", "closes": "2036-12-31T20:00:00+09:00"},
  "contests": [
    {"id": "district-1", "title": "d1", "kind": "district",
     "options": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]}
  ]
}
EOF
}

# flip_byte FILE OFFSET: xor one bit of one byte (a negative offset counts
# from the end).
flip_byte() {
  python3 - "$1" "$2" <<'EOF'
import sys
p, off = sys.argv[1], int(sys.argv[2])
d = bytearray(open(p, "rb").read())
d[off] ^= 0x01
open(p, "wb").write(d)
EOF
}

# swap_first_ciphertexts FILE: in a ciphertext list, swap the first two
# ciphertexts' first components (both stay valid points).
swap_first_ciphertexts() {
  python3 - "$1" <<'EOF'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
a, b = 10, 10 + 81
d[a:a + 81], d[b:b + 81] = d[b:b + 81], d[a:a + 81]
open(p, "wb").write(d)
EOF
}

# ciphertext_list OUT BALLOT.evb...: the ciphertext list (byte tree
# node(node(C1_1..C1_N), node(C2_1..C2_N))) of the ballots, in that order.
ciphertext_list() {
  python3 - "$@" <<'PY'
import struct, sys
from cryptography.hazmat.primitives.asymmetric import ec
def leaf(b): return b"\x01" + struct.pack(">I", len(b)) + b
def node(ch): return b"\x00" + struct.pack(">I", len(ch)) + b"".join(ch)
def point(c):
    n = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), c).public_numbers()
    return node([leaf(n.x.to_bytes(33, "big")), leaf(n.y.to_bytes(33, "big"))])
c1s, c2s = [], []
for f in sys.argv[2:]:
    b = open(f, "rb").read(); L = b[36]
    c1s.append(point(b[37 + L:70 + L])); c2s.append(point(b[70 + L:103 + L]))
open(sys.argv[1], "wb").write(node([node(c1s), node(c2s)]))
PY
}

# demo_workspace DIR: a practice election (`evote demo --ballots 2`) in DIR,
# whose SoftHSM2 store (officials', trustees', operator's tokens) is
# exported as SOFTHSM2_CONF for what follows.
demo_workspace() {
  "${EVOTE_CLI:?EVOTE_CLI must name the built evote}" demo --ballots 2 --dir "$1" \
    >"$1.out" 2>&1 </dev/null || { cat "$1.out" >&2; fail "evote demo"; }
  export SOFTHSM2_CONF=$1/softhsm2.conf
}

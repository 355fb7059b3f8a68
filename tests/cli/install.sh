#!/usr/bin/env bash
# `make install` as an integrator uses it: install into a scratch prefix,
# build examples/encrypt_ballot.c against the installed headers and library
# through pkg-config, run it, and check that the shared library exports the
# public API only (every dynamic symbol is evote_*).
set -euo pipefail
src=${EVOTE_SOURCE_DIR:?}
bin=${EVOTE_BINARY_DIR:?}
work=$(mktemp -d "${TMPDIR:-/tmp}/evote-test-install-XXXXXX")
trap 'rm -rf "$work"' EXIT

cmake --install "$bin" --prefix "$work/prefix" >/dev/null
libdir=$(find "$work/prefix" -name libevote.pc -printf '%h\n' | head -n 1)
[ -n "$libdir" ] || { echo "FAIL: libevote.pc not installed"; exit 1; }
[ -x "$work/prefix/bin/evote" ] || { echo "FAIL: evote not installed"; exit 1; }
[ -f "$work/prefix/include/evote/evote.h" ] || { echo "FAIL: headers not installed"; exit 1; }

export PKG_CONFIG_PATH="$libdir"
# pkg-config's prefix is the configured one; point it at the scratch prefix.
cflags=$(pkg-config --define-variable=prefix="$work/prefix" --cflags libevote)
libs=$(pkg-config --define-variable=prefix="$work/prefix" --libs libevote)
# A sanitizer build's library cannot be loaded by an ordinary program (the
# ASan runtime must come first); the install itself is tested by the normal
# build, so the sanitizer run reports this test as skipped (77).
# (nm's output is taken whole: `nm | grep -q` under pipefail fails by SIGPIPE.)
syms=$(nm -D "$(find "$work/prefix" -name 'libevote.so*' -type f | head -n 1)")
if [[ $syms == *__asan_init* ]]; then
  echo "install: skipped in the sanitizer build (checked by the normal build)"
  exit 77
fi
san=
cc -std=c11 -Wall -Wextra -Werror $san $cflags "$src/examples/encrypt_ballot.c" $libs \
   -Wl,-rpath,"$work/prefix/lib" -Wl,-rpath,"$(dirname "$libdir")" -o "$work/encrypt_ballot"

# A manifest and a public key to encrypt under (any P-256 key will do).
cat >"$work/manifest.json" <<'JSON'
{"format": "libevote-manifest/1", "election_id": "install-test", "title": "t",
 "voting_window": {"opens": "2026-01-01T08:30:00+09:00", "closes": "2036-01-01T20:00:00+09:00"},
 "contests": [{"id": "c", "title": "c", "kind": "district",
               "options": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]}]}
JSON
openssl ecparam -name prime256v1 -genkey -noout -out "$work/k.pem" 2>/dev/null
openssl ec -in "$work/k.pem" -pubout -out "$work/pk.pem" 2>/dev/null
hex=$("$work/encrypt_ballot" "$work/manifest.json" "$work/pk.pem" c 1)
printf '%s' "$hex" | xxd -r -p >"$work/ballot.bin"
"$work/prefix/bin/evote" ballot verify --manifest "$work/manifest.json" \
    --pubkey "$work/pk.pem" "$work/ballot.bin" >/dev/null
# Selection out of range is refused by the installed library.
if "$work/encrypt_ballot" "$work/manifest.json" "$work/pk.pem" c 2 2>/dev/null; then
  echo "FAIL: selection 2 of 2 options was accepted"; exit 1
fi

so=$(find "$work/prefix" -name 'libevote.so*' -type f | head -n 1)
bad=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | grep -v '^evote_' || true)
if [ -n "$bad" ]; then
  echo "FAIL: libevote.so exports non-API symbols:"; echo "$bad" | head -n 20; exit 1
fi
echo "install: headers, library, evote and pkg-config file usable; $(nm -D --defined-only "$so" | grep -c ' T evote_') API functions exported, nothing else"

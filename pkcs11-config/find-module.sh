#!/usr/bin/env bash
# Print the PKCS#11 module libevote will use: $EVOTE_PKCS11_MODULE if set,
# else the SoftHSM2 module where Debian (or a local build) puts it.
# Exit status 1 (and a message on stderr) if there is none.
set -euo pipefail

if [ -n "${EVOTE_PKCS11_MODULE:-}" ]; then
  if [ ! -r "$EVOTE_PKCS11_MODULE" ]; then
    echo "find-module: EVOTE_PKCS11_MODULE=$EVOTE_PKCS11_MODULE is not a readable file" >&2
    exit 1
  fi
  echo "$EVOTE_PKCS11_MODULE"
  exit 0
fi
for m in /usr/lib/softhsm/libsofthsm2.so \
         /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
         /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so \
         /usr/local/lib/softhsm/libsofthsm2.so \
         /usr/lib64/pkcs11/libsofthsm2.so; do
  if [ -r "$m" ]; then
    echo "$m"
    exit 0
  fi
done
echo "find-module: no PKCS#11 module: install softhsm2 or set EVOTE_PKCS11_MODULE" >&2
exit 1

#!/usr/bin/env bash
# Run every standalone fuzz harness over its seed corpus and
# EVOTE_FUZZ_MUTATIONS (default 2000; fewer for the slow CMS-bound
# harnesses, fewer still for them with EVOTE_TEST_QUICK=1) deterministic
# mutations of it, so the normal and the ASan+UBSan builds exercise every
# parser of outside input.
# A failing input is kept as $EVOTE_BINARY_DIR/fuzz/crash-<harness>.
set -euo pipefail
src=${EVOTE_SOURCE_DIR:?}
bin=${EVOTE_BINARY_DIR:?}/fuzz
n=${EVOTE_FUZZ_MUTATIONS:-2000}
seed=${EVOTE_FUZZ_SEED:-1}
# Under ASan the leak suppressions are fuzz/lsan.supp (tests/lsan.supp plus
# an OpenSSL CMS_verify leak on malformed input; see that file).
export LSAN_OPTIONS=suppressions=$src/fuzz/lsan.supp
asan_base=${ASAN_OPTIONS:-}
fail=0 count=0
for corpus in "$src"/fuzz/corpus/*/; do
  name=$(basename "$corpus")
  h=$bin/fuzz_$name
  if [ ! -x "$h" ]; then
    echo "missing harness $h for corpus $corpus" >&2
    fail=1
    continue
  fi
  # CMS verification dominates the slow harnesses (ms per input, far more
  # under ASan with slow unwinding): fewer mutations for them keep the
  # whole test well under a minute.
  m=$n
  case $name in audit) m=$((n / 16)) ;; cms|trustee) m=$((n / 4)) ;; esac
  if [ "${EVOTE_TEST_QUICK:-0}" = 1 ]; then
    case $name in approval|audit|cms|receipt) m=$((m / 4)) ;; esac
  fi
  # libcrypto has no frame pointers: the harnesses that reach CMS_verify
  # unwind slowly on malloc so that the suppression matches (costly, so
  # only for them).
  export ASAN_OPTIONS=$asan_base
  case $name in approval|audit|cms|receipt)
    export ASAN_OPTIONS=${asan_base:+$asan_base:}fast_unwind_on_malloc=0 ;;
  esac
  if ! "$h" -n "$m" -s "$seed" -o "$bin/crash-$name" "$corpus"; then
    echo "FAIL: fuzz_$name (input kept in $bin/crash-$name; reproduce: $h $bin/crash-$name)" >&2
    fail=1
  else
    rm -f "$bin/crash-$name"
  fi
  count=$((count + 1))
done
# Every harness has a corpus.
for h in "$bin"/fuzz_*; do
  name=$(basename "$h"); name=${name#fuzz_}
  case $name in gen_corpus|*_libfuzzer|crash-*) continue ;; esac
  [ -d "$src/fuzz/corpus/$name" ] || { echo "harness $h has no corpus" >&2; fail=1; }
done
[ "$count" -gt 0 ] || { echo "no corpora found" >&2; exit 1; }
exit $fail

#!/usr/bin/env bash
# Run each libFuzzer harness for FUZZ_SECONDS (called by `make fuzz`).
# The committed seed corpus is copied to a working corpus under the build
# directory (new inputs go there, never into the source tree); crashes,
# leaks, timeouts and OOMs go to fuzz/crashes/<harness>/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${FUZZ_BUILD:-build-fuzz}
case $build in /*) ;; *) build=$src/$build ;; esac
secs=${FUZZ_SECONDS:-60}
only=${FUZZ_ONLY:-}
status=0
asan_base=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# fuzz/lsan.supp, not tests/lsan.supp: see the comment in it.
export LSAN_OPTIONS=suppressions=$src/fuzz/lsan.supp
for corpus in "$src"/fuzz/corpus/*/; do
  name=$(basename "$corpus")
  [ -n "$only" ] && [[ " $only " != *" $name "* ]] && continue
  h=$build/fuzz/fuzz_${name}_libfuzzer
  [ -x "$h" ] || { echo "missing $h" >&2; status=1; continue; }
  work=$build/fuzz/corpus-$name
  crashes=$src/fuzz/crashes/$name
  mkdir -p "$work" "$crashes"
  cp -n "$corpus"/* "$work"/ 2>/dev/null || true
  # libcrypto has no frame pointers: the harnesses that reach CMS_verify
  # unwind slowly on malloc so the suppression in fuzz/lsan.supp matches
  # (several times slower, so only for them).
  export ASAN_OPTIONS=$asan_base
  case $name in approval|audit|cms|receipt) ASAN_OPTIONS=$asan_base:fast_unwind_on_malloc=0 ;; esac
  echo "== fuzz_$name: ${secs}s"
  if ! "$h" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
       -print_final_stats=1 -artifact_prefix="$crashes/" "$work" "$corpus" \
       >"$build/fuzz/$name.log" 2>&1; then
    echo "FAIL: fuzz_$name — see $build/fuzz/$name.log and $crashes/" >&2
    status=1
  fi
  grep -E '^stat::(number_of_executed_units|new_units_added)|^Done' "$build/fuzz/$name.log" | tr '\n' ' '; echo
  rmdir "$crashes" 2>/dev/null || true
done
exit $status

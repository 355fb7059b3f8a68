# libevote — convenience wrapper around CMake.
#   make demo    install missing packages, build, run a practice election
#   make check   install missing packages, build, run every test (also under ASan+UBSan)
#   make bench   build and run the benchmarks
#   make install install library, headers, pkg-config file and `evote`
#   make fuzz    build the libFuzzer harnesses (clang) and run each FUZZ_SECONDS

BUILD      ?= build
ASAN_BUILD ?= build-asan
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all deps build demo check check-fast check-asan bench install clean format-check fuzz

all: build

# The stamp keeps a second run from re-checking packages; it is redone when
# the package lists change.
$(DEPS_STAMP): scripts/install-deps.sh $(wildcard scripts/deps.d/*.list)
	@bash scripts/install-deps.sh
	@mkdir -p $(BUILD) && touch $@

deps: $(DEPS_STAMP)

$(BUILD)/CMakeCache.txt: $(DEPS_STAMP)
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEVOTE_WERROR=ON -DCMAKE_INSTALL_PREFIX=$(PREFIX)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/evote demo

check-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt: $(DEPS_STAMP)
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEVOTE_WERROR=ON -DEVOTE_SANITIZE=ON

check-asan: $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 EVOTE_TEST_QUICK=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp CK_TIMEOUT_MULTIPLIER=3 \
	  ctest --output-on-failure -j $(JOBS)

check: check-fast check-asan

bench: build
	$(BUILD)/evote_bench $(BENCH_ARGS)

install: build
	cmake --install $(BUILD)

format-check:
	clang-format --dry-run --Werror lib/*.c lib/*.h include/evote/*.h cli/*.c cli/*.h tests/*.c

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# ---- fuzzing (fuzz/README.md) -----------------------------------------------
# Needs clang (Debian: clang, libclang-rt-14-dev; scripts/deps.d/fuzz.list is
# not used by `make check`). Each harness runs FUZZ_SECONDS over a working
# copy of its seed corpus; crashes are kept in fuzz/crashes/<harness>/.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_ONLY    ?=

fuzz: $(DEPS_STAMP)
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs $(FUZZ_CC): apt-get install clang libclang-rt-14-dev" >&2; exit 1; }
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=$(FUZZ_CC) -DCMAKE_BUILD_TYPE=Debug -DEVOTE_FUZZ=ON -DBUILD_TESTING=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_ONLY="$(FUZZ_ONLY)" bash fuzz/run-libfuzzer.sh

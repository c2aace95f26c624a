# The two quick-start commands (`make run`, `make test`) and the steps under them. Every target
# installs what is missing first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: deps build run test test-asan fuzz bench report clean

deps:
	@./scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

# The binary, and the browser app (web/dist) the gateway of `switchboard up` serves at its root:
# bundled by esbuild from node_modules (installed by deps from the lock file), offline.
build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)
	node web/build.mjs

# Starts every service and (once it exists) the gateway on their default ports; Ctrl-C stops.
run: build
	$(BUILD_DIR)/switchboard up $(ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) $(ARGS)
	@if [ -z "$(ARGS)" ]; then $(MAKE) --no-print-directory test-asan; fi
	@if [ -z "$(ARGS)" ]; then $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=30; fi

# The gateway's bad-input suites again under AddressSanitizer (and LeakSanitizer), in a build
# tree of their own; only the test binaries labelled `asan` are built there.
ASAN_BUILD_DIR ?= build-asan
test-asan: deps
	@test -f $(ASAN_BUILD_DIR)/build.ninja || cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWITCHBOARD_ASAN=ON
	cmake --build $(ASAN_BUILD_DIR) --target asan_tests -j $(JOBS)
	cd $(ASAN_BUILD_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  ctest --output-on-failure -j $(JOBS) -L asan

# libFuzzer targets for the gateway's decoders (docs/fuzzing.md), under AddressSanitizer and
# UndefinedBehaviorSanitizer in a clang build tree of their own: each runs FUZZ_SECONDS, two at
# a time; any crash, hang, leak or sanitizer report fails.
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 30
fuzz: deps
	@test -f $(FUZZ_BUILD_DIR)/build.ninja || CC=clang-14 CXX=clang++-14 cmake -S . \
	  -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWITCHBOARD_FUZZ=ON
	cmake --build $(FUZZ_BUILD_DIR) --target fuzz_targets -j $(JOBS)
	./fuzz/run.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS)

bench: build
	SWITCHBOARD_BENCH=1 ./scripts/install-deps.sh
	cmake --build $(BUILD_DIR) --target benchmarks -j $(JOBS)
	./bench/run.sh $(BUILD_DIR)

# The seed's claims measured: docs/report.md with its plots (gnuplot) in docs/report/, about
# 10 minutes; progress on the terminal. QUICK=1 for a short smoke run.
report: build
	SWITCHBOARD_REPORT=1 ./scripts/install-deps.sh
	cmake --build $(BUILD_DIR) --target report_programs -j $(JOBS)
	./bench/report/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)

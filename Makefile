# The two quick-start commands (`make run`, `make test`) and the steps under them. Every target
# installs what is missing first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: deps build run test test-asan bench clean

deps:
	@./scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Starts every service and (once it exists) the gateway on their default ports; Ctrl-C stops.
run: build
	$(BUILD_DIR)/switchboard up $(ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) $(ARGS)

# The gateway's bad-input suites again under AddressSanitizer (and LeakSanitizer), in a build
# tree of their own; only the test binaries labelled `asan` are built there.
ASAN_BUILD_DIR ?= build-asan
test-asan: deps
	@test -f $(ASAN_BUILD_DIR)/build.ninja || cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWITCHBOARD_ASAN=ON
	cmake --build $(ASAN_BUILD_DIR) --target asan_tests -j $(JOBS)
	cd $(ASAN_BUILD_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  ctest --output-on-failure -j $(JOBS) -L asan

bench: build
	SWITCHBOARD_BENCH=1 ./scripts/install-deps.sh
	cmake --build $(BUILD_DIR) --target benchmarks -j $(JOBS)
	./bench/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)

# The two quick-start commands (`make run`, `make test`) and the steps under them. Every target
# installs what is missing first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: deps build run test bench clean

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

bench: build
	SWITCHBOARD_BENCH=1 ./scripts/install-deps.sh
	cmake --build $(BUILD_DIR) --target benchmarks -j $(JOBS)
	./bench/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)

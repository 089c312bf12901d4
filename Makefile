# ssegate: the two commands a user needs are `make run` and `make test`.
JOBS ?= $(shell nproc)
BUILD ?= build
TEST_BUILD ?= build-test

.PHONY: all deps build run test unit integration format bench clean soak tsan fuzz bench-peers

all: build

deps:
	@./deploy/install-deps.sh

# Release with debug info; the gateway ends up at build/ssegate.
build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSEGATE_TESTS=OFF >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Starts the demo origin and ssegate with conf/ssegate.yaml; Ctrl-C stops both.
run: build
	@./deploy/run-demo.sh $(BUILD)

# Debug build with AddressSanitizer + UndefinedBehaviorSanitizer, then every test via ctest.
test: deps
	@cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSSEGATE_SANITIZE=ON >/dev/null
	@cmake --build $(TEST_BUILD) -j$(JOBS)
	@cd $(TEST_BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600

unit: deps
	@cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSSEGATE_SANITIZE=ON >/dev/null
	@cmake --build $(TEST_BUILD) -j$(JOBS)
	@cd $(TEST_BUILD) && ctest --output-on-failure -L unit

bench: deps
	@./bench/run.sh core

# ssegate side by side with nginx+Nchan, Pushpin and nginx proxy_pass (~25 minutes).
bench-peers: deps
	@./bench/run.sh peers

format:
	@find src tests bench demo -name '*.h' -o -name '*.cc' -o -name '*.cpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(TEST_BUILD)

# libFuzzer targets (clang): builds tests/fuzz into build-fuzz/ and runs each target for
# FUZZ_SECONDS on a temporary copy of its seed corpus; fails if any target finds a crash.
FUZZ_SECONDS ?= 60
fuzz: deps
	@./tests/fuzz/run_fuzz.sh $(FUZZ_SECONDS) build-fuzz

# 30 minutes of churn, origin restarts and reloads against the Release build (DURATION=seconds).
soak: build
	@./tests/soak/soak.sh --duration $${DURATION:-1800} --build $(BUILD)

# ThreadSanitizer build of the tests that cover the hub/worker hand-off.
tsan: deps
	@./tests/tsan.sh --build build-tsan --jobs $(JOBS)

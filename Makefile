# The two commands a newcomer needs are `make demo` and `make test`; each installs what
# is missing (scripts/setup.sh), configures and builds first.

PRESET ?= dev
BUILD  := build/$(PRESET)
# The acceptance suites (label acceptance) run apart: `make test-acceptance`.
CTEST_ARGS ?= -LE acceptance

.PHONY: all setup configure build test test-acceptance test-console test-faults conformance test-asan test-tsan test-clang test-container test-kubernetes demo bench fuzz format tidy docs clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja: CMakeLists.txt CMakePresets.json
	cmake --preset $(PRESET)

configure: setup $(BUILD)/build.ninja

build: configure
	cmake --build --preset $(PRESET)

test: build
	ctest --preset $(PRESET) $(CTEST_ARGS)

# The heavy end-to-end suites (ctest label acceptance): the message log under load, killed
# and restarted, its TSA stopped and started (tests/messagelog/acceptance.py), and the admin
# console in a headless browser (tests/console/). CI runs them after `make test`.
test-acceptance: build
	ctest --preset $(PRESET) -L acceptance

# The admin console in a real headless browser (tests/console/), screenshots of every page in
# $(BUILD)/console-screenshots; part of test-acceptance too.
test-console: build
	ctest --preset $(PRESET) -R '^console_browser$$' --output-on-failure

# The fault suite (tests/faults/): a testbed on PostgreSQL under steady load, broken one way at
# a time (servers killed, PostgreSQL restarted and black-holed, TSA, OCSP and configuration
# source down, a full disk, slow and oversized clients, bad TLS), printing a table of what
# was expected, the recovery time and the messages lost. About 6 minutes; needs root (tmpfs).
# ROWS="3 tsa" runs some rows only.
test-faults: build
	/usr/bin/python3 tests/faults/run.py $(BUILD)/src/cli/roadside $(ROWS)

# A proxy test suite in X-Road's manifest format run against Roadside (tests/conformance/):
# X-Road's own (../shared/vectors/xroad/proxy-suite) by default, any such folder with SUITE=DIR.
conformance: build
	/usr/bin/python3 tests/conformance/run.py $(BUILD)/src/cli/roadside $(SUITE)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, and ThreadSanitizer.
test-asan:
	$(MAKE) test PRESET=asan
test-tsan:
	$(MAKE) test PRESET=tsan
# The same with clang 14 instead of g++ 12 (catches what one compiler misses).
test-clang:
	$(MAKE) test PRESET=clang

# The container image built with podman and run as operators would (tests/container/run.sh).
test-container: build
	bash tests/container/run.sh $(BUILD)/src/cli/roadside

# Every Kubernetes overlay rendered by kustomize and validated (tests/kubernetes/run.sh).
test-kubernetes:
	bash tests/kubernetes/run.sh

demo: build
	@bash scripts/demo.sh $(BUILD)/src/cli/roadside

# Requests/s, latency, RSS and CPU through Roadside beside nginx and a direct call, then the
# message log's write cost alone (bench/).
bench:
	$(MAKE) build PRESET=release
	/usr/bin/python3 bench/exchange/run.py build/release/src/cli/roadside $(BENCH_BASELINE)
	build/release/bench/roadside-bench-messagelog --dir build/bench/messagelog

# Every libFuzzer target for FUZZ_SECONDS each (default 600), one after another, built with
# clang in build/fuzz (tests/fuzz/run.sh). Not in `make test` or CI: the 39 take six and a
# half hours.
fuzz: setup
	bash tests/fuzz/run.sh

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

# clang-tidy 14 (.clang-tidy: bugprone-* and a few more, all as errors) over src/, in its own
# build/tidy (scripts/tidy.sh). Fails on any finding. In CI after `make test`.
tidy: setup
	bash scripts/tidy.sh

docs: build
	$(BUILD)/src/cli/roadside config docs > docs/configuration.md

clean:
	rm -rf build .demo

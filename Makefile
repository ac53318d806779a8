# Keel — two commands on a fresh Debian machine:
#   make serve   bootstrap, build (release) and start Keel with keel.yaml
#   make test    bootstrap, build and run every test suite
SWIFT  ?= swift
CONFIG ?= keel.yaml
BIN    := .build/release/keel

.PHONY: all bootstrap build release serve test test-swift test-cli test-docs test-conformance test-otlp test-console test-fuzz fuzz bench bench-gateway clean

all: build

bootstrap:
	@./scripts/bootstrap

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release

serve: release
	$(BIN) serve --config $(CONFIG)

test: bootstrap test-swift test-cli test-docs test-conformance test-otlp test-console test-fuzz

# The whole log goes to .build/test-swift.log; on failure its failed expectations are repeated last.
test-swift:
	$(SWIFT) build --build-tests -Xswiftc -warnings-as-errors
	@bash -o pipefail -c '$(SWIFT) test --skip-build 2>&1 | tee .build/test-swift.log' || { \
	  echo "--- failed tests (full log: .build/test-swift.log) ---"; \
	  grep -E -A3 'recorded an issue|✘ Test .* failed' .build/test-swift.log | head -60; exit 1; }

test-cli: release
	./tests/cli/run.sh $(BIN)

test-docs: release
	./tests/docs/run.sh $(BIN)
	./tests/docs/governance.sh $(BIN)

# The official openai and anthropic Python SDKs against keel serve and a fake upstream.
test-conformance: release
	$(SWIFT) build -c release --product keel-fake-upstream
	./tests/conformance/run.sh $(BIN) .build/release/keel-fake-upstream

# OTLP export decoded by the official opentelemetry-proto package (installs it into .build/otel-venv).
test-otlp: bootstrap
	$(SWIFT) build --build-tests -Xswiftc -warnings-as-errors
	./tests/otlp/run.sh

# The web console in headless Chromium over the DevTools Protocol (websocket-client into .build/console-venv).
test-console: release
	$(SWIFT) build -c release --product keel-fake-upstream
	./scripts/generate-console-assets --check
	./tests/console/run.sh $(BIN) .build/release/keel-fake-upstream

# The fuzz targets in fuzz/ (libFuzzer + AddressSanitizer): a fixed seed and a fixed number of
# inputs per target, so the same tree always runs the same inputs.
test-fuzz: bootstrap
	./fuzz/run --smoke

# Open-ended fuzzing: FUZZ_SECONDS per target (default 60).
FUZZ_SECONDS ?= 60
fuzz: bootstrap
	./fuzz/run --seconds $(FUZZ_SECONDS)

bench: release
	./bench/run.sh

# Keel vs nginx direct vs LiteLLM (installs LiteLLM into .build/bench-venv on first use).
bench-gateway: release
	./bench/gateway.sh

clean:
	rm -rf .build

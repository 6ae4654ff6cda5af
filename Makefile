# One way in: make run, make test, make bench, make lint.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: setup run test lint bench demo verify clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

## run: set up and serve the embedded default (SQLite, in-process projections) on 127.0.0.1:8000
run: setup
	$(BIN)/hotich init
	$(BIN)/hotich serve

## test: set up, start PostgreSQL, lint, type-check, build the Go verifier and run the whole suite
test: setup
	bash services/test.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## bench: benchmarks (figures and ratios; never pass/fail on timings)
bench: setup
	bash services/bench.sh

demo: setup
	$(BIN)/hotich demo

verify: setup
	$(BIN)/hotich verify

## tools/logcheck/logcheck: the independent Go verifier of the transparency log's checkpoints and proofs
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
LOGCHECK_SOURCES := $(wildcard tools/logcheck/*.go) tools/logcheck/go.mod tools/logcheck/go.sum
tools/logcheck/logcheck: $(LOGCHECK_SOURCES)
	cd tools/logcheck && $(GO) build -o logcheck .

clean:
	rm -rf var .bench test-artifacts

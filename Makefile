# oncely — the two commands a user needs are `make demo` and `make test`.
# Both install what they need: Rust crates through cargo, a Python virtualenv
# with maturin in .venv, npm packages in bindings/node, and a throwaway
# PostgreSQL cluster for the tests that need one (scripts/pg-test-server.sh).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
PYTHON ?= python3
VENV := $(CURDIR)/.venv
export CARGO_TERM_COLOR ?= auto

.PHONY: demo test lint rust-test python-test node-test bench corpus chaos python-env node-build

## The main job: the reference server under seeded faults, 200 orders on the
## embedded SQLite store, and a summary read from the server's ledger.
## Options: make demo ARGS="--orders 500 --fault-rate 0.3 --seed 7"
demo:
	$(CARGO) run --release --quiet -p demo -- $(ARGS)

## Every suite: formatting, lints, Rust, Python and Node tests.
test: lint rust-test python-test node-test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Rust tests, with a PostgreSQL server (ONCELY_TEST_DATABASE_URL, or one
## started for the run and stopped after).
rust-test:
	scripts/with-postgres.sh $(CARGO) test --workspace

python-env:
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r bindings/python/requirements-dev.txt

python-test: python-env
	$(CARGO) build --quiet -p orders-server
	$(VENV)/bin/pip install --quiet ./bindings/python
	cd bindings/python && scripts/../../../scripts/with-postgres.sh $(VENV)/bin/python -m pytest -q tests
	$(VENV)/bin/mypy --strict bindings/python/python/oncely examples/python
	$(VENV)/bin/ruff check bindings/python examples/python

node-build:
	cd bindings/node && npm install --no-audit --no-fund && npx napi build --platform --release

node-test: node-build
	$(CARGO) build --quiet -p orders-server
	cd bindings/node && ../../scripts/with-postgres.sh npm test

## Benchmarks; ratios against raw reqwest / httpx / undici in the same run.
bench:
	$(CARGO) bench -p oncely --bench overhead
	scripts/bench-ratios.py target/criterion
	$(CARGO) bench -p oncely --bench amplification

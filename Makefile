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
# CI builds once from a fresh clone: incremental caches would only fill disk.
ifdef CI
export CARGO_INCREMENTAL := 0
endif

.PHONY: demo test lint rust-test python-test node-test bench corpus chaos python-env node-build browser-deps

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
	$(CARGO) check --quiet -p oncely --no-default-features
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --quiet

## Rust tests, with a PostgreSQL server (ONCELY_TEST_DATABASE_URL, or one
## started for the run and stopped after). The generator's tests type-check
## generated Python and TypeScript with the venv's mypy and the binding's tsc.
rust-test: python-env node-build browser-deps
	scripts/with-postgres.sh $(CARGO) test --workspace

## Headless Chromium and its WebDriver for the console's browser test
## (cli/tests/console_browser.rs), from Debian's packages when missing.
browser-deps:
	@test -x /usr/bin/chromedriver || { \
		if [ "$$(id -u)" != 0 ]; then echo "browser-deps: not root: apt-get install -y chromium chromium-driver" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }

python-env:
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r bindings/python/requirements-dev.txt

## The Python binding: built and installed into .venv by pip (maturin), then
## pytest (conformance sync + async, examples, generated clients), mypy, ruff.
python-test: python-env
	$(CARGO) build --quiet -p orders-server -p oncely-cli -p demo -p otlp-sink
	$(VENV)/bin/pip install --quiet ./bindings/python
	scripts/with-postgres.sh $(VENV)/bin/python -m pytest -q bindings/python/tests
	$(VENV)/bin/mypy --strict bindings/python/python/oncely bindings/python/tests bindings/python/bench examples/python examples/webhooks
	$(VENV)/bin/ruff check bindings/python examples/python examples/webhooks
	$(VENV)/bin/ruff format --check bindings/python examples/python examples/webhooks
	MYPYPATH=bindings/python/python $(VENV)/bin/mypy --strict codegen/src/emit/python/support/_support.py
	$(VENV)/bin/ruff check codegen/src/emit/python/support
	$(VENV)/bin/ruff format --check codegen/src/emit/python/support

## The Node binding: npm install builds the addon (napi-rs), then node:test
## (conformance, examples, generated TypeScript client) and tsc --strict.
node-build:
	cd bindings/node && npm install --no-audit --no-fund && npx napi build --platform --release --no-js --dts native.d.ts

node-test: node-build
	$(CARGO) build --quiet -p orders-server -p oncely-cli -p otlp-sink
	cd bindings/node && ../../scripts/with-postgres.sh npm test
	cd bindings/node && npm run typecheck
	bindings/node/node_modules/.bin/tsc -p codegen/src/emit/typescript/support/tsconfig.check.json

ORDERS ?= 1000
ROWS ?= 5000
## Chaos campaign: $(ORDERS) order sagas run by worker processes that are
## SIGKILLed and restarted, against the reference server with seeded faults;
## fails if a side effect happened twice, a run was lost, or a compensation
## left something behind. First on a SQLite file, then on PostgreSQL (fleet);
## then the outbox campaign ($(ROWS) business rows, application and dispatchers
## SIGKILLed) on both.
## Options: make chaos ORDERS=5000 ROWS=20000 ARGS="--fault-rate 0.3 --kill-every-ms 60"
chaos:
	$(CARGO) build --release --quiet -p chaos
	$(CARGO) run --release --quiet -p chaos -- run --orders $(ORDERS) $(ARGS)
	scripts/with-postgres.sh sh -c '$(CARGO) run --release --quiet -p chaos -- run --orders $(ORDERS) --store "$$ONCELY_TEST_DATABASE_URL" $(ARGS)'
	$(CARGO) run --release --quiet -p chaos -- run --arazzo --orders $(ORDERS) $(ARGS)
	scripts/with-postgres.sh sh -c '$(CARGO) run --release --quiet -p chaos -- run --arazzo --orders $(ORDERS) --store "$$ONCELY_TEST_DATABASE_URL" $(ARGS)'
	$(CARGO) run --release --quiet -p chaos -- outbox --rows $(ROWS)
	scripts/with-postgres.sh sh -c '$(CARGO) run --release --quiet -p chaos -- outbox --rows $(ROWS) --store "$$ONCELY_TEST_DATABASE_URL"'

## Benchmarks; ratios against raw reqwest / httpx / undici in the same run.
bench:
	$(CARGO) bench -p oncely --bench ratios
	$(CARGO) bench -p oncely --bench overhead
	scripts/bench-ratios.py target/criterion
	$(CARGO) bench -p oncely --bench amplification

## Real-world corpus (codegen): `oncely check` and `oncely generate` in Rust,
## Python and TypeScript on ~1,330 public OpenAPI documents (downloaded once,
## outside the repo, by ../shared/corpus/fetch.sh into CORPUS_DIR), then
## `cargo check`, `mypy --strict` and `tsc --strict` of Stripe, GitHub and
## SAMPLE others chosen by SEED. Prints parsed / generated / compiled /
## type-checked / panics / dropped operations / untyped fallbacks; fails on a
## panic, a dropped operation, a compile or type error, or a warning.
## Options: make corpus CORPUS_DIR=~/.cache/oncely-corpus SAMPLE=50 SEED=1 CHECK=0
CORPUS_DIR ?= $(HOME)/.cache/oncely-corpus
SAMPLE ?= 50
SEED ?= 1
CHECK ?= 1
corpus: python-env
	cd bindings/node && ONCELY_SKIP_BUILD=1 npm install --no-audit --no-fund
	bash ../shared/corpus/fetch.sh $(CORPUS_DIR) >/dev/null
	ONCELY_CORPUS=$(CORPUS_DIR) SAMPLE=$(SAMPLE) SEED=$(SEED) CHECK=$(CHECK) codegen/scripts/corpus.sh

# Eyrie. `make run` serves the demo on SQLite; `make test` runs the whole suite on SQLite and MariaDB.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
PORT  ?= 8000

.PHONY: run test venv dev-venv test-deps lint bench bench-peer clean cluster cluster-down release

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed
dev-venv: $(VENV)/.dev-installed

run: venv
	$(PY) -m app db migrate
	$(PY) -m app demo
	EYRIE_PORT=$(PORT) $(PY) dev_server.py

test-deps: dev-venv
	bash .ci/install-deps.sh

test: test-deps
	bash .ci/test.sh

lint: dev-venv
	$(VENV)/bin/ruff check app tests bench deploy dev_server.py

bench: dev-venv
	$(PY) bench/ingest.py

# Eyrie's ingest beside Graphite's carbon, back to back (bench/README.md). BENCH_PEER_ARGS: e.g.
# --scale, --history 10000000, --ab-root ../main (single posts A/B against a checkout of main).
GRAPHITE_BENCH_DIR ?= $(CURDIR)/var/graphite-bench
bench-peer: dev-venv
	GRAPHITE_BENCH_DIR=$(GRAPHITE_BENCH_DIR) $(PY) bench/peer.py $(BENCH_PEER_ARGS)

clean:
	rm -rf $(VENV) var test-artifacts tests/clients/node_modules

# The production shape on loopback: nginx, 2 ingest + 2 web + 2 workers, MariaDB primary + replica,
# all under one supervisord in $(CLUSTER_DIR). `make cluster-down` stops it. Pass INGEST=3 etc.
CLUSTER_DIR ?= var/cluster
INGEST ?= 2
WEB ?= 2
WORKERS ?= 2
cluster: venv
	deploy/local-cluster up $(CLUSTER_DIR) --ingest $(INGEST) --web $(WEB) --workers $(WORKERS)

cluster-down:
	deploy/local-cluster down $(CLUSTER_DIR)

release: venv
	deploy/release

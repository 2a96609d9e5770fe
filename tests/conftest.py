"""Shared fixtures: an isolated DAGSTER_HOME (telemetry off), temp warehouses, paths to seeds and ../shared."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def _isolated_dagster_home(tmp_path_factory):
    """Every test (and every subprocess it starts) uses a private DAGSTER_HOME with telemetry disabled."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    old = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = old


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the repo")
    return SHARED


@pytest.fixture
def warehouse_dir(tmp_path) -> Path:
    d = tmp_path / "warehouse"
    d.mkdir()
    return d


def pytest_unconfigure(config):
    """After pytest's last line: send interpreter-shutdown stderr to a file instead of the terminal.

    duckdb's nanobind bindings print a reference-leak report (~45 lines: "nanobind: leaked 27 instances!") while the
    interpreter exits; it is noise about process teardown, not a test result, and it buried the summary line. It goes
    to $TMPDIR/newsevents-pytest-shutdown-<pid>.log (the path is printed, nothing is discarded). Also in xdist workers.
    """
    import sys
    import tempfile

    log = Path(tempfile.gettempdir()) / f"newsevents-pytest-shutdown-{os.getpid()}.log"
    sys.stderr.flush()
    if not hasattr(config, "workerinput"):          # the controller / a plain run: say where the noise goes
        sys.stdout.write(f"(interpreter shutdown messages, e.g. duckdb's nanobind leak report: {log})\n")
        sys.stdout.flush()
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 2)
    os.close(fd)

"""A small published warehouse (two seed files) shared by the read-side e2e tests (sql shell, column comments)."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> Path:
    from pipelines.orchestration.cli import main

    base = tmp_path_factory.mktemp("published")
    inp, wh = base / "in", base / "wh"
    inp.mkdir()
    for p in sorted((REPO / "seeds").glob("*.txt"))[:2]:
        (inp / p.name).write_bytes(p.read_bytes())
    assert main(["run", "--quiet", "--input", str(inp), "--warehouse", str(wh), "--dagster-home", str(base / "dh")]) == 0
    return wh

"""Slow tests (200 MB file, 10,000 tiny stories end to end, every kill point) run only when asked for:
`pytest -m slow tests/reliability` or NEWSEVENTS_SLOW=1."""
from __future__ import annotations

import os

import pytest


def _slow_requested(config) -> bool:
    return os.environ.get("NEWSEVENTS_SLOW") == "1" or "slow" in (config.getoption("-m", default="") or "").replace("not slow", "")


@pytest.fixture(autouse=True)
def _skip_slow_unless_requested(request):
    if request.node.get_closest_marker("slow") and not _slow_requested(request.config):
        pytest.skip("slow test: run with `pytest -m slow` or NEWSEVENTS_SLOW=1")

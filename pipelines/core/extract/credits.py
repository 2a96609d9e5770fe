"""Photo-credit, handout and agency-byline spans in a sentence ("(AP Photo/Lee Jin-man)", "Handout - Getty").

An actor mention overlapping such a span is not an actor of the sentence (the actor resolver drops it). The patterns
are data: pipelines/rules/photo_credits.txt (where they come from is written at its top).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

RULES_FILE = Path(__file__).resolve().parents[2] / "rules" / "photo_credits.txt"


@lru_cache(maxsize=4)
def _patterns(path: str = str(RULES_FILE)) -> tuple[re.Pattern, ...]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return tuple(re.compile(ln) for ln in lines if ln.strip() and not ln.lstrip().startswith("#"))


def credit_spans(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of every credit match in the sentence (possibly overlapping)."""
    return [m.span() for rx in _patterns() for m in rx.finditer(sentence) if m.end() > m.start()]


def in_credit(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < b and a < end for a, b in spans)

"""Sentence splitting for the event coder: `split_sentences(text)` -> (start, end) offsets (stripped spans).

Split out of pipelines/core/extract/events.py (which re-exports it); behaviour unchanged.
"""
from __future__ import annotations

import re

# ----------------------------------------------------------------------------------------- sentences
_ABBREV = {
    "mr", "mrs", "ms", "dr", "st", "gen", "col", "lt", "sgt", "sen", "rep", "gov", "prof", "jr", "sr", "inc",
    "co", "corp", "ltd", "no", "vs", "v", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m", "maj", "capt", "cmdr", "adm", "rev", "mt",
    "ft", "fig", "approx", "est", "dept", "univ", "assn", "bros", "messrs", "pres", "sec", "atty", "supt",
}
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_PARA = re.compile(r"[^\n]+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) over `text`; paragraphs (newlines) always break; no span is empty."""
    spans: list[tuple[int, int]] = []
    for para in _PARA.finditer(text):
        p0, p1 = para.span()
        start = p0
        for m in _BOUNDARY.finditer(text, p0, p1):
            end = m.end()
            # the word before the period: abbreviation or single initial -> no break
            wm = re.search(r"([A-Za-z][A-Za-z.]*)\.$", text[max(start, m.start() - 12): m.start() + 1])
            if wm and text[m.start()] == ".":
                word = wm.group(1).lower().rstrip(".")
                if word in _ABBREV or len(word) == 1:
                    continue
            _push(text, start, end, spans)
            start = end
        _push(text, start, p1, spans)
    return spans


def _push(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    seg = text[start:end]
    lead = len(seg) - len(seg.lstrip())
    trail = len(seg) - len(seg.rstrip())
    s, e = start + lead, end - trail
    if e > s:
        spans.append((s, e))

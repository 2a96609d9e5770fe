"""Whitespace/Unicode normalisation of story text and line splitting with raw offsets."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Everything that is whitespace-like inside one line (the line break \n is handled by splitting).
_SPACE = re.compile(r"[\s\x00-\x08\x0b-\x1f\x7f-\x9f\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
# Invisible characters that scraping leaves behind (zero-width space/joiners, BOM, soft hyphen, word joiner).
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")  # control characters str.split() keeps


def normalize_line(s: str) -> str:
    """One line: drop invisible characters, NFC, turn control characters into spaces, collapse whitespace runs
    (every Unicode space, NBSP included) to one space, strip."""
    if not s.isascii():
        s = unicodedata.normalize("NFC", _INVISIBLE.sub("", s))
    if not s.isprintable():
        s = _CONTROL.sub(" ", s)
    return " ".join(s.split())


def normalize_text(s: str) -> str:
    """Story text normalisation: every non-empty line normalised, blank lines dropped, lines joined by \\n.

    Idempotent: normalize_text(normalize_text(x)) == normalize_text(x).
    """
    out = [ln for ln in (normalize_line(x) for x in s.split("\n")) if ln]
    return "\n".join(out)


def excise(raw: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """raw[start:end] with the given (char_start, char_end) spans cut out (spans outside the range are ignored)."""
    parts, pos = [], start
    for a, b in sorted(spans):
        if b <= start or a >= end:
            continue
        a, b = max(a, start), min(b, end)
        if a > pos:
            parts.append(raw[pos:a])
        pos = max(pos, b)
    if pos < end:
        parts.append(raw[pos:end])
    return "".join(parts)


@dataclass(slots=True)
class Line:
    idx: int
    start: int          # offset of the first non-space character of the line in the raw text
    end: int            # offset just after the last non-space character
    text: str           # normalised line text ("" for blank lines)
    gap: int = 0        # number of blank lines between this line and the previous non-blank line
    kind: str = "content"  # content | furn | sep
    rule: str | None = None
    words: int = 0


def split_lines(raw: str) -> list[Line]:
    """Non-blank lines of `raw` with their stripped raw spans and the blank-line gap before each."""
    lines: list[Line] = []
    pos = 0
    gap = 0
    for i, seg in enumerate(raw.split("\n")):
        text = normalize_line(seg)
        if text:
            lead = len(seg) - len(seg.lstrip())
            start = pos + lead
            end = pos + len(seg.rstrip())
            lines.append(Line(i, start, end, text, gap if lines else gap, words=len(text.split())))
            gap = 0
        else:
            gap += 1
        pos += len(seg) + 1
    return lines

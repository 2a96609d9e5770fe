"""Factuality of an event mention from cues in its sentence (pure regex, no model).

Values: asserted | planned | threatened | negated | hypothetical.
Cues are looked for in the clause that holds the trigger: from the last clause break before the trigger
(";", ":", " but ", " while ", " although ", sentence start) to the trigger, plus a short window after it
(e.g. "... sanctions, if ..."). Priority when several cues apply: negated > hypothetical > threatened > planned
> asserted. Each decision returns the cue that fired, so it can be audited.
"""
from __future__ import annotations

import re

_FLAGS = re.IGNORECASE

NEGATION = re.compile(
    r"\b(?:not|never|no\s+longer|no\s+plans?\s+to|neither|nor|without|"
    r"den(?:y|ies|ied|ying)|refus(?:e|es|ed|ing)\s+to|fail(?:s|ed)?\s+to|ruled?\s+out)\b|n't\b|n’t\b",
    _FLAGS,
)
HYPOTHETICAL = re.compile(
    r"\b(?:if|unless|whether|in\s+case|could|might|may|should|must|would\s+(?:have|be\s+able))\b", _FLAGS
)
THREAT = re.compile(r"\b(?:threat(?:en|ens|ened|ening)|warn(?:s|ed|ing)?|ultimatum)\b", _FLAGS)
PLANNED = re.compile(
    r"\b(?:will|shall|would|going\s+to|(?:is|are|was|were)\s+(?:to|set\s+to|due\s+to|expected\s+to|preparing\s+to|planning\s+to|poised\s+to|ready\s+to|about\s+to)|"
    r"plans?\s+to|planned\s+to|intends?\s+to|intended\s+to|aims?\s+to|seeks?\s+to|wants?\s+to|"
    r"prepar(?:es|ed|ing)\s+to|propos(?:es|ed|ing)|promis(?:es|ed|ing)|pledg(?:es|ed|ing)|vow(?:s|ed)?|"
    r"consider(?:s|ed|ing)|call(?:s|ed)?\s+(?:on|for)|urg(?:es|ed)|next\s+(?:week|month|year))\b|'ll\b|’ll\b",
    _FLAGS,
)
_CLAUSE_BREAK = re.compile(r"[;:]|\s[-–—]\s|\b(?:but|while|although|whereas|after|before|since|because)\b|,\s+(?:and|which|who)\b", _FLAGS)

# event types whose trigger itself expresses the mode (a threat is asserted as a threat; a request is a request)
_SELF_MODAL = {"THREATEN", "REQUEST", "AGREE"}


def _clause_before(sentence: str, start: int) -> tuple[int, str]:
    left = sentence[:start]
    cut = 0
    for m in _CLAUSE_BREAK.finditer(left):
        cut = m.end()
    return cut, left[cut:]


def classify(sentence: str, trig_start: int, trig_end: int, event_type: str | None = None) -> tuple[str, str | None]:
    """Return (factuality, cue) for the trigger sentence[trig_start:trig_end]."""
    _, before = _clause_before(sentence, trig_start)
    before = before[-90:]
    trig = sentence[trig_start:trig_end]
    after = sentence[trig_end: trig_end + 60]
    after_clause = re.split(r"[;:.]", after, maxsplit=1)[0]

    m = NEGATION.search(before) or NEGATION.search(trig)
    if m:
        return "negated", m.group(0)
    m = HYPOTHETICAL.search(before)
    if m:
        return "hypothetical", m.group(0)
    m = re.search(r"\b(?:if|unless)\b", after_clause, _FLAGS)
    if m and event_type not in _SELF_MODAL:
        return "hypothetical", m.group(0)
    if event_type in _SELF_MODAL:
        return "asserted", None
    m = THREAT.search(before)
    if m:
        return "threatened", m.group(0)
    m = PLANNED.search(before)
    if m:
        return "planned", m.group(0)
    return "asserted", None

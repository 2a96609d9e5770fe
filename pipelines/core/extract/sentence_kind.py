"""Sentences and clauses that report no specific occurrence: questions, headings/list items, habitual generalisations.

Policy and cues are data: pipelines/rules/event_decision.yaml (`question`, `heading_no_finite_verb`,
`habitual_cues`; where they come from is written there). Used by pipelines/core/extract/coder.py: a question never
reaches the typer; a heading (no terminal punctuation, no finite verb in its parse) and a decision whose anchor sits
in a habitual clause give no row.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

RULES_FILE = Path(__file__).resolve().parents[2] / "rules" / "event_decision.yaml"
_QUESTION = re.compile(r"\?[\"'”’)\]]*\s*$")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*\s*$")
_CLAUSE_BREAK = re.compile(r"[;:]|\s[-–—]\s|\b(?:but|while|although|whereas|because|after|before|since)\b|"
                           r",\s+(?:and|which|who|where)\b", re.IGNORECASE)


@lru_cache(maxsize=4)
def policy(path: str = str(RULES_FILE)) -> dict:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return {"question": bool(data.get("question", False)),
            "heading": bool(data.get("heading_no_finite_verb", False)),
            "habitual": tuple(re.compile(p, re.IGNORECASE) for p in data.get("habitual_cues") or ())}


def is_question(sentence: str) -> bool:
    return policy()["question"] and bool(_QUESTION.search(sentence))


def is_heading(sentence: str, doc) -> bool:
    """No terminal punctuation and no finite verb in the parse (`doc`: the spaCy Doc of the sentence)."""
    if not policy()["heading"] or doc is None or _TERMINAL.search(sentence):
        return False
    for tok in doc:
        if tok.pos_ in ("VERB", "AUX") and "Fin" in tok.morph.get("VerbForm"):
            return False
        if tok.tag_ in ("VBD", "VBZ", "VBP", "MD"):
            return False
    return True


def habitual_cue(sentence: str, start: int, end: int) -> str | None:
    """The habitual cue of the anchor sentence[start:end]'s clause (text before it back to the last clause break,
    the anchor itself), or None."""
    left = sentence[:start]
    cut = 0
    for m in _CLAUSE_BREAK.finditer(left):
        cut = m.end()
    clause = sentence[cut:end]
    for rx in policy()["habitual"]:
        m = rx.search(clause)
        if m:
            return m.group(0).strip()
    return None

"""Cost bounds of extraction (issue 18): at most `max_sentences` sentences of a story are extracted, with a logged
reason (a quarantine row per capped story). Thresholds: pipelines/rules/extract_bounds.yaml.

The cap keeps offsets valid: the extracted text is a prefix of the story's text, cut at the end of its last kept
sentence, so every event's char_start/char_end still point into `stories.text`. A linear-time prefilter (a count of
the characters that can end a sentence) picks the only stories that can exceed the cap, so the quarantine rows cost
one vectorised pass over the texts plus a sentence split of those few stories.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

RULES_FILE = Path(__file__).resolve().parents[2] / "rules" / "extract_bounds.yaml"
RULE_SENTENCE_CAP = "extract_sentence_cap"
# every sentence of events.split_sentences ends at one of these or at the end of a paragraph/text
_SENTENCE_END_CHARS = r"[.!?…\n]"


@lru_cache(maxsize=1)
def max_sentences() -> int:
    return int(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["max_sentences"])


def capped_text(text: str, limit: int | None = None) -> tuple[str, int]:
    """(the prefix of `text` that is extracted, the story's sentence count). The prefix is `text` itself when the
    story has at most `limit` (default: max_sentences()) sentences."""
    from pipelines.core.extract.events import split_sentences

    limit = max_sentences() if limit is None else limit
    spans = split_sentences(text)
    if len(spans) <= limit:
        return text, len(spans)
    return text[:spans[limit - 1][1]] if limit > 0 else "", len(spans)


def cap_story(story: dict, limit: int | None = None) -> dict:
    """The story dict as extraction sees it: text cut after its `limit`-th sentence (a copy; unchanged if shorter).
    Cheap for ordinary stories: only a story with enough sentence-ending characters is split here."""
    text = story.get("text") or ""
    limit = max_sentences() if limit is None else limit
    if sum(text.count(c) for c in ".!?…\n") + 1 <= limit:
        return story
    cut, _ = capped_text(text, limit)
    return story if len(cut) == len(text) else {**story, "text": cut}


def cap_quarantine_rows(stories: pl.LazyFrame, limit: int | None = None) -> list[dict]:
    """One quarantine row per story (story_id, text) whose extraction was capped."""
    limit = max_sentences() if limit is None else limit
    maybe = stories.filter(pl.col("text").fill_null("").str.count_matches(_SENTENCE_END_CHARS) + 1 > limit)
    rows = []
    for story_id, text in maybe.select("story_id", "text").collect().iter_rows():
        cut, n = capped_text(text or "", limit)
        if len(cut) < len(text or ""):
            rows.append({"table_name": "events", "source_uri": None, "record_key": story_id,
                         "rule": RULE_SENTENCE_CAP,
                         "detail": f"story {story_id} has {n:,} sentences; only the first {limit:,} (characters "
                                   f"0..{len(cut):,} of {len(text):,}) were extracted (rules/extract_bounds.yaml)",
                         "payload": text[len(cut):len(cut) + 500].lstrip()})
    return rows

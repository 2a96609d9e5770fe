"""The clean stage for one batch: documents -> (clean stories, removed spans, offset violations, stats). Stories and
spans whose offsets do not point inside their document are taken out (the violations become quarantine rows); the
relevance gate then scores the stories."""
from __future__ import annotations

from collections import Counter

import polars as pl

from pipelines.core.clean import check_offsets, stories_and_spans
from pipelines.core.clean.relevance import score_stories


def span_key() -> pl.Expr:
    """The record key of a removed span in quarantine rows: `<doc_id>:<char_start>` (core/clean/audit.py)."""
    return pl.concat_str([pl.col("doc_id"), pl.col("char_start").cast(pl.Utf8)], separator=":")


def drop_offset_violations(stories: pl.DataFrame, spans: pl.DataFrame,
                           bad: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The stories and spans without those named by offset-violation rows (table_name + record_key)."""
    if not bad:
        return stories, spans
    bad_stories = [r["record_key"] for r in bad if r["table_name"] == "stories"]
    bad_spans = [r["record_key"] for r in bad if r["table_name"] == "removed_spans"]
    return (stories.filter(~pl.col("story_id").is_in(bad_stories)),
            spans.filter(~span_key().is_in(bad_spans)))


def clean_batch(documents: pl.DataFrame, gate) -> tuple[pl.DataFrame, pl.DataFrame, list[dict], dict, dict]:
    """(stories, spans, offset violations, story stats, span stats) of one batch's documents."""
    stories, spans = stories_and_spans(documents)
    stories = stories.sort("doc_id", "story_index")
    spans = spans.sort("doc_id", "char_start", "char_end")
    # offsets must point inside the documents' raw text: violations become quarantine rows, not silent data
    bad = check_offsets(stories, spans, documents)
    stories, spans = drop_offset_violations(stories, spans, bad)
    stories = score_stories(stories, gate)  # codeable_score (probability) + codeable (clean/relevance.py)
    per_doc = stories.group_by("doc_id").len()["len"] if stories.height else pl.Series([], dtype=pl.UInt32)
    by_rule = Counter(spans["rule"].to_list())
    story_stats = {
        "documents": documents.height,
        "multi_story_documents": int((per_doc > 1).sum()) if len(per_doc) else 0,
        "stub_stories_under_50_words": int((stories["n_words"] < 50).sum()) if stories.height else 0,
        "published_date_source": dict(Counter(stories["published_date_source"].to_list())),
        "published_precision": dict(Counter(stories["published_precision"].to_list())),
        "offset_violations": len(bad),
        "not_codeable_stories": int((~stories["codeable"]).sum()) if stories.height else 0,
        "relevance_gate": gate.version,
    }
    table = pl.DataFrame({"rule": list(by_rule), "n": list(by_rule.values())},
                         schema={"rule": pl.String, "n": pl.Int64})
    span_stats = {"by_rule": dict(by_rule.most_common()), "by_rule_table": table.sort("n", descending=True)}
    return stories, spans, bad, story_stats, span_stats

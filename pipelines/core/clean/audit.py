"""Frame-level helpers for the clean stage: run it over a documents frame, rebuild texts, check offsets."""
from __future__ import annotations

from typing import Any, Iterable

import polars as pl

from pipelines.core.ids import stable_id

from .text import excise, normalize_text

STORY_COLUMNS = {
    "story_id": pl.Utf8, "doc_id": pl.Utf8, "story_index": pl.Int32, "title": pl.Utf8, "outlet": pl.Utf8,
    "dateline": pl.Utf8, "published_date": pl.Date, "published_date_source": pl.Utf8, "raw_start": pl.Int64,
    "raw_end": pl.Int64, "text": pl.Utf8, "n_words": pl.Int32,
}
SPAN_COLUMNS = {"doc_id": pl.Utf8, "char_start": pl.Int64, "char_end": pl.Int64, "rule": pl.Utf8, "text": pl.Utf8}


def rebuild_text(raw: str, raw_start: int, raw_end: int, spans: Iterable[tuple[int, int]]) -> str:
    """What a story's text must be: raw[raw_start:raw_end] minus the removed spans, normalised."""
    return normalize_text(excise(raw, raw_start, raw_end, list(spans)))


HTML_EXTRACT_RULE = "html_extract"


def html_extract_spans(raw: str, main_chars: int) -> list[dict[str, Any]]:
    """One removed span (rule html_extract) per non-blank line of raw[main_chars:], offsets into raw."""
    out, pos = [], main_chars
    for line in raw[main_chars:].split("\n"):
        start = pos + (len(line) - len(line.lstrip()))
        end = pos + len(line.rstrip())
        if end > start:
            out.append({"char_start": start, "char_end": end, "rule": HTML_EXTRACT_RULE, "text": raw[start:end]})
        pos += len(line) + 1
    return out


def stories_and_spans(documents: pl.DataFrame, segment=None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run the clean stage over a `documents` frame -> (clean_stories frame, removed_spans frame)."""
    from .segment import segment_document

    seg = segment or segment_document
    story_rows: list[dict[str, Any]] = []
    span_rows: list[dict[str, Any]] = []
    cols = [c for c in ("doc_id", "raw_text", "title", "published_at", "html_main_chars") if c in documents.columns]
    for rec in documents.select(cols).iter_rows(named=True):
        raw = rec["raw_text"] or ""
        main = rec.get("html_main_chars")
        stories, spans = seg(raw[:main] if main is not None else raw, title=rec.get("title"), published=rec.get("published_at"))
        if main is not None:  # the page's text the HTML extractor left out (readers._read_html): audited, not lost
            spans = [*spans, *html_extract_spans(raw, main)]
        doc_id = rec["doc_id"]
        for st in stories:
            story_rows.append({"story_id": stable_id("st", doc_id, st["story_index"]), "doc_id": doc_id, **st})
        for sp in spans:
            span_rows.append({"doc_id": doc_id, **sp})
    stories_df = pl.DataFrame(story_rows, schema=STORY_COLUMNS, orient="row") if story_rows else pl.DataFrame(schema=STORY_COLUMNS)
    spans_df = pl.DataFrame(span_rows, schema=SPAN_COLUMNS, orient="row") if span_rows else pl.DataFrame(schema=SPAN_COLUMNS)
    return stories_df.select(list(STORY_COLUMNS)), spans_df.select(list(SPAN_COLUMNS))


def check_offsets(stories: pl.DataFrame, spans: pl.DataFrame, documents: pl.DataFrame) -> list[dict[str, Any]]:
    """Offsets must lie within the raw text they point into, and span texts must equal the raw slice.

    Returns quarantine rows (table_name, source_uri, record_key, rule, detail, payload) for every violation:
    a story or span whose doc_id is unknown, whose offsets fall outside [0, len(raw_text)] or are inverted,
    or a span whose `text` is not raw_text[char_start:char_end].
    """
    docs = documents.select("doc_id", "source_uri", pl.col("raw_text").str.len_chars().alias("_len"), "raw_text")
    rows: list[dict[str, Any]] = []

    def bad(table, rec, key, rule, detail):
        rows.append({"table_name": table, "source_uri": rec.get("source_uri"), "record_key": key, "rule": rule,
                     "detail": detail, "payload": None})

    st = stories.join(docs.drop("raw_text"), on="doc_id", how="left")
    viol = st.filter(pl.col("_len").is_null() | (pl.col("raw_start") < 0) | (pl.col("raw_end") > pl.col("_len"))
                     | (pl.col("raw_start") >= pl.col("raw_end")))
    for rec in viol.iter_rows(named=True):
        detail = ("unknown doc_id" if rec["_len"] is None else
                  f"raw_start={rec['raw_start']} raw_end={rec['raw_end']} outside raw text of length {rec['_len']}")
        bad("stories", rec, rec["story_id"], "offsets_within_raw_text", detail)
    sp = spans.with_row_index("_row").join(docs, on="doc_id", how="left")
    viol = sp.filter(pl.col("_len").is_null() | (pl.col("char_start") < 0) | (pl.col("char_end") > pl.col("_len"))
                     | (pl.col("char_start") >= pl.col("char_end")))
    for rec in viol.iter_rows(named=True):
        detail = ("unknown doc_id" if rec["_len"] is None else
                  f"char_start={rec['char_start']} char_end={rec['char_end']} outside raw text of length {rec['_len']}")
        bad("removed_spans", rec, f"{rec['doc_id']}:{rec['char_start']}", "offsets_within_raw_text", detail)
    ok = sp.filter(pl.col("_len").is_not_null() & (pl.col("char_start") >= 0) & (pl.col("char_end") <= pl.col("_len"))
                   & (pl.col("char_start") < pl.col("char_end")))
    ok = ok.with_columns(pl.col("raw_text").str.slice(pl.col("char_start"), pl.col("char_end") - pl.col("char_start")).alias("_slice"))
    for rec in ok.filter(pl.col("_slice") != pl.col("text")).iter_rows(named=True):
        bad("removed_spans", rec, f"{rec['doc_id']}:{rec['char_start']}", "span_text_matches_raw", "text != raw_text[char_start:char_end]")
    return rows

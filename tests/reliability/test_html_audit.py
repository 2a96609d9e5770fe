"""HTML: nothing the extractor drops is lost silently. The page's other text blocks follow the main text in
documents.raw_text (after html_main_chars) and become removed_spans rows with rule html_extract; the story text is
the extractor's main text only."""
from __future__ import annotations

from datetime import datetime

import polars as pl

from pipelines.core.clean import stories_and_spans
from pipelines.core.clean.audit import check_offsets
from pipelines.core.ingest.frame import ingest_frames
from pipelines.core.ingest.readers import _DTD_SUBSET, html_text_blocks, scan_folder
from tests.reliability.corpus import build_corpus


def test_every_text_block_of_a_page_is_in_a_story_or_in_removed_spans(tmp_path):
    root = tmp_path / "in"
    build_corpus(root, tiny_stories=5, big_line_bytes=1000)
    html = sorted(p for p in root.rglob("*.htm*") if p.is_file())
    only = tmp_path / "html"
    only.mkdir()
    for p in html:
        (only / p.name).write_bytes(p.read_bytes())
    docs, _ = ingest_frames(scan_folder(only), now=datetime(2026, 1, 1))
    docs = docs.filter(pl.col("format") == "html")
    assert docs.height >= 3
    stories, spans = stories_and_spans(docs)
    assert check_offsets(stories, spans, docs) == []
    html_spans = spans.filter(pl.col("rule") == "html_extract")
    assert html_spans.height >= 2
    for d in docs.iter_rows(named=True):
        kept = " ".join(stories.filter(pl.col("doc_id") == d["doc_id"])["text"].to_list())
        audited = " ".join(spans.filter(pl.col("doc_id") == d["doc_id"])["text"].to_list())
        everything = " ".join((kept + " " + audited).split())
        page = _DTD_SUBSET.sub("<!DOCTYPE html>", (only / d["source_uri"]).read_text(encoding="utf-8"))  # as ingest does
        for block in html_text_blocks(page):
            # every block is in a story or a removed span (a title line may be a span of its own, so compare words)
            missing = [w for w in block.split() if w not in everything]
            assert not missing, f"{d['source_uri']}: block {block[:60]!r} lost words {missing[:5]}"
        # the dropped blocks are not in the story text
        for sp in spans.filter((pl.col("doc_id") == d["doc_id"]) & (pl.col("rule") == "html_extract"))["text"]:
            assert sp not in kept or sp in d["raw_text"][: d["html_main_chars"]]
    minsk = html_spans.filter(pl.col("text").str.contains("Protesters marched in Minsk"))
    assert minsk.height == 1  # the paragraph inside <object> that favor_precision drops is audited

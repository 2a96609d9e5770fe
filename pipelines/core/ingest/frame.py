"""Ingest results -> polars frames (documents + quarantine rows). Pure: no Dagster."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Iterable

import polars as pl

from pipelines.core.ingest.readers import Document, Rejected
from pipelines.core.validate import quarantine_frame

DOCUMENT_SCHEMA = {
    "doc_id": pl.Utf8, "source_uri": pl.Utf8, "format": pl.Utf8, "sha256": pl.Utf8, "n_bytes": pl.Int64,
    "raw_text": pl.Utf8, "title": pl.Utf8, "url": pl.Utf8, "published_at": pl.Datetime("us"),
    "encoding": pl.Utf8, "html_main_chars": pl.Int64, "ingested_at": pl.Datetime("us"),
}


def ingest_frames(items: Iterable[Document | Rejected], *, now: datetime,
                  previous: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split scan results into (documents, quarantine).

    `ingested_at` is when a document was *first* ingested into this warehouse: a document already present in
    `previous` keeps its timestamp, so re-running on the same input reproduces identical rows.
    """
    docs, rejected = [], []
    for it in items:
        (docs if isinstance(it, Document) else rejected).append(it)
    first_seen: dict[str, datetime] = {}
    if previous is not None and previous.height and "ingested_at" in previous.columns:
        first_seen = dict(zip(previous["doc_id"].to_list(), previous["ingested_at"].to_list()))
    rows = [{**asdict(d), "ingested_at": first_seen.get(d.doc_id, now)} for d in docs]
    documents = pl.DataFrame(rows, schema=DOCUMENT_SCHEMA, orient="row") if rows else pl.DataFrame(schema=DOCUMENT_SCHEMA)
    documents = documents.sort("source_uri")
    quarantine = quarantine_frame(
        {"table_name": "documents", "source_uri": r.source_uri, "record_key": r.record_key, "rule": r.rule,
         "detail": r.detail, "payload": r.payload}
        for r in rejected
    )
    return documents, quarantine

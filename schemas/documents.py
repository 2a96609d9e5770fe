"""`documents`: one row per input document (a file, or one record of a .json list / .jsonl file)."""
import pandera.polars as pa
import polars as pl
from pandera.typing.polars import Series  # noqa: F401  (kept for readers extending the model)

FORMATS = ["txt", "json", "jsonl", "html"]


class Documents(pa.DataFrameModel):
    """One row per input document, with its decoded raw text and the input's own metadata."""

    doc_id: str = pa.Field(unique=True, str_startswith="doc_", description="Stable id: hash of source_uri and the record's bytes.")
    source_uri: str = pa.Field(unique=True, description="Path relative to the input folder, plus #N for the N-th record of a .json list or line of a .jsonl file.")
    format: str = pa.Field(isin=FORMATS, description="Input format: txt, json, jsonl or html.")
    sha256: str = pa.Field(str_matches=r"^[0-9a-f]{64}$", description="SHA-256 of the record's bytes (the whole file for txt/html/single-record json).")
    n_bytes: int = pa.Field(ge=1, description="Size of the record in bytes.")
    raw_text: str = pa.Field(description="Decoded text (encoding detected, mojibake repaired, line breaks normalised to \\n); all offsets point into it.")
    title: str = pa.Field(nullable=True, description="Title from the input's own metadata (JSON title field, HTML <title>/og:title); null for plain text.")
    url: str = pa.Field(nullable=True, description="URL from the input's own metadata.")
    published_at: pl.Datetime = pa.Field(nullable=True, description="Publication timestamp from the input's own metadata (UTC, naive); null when the input has none.")
    encoding: str = pa.Field(description="Encoding the bytes were decoded with (utf-8, utf-8-sig, utf-16, cp1252, latin-1...).")
    html_main_chars: pl.Int64 = pa.Field(nullable=True, ge=0, description="HTML only: raw_text[:html_main_chars] is the page's main text (trafilatura); the rest of raw_text is the page's other text blocks, one per line, logged in removed_spans with rule html_extract (nothing of a page is lost silently). Null for other formats.")
    ingested_at: pl.Datetime = pa.Field(description="When this run read the input (UTC).")

    @pa.check("raw_text", name="raw_text_not_blank")
    def raw_text_not_blank(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key).str.strip_chars().str.len_chars() > 0)

    class Config:
        strict = True
        coerce = True

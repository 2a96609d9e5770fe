"""Document records and the values read from their metadata (shared by every reader of pipelines/core/ingest).

`Document` is what can be used, `Rejected` (a named rule and a detail naming the file/record and the problem) what
cannot, `Flagged` a quarantine row about a value of a loaded document. Metadata strings are cleaned here
(clean_field) and publication timestamps parsed and range-checked here (published_from): never raises.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from pipelines.core.dates_safe import MAX_YEAR, MIN_YEAR, in_range
from pipelines.core.ids import sha256_hex, stable_id
from pipelines.core.ingest.decode import fix_text

# Record fields, in order of preference (news-please uses maintext; many dumps use text/body/content).
TEXT_FIELDS = ("maintext", "text", "body", "content", "article")
TITLE_FIELDS = ("title", "title_page", "title_rss", "headline")
URL_FIELDS = ("url", "link")
DATE_FIELDS = ("date_publish", "published_at", "published", "date", "pubDate")
PAYLOAD_CHARS = 2000  # how much of a rejected record's content is kept in quarantine.payload


@dataclass(frozen=True)
class Document:
    doc_id: str
    source_uri: str
    format: str
    sha256: str
    n_bytes: int
    raw_text: str
    title: str | None
    url: str | None
    published_at: datetime | None
    encoding: str
    # HTML only: raw_text[:html_main_chars] is the main text the extractor kept; the rest of raw_text is the page's
    # other text blocks (one per line), which the clean stage logs in removed_spans with rule `html_extract`
    html_main_chars: int | None = None


@dataclass(frozen=True)
class Rejected:
    source_uri: str
    record_key: str | None
    rule: str
    detail: str
    payload: str | None = None


@dataclass(frozen=True)
class Flagged(Rejected):
    """A quarantine row about a value of a document that *was* loaded (e.g. `date_out_of_range`: its publication
    date was dropped to null). The document itself is in `documents`; this row says what was not used and why."""


RULE_DATE_OUT_OF_RANGE = "date_out_of_range"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_field(value: str) -> str:
    r"""A metadata string as stored: mojibake repaired (ftfy) and lone surrogates (unencodable, e.g. from a JSON
    escape like \ud800) replaced by U+FFFD, so every stored string is valid UTF-8."""
    return _LONE_SURROGATE.sub("\ufffd", fix_text(value))


def _document(uri: str, fmt: str, data: bytes, text: str, encoding: str, *, title=None, url=None, published=None,
              html_main_chars: int | None = None) -> Document:
    sha = sha256_hex(data)
    return Document(
        doc_id=stable_id("doc", uri, sha), source_uri=uri, format=fmt, sha256=sha, n_bytes=len(data),
        raw_text=text, title=title, url=url, published_at=published, encoding=encoding, html_main_chars=html_main_chars,
    )



def _parse_timestamp(value: object) -> tuple[datetime | None, bool]:
    """(naive UTC datetime or None, out_of_range). Never raises: a value the calendar cannot hold after the UTC
    shift (year 1 at +05:00) or outside dates_safe.in_range (1900..2100) is (None, True)."""
    if not isinstance(value, str) or not value.strip():
        return None, False
    s = value.strip().replace("Z", "+00:00")
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        try:
            dt = datetime.fromisoformat(s[:10])
        except ValueError:
            return None, False
    if dt.tzinfo is not None:
        try:
            dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
        except (OverflowError, ValueError):
            return None, True
    if not in_range(dt.date()):
        return None, True
    return dt, False


def parse_timestamp(value: object) -> datetime | None:
    """ISO-like timestamps from record metadata -> naive UTC datetime; anything else (or a date outside
    dates_safe.in_range) -> None."""
    return _parse_timestamp(value)[0]


def published_from(values: list[tuple[str, object]], uri: str,
                   key: str | None) -> tuple[datetime | None, list[Flagged]]:
    """The first usable publication timestamp among (field, value) pairs; each out-of-range value seen on the way is
    a `date_out_of_range` row (the document keeps published_at = null when none is usable)."""
    flags: list[Flagged] = []
    for field, value in values:
        ts, bad = _parse_timestamp(value)
        if bad:
            flags.append(Flagged(uri, key, RULE_DATE_OUT_OF_RANGE,
                                 f"{uri}: {field} {str(value)[:60]!r} is outside {MIN_YEAR}..{MAX_YEAR} "
                                 "or the calendar; "
                                 "the document is kept with no publication date from it", str(value)[:PAYLOAD_CHARS]))
        elif ts is not None:
            return ts, flags
    return None, flags

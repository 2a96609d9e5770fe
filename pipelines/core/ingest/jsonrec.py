"""JSON and JSONL files (news-please records and similar dumps) -> Document / Flagged / Rejected, per record."""
from __future__ import annotations

import json
from typing import Iterator

from pipelines.core.ingest.decode import DecodeRejected, decode_bytes
from pipelines.core.ingest.records import (
    _LONE_SURROGATE,
    DATE_FIELDS,
    PAYLOAD_CHARS,
    TEXT_FIELDS,
    TITLE_FIELDS,
    URL_FIELDS,
    Document,
    Rejected,
    _document,
    clean_field,
    published_from,
)


def _load_json(text: str):
    """json.loads; pathological nesting surfaces as RecursionError and is reported as its own rule."""
    return json.loads(text)


def _json_error(e: Exception) -> tuple[str, str]:
    if isinstance(e, RecursionError):
        return "json_too_deep", "nested too deeply to parse"
    return "", str(e)


def _read_json(data: bytes, text: str, rel: str, encoding: str) -> Iterator[Document | Rejected]:
    try:
        obj = _load_json(text)
    except (ValueError, RecursionError) as e:
        rule, msg = _json_error(e)
        yield Rejected(rel, None, rule or "broken_json", f"{rel}: {msg}", text[:PAYLOAD_CHARS])
        return
    if isinstance(obj, list):
        for i, rec in enumerate(obj, start=1):
            rec_bytes = json.dumps(rec, sort_keys=True, ensure_ascii=False).encode("utf-8", errors="surrogatepass")
            yield from _record(rec, f"{rel}#{i}", "json", rec_bytes, encoding)
    else:
        yield from _record(obj, rel, "json", data, encoding)


def _read_jsonl(data: bytes, rel: str) -> Iterator[Document | Rejected]:
    for lineno, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        uri = f"{rel}#{lineno}"
        try:
            text, encoding = decode_bytes(line)
        except DecodeRejected as e:
            yield Rejected(uri, str(lineno), e.rule, f"{uri}: {e.detail}")
            continue
        try:
            obj = _load_json(text)
        except (ValueError, RecursionError) as e:
            rule, msg = _json_error(e)
            yield Rejected(uri, str(lineno), rule or "broken_json_line", f"{uri}: line {lineno}: {msg}",
                           text[:PAYLOAD_CHARS])
            continue
        yield from _record(obj, uri, "jsonl", line, encoding)


def _first_str(rec: dict, fields: tuple[str, ...]) -> str | None:
    for f in fields:
        v = rec.get(f)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def _record(rec: object, uri: str, fmt: str, rec_bytes: bytes, encoding: str) -> list[Document | Rejected]:
    """[Document, *flags] or [Rejected]."""
    key = uri.rsplit("#", 1)[1] if "#" in uri else None
    if not isinstance(rec, dict):
        return [Rejected(uri, key, "record_wrong_type",
                         f"{uri}: record is a JSON {type(rec).__name__}, expected an object",
                         json.dumps(rec)[:PAYLOAD_CHARS])]
    present = [f for f in TEXT_FIELDS if f in rec and rec[f] is not None]
    wrong = [f for f in present if not isinstance(rec[f], str)]
    body = _first_str(rec, TEXT_FIELDS)
    if body is None:
        if wrong:
            return [Rejected(uri, key, "record_wrong_type",
                             f"{uri}: text field '{wrong[0]}' is a {type(rec[wrong[0]]).__name__}, expected a string",
                             json.dumps(rec, default=str)[:PAYLOAD_CHARS])]
        return [Rejected(uri, key, "record_without_text",
                         f"{uri}: no non-empty text field (looked for {', '.join(TEXT_FIELDS)})",
                         json.dumps(rec, default=str)[:PAYLOAD_CHARS])]
    body = clean_field(body)
    title = _first_str(rec, TITLE_FIELDS)
    url = _first_str(rec, URL_FIELDS)
    published, flags = published_from([(f, rec.get(f)) for f in DATE_FIELDS], uri, key)
    return [_document(
        uri, fmt, rec_bytes, body, encoding,
        title=clean_field(title) if title else None,
        url=_LONE_SURROGATE.sub("\ufffd", url) if url else None,
        published=published,
    ), *flags]

"""Read an input folder into document records; every file and record is accounted for.

`scan_folder(root)` yields `Document` for what can be used and `Rejected` (with a named rule and a detail that
names the file/record and the problem) for everything else. Nothing raises for bad input: one bad file never stops
the others. Input fields never become paths, SQL or code: they are only ever stored as strings.
"""
from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from pipelines.core.ids import sha256_hex, stable_id
import ftfy
import yaml

from pipelines.core.dates_safe import MAX_YEAR, MIN_YEAR, in_range
from pipelines.core.ingest.decode import FTFY_CONFIG, DecodeRejected, decode_bytes

SUPPORTED = {".txt": "txt", ".json": "json", ".jsonl": "jsonl", ".html": "html", ".htm": "html"}
# Record fields, in order of preference (news-please uses maintext; many dumps use text/body/content).
TEXT_FIELDS = ("maintext", "text", "body", "content", "article")
TITLE_FIELDS = ("title", "title_page", "title_rss", "headline")
URL_FIELDS = ("url", "link")
DATE_FIELDS = ("date_publish", "published_at", "published", "date", "pubDate")
PAYLOAD_CHARS = 2000  # how much of a rejected record's content is kept in quarantine.payload
_RULES = yaml.safe_load((Path(__file__).resolve().parents[2] / "rules" / "ingest.yaml").read_text())
ANCILLARY_STEMS = frozenset(s.lower() for s in _RULES["ancillary_file_stems"])
DEFAULT_MAX_BYTES = int(_RULES["max_bytes"])


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


def safe_relpath(path: Path, root: Path) -> str:
    r"""`path` relative to `root` as a str that is always valid Unicode.

    File names are bytes on POSIX; a name that is not UTF-8 (e.g. Latin-1 `caf\xe9.txt`) arrives as lone surrogates,
    which cannot be stored in Parquet/DuckDB. Undecodable bytes are written as `\xNN` escapes instead.
    """
    rel = path.relative_to(root).as_posix()
    return os.fsencode(rel).decode("utf-8", errors="backslashreplace")


def _iter_files(root: Path) -> Iterator[tuple[Path, str] | Rejected]:
    """Every entry below root (sorted, deterministic), without following directory symlinks.

    A directory that cannot be listed is reported (`unreadable_directory`), never skipped silently.
    """
    errors: list[OSError] = []

    def flush() -> Iterator[Rejected]:
        while errors:
            e = errors.pop(0)
            where = Path(e.filename) if e.filename else root
            rel = safe_relpath(where, root) if where != root and where.is_relative_to(root) else "."
            yield Rejected(rel, None, "unreadable_directory", f"{rel}: cannot list directory ({e.strerror or e}); files inside it were not read")

    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=errors.append):
        yield from flush()
        dirpath_p = Path(dirpath)
        kept_dirs = []
        for d in sorted(dirnames):
            p = dirpath_p / d
            if p.is_symlink():
                rel = safe_relpath(p, root)
                yield Rejected(rel, None, "symlinked_directory", f"{rel}: directory symlink not followed (avoids loops and escaping the input folder)")
            else:
                kept_dirs.append(d)
        dirnames[:] = kept_dirs
        for f in sorted(filenames):
            p = dirpath_p / f
            yield p, safe_relpath(p, root)
    yield from flush()


def scan_folder(root: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Document | Rejected]:
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"input folder {root} does not exist or is not a directory")
    root_real = root.resolve()
    for item in _iter_files(root):
        if isinstance(item, Rejected):
            yield item
            continue
        path, rel = item
        yield from read_file(path, rel, root_real=root_real, max_bytes=max_bytes)


def read_file(path: Path, rel: str, *, root_real: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Document | Rejected]:
    fmt = SUPPORTED.get(path.suffix.lower())
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError) as e:
            yield Rejected(rel, None, "broken_symlink", f"{rel}: symlink cannot be resolved ({type(e).__name__})")
            return
        if root_real is not None and not target.is_relative_to(root_real):
            yield Rejected(rel, None, "symlink_outside_input", f"{rel}: symlink points outside the input folder")
            return
    if path.stem.lower() in ANCILLARY_STEMS:
        yield Rejected(rel, None, "ancillary_file", f"{rel}: '{path.name}' accompanies the corpus, it is not a news document (rules/ingest.yaml)")
        return
    if fmt is None:
        yield Rejected(rel, None, "unsupported_extension", f"{rel}: extension '{path.suffix or '(none)'}' is not one of {sorted(SUPPORTED)}")
        return
    try:
        st = path.stat()
    except OSError as e:
        yield Rejected(rel, None, "unreadable_file", f"{rel}: {e.strerror or e}")
        return
    if not stat.S_ISREG(st.st_mode):
        # FIFOs, sockets and devices: reading them can block forever or never end.
        yield Rejected(rel, None, "not_a_regular_file", f"{rel}: not a regular file ({_file_kind(st.st_mode)})")
        return
    size = st.st_size
    if size > max_bytes:
        yield Rejected(rel, None, "file_too_large", f"{rel}: {size:,} bytes > limit {max_bytes:,}")
        return
    try:
        data = path.read_bytes()
    except OSError as e:
        yield Rejected(rel, None, "unreadable_file", f"{rel}: {e.strerror or e}")
        return
    if not data:
        yield Rejected(rel, None, "empty_file", f"{rel}: 0 bytes")
        return
    if fmt == "jsonl":
        yield from _read_jsonl(data, rel)
        return
    try:
        text, encoding = decode_bytes(data)
    except DecodeRejected as e:
        yield Rejected(rel, None, e.rule, f"{rel}: {e.detail}")
        return
    if not text.strip():
        yield Rejected(rel, None, "whitespace_only", f"{rel}: {len(data)} bytes of whitespace only")
        return
    if fmt == "txt":
        yield _document(rel, "txt", data, text, encoding)
    elif fmt == "html":
        yield from _read_html(data, text, rel, encoding)
    else:
        yield from _read_json(data, text, rel, encoding)


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "named pipe"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISDIR, "directory")):
        if test(mode):
            return name
    return "special file"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_field(value: str) -> str:
    r"""A metadata string as stored: mojibake repaired (ftfy) and lone surrogates (unencodable, e.g. from a JSON
    escape like \ud800) replaced by U+FFFD, so every stored string is valid UTF-8."""
    return _LONE_SURROGATE.sub("\ufffd", ftfy.fix_text(value, config=FTFY_CONFIG))


def _document(uri: str, fmt: str, data: bytes, text: str, encoding: str, *, title=None, url=None, published=None,
              html_main_chars: int | None = None) -> Document:
    sha = sha256_hex(data)
    return Document(
        doc_id=stable_id("doc", uri, sha), source_uri=uri, format=fmt, sha256=sha, n_bytes=len(data),
        raw_text=text, title=title, url=url, published_at=published, encoding=encoding, html_main_chars=html_main_chars,
    )


# ---------------------------------------------------------------- JSON / JSONL (news-please records)
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
            yield Rejected(uri, str(lineno), rule or "broken_json_line", f"{uri}: line {lineno}: {msg}", text[:PAYLOAD_CHARS])
            continue
        yield from _record(obj, uri, "jsonl", line, encoding)


def _first_str(rec: dict, fields: tuple[str, ...]) -> str | None:
    for f in fields:
        v = rec.get(f)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


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


def published_from(values: list[tuple[str, object]], uri: str, key: str | None) -> tuple[datetime | None, list[Flagged]]:
    """The first usable publication timestamp among (field, value) pairs; each out-of-range value seen on the way is
    a `date_out_of_range` row (the document keeps published_at = null when none is usable)."""
    flags: list[Flagged] = []
    for field, value in values:
        ts, bad = _parse_timestamp(value)
        if bad:
            flags.append(Flagged(uri, key, RULE_DATE_OUT_OF_RANGE,
                                 f"{uri}: {field} {str(value)[:60]!r} is outside {MIN_YEAR}..{MAX_YEAR} or the calendar; "
                                 "the document is kept with no publication date from it", str(value)[:PAYLOAD_CHARS]))
        elif ts is not None:
            return ts, flags
    return None, flags


def _record(rec: object, uri: str, fmt: str, rec_bytes: bytes, encoding: str) -> list[Document | Rejected]:
    """[Document, *flags] or [Rejected]."""
    key = uri.rsplit("#", 1)[1] if "#" in uri else None
    if not isinstance(rec, dict):
        return [Rejected(uri, key, "record_wrong_type", f"{uri}: record is a JSON {type(rec).__name__}, expected an object", json.dumps(rec)[:PAYLOAD_CHARS])]
    present = [f for f in TEXT_FIELDS if f in rec and rec[f] is not None]
    wrong = [f for f in present if not isinstance(rec[f], str)]
    body = _first_str(rec, TEXT_FIELDS)
    if body is None:
        if wrong:
            return [Rejected(uri, key, "record_wrong_type", f"{uri}: text field '{wrong[0]}' is a {type(rec[wrong[0]]).__name__}, expected a string", json.dumps(rec, default=str)[:PAYLOAD_CHARS])]
        return [Rejected(uri, key, "record_without_text", f"{uri}: no non-empty text field (looked for {', '.join(TEXT_FIELDS)})", json.dumps(rec, default=str)[:PAYLOAD_CHARS])]
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


# ---------------------------------------------------------------- HTML
_DTD_SUBSET = re.compile(r"<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
# elements whose text is never page text; block-level elements whose text is a line of its own
_NOT_TEXT = ("script", "style", "noscript", "template", "head", "svg", "math")
_BLOCKS = ("address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "dialog", "div", "dl", "dt",
           "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
           "iframe", "legend", "li", "main", "nav", "object", "ol", "option", "p", "pre", "section", "summary",
           "table", "td", "th", "tr", "ul", "button", "label", "select", "textarea")


def _html_tree(text: str):
    """lxml tree of a page, without the 255-level depth limit of libxml2 (huge_tree), comments and PIs."""
    import lxml.html

    parser = lxml.html.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)
    return lxml.html.document_fromstring(text, parser=parser)


def html_text_blocks(text: str) -> list[str]:
    """Every piece of visible text of a page (scripts, styles, comments, <head> excluded), one whitespace-normalised
    line per block element, in document order. What the "nothing lost" audit compares the extraction with."""
    try:
        root = _html_tree(text)
    except Exception:  # lxml raises several types on hostile markup; nothing parseable -> no blocks
        return []
    for el in root.xpath("|".join(f"//{t}" for t in _NOT_TEXT)):
        el.drop_tree()
    for el in root.iter(*_BLOCKS):
        el.text = "\n" + (el.text or "")
        el.tail = "\n" + (el.tail or "")
    return [ln for ln in (" ".join(part.split()) for part in root.text_content().split("\n")) if ln]


def _extract(text: str):
    """trafilatura's main text of a page; a page nested deeper than libxml2's default limit is parsed with
    huge_tree (the text is there: 300 nested <div>s gave `html_no_text`)."""
    import trafilatura

    kw = dict(include_comments=False, include_tables=False, favor_precision=True, output_format="txt")
    body = trafilatura.extract(text, **kw)
    if not body or not body.strip():
        body = trafilatura.extract(_html_tree(text), **kw)
    return body


def html_dropped_lines(blocks: list[str], body: str) -> list[str]:
    """The blocks whose text is not in the extracted body (whitespace-normalised), each once, in page order."""
    main = " ".join(body.split())
    seen: set[str] = set()
    out = []
    for ln in blocks:
        if ln not in seen and ln not in main:
            seen.add(ln)
            out.append(ln)
    return out


def _read_html(data: bytes, text: str, rel: str, encoding: str) -> Iterator[Document | Rejected]:
    import trafilatura

    # HTML has no entity declarations: an internal DTD subset (`<!DOCTYPE x [<!ENTITY ...>]>`) is an XXE or
    # billion-laughs attempt or junk. It is cut before parsing, so no entity is ever defined, expanded or fetched.
    text = _DTD_SUBSET.sub("<!DOCTYPE html>", text)
    try:
        body = _extract(text)
        meta = trafilatura.extract_metadata(text)
    except Exception as e:  # trafilatura/lxml raise many types on hostile markup
        yield Rejected(rel, None, "html_unparseable", f"{rel}: {type(e).__name__}: {e}"[:500], text[:PAYLOAD_CHARS])
        return
    if not body or not body.strip():
        yield Rejected(rel, None, "html_no_text", f"{rel}: no main text found in the HTML", text[:PAYLOAD_CHARS])
        return
    # "nothing lost": the page's text blocks the extractor left out follow the main text in raw_text, and the clean
    # stage logs them in removed_spans (rule html_extract)
    body = body.rstrip()
    dropped = html_dropped_lines(html_text_blocks(text), body)
    raw = body + ("\n\n" + "\n".join(dropped) if dropped else "")
    title = meta.title if meta is not None and meta.title else None
    url = meta.url if meta is not None and meta.url else None
    published, flags = published_from([("date", meta.date)] if meta is not None and meta.date else [], rel, None)
    yield _document(rel, "html", data, raw, encoding, title=title, url=url, published=published,
                    html_main_chars=len(body))
    yield from flags

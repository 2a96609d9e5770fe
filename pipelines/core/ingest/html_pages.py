"""HTML pages -> one Document (trafilatura's main text, then the page's other text blocks for the audit)."""
from __future__ import annotations

import re
from typing import Iterator

from pipelines.core.ingest.records import PAYLOAD_CHARS, Document, Rejected, _document, published_from

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

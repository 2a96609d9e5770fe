"""Ingest core: every format reads, every bad-input kind is quarantined with its rule, nothing is lost."""
from __future__ import annotations

import codecs
import json
from collections import Counter

import pytest

from pipelines.core.ingest import Document, Rejected, decode_bytes, scan_folder
from pipelines.core.ingest.decode import DecodeRejected
from pipelines.core.ingest.frame import ingest_frames

TEXT = "MINSK (Reuters) – Police detained dozens of protesters on Sunday, witnesses said.\n\nThe crowd dispersed."


def scan(root):
    items = list(scan_folder(root))
    docs = {i.source_uri: i for i in items if isinstance(i, Document)}
    rej = {i.source_uri: i for i in items if isinstance(i, Rejected)}
    return docs, rej


def test_each_format_is_read(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    rec = {"title": "Police detain protesters", "maintext": TEXT, "url": "https://example.org/x", "date_publish": "2020-08-16 10:00:00"}
    (tmp_path / "b.json").write_text(json.dumps(rec))
    (tmp_path / "c.json").write_text(json.dumps([rec, {**rec, "maintext": TEXT + " More."}]))
    (tmp_path / "d.jsonl").write_text(json.dumps(rec) + "\n" + json.dumps({**rec, "text": "x", "maintext": None, "title": "t2"}) + "\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    paragraphs = "".join(f"<p>{TEXT} Paragraph {i} adds more reporting about the protest in the capital.</p>" for i in range(4))
    (sub / "e.html").write_text(f"<html><head><title>Protest story</title></head><body><nav>Home | World</nav><article><h1>Protest story</h1>{paragraphs}</article><footer>© Example</footer></body></html>")
    docs, rej = scan(tmp_path)
    assert not rej
    assert set(docs) == {"a.txt", "b.json", "c.json#1", "c.json#2", "d.jsonl#1", "d.jsonl#2", "sub/e.html"}
    assert docs["b.json"].title == "Police detain protesters"
    assert docs["b.json"].url == "https://example.org/x"
    assert docs["b.json"].published_at.isoformat() == "2020-08-16T10:00:00"
    assert docs["d.jsonl#2"].raw_text == "x" and docs["d.jsonl#2"].title == "t2"
    assert docs["a.txt"].title is None and docs["a.txt"].format == "txt"
    e = docs["sub/e.html"]  # the main text first; the blocks the extractor dropped follow (audited as html_extract)
    assert "Police detained dozens" in e.raw_text[:e.html_main_chars] and "Home | World" not in e.raw_text[:e.html_main_chars]
    assert "Home | World" in e.raw_text[e.html_main_chars:]
    assert docs["c.json#1"].doc_id != docs["c.json#2"].doc_id


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1"])
def test_decodes_every_supported_encoding(encoding):
    text = "Café owners in Zürich said “no” – prices rose 5 %."
    if encoding in ("cp1252",):
        data = text.encode("cp1252")
    elif encoding == "latin-1":
        text = "Café owners in Zürich said no; prices rose 5 %."
        data = text.encode("latin-1")
    else:
        data = text.encode(encoding)
    got, _ = decode_bytes(data)
    assert got == text


def test_mojibake_is_repaired_and_quotes_kept():
    broken = "The minister’s café".encode("utf-8").decode("cp1252")  # classic double-decoding
    got, _ = decode_bytes(broken.encode("utf-8"))
    assert got == "The minister’s café"


def test_truncated_utf8_keeps_the_intact_text():
    data = "Zürich protest €".encode("utf-8")[:-1]
    got, enc = decode_bytes(data)
    assert got == "Zürich protest " and "truncated" in enc


def test_mixed_encodings_are_refused():
    with pytest.raises(DecodeRejected) as e:
        decode_bytes("Zürich".encode("utf-8") + b" caf\xe9 " + "naïve".encode("utf-8"))
    assert e.value.rule == "undecodable_bytes"


def test_bad_inputs_each_get_a_named_rule(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\t \n")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "mixed.txt").write_bytes("Zürich".encode("utf-8") + b" caf\xe9 au lait")
    (tmp_path / "broken.json").write_text('{"title": "x", "maintext": ')
    (tmp_path / "notext.json").write_text(json.dumps({"title": "only a title"}))
    (tmp_path / "wrongtype.json").write_text(json.dumps({"maintext": 42}))
    (tmp_path / "list.json").write_text(json.dumps(["a string, not a record"]))
    (tmp_path / "lines.jsonl").write_text(json.dumps({"maintext": "good one"}) + "\n{broken\n" + json.dumps({"maintext": "good two"}) + "\n")
    (tmp_path / "deep.json").write_text("[" * 1900 + "]" * 1900)
    (tmp_path / "scripts.html").write_text("<html><head><script>var a=1;</script></head><body><script>alert(1)</script></body></html>")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    (tmp_path / "README.md").write_text("about this corpus")
    (tmp_path / "big.txt").write_text("word " * 1000)
    items = list(scan_folder(tmp_path, max_bytes=4000))
    docs = {i.source_uri for i in items if isinstance(i, Document)}
    rules = {i.source_uri: i.rule for i in items if isinstance(i, Rejected)}
    assert docs == {"lines.jsonl#1", "lines.jsonl#3"}
    assert rules == {
        "empty.txt": "empty_file",
        "blank.txt": "whitespace_only",
        "binary.txt": "binary_file",
        "mixed.txt": "undecodable_bytes",
        "broken.json": "broken_json",
        "notext.json": "record_without_text",
        "wrongtype.json": "record_wrong_type",
        "list.json#1": "record_wrong_type",
        "lines.jsonl#2": "broken_json_line",
        "deep.json": "json_too_deep",
        "scripts.html": "html_no_text",
        "photo.png": "unsupported_extension",
        "README.md": "ancillary_file",
        "big.txt": "file_too_large",
    }
    for i in items:
        if isinstance(i, Rejected):
            assert i.source_uri.split("#")[0] in i.detail  # the detail names the file


def test_frames_account_for_everything_and_keep_first_ingest_time(tmp_path):
    from datetime import datetime

    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "b.txt").write_bytes(b"")
    t1, t2 = datetime(2026, 1, 1), datetime(2026, 2, 1)
    docs, quarantine = ingest_frames(scan_folder(tmp_path), now=t1)
    assert docs.height + quarantine.height == 2
    assert quarantine["rule"].to_list() == ["empty_file"]
    again, _ = ingest_frames(scan_folder(tmp_path), now=t2, previous=docs)
    assert again.equals(docs)  # identical rows on a re-run, ingested_at = first ingest


@pytest.mark.parametrize("corpus,expected_docs", [("corpora/news-cluster/data", 383), ("corpora/bbc-fulltext", 2225)])
def test_shared_corpora_are_fully_accounted_for(shared_dir, corpus, expected_docs):
    root = shared_dir / corpus
    n_files = sum(1 for p in root.rglob("*") if p.is_file())
    items = list(scan_folder(root))
    kinds = Counter(type(i).__name__ for i in items)
    assert kinds["Document"] == expected_docs
    assert kinds["Document"] + kinds["Rejected"] == n_files
    if "bbc" in corpus:  # one Latin-1 file decodes without replacement characters
        legacy = [i for i in items if isinstance(i, Document) and i.encoding in ("cp1252", "latin-1")]
        assert legacy and all("\ufffd" not in d.raw_text for d in legacy)

"""Every bad-input kind is either loaded correctly or quarantined with its precise rule, and
documents + quarantine account for every input exactly once (core level and end to end through `newsevents run`)."""
from __future__ import annotations

import os
import pathlib
from collections import Counter
from datetime import datetime

import duckdb
import polars as pl
import pytest

from pipelines.core.ingest import Document, Rejected, scan_folder
from pipelines.core.ingest.frame import ingest_frames
from tests.reliability._run import run_ok
from tests.reliability.corpus import STORY, Expect, build_corpus, restore_permissions

IS_ROOT = os.geteuid() == 0


@pytest.fixture
def unreadable(monkeypatch):
    """chmod 000 does not stop root: then make locked.txt / closed/ unreadable the way the OS would report it."""
    if not IS_ROOT:
        return
    real_read, real_scandir = pathlib.Path.read_bytes, os.scandir

    def read_bytes(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    def scandir(path="."):
        if os.fspath(path).endswith(os.sep + "closed"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    monkeypatch.setattr(os, "scandir", scandir)


def _outcomes(items) -> dict[str, list[str]]:
    got: dict[str, list[str]] = {}
    for it in items:
        got.setdefault(it.source_uri, []).append("document" if isinstance(it, Document) else it.rule)
    return got


def _check_documents(expect: dict[str, Expect], docs: dict[str, Document]) -> None:
    for uri, e in expect.items():
        if e.outcome != "document":
            continue
        d = docs[uri]
        for s in e.contains:
            assert s in d.raw_text, f"{e.kind}: {uri} should contain {s!r}"
        for s in e.excludes:
            assert s not in d.raw_text, f"{e.kind}: {uri} must not contain {s!r}"
        for k, v in e.extra.items():
            assert getattr(d, k) == v, f"{e.kind}: {uri}.{k} = {getattr(d, k)!r}, expected {v!r}"


def test_every_bad_input_kind_is_loaded_or_quarantined_with_its_rule(tmp_path, unreadable):
    root = tmp_path / "in"
    expect = build_corpus(root)
    try:
        items = list(scan_folder(root))
    finally:
        restore_permissions(root)
    assert len({e.kind for e in expect.values()}) >= 20
    got = _outcomes(items)
    # each input exactly once, with the expected outcome
    assert {u: o for u, o in got.items() if len(o) > 1} == {}
    wrong = {u: (e.kind, e.outcome, got.get(u)) for u, e in expect.items() if got.get(u) != [e.outcome]}
    assert wrong == {}
    assert set(got) == set(expect)
    docs = {i.source_uri: i for i in items if isinstance(i, Document)}
    _check_documents(expect, docs)
    # rejected inputs name the input and carry a detail
    for r in (i for i in items if isinstance(i, Rejected)):
        assert r.detail.startswith(r.source_uri.split("#")[0]) and len(r.detail) > len(r.source_uri) + 5, r
    # the duplicate file is two documents with the same content hash (dedup's job, not ingest's)
    assert docs["copy_a.txt"].sha256 == docs["sub/copy_b.txt"].sha256 and docs["copy_a.txt"].doc_id != docs["sub/copy_b.txt"].doc_id
    # the invalid file name is stored as escaped, valid Unicode
    assert "caf\\xff.txt" in docs


def test_bad_input_frames_are_storable(tmp_path, unreadable):
    """Every string that comes out of ingest is valid UTF-8: it survives Parquet and DuckDB and the Documents schema."""
    from pipelines.core.validate import validate_frame
    from schemas.documents import Documents

    root = tmp_path / "in"
    expect = build_corpus(root, tiny_stories=50, big_line_bytes=10_000)
    try:
        documents, quarantine = ingest_frames(scan_folder(root), now=datetime(2026, 1, 1))
    finally:
        restore_permissions(root)
    assert documents.height + quarantine.height == len(expect)
    assert sorted(documents["source_uri"].to_list() + quarantine["source_uri"].to_list()) == sorted(expect)
    outcome = validate_frame(documents, Documents, "documents", key_column="doc_id")
    assert outcome.passed, outcome.quarantine.select("source_uri", "rule", "detail").to_dicts()
    documents.write_parquet(tmp_path / "d.parquet")
    quarantine.write_parquet(tmp_path / "q.parquet")
    assert pl.read_parquet(tmp_path / "d.parquet").equals(documents)
    con = duckdb.connect()
    con.register("d", documents.to_arrow())
    assert con.execute("SELECT count(*) FROM d WHERE raw_text LIKE '%Café owners%'").fetchone()[0] >= 4
    sur = documents.filter(pl.col("source_uri") == "surrogates.json").row(0, named=True)
    assert "\ufffd" in sur["raw_text"] and "\ufffd" in sur["title"] and sur["url"].startswith("https://example.org/")


def test_file_over_the_size_limit_is_quarantined_without_being_read(tmp_path, monkeypatch):
    (tmp_path / "big.txt").write_bytes(b"x" * 3_000_000)
    (tmp_path / "ok.txt").write_text(STORY)
    real_read = pathlib.Path.read_bytes

    def read_bytes(self):
        assert self.name != "big.txt", "an over-limit file must not be read into memory"
        return real_read(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    got = _outcomes(scan_folder(tmp_path, max_bytes=1_000_000))
    assert got == {"big.txt": ["file_too_large"], "ok.txt": ["document"]}


def _accounting(warehouse) -> tuple[Counter, dict[str, list[str]]]:
    con = duckdb.connect(str(warehouse / "newsevents.duckdb"), read_only=True)
    try:
        docs = [r[0] for r in con.execute("SELECT source_uri FROM documents").fetchall()]
        q = con.execute("SELECT source_uri, rule FROM quarantine WHERE table_name = 'documents'").fetchall()
    finally:
        con.close()
    seen = Counter(docs) + Counter(u for u, _ in q)
    rules: dict[str, list[str]] = {u: ["document"] for u in docs}
    for u, r in q:
        rules.setdefault(u, []).append(r)
    return seen, rules


def _e2e(tmp_path, **corpus_kw):
    root = tmp_path / "in"
    expect = build_corpus(root, **corpus_kw)
    if IS_ROOT:  # a subprocess running as root reads mode-000 files; those two kinds are covered in-process above
        restore_permissions(root)
        expect.pop("closed")
        expect["closed/inside.txt"] = Expect("readable directory", "document")
        expect["locked.txt"] = Expect("readable file", "document")
    wh = tmp_path / "wh"
    try:
        run_ok(root, wh)
    finally:
        restore_permissions(root)
    seen, rules = _accounting(wh)
    assert {u: n for u, n in seen.items() if n != 1} == {}, "an input was counted twice"
    assert set(seen) == set(expect), f"missing: {sorted(set(expect) - set(seen))[:10]} extra: {sorted(set(seen) - set(expect))[:10]}"
    wrong = {u: (e.outcome, rules[u]) for u, e in expect.items() if rules[u] != [e.outcome]}
    assert wrong == {}


def test_bad_input_corpus_end_to_end(tmp_path):
    """The whole pipeline on the corpus (smaller tiny-story and long-line files): exits 0, nothing lost or doubled."""
    _e2e(tmp_path, tiny_stories=200, big_line_bytes=100_000)


@pytest.mark.slow
def test_bad_input_corpus_end_to_end_full_size(tmp_path):
    """10,000 tiny stories and the 5 MB single line through every stage."""
    _e2e(tmp_path)


@pytest.mark.slow
def test_200mb_file_is_quarantined_end_to_end(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    with open(root / "huge.txt", "wb") as fh:
        block = (STORY * 200).encode("utf-8")
        for _ in range(200 * 1024 * 1024 // len(block) + 1):
            fh.write(block)
    (root / "ok.txt").write_text(STORY)
    wh = tmp_path / "wh"
    run_ok(root, wh)
    seen, rules = _accounting(wh)
    assert rules == {"huge.txt": ["file_too_large"], "ok.txt": ["document"]}

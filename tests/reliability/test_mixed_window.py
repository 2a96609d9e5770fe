"""The mixed window of a publish (issue 18, point 7), made explicit.

A publish swaps its files in one journal commit, but the renames of that commit run one after another: between the
commit and the last rename a reader that opens `parquet/<table>/data.parquet` file by file can see new documents
with old events. These tests freeze a publish inside that window (a simulated crash after the first rename) and
run readers against a publisher that keeps publishing, and check what the README promises: the DuckDB file and
`read_consistent` (the manifest) always give one publish; the bare files can be mixed, until recover() rolls the
journal forward.
"""
from __future__ import annotations

import threading

import duckdb
import polars as pl
import pytest

from pipelines.core.publish.manifest import InconsistentRead, read_consistent, read_manifest
from pipelines.warehouse import Warehouse
from pipelines.warehouse.layout import JOURNAL_NAME


def _tables(version: int) -> dict[str, pl.DataFrame]:
    """Two tables that name the publish they belong to (and differ in size from one version to the next)."""
    return {"documents": pl.DataFrame({"v": [version] * (version + 1)}),
            "events": pl.DataFrame({"v": [version] * (2 * version + 1)})}


def _versions(frames: dict[str, pl.DataFrame]) -> set[int]:
    return {int(v) for f in frames.values() for v in f["v"].unique().to_list()}


class _Crash(Exception):
    pass


def _publish_then_crash_after_first_rename(wh: Warehouse, version: int, monkeypatch) -> None:
    """publish() up to and including its commit point and the first rename of the journal, then 'dies'."""
    real_replace = __import__("os").replace
    calls = {"n": 0}

    def replace_once(src, dst):
        real_replace(src, dst)
        if str(dst).endswith(JOURNAL_NAME):  # the commit point itself
            return
        calls["n"] += 1
        raise _Crash(f"killed after renaming {src} -> {dst}")

    def partial_apply(self, plan):
        tmp, dest = plan["replace"][0]
        replace_once(self.root / tmp, self.root / dest)

    monkeypatch.setattr(Warehouse, "_apply", partial_apply)
    with pytest.raises(_Crash):
        wh.publish(_tables(version))
    monkeypatch.undo()
    assert calls["n"] == 1


def test_inside_the_window_files_mix_but_duckdb_and_manifest_readers_do_not(tmp_path, monkeypatch):
    wh = Warehouse(path=str(tmp_path / "wh"))
    wh.publish(_tables(1))
    frames, m1 = read_consistent(wh.root)
    assert _versions(frames) == {1}
    _publish_then_crash_after_first_rename(wh, 2, monkeypatch)
    assert (wh.root / JOURNAL_NAME).exists()  # committed, not finished

    # the bare files: new documents with old events (the window this issue is about)
    docs = pl.read_parquet(wh.parquet_path("documents"))
    events = pl.read_parquet(wh.parquet_path("events"))
    assert set(docs["v"]) == {2} and set(events["v"]) == {1}

    # the consistent surfaces: the manifest still names publish 1, whose files are not all there any more, so
    # read_consistent refuses rather than returning a mix; the DuckDB file is still publish 1 as a whole
    assert read_manifest(wh.root)["publish_id"] == m1["publish_id"]
    with pytest.raises(InconsistentRead, match="not the file of publish"):
        read_consistent(wh.root, attempts=2)
    with duckdb.connect(str(wh.db_path), read_only=True) as con:
        got = {t: {r[0] for r in con.execute(f"SELECT DISTINCT v FROM {t}").fetchall()} for t in ("documents", "events")}
    assert got == {"documents": {1}, "events": {1}}

    # recover() (every run starts with it) rolls the journal forward: all files of publish 2, together
    done = wh.recover()
    assert any("rolled forward" in d for d in done)
    assert not (wh.root / JOURNAL_NAME).exists()
    frames, m2 = read_consistent(wh.root)
    assert _versions(frames) == {2} and m2["publish_id"] != m1["publish_id"]
    assert frames["documents"].height == 3 and frames["events"].height == 5
    with duckdb.connect(str(wh.db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events WHERE v = 2").fetchone()[0] == 5


def test_read_consistent_and_duckdb_never_mix_while_a_publisher_keeps_publishing(tmp_path):
    wh = Warehouse(path=str(tmp_path / "wh"))
    wh.publish(_tables(1))
    n_publishes = 12
    errors: list[BaseException] = []

    def publisher() -> None:
        try:
            for v in range(2, n_publishes + 2):
                wh.publish(_tables(v))
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    th = threading.Thread(target=publisher)
    th.start()
    seen: set[int] = set()
    reads = 0
    try:
        while th.is_alive() or reads < 3:
            frames, manifest = read_consistent(wh.root, attempts=200)
            vs = _versions(frames)
            assert len(vs) == 1, f"read_consistent returned a mix of publishes {vs}"
            v = vs.pop()
            assert frames["documents"].height == v + 1 and frames["events"].height == 2 * v + 1
            assert manifest["tables"]["events"]["rows"] == 2 * v + 1
            seen.add(v)
            try:
                with duckdb.connect(str(wh.db_path), read_only=True) as con:
                    dv = {r[0] for r in con.execute(
                        "SELECT DISTINCT v FROM documents UNION SELECT DISTINCT v FROM events").fetchall()}
                assert len(dv) == 1, f"the DuckDB file mixed publishes {dv}"
            except duckdb.IOException:
                pass  # the file was renamed over between resolving the path and opening it: retried next loop
            reads += 1
    finally:
        th.join()
    assert not errors, errors
    frames, _ = read_consistent(wh.root)
    assert _versions(frames) == {n_publishes + 1}
    assert len(seen) >= 2  # the reader really ran while publishes happened

"""Chunks written while they are consumed (write_chunks) and a written file handed over as a stage (StagedFile):
the stage then holds exactly those rows, and nothing is left in the work folder."""
from __future__ import annotations

import polars as pl
import pytest

from pipelines.core.atomic import StagedFile, write_chunks
from pipelines.warehouse import Warehouse


def test_write_chunks_yields_every_chunk_and_writes_them_in_order(tmp_path):
    chunks = [pl.DataFrame({"k": [i, i + 1], "v": ["a", "b"]}) for i in (0, 2, 4)]
    seen = list(write_chunks(iter(chunks), tmp_path / "out.parquet", chunks[0].head(0)))
    assert [c.to_dicts() for c in seen] == [c.to_dicts() for c in chunks]
    assert pl.read_parquet(tmp_path / "out.parquet").equals(pl.concat(chunks))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]  # no temp file left


def test_write_chunks_writes_nothing_until_exhausted_and_an_empty_schema_without_chunks(tmp_path):
    it = write_chunks(iter([pl.DataFrame({"k": [1]})]), tmp_path / "a.parquet", pl.DataFrame(schema={"k": pl.Int64}))
    next(it)
    assert not (tmp_path / "a.parquet").exists()  # a reader never sees a partial file under the final name
    list(it)
    assert pl.read_parquet(tmp_path / "a.parquet")["k"].to_list() == [1]
    list(write_chunks(iter([]), tmp_path / "e.parquet", pl.DataFrame(schema={"k": pl.Int64})))
    assert pl.read_parquet(tmp_path / "e.parquet").schema == pl.Schema({"k": pl.Int64})


def test_a_staged_file_is_moved_into_the_stage(tmp_path):
    wh = Warehouse(path=str(tmp_path / "wh"))
    work = tmp_path / "wh" / "_stage" / "_work"
    work.mkdir(parents=True)
    df = pl.DataFrame({"story_id": ["a", "b"], "n": [1, 2]})
    df.write_parquet(work / "stories.parquet")
    dest = wh.write_stage("stories", StagedFile(work / "stories.parquet"))
    assert dest == wh.stage_path("stories") and wh.read_stage("stories").equals(df)
    assert not (work / "stories.parquet").exists()
    with pytest.raises(ValueError):
        wh.write_stage("documents", StagedFile(work / "x.parquet"), batch="b1")


def test_publish_links_a_stage_file_and_a_later_stage_write_leaves_the_published_table(tmp_path):
    """A table given to publish() as its stage file is hard-linked (no rewrite); re-staging the asset replaces
    the stage by rename, so the published file and the database keep the published rows."""
    import os

    import duckdb

    wh = Warehouse(path=str(tmp_path / "wh"))
    stage = wh.write_stage("t", pl.DataFrame({"a": [1, 2]}))
    assert wh.stage_file("t") == stage and wh.stage_file("never_staged") is None
    assert wh.stage_file("documents") is None  # partitioned by ingest batch: no single file
    assert wh.publish({"t": wh.stage_file("t")}) == {"t": 2}
    published = wh.parquet_path("t")
    assert os.stat(published).st_ino == os.stat(stage).st_ino
    wh.write_stage("t", pl.DataFrame({"a": [9]}))
    assert pl.read_parquet(published)["a"].to_list() == [1, 2]
    con = duckdb.connect(str(wh.db_path), read_only=True)
    try:
        assert con.execute("SELECT list(a ORDER BY a) FROM t").fetchone()[0] == [1, 2]
    finally:
        con.close()


def test_link_or_copy_copies_where_the_file_system_cannot_link(tmp_path, monkeypatch):
    import os

    from pipelines.core.atomic import link_or_copy

    src = tmp_path / "src.parquet"
    pl.DataFrame({"a": [1]}).write_parquet(src)

    def no_links(*_a, **_k):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    link_or_copy(src, tmp_path / "dest.parquet")
    assert os.stat(tmp_path / "dest.parquet").st_ino != os.stat(src).st_ino
    assert pl.read_parquet(tmp_path / "dest.parquet")["a"].to_list() == [1]

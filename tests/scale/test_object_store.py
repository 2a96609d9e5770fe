"""Parquet + DuckDB on object storage: the Warehouse mirrors each publish to an S3 server (moto, server mode).

The server is a real HTTP process on 127.0.0.1 (a free port), so pyarrow's S3 client is exercised end to end.
Needs the optional `scale` extra (moto[server]); skipped without it.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

pytest.importorskip("moto.server")

from pipelines.core.publish import object_store as obs  # noqa: E402
from pipelines.warehouse import Warehouse  # noqa: E402

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("moto server did not start")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def bucket_url(s3_endpoint, monkeypatch, request):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bucket = "wh-" + request.node.name.replace("_", "-").lower()[:40]
    from pyarrow.fs import S3FileSystem

    host = s3_endpoint.split("://", 1)[1]
    S3FileSystem(endpoint_override=host, scheme="http", region="us-east-1", allow_bucket_creation=True).create_dir(bucket)
    fs = obs.filesystem(s3_endpoint)
    return f"s3://{bucket}/newsevents/prod", fs


def _seed_tables() -> dict[str, pl.DataFrame]:
    """Small real tables: the seed documents and their paragraphs."""
    docs = sorted(SEEDS.glob("*.txt"))
    assert docs, "seeds missing"
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in docs]
    documents = pl.DataFrame({"doc_id": [p.stem for p in docs], "raw_text": texts, "n_chars": [len(t) for t in texts]})
    paras = [(p.stem, i, par) for p, t in zip(docs, texts) for i, par in enumerate(t.split("\n\n")) if par.strip()]
    paragraphs = pl.DataFrame(paras, schema=["doc_id", "para_index", "text"], orient="row")
    return {"documents": documents, "paragraphs": paragraphs}


def test_publish_mirrors_every_table_and_manifest_names_the_snapshot(tmp_path, s3_endpoint, bucket_url):
    url, fs = bucket_url
    tables = _seed_tables()
    wh = Warehouse(path=str(tmp_path / "wh"), object_store_url=url, object_store_endpoint=s3_endpoint)
    wh.publish(tables)

    manifest = obs.read_manifest(url, fs=fs)
    assert manifest is not None and manifest["format"] == obs.FORMAT
    assert set(manifest["tables"]) == set(tables)
    for name, df in tables.items():
        entry = manifest["tables"][name]
        assert entry["rows"] == df.height
        assert entry["key"].startswith(f"newsevents/prod/snapshots/{manifest['snapshot']}/")
        back = obs.read_table(url, name, fs=fs)
        assert back.sort(back.columns).equals(df.sort(df.columns))
    # the database object opens and holds the same rows
    dest = tmp_path / "download"
    obs.download_snapshot(url, dest, fs=fs)
    con = duckdb.connect(str(dest / "newsevents.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM paragraphs").fetchone()[0] == tables["paragraphs"].height
    finally:
        con.close()
    assert pl.read_parquet(dest / "parquet" / "documents" / "data.parquet").height == tables["documents"].height


def test_second_publish_is_a_new_snapshot_old_ones_pruned_unchanged_is_a_no_op(tmp_path, s3_endpoint, bucket_url):
    url, fs = bucket_url
    tables = _seed_tables()
    wh = Warehouse(path=str(tmp_path / "wh"), object_store_url=url, object_store_endpoint=s3_endpoint)
    wh.publish(tables)
    first = obs.read_manifest(url, fs=fs)
    wh.publish(tables)  # same content: nothing uploaded, same manifest
    assert obs.read_manifest(url, fs=fs)["snapshot"] == first["snapshot"]

    snaps = []
    for k in range(3):  # three changed publishes
        changed = {**tables, "paragraphs": tables["paragraphs"].head(tables["paragraphs"].height - 1 - k)}
        wh.publish(changed)
        m = obs.read_manifest(url, fs=fs)
        snaps.append(m["snapshot"])
        assert m["tables"]["paragraphs"]["rows"] == changed["paragraphs"].height
        assert obs.read_table(url, "paragraphs", fs=fs).height == changed["paragraphs"].height
    assert len(set(snaps)) == 3 and snaps == sorted(snaps)
    from pyarrow.fs import FileSelector

    bucket, prefix = obs.parse_url(url)
    left = sorted(i.base_name for i in fs.get_file_info(FileSelector(f"{bucket}/{prefix}/snapshots")))
    assert left == snaps[-2:]  # current + previous kept for readers that fetched the older manifest
    assert obs.read_manifest(url, fs=fs)["previous"] == snaps[-2]


def test_failed_upload_leaves_the_old_manifest_in_place(tmp_path, s3_endpoint, bucket_url, monkeypatch):
    url, fs = bucket_url
    tables = _seed_tables()
    wh = Warehouse(path=str(tmp_path / "wh"), object_store_url=url, object_store_endpoint=s3_endpoint)
    wh.publish(tables)
    before = obs.read_manifest(url, fs=fs)

    real_upload, calls = obs._upload, []

    def flaky(fs_, local, key):
        calls.append(key)
        if len(calls) == 2:  # the second data object fails mid-publish
            raise OSError("connection reset by peer")
        return real_upload(fs_, local, key)

    monkeypatch.setattr(obs, "_upload", flaky)
    with pytest.raises(OSError):
        wh.publish({**tables, "paragraphs": tables["paragraphs"].head(3)})
    assert obs.read_manifest(url, fs=fs) == before  # readers still see the complete previous snapshot
    assert obs.read_table(url, "paragraphs", fs=fs).height == tables["paragraphs"].height
    monkeypatch.setattr(obs, "_upload", real_upload)
    wh.publish({**tables, "paragraphs": tables["paragraphs"].head(3)})  # next publish succeeds and moves on
    assert obs.read_table(url, "paragraphs", fs=fs).height == 3


def test_no_url_no_mirror_and_bad_urls_rejected(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSEVENTS_OBJECT_STORE_URL", raising=False)
    called = []
    monkeypatch.setattr(obs, "mirror_warehouse", lambda *a, **k: called.append(a))
    Warehouse(path=str(tmp_path / "wh")).publish(_seed_tables())
    assert called == []
    for bad in ("file:///tmp/x", "s3:///no-bucket", "bucket/prefix"):
        with pytest.raises(ValueError):
            obs.parse_url(bad)
    assert obs.parse_url("s3://b/a/b/") == ("b", "a/b")

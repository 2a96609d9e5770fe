"""Mirror a published warehouse to object storage (S3 or any S3-compatible store) as immutable snapshots.

Layout under the URL `s3://BUCKET/PREFIX`:

    PREFIX/snapshots/<snapshot>/parquet/<table>/data.parquet
    PREFIX/snapshots/<snapshot>/newsevents.duckdb
    PREFIX/manifest.json            <- written LAST; names the current snapshot and lists its objects

S3 has no rename, so the local publish's "temp file + rename" cannot be copied. Instead every data object of a
publish goes under a new snapshot prefix that no reader knows yet (a crash half-way leaves only an unreferenced
prefix); after all of them are written and their sizes checked, a small `manifest.json` is written in one PUT.
A PUT is atomic for readers (they get the old or the new object, never a mix), so the manifest is the commit point.

Readers: fetch `manifest.json`, then read exactly the keys it lists (`read_manifest`, `table_uri`, `read_table`,
`download_snapshot`). Never list `snapshots/` to find "the newest": an unfinished publish may be there.
Each published manifest keeps the previous snapshot (`keep=2` by default) so a reader that fetched the previous
manifest a moment ago can still finish; older snapshots are deleted after the new manifest is in place.
Snapshot names are `<UTC time>-<12 hex of the content hash>`: sortable; equal tables give the same hash.
One publisher per URL at a time (the local publish lock covers one machine; do not point two warehouses at
the same URL).

Credentials come from pyarrow's usual AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
profile, instance role). `endpoint` selects an S3-compatible server (MinIO, Ceph, moto), e.g. http://127.0.0.1:9000.
No Dagster import here: the Warehouse resource calls `mirror_warehouse` after its local publish.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pyarrow.fs as pafs
import pyarrow.parquet as pq

MANIFEST = "manifest.json"
FORMAT = "newsevents-warehouse-snapshot/1"
DB_NAME = "newsevents.duckdb"


def parse_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix") (prefix without slashes at the ends)."""
    u = urlparse(url)
    if u.scheme != "s3" or not u.netloc:
        raise ValueError(f"object store URL must look like s3://bucket[/prefix], got {url!r}")
    return u.netloc, u.path.strip("/")


def filesystem(endpoint: str | None = None, region: str | None = None) -> pafs.S3FileSystem:
    """An S3FileSystem; `endpoint` = http(s)://host:port of an S3-compatible server (else AWS)."""
    kw: dict[str, Any] = {"region": region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
    if endpoint:
        u = urlparse(endpoint if "://" in endpoint else f"http://{endpoint}")
        kw.update(endpoint_override=u.netloc, scheme=u.scheme or "http")
    return pafs.S3FileSystem(**kw)


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _local_objects(root: Path) -> list[tuple[str, Path]]:
    """(relative key, local path) of everything a snapshot holds: each table's Parquet file and the database."""
    objs = [(p.relative_to(root).as_posix(), p) for p in sorted((root / "parquet").glob("*/data.parquet"))]
    if (root / DB_NAME).exists():
        objs.append((DB_NAME, root / DB_NAME))
    if not objs:
        raise FileNotFoundError(f"{root} holds no published warehouse (no parquet/<table>/data.parquet, no {DB_NAME})")
    return objs


def _upload(fs: pafs.FileSystem, local: Path, key: str) -> None:
    with open(local, "rb") as src, fs.open_output_stream(key) as dst:
        for chunk in iter(lambda: src.read(8 << 20), b""):
            dst.write(chunk)


def _write_small(fs: pafs.FileSystem, key: str, data: bytes) -> None:
    with fs.open_output_stream(key) as dst:
        dst.write(data)


def read_manifest(url: str, *, endpoint: str | None = None, fs: pafs.FileSystem | None = None) -> dict | None:
    """The current manifest at `url`, or None if nothing was ever published there."""
    fs = fs or filesystem(endpoint)
    bucket, prefix = parse_url(url)
    key = _join(bucket, prefix, MANIFEST)
    if fs.get_file_info(key).type == pafs.FileType.NotFound:
        return None
    with fs.open_input_stream(key) as fh:
        return json.loads(fh.read().decode("utf-8"))


def mirror_warehouse(root: str | Path, url: str, *, endpoint: str | None = None, fs: pafs.FileSystem | None = None,
                     keep: int = 2, now: dt.datetime | None = None) -> dict:
    """Upload the published warehouse at `root` as a new snapshot under `url`, then write the manifest. Returns it.

    If the current manifest already describes identical tables (same sha256 for every Parquet file), nothing is
    uploaded and the current manifest is returned (re-publishing unchanged tables costs one GET).
    """
    root = Path(root)
    fs = fs or filesystem(endpoint)
    bucket, prefix = parse_url(url)
    objs = _local_objects(root)
    hashes = {rel: _sha256(p) for rel, p in objs}
    # identity of the content = the Parquet files (byte-stable for equal tables); the DuckDB file is derived from
    # the same tables but its bytes differ from build to build, so it is checked (sha256) but not part of the identity
    content = hashlib.sha256(json.dumps(sorted((k, v) for k, v in hashes.items() if k.endswith(".parquet"))).encode()).hexdigest()
    current = read_manifest(url, fs=fs)
    if current and current.get("content_sha256") == content:
        return current
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%S%fZ")
    snapshot = f"{stamp}-{content[:12]}"
    snap_prefix = _join(prefix, "snapshots", snapshot)
    tables: dict[str, dict] = {}
    files: dict[str, dict] = {}
    for rel, local in objs:  # 1. data objects, under a prefix nobody reads yet
        key = _join(snap_prefix, rel)
        _upload(fs, local, _join(bucket, key))
        size = local.stat().st_size
        got = fs.get_file_info(_join(bucket, key)).size
        if got != size:
            raise OSError(f"object store: {key} has {got} bytes after upload, expected {size}; manifest not written")
        entry = {"key": key, "bytes": size, "sha256": hashes[rel]}
        if rel.endswith(".parquet"):
            entry["rows"] = pq.read_metadata(local).num_rows
            tables[rel.split("/")[1]] = entry
        else:
            files[rel] = entry
    manifest = {
        "format": FORMAT,
        "snapshot": snapshot,
        "created_utc": stamp,
        "content_sha256": content,
        "previous": current.get("snapshot") if current else None,
        "tables": tables,
        "files": files,
    }
    # 2. the commit point: one PUT of the manifest
    _write_small(fs, _join(bucket, prefix, MANIFEST), json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))
    # 3. retention: keep the `keep` newest snapshots (always the current and, by default, the previous one)
    _prune(fs, bucket, prefix, keep=max(1, keep), protect={snapshot, manifest["previous"] or ""})
    return manifest


def _prune(fs: pafs.FileSystem, bucket: str, prefix: str, *, keep: int, protect: set[str]) -> list[str]:
    base = _join(bucket, prefix, "snapshots")
    if fs.get_file_info(base).type == pafs.FileType.NotFound:
        return []
    names = sorted(i.base_name for i in fs.get_file_info(pafs.FileSelector(base)) if i.type == pafs.FileType.Directory)
    doomed = [n for n in names[:-keep] if n not in protect]
    for n in doomed:
        fs.delete_dir(_join(base, n))
    return doomed


def table_uri(manifest: dict, url: str, table: str) -> str:
    """s3:// URI of one table's Parquet object in the manifest's snapshot."""
    bucket, _ = parse_url(url)
    return f"s3://{bucket}/{manifest['tables'][table]['key']}"


def read_table(url: str, table: str, *, endpoint: str | None = None, fs: pafs.FileSystem | None = None):
    """A published table as a polars DataFrame, read from the snapshot the current manifest names."""
    import polars as pl

    fs = fs or filesystem(endpoint)
    manifest = read_manifest(url, fs=fs)
    if manifest is None:
        raise FileNotFoundError(f"nothing published at {url} (no {MANIFEST})")
    bucket, _ = parse_url(url)
    return pl.from_arrow(pq.read_table(_join(bucket, manifest["tables"][table]["key"]), filesystem=fs))


def download_snapshot(url: str, dest: str | Path, *, endpoint: str | None = None, fs: pafs.FileSystem | None = None) -> dict:
    """Copy the current snapshot into `dest` (parquet/<table>/data.parquet + newsevents.duckdb), checking sha256."""
    fs = fs or filesystem(endpoint)
    manifest = read_manifest(url, fs=fs)
    if manifest is None:
        raise FileNotFoundError(f"nothing published at {url} (no {MANIFEST})")
    bucket, _ = parse_url(url)
    dest = Path(dest)
    entries = [(f"parquet/{t}/data.parquet", e) for t, e in manifest["tables"].items()] + list(manifest["files"].items())
    for rel, e in entries:
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        with fs.open_input_stream(_join(bucket, e["key"])) as src, open(out, "wb") as fh:
            for chunk in iter(lambda: src.read(8 << 20), b""):
                fh.write(chunk)
        if _sha256(out) != e["sha256"]:
            raise OSError(f"object store: {e['key']} does not match the manifest's sha256")
    return manifest

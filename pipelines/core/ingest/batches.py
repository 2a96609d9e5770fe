"""Ingest batches: which input files are processed together, and which batches must be (re)processed. Pure: no Dagster.

An ingest batch is a set of input files first seen together: at most `max_files` files and `max_bytes` bytes (a
single larger file is a batch on its own). The registry (WAREHOUSE/_batches/registry.parquet) records, per input
file, its size and mtime_ns when it was last assigned, its batch key, and the code version that last materialized
its batch ("" = not materialized yet, or its last run failed).

`plan_batches(listing, registry, code_version=..., now=...)` compares the input folder listing with the registry:
* new files (not in the registry) form new batches, in sorted path order, keys `b<UTC yyyymmddTHHMMSS>-<nnn>`;
* a batch is dirty when a member file changed (size or mtime) or disappeared, or when its recorded code version is
  not the current one (the backfill after a code/rules change, or a batch whose previous run did not finish);
* a batch is retired when none of its files is left;
* everything else is unchanged: nothing to do.
Files never move between batches, so a batch's documents (and their first-ingest time) stay in one partition.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

import polars as pl

from pipelines.core.ingest.readers import DEFAULT_MAX_BYTES, Document, Rejected, _iter_files, read_file, safe_relpath
from pipelines.core.ingest.readers import _RULES as _INGEST_RULES

REGISTRY_SCHEMA = {"path": pl.Utf8, "size": pl.Int64, "mtime_ns": pl.Int64, "batch_key": pl.Utf8, "code_version": pl.Utf8}
PENDING = ""  # code_version of a batch that has not been materialized (successfully) since it was planned
DIRECTORY_ENTRY = -1  # `size` of a listing entry that is a directory ingest cannot enter (symlinked / unreadable)
_BATCH_RULES = _INGEST_RULES.get("batches", {})
DEFAULT_BATCH_FILES = int(_BATCH_RULES.get("max_files", 1000))
DEFAULT_BATCH_BYTES = int(_BATCH_RULES.get("max_bytes", 64 * 1024 * 1024))


class InputFile(NamedTuple):
    path: str  # relative to the input folder, as stored in documents.source_uri (before any '#record')
    size: int
    mtime_ns: int


@dataclass
class BatchPlan:
    new: list[str] = field(default_factory=list)
    dirty: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # batch -> why it is (re)processed or retired
    registry: pl.DataFrame = field(default_factory=lambda: empty_registry())

    @property
    def to_run(self) -> list[str]:
        """Batches to materialize, in key order (new and dirty)."""
        return sorted(self.new + self.dirty)

    @property
    def live(self) -> list[str]:
        return live_batches(self.registry)

    def members(self, batch_key: str) -> list[str]:
        return batch_members(self.registry, batch_key)

    def summary(self) -> str:
        return (f"{len(self.new)} new batch(es), {len(self.dirty)} to re-run, {len(self.retired)} retired, "
                f"{len(self.unchanged)} unchanged")


def empty_registry() -> pl.DataFrame:
    return pl.DataFrame(schema=REGISTRY_SCHEMA)


def live_batches(registry: pl.DataFrame) -> list[str]:
    return sorted(set(registry["batch_key"].to_list())) if registry.height else []


def batch_members(registry: pl.DataFrame, batch_key: str) -> list[str]:
    return sorted(registry.filter(pl.col("batch_key") == batch_key)["path"].to_list())


def batch_fingerprint(registry: pl.DataFrame, batch_key: str) -> str:
    """Hash of a batch's members (path, size, mtime_ns): changes whenever the batch has to be re-run for its files."""
    rows = registry.filter(pl.col("batch_key") == batch_key).sort("path").select("path", "size", "mtime_ns").rows()
    return hashlib.sha256(repr(rows).encode("utf-8", "surrogatepass")).hexdigest()[:12]


def list_inputs(root: Path | str) -> list[InputFile]:
    """Every entry ingest accounts for below `root` (sorted, deterministic; directory symlinks not followed): files
    with (size, mtime_ns) of what they point to (of the link itself when broken), and the directories ingest
    cannot enter (symlinked / unreadable) with size DIRECTORY_ENTRY, so they land in a batch and in quarantine."""
    root = Path(root)
    out: list[InputFile] = []
    for item in _iter_files(root):
        if isinstance(item, Rejected):
            out.append(InputFile(item.source_uri, DIRECTORY_ENTRY, 0))
            continue
        p, rel = item
        try:
            st = os.stat(p)
        except OSError:
            try:
                st = os.lstat(p)
            except OSError:
                continue  # vanished while listing: the next plan sees the folder as it is then
        out.append(InputFile(rel, int(st.st_size), int(st.st_mtime_ns)))
    return sorted(out)


def read_batch(root: Path | str, members: Iterable[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Document | Rejected]:
    """Documents and rejected inputs of the batch's member paths only (same rules as scan_folder)."""
    root = Path(root)
    root_real = root.resolve()
    members = sorted(members)
    paths = {rel: root / rel for rel in members}
    unresolved = [rel for rel, p in paths.items() if not os.path.lexists(p)]
    if unresolved:  # names that are not UTF-8 are stored with \xNN escapes (safe_relpath): find their real path
        real = {rel: p for p, rel in (it for it in _iter_files(root) if not isinstance(it, Rejected))}
        paths.update({rel: real[rel] for rel in unresolved if rel in real})
    for rel in members:
        p = paths[rel]
        if p.is_dir():  # a listing entry for a directory ingest could not enter
            if p.is_symlink():
                yield Rejected(rel, None, "symlinked_directory", f"{rel}: directory symlink not followed (avoids loops and escaping the input folder)")
            else:
                try:
                    os.listdir(p)
                    why = "it could not be listed when the batch was planned"
                except OSError as e:
                    why = e.strerror or str(e)
                yield Rejected(rel, None, "unreadable_directory", f"{rel}: cannot list directory ({why}); files inside it were not read")
            continue
        yield from read_file(p, rel, root_real=root_real, max_bytes=max_bytes)


def _chunks(files: list[InputFile], max_files: int, max_bytes: int) -> Iterator[list[InputFile]]:
    cur: list[InputFile] = []
    cur_bytes = 0
    for f in files:
        size = max(f.size, 0)
        if cur and (len(cur) >= max_files or cur_bytes + size > max_bytes):
            yield cur
            cur, cur_bytes = [], 0
        cur.append(f)
        cur_bytes += size
    if cur:
        yield cur


def _new_keys(now: datetime, existing: set[str], n: int) -> list[str]:
    prefix = f"b{now.strftime('%Y%m%dT%H%M%S')}-"
    used = [int(k[len(prefix):]) for k in existing if k.startswith(prefix) and k[len(prefix):].isdigit()]
    start = max(used) + 1 if used else 0
    return [f"{prefix}{i:03d}" for i in range(start, start + n)]


def plan_batches(listing: Iterable[InputFile | tuple], registry: pl.DataFrame | None, *, code_version: str, now: datetime,
                 max_files: int = DEFAULT_BATCH_FILES, max_bytes: int = DEFAULT_BATCH_BYTES) -> BatchPlan:
    """New / dirty / retired / unchanged batches and the registry after this plan (see the module doc).

    `now` is the UTC time of the plan (naive or aware); rows of new and dirty batches get code_version PENDING until
    `mark_done` records a successful materialization."""
    if max_files < 1 or max_bytes < 1:
        raise ValueError("max_files and max_bytes must be >= 1")
    files = sorted({InputFile(*f) for f in listing})
    if len({f.path for f in files}) != len(files):
        raise ValueError("the listing has the same path twice")
    reg = registry if registry is not None and registry.height else empty_registry()
    reg = reg.select([pl.col(c).cast(t) for c, t in REGISTRY_SCHEMA.items()])
    current = {f.path: f for f in files}
    plan = BatchPlan()
    kept_rows: list[dict] = []
    for key in live_batches(reg):
        rows = reg.filter(pl.col("batch_key") == key).sort("path").to_dicts()
        left = [r for r in rows if r["path"] in current]
        if not left:
            plan.retired.append(key)
            plan.reasons[key] = f"all {len(rows)} file(s) removed"
            continue
        gone = len(rows) - len(left)
        changed = [r["path"] for r in left if (current[r["path"]].size, current[r["path"]].mtime_ns) != (r["size"], r["mtime_ns"])]
        stale = {r["code_version"] for r in rows} != {code_version}
        why = []
        if gone:
            why.append(f"{gone} file(s) removed")
        if changed:
            why.append(f"{len(changed)} file(s) changed")
        if stale:
            pending = {r["code_version"] for r in rows} == {PENDING}
            why.append("not materialized yet" if pending else "code version changed")
        if why:
            plan.dirty.append(key)
            plan.reasons[key] = ", ".join(why)
        else:
            plan.unchanged.append(key)
        version = code_version if not why else PENDING
        for r in left:
            f = current[r["path"]]
            kept_rows.append({"path": f.path, "size": f.size, "mtime_ns": f.mtime_ns, "batch_key": key, "code_version": version})
    known = set(reg["path"].to_list())
    fresh = [f for f in files if f.path not in known]
    groups = list(_chunks(fresh, max_files, max_bytes))
    for key, group in zip(_new_keys(now, set(reg["batch_key"].to_list()), len(groups)), groups):
        plan.new.append(key)
        plan.reasons[key] = f"{len(group)} new file(s)"
        kept_rows += [{"path": f.path, "size": f.size, "mtime_ns": f.mtime_ns, "batch_key": key, "code_version": PENDING} for f in group]
    plan.registry = (pl.DataFrame(kept_rows, schema=REGISTRY_SCHEMA, orient="row") if kept_rows else empty_registry()).sort("batch_key", "path")
    return plan


def mark_done(registry: pl.DataFrame, batch_key: str, code_version: str) -> pl.DataFrame:
    """The registry with `batch_key` recorded as materialized by `code_version`."""
    return registry.with_columns(
        pl.when(pl.col("batch_key") == batch_key).then(pl.lit(code_version)).otherwise(pl.col("code_version")).alias("code_version"))


def reset(registry: pl.DataFrame, batch_keys: Iterable[str]) -> pl.DataFrame:
    """The registry with these batches marked PENDING (e.g. their staged output went missing)."""
    keys = list(batch_keys)
    return registry.with_columns(
        pl.when(pl.col("batch_key").is_in(keys)).then(pl.lit(PENDING)).otherwise(pl.col("code_version")).alias("code_version"))


__all__ = ["BatchPlan", "DEFAULT_BATCH_BYTES", "DEFAULT_BATCH_FILES", "InputFile", "PENDING", "REGISTRY_SCHEMA",
           "batch_fingerprint", "batch_members", "empty_registry", "list_inputs", "live_batches", "mark_done",
           "plan_batches", "read_batch", "reset"]

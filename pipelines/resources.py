"""Typed resources: where documents come from (InputFolder) and where tables go (Warehouse).

The Warehouse is the only writer of the public Parquet files and of newsevents.duckdb. Publishing is atomic per
file: each Parquet file and the DuckDB database are written to a temp file in the same folder and renamed over the
old one, so a reader sees either the previous or the new version, never a half-written one; a reader that holds the
old DuckDB file open keeps its snapshot (the old inode) and never blocks the writer.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl
from dagster import ConfigurableResource
from pydantic import Field

from pipelines.core.atomic import (StagedFile, atomic_write_parquet, fsync_dir, link_or_copy, move_into_place,
                                   parquet_rows, write_parquet_file)
from pipelines.core.validate import QUARANTINE_SCHEMA, quarantine_frame

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "newsevents.duckdb"
JOURNAL_NAME = ".publish-journal.json"  # present only between the commit point of a publish and its last rename
RUN_LOCK_NAME = ".run.lock"
PUBLISH_DIR = "_publish"  # temp files of a publish: never inside parquet/<table>/ or reports/, so no glob sees them
# flock belongs to an open file, so a process keeps one handle per warehouse and counts its holders (the warehouse
# resource and the IO manager's nested copy are both set up for the same run).
_RUN_LOCKS: dict[str, list] = {}
_RUN_LOCKS_GUARD = threading.Lock()


def _document_schema() -> dict:
    from pipelines.core.ingest.frame import DOCUMENT_SCHEMA

    return DOCUMENT_SCHEMA


def _clean_schemas() -> tuple[dict, dict]:
    from pipelines.core.clean import stories_and_spans

    stories, spans = stories_and_spans(pl.DataFrame(schema=_document_schema()))
    return dict(stories.schema), dict(spans.schema)


# Stages partitioned by ingest batch -> the columns their union is sorted by (a deterministic order, whatever the
# batch layout). The sort order of the unpartitioned stages before partitioning.
PARTITIONED_STAGES: dict[str, tuple[str, ...]] = {
    "documents": ("source_uri", "doc_id"),
    "clean_stories": ("doc_id", "story_index"),
    "removed_spans": ("doc_id", "char_start", "char_end"),
}
STATIC_SCHEMAS = {"documents": _document_schema, "clean_stories": lambda: _clean_schemas()[0],
                  "removed_spans": lambda: _clean_schemas()[1]}
SCHEMA_FILE = "_schema.parquet"
QUARANTINE_BATCH_SEP = "__"  # quarantine rows of a batch: _stage/quarantine/<stage>__<batch>.parquet
LEGACY_QUARANTINE_STAGES = ("documents__inputs", "documents", "clean_stories", "removed_spans", "clean__offsets")


class InputFolder(ConfigurableResource):
    """The folder documents are read from (recursively), or one input file. Unset: $NEWSEVENTS_INPUT, else the
    project's seeds/."""

    path: str | None = Field(default=None,
                             description="Input folder or file; default $NEWSEVENTS_INPUT or <project>/seeds.")
    max_bytes: int | None = Field(default=None, description="Files larger than this are quarantined (default: rules/ingest.yaml).")
    batch_max_files: int | None = Field(default=None, description="At most this many new files per ingest batch (default: rules/ingest.yaml, 1000).")
    batch_max_bytes: int | None = Field(default=None, description="At most this many bytes of new files per ingest batch (default: rules/ingest.yaml, 64 MiB).")

    def resolved_path(self) -> Path:
        raw = self.path or os.environ.get("NEWSEVENTS_INPUT") or str(PROJECT_ROOT / "seeds")
        return Path(raw).expanduser().resolve()


class Warehouse(ConfigurableResource):
    """Parquet + DuckDB output folder. Unset: $NEWSEVENTS_WAREHOUSE, else the project's warehouse/."""

    path: str | None = Field(default=None, description="Warehouse folder; default $NEWSEVENTS_WAREHOUSE or <project>/warehouse.")
    lock_timeout_s: float = Field(default=600.0, description="How long a publish waits for another run's publish to finish.")
    # object storage mirror (pipelines/core/publish/object_store.py): each publish is also uploaded as a snapshot
    object_store_url: str | None = Field(default=None, description="Mirror every publish to this s3://bucket/prefix (default $NEWSEVENTS_OBJECT_STORE_URL; unset: no mirror).")
    object_store_endpoint: str | None = Field(default=None, description="S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default $NEWSEVENTS_OBJECT_STORE_ENDPOINT; unset: AWS).")

    # ------------------------------------------------------------------ locations
    @property
    def root(self) -> Path:
        raw = self.path or os.environ.get("NEWSEVENTS_WAREHOUSE") or str(PROJECT_ROOT / "warehouse")
        root = Path(raw).expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
        return root

    @property
    def stage_dir(self) -> Path:
        return self.root / "_stage"

    @property
    def cache_dir(self) -> Path:
        """Per-stage result caches (pipelines.core.cache.RowCache), keyed by content ids and code version."""
        return self.root / "_cache"

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    def parquet_path(self, table: str) -> Path:
        return self.root / "parquet" / table / "data.parquet"

    # ------------------------------------------------------------------ staging (between assets)
    # Unpartitioned assets: _stage/<asset>.parquet. Assets partitioned by ingest batch (PARTITIONED_STAGES):
    # _stage/<asset>/<batch>.parquet, one file per batch, plus _stage/<asset>/_schema.parquet (0 rows: the schema, for
    # a consumer when no batch is live). The live batches are the ones in the batch registry
    # (_batches/registry.parquet, pipelines/core/ingest/batches.py); files of other batches are ignored and removed
    # when their batch is retired.
    def stage_path(self, name: str) -> Path:
        return self.stage_dir / f"{name}.parquet"

    def partition_path(self, name: str, batch: str) -> Path:
        if not batch or "/" in batch or batch.startswith("."):
            raise ValueError(f"bad batch key {batch!r}")
        return self.stage_dir / name / f"{batch}.parquet"

    def write_stage(self, name: str, df: pl.DataFrame | pl.LazyFrame | StagedFile, batch: str | None = None) -> Path:
        """Stage a frame atomically (of one batch if `batch`); a LazyFrame is streamed to disk (never collected whole),
        a StagedFile (a Parquet file the asset already wrote) is moved into place."""
        if isinstance(df, StagedFile):
            if batch is not None:
                raise ValueError("a StagedFile is only handed over for an unpartitioned stage")
            dest = self.stage_path(name)
            move_into_place(df.path, dest)
            return dest
        if batch is None:
            dest = self.stage_path(name)
            atomic_write_parquet(df, dest)
            return dest
        dest = self.partition_path(name, batch)
        atomic_write_parquet(df, dest)
        schema = df.collect_schema() if isinstance(df, pl.LazyFrame) else df.schema
        atomic_write_parquet(pl.DataFrame(schema=schema), self.stage_dir / name / SCHEMA_FILE)
        return dest

    def is_partitioned_stage(self, name: str) -> bool:
        return name in PARTITIONED_STAGES

    def partition_files(self, name: str, batches: list[str] | None = None) -> list[Path]:
        """The staged files of `name` for these batches (default: the live batches), in batch order. Raises
        FileNotFoundError naming the batches that have not been materialized."""
        batches = self.live_batches() if batches is None else sorted(batches)
        files = [self.partition_path(name, b) for b in batches]
        missing = [b for b, f in zip(batches, files) if not f.exists()]
        if missing:
            raise FileNotFoundError(
                f"asset '{name}' has not been materialized for {len(missing)} live ingest batch(es) "
                f"({', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}) in {self.stage_dir / name}: "
                "materialize those partitions first (`newsevents run` does it)")
        return files

    def empty_stage(self, name: str) -> pl.DataFrame:
        """0 rows with the schema of a partitioned stage (when no batch is live)."""
        p = self.stage_dir / name / SCHEMA_FILE
        if p.exists():
            return pl.read_parquet(p)
        if name in STATIC_SCHEMAS:
            return pl.DataFrame(schema=STATIC_SCHEMAS[name]())
        raise FileNotFoundError(f"asset '{name}' has never been materialized into {self.stage_dir / name} and no "
                                "ingest batch is live: there is no input to read (or materialize a partition first)")

    def _unpartitioned_copy(self, name: str, batches: list[str] | None) -> Path | None:
        """A single `_stage/<name>.parquet` written directly (unit tests, tools) into a warehouse that has never
        planned batches (no registry): read as the whole stage. `newsevents run` removes such files."""
        p = self.stage_path(name)
        return p if batches is None and not self.registry_path.exists() and p.exists() else None

    def scan_partitions(self, name: str, batches: list[str] | None = None) -> pl.LazyFrame:
        """Lazy scan over the staged files of the live (or given) batches, in batch order."""
        if single := self._unpartitioned_copy(name, batches):
            return pl.scan_parquet(single)
        files = self.partition_files(name, batches)
        return pl.scan_parquet([str(f) for f in files]) if files else self.empty_stage(name).lazy()

    def read_partitions(self, name: str, batches: list[str] | None = None) -> pl.DataFrame:
        """All live (or given) batches of a partitioned stage, sorted by the table's key (independent of the layout)."""
        if single := self._unpartitioned_copy(name, batches):
            return pl.read_parquet(single)
        files = self.partition_files(name, batches)
        if not files:
            return self.empty_stage(name)
        df = pl.concat([pl.read_parquet(f) for f in files], how="vertical_relaxed")
        keys = [c for c in PARTITIONED_STAGES.get(name, ()) if c in df.columns]
        return df.sort(keys) if keys else df

    def scan_stage(self, name: str) -> pl.LazyFrame | None:
        """A lazy scan of the last staged frame of an asset (nothing read until collected), or None."""
        if self.is_partitioned_stage(name):
            found = (self.stage_dir / name).is_dir() or self._unpartitioned_copy(name, None)
            return self.scan_partitions(name) if found else None
        p = self.stage_path(name)
        return pl.scan_parquet(p) if p.exists() else None

    def read_stage(self, name: str, batch: str | None = None) -> pl.DataFrame | None:
        """The last staged frame of an asset (e.g. the previous signature index), or None if never staged. For a
        partitioned stage: the given batch's file (None if absent), else every live batch."""
        if batch is not None:
            p = self.partition_path(name, batch)
            return pl.read_parquet(p) if p.exists() else None
        if self.is_partitioned_stage(name):
            found = (self.stage_dir / name).is_dir() or self._unpartitioned_copy(name, None)
            return self.read_partitions(name) if found else None
        p = self.stage_path(name)
        return pl.read_parquet(p) if p.exists() else None

    def stage_quarantine(self, stage: str, rows: pl.DataFrame) -> None:
        """Replace the quarantine rows a stage produced (an empty frame clears them)."""
        atomic_write_parquet(rows.select([pl.col(c).cast(t) for c, t in QUARANTINE_SCHEMA.items()]), self.stage_dir / "quarantine" / f"{stage}.parquet")

    # ------------------------------------------------------------------ ingest batches (partitions)
    @property
    def registry_path(self) -> Path:
        return self.root / "_batches" / "registry.parquet"

    def read_registry(self) -> pl.DataFrame:
        from pipelines.core.ingest.batches import empty_registry, normalize_registry

        p = self.registry_path
        return normalize_registry(pl.read_parquet(p)) if p.exists() else empty_registry()

    def write_registry(self, registry: pl.DataFrame) -> None:
        atomic_write_parquet(registry, self.registry_path)

    @property
    def first_ingested_path(self) -> Path:
        """doc_id -> ingested_at of the documents staged before ingest was partitioned (read by new batches)."""
        return self.root / "_batches" / "first_ingested.parquet"

    def live_batches(self) -> list[str]:
        from pipelines.core.ingest.batches import live_batches

        return live_batches(self.read_registry())

    def mark_batch_done(self, batch: str, version: str) -> None:
        """Record that `batch` was materialized by code `version` (the last partitioned step calls this)."""
        from pipelines.core.ingest.batches import mark_done

        self.write_registry(mark_done(self.read_registry(), batch, version))

    def batch_is_staged(self, batch: str) -> bool:
        return all(self.partition_path(n, batch).exists() for n in PARTITIONED_STAGES)

    def drop_batch(self, batch: str) -> list[Path]:
        """Remove everything staged for a retired batch (partition files, its quarantine rows, its row caches)."""
        gone = [self.partition_path(n, batch) for n in PARTITIONED_STAGES]
        gone += list((self.stage_dir / "quarantine").glob(f"*{QUARANTINE_BATCH_SEP}{batch}.parquet"))
        removed = []
        for p in gone:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                removed.append(p)
        return removed

    def drop_unpartitioned_leftovers(self) -> list[Path]:
        """Stage files of the ingest/clean stages from before they were partitioned (they would be read twice)."""
        old_docs = self.stage_path("documents")
        if old_docs.exists() and not self.first_ingested_path.exists():  # keep first-ingest times across the change
            atomic_write_parquet(pl.read_parquet(old_docs, columns=["doc_id", "ingested_at"]), self.first_ingested_path)
        names = [self.stage_path(n) for n in PARTITIONED_STAGES]
        names += [self.stage_dir / "quarantine" / f"{q}.parquet" for q in LEGACY_QUARANTINE_STAGES]
        removed = []
        for p in names:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                removed.append(p)
        old_cache = self.cache_dir / "clean"  # the per-document clean cache: the batch is now the unit of reuse
        if old_cache.is_dir():
            shutil.rmtree(old_cache, ignore_errors=True)
            removed.append(old_cache)
        return removed

    def collect_quarantine(self) -> pl.DataFrame:
        folder = self.stage_dir / "quarantine"
        parts = [pl.read_parquet(p) for p in sorted(folder.glob("*.parquet"))] if folder.exists() else []
        if not parts:
            return quarantine_frame()
        return pl.concat(parts, how="vertical").sort(["table_name", "source_uri", "record_key", "rule"], nulls_last=True)

    # ------------------------------------------------------------------ one run at a time per warehouse
    # Runs share WAREHOUSE/_stage, so two runs on one warehouse must not interleave: a run holds `.run.lock` from
    # resource set-up to tear-down (the whole run for `newsevents run` / materialize, which execute in one process;
    # each step's process under a multiprocess executor). A second run waits up to lock_timeout_s, then fails clearly.
    def setup_for_execution(self, context) -> None:
        self.acquire_run_lock()

    def teardown_after_execution(self, context) -> None:
        self.release_run_lock()

    @contextlib.contextmanager
    def holding_run_lock(self, timeout: float | None = None, quiet: bool = False) -> Iterator[None]:
        """Hold `.run.lock` for a block (re-entrant within a process: the runs started inside share it)."""
        self.acquire_run_lock(timeout, quiet)
        try:
            yield
        finally:
            self.release_run_lock()

    def acquire_run_lock(self, timeout: float | None = None, quiet: bool = False) -> None:
        key = str(self.root)
        with _RUN_LOCKS_GUARD:
            if key in _RUN_LOCKS:
                _RUN_LOCKS[key][1] += 1
                return
            lock_file = self.root / RUN_LOCK_NAME
            fh = open(lock_file, "a+")
            timeout = self.lock_timeout_s if timeout is None else timeout
            deadline = time.monotonic() + timeout
            waiting = quiet
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    pass
                if not waiting:  # stderr: a resource set-up failure is not a step event the CLI would show
                    print(f"newsevents: waiting for another newsevents run to finish with {self.root} ...", file=sys.stderr, flush=True)
                    waiting = True
                if time.monotonic() > deadline:
                    fh.close()
                    msg = (f"another newsevents run is using the warehouse {self.root} (lock {lock_file} held > "
                           f"{timeout:.0f}s); wait for it or use another warehouse folder")
                    if not quiet:
                        print(f"newsevents: {msg}", file=sys.stderr, flush=True)
                    raise TimeoutError(msg)
                time.sleep(0.2)
            _RUN_LOCKS[key] = [fh, 1]

    def release_run_lock(self) -> None:
        key = str(self.root)
        with _RUN_LOCKS_GUARD:
            entry = _RUN_LOCKS.get(key)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] <= 0:
                del _RUN_LOCKS[key]
                fcntl.flock(entry[0], fcntl.LOCK_UN)
                entry[0].close()

    # ------------------------------------------------------------------ publishing
    @contextlib.contextmanager
    def publish_lock(self) -> Iterator[None]:
        """One publisher at a time per warehouse; a second one waits (up to lock_timeout_s) then fails clearly."""
        lock_file = self.root / ".publish.lock"
        with open(lock_file, "a+") as fh:
            deadline = time.monotonic() + self.lock_timeout_s
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"another newsevents run is publishing to {self.root} (lock {lock_file} held > {self.lock_timeout_s:.0f}s)")
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # A publish first writes every new file as a complete, fsynced temp file in WAREHOUSE/_publish/ (never inside a
    # table or report folder, so no `parquet/<table>/*` glob can see one), then records the renames in a journal
    # (written atomically), then performs them. A crash before the journal leaves the old warehouse untouched (temp
    # files are swept later); a crash after it is rolled forward by recover(): all new files were already complete.
    # One commit swaps the Parquet files, the report files, newsevents.duckdb and manifest.json together.
    @property
    def publish_dir(self) -> Path:
        return self.root / PUBLISH_DIR

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    def _temp_files(self) -> list[Path]:
        found = [*self.root.glob(f".{DB_NAME}.tmp-*"), *self.root.glob(f"{JOURNAL_NAME}.tmp-*")]  # older versions
        parquet_root = self.root / "parquet"
        if parquet_root.is_dir():
            found += [p for p in parquet_root.glob("*/.*.tmp-*")]
        if self.publish_dir.is_dir():
            found += sorted(self.publish_dir.iterdir())
        return found

    def recover(self) -> list[str]:
        """Finish an interrupted publish (roll forward its journal), remove stale temp files and a stale WAL of a
        superseded database (left by a read-write session on an older file). Call under the lock.

        Returns what was done, for logging."""
        import json

        from pipelines.core.publish.database import drop_stale_wal

        done: list[str] = []
        journal = self.root / JOURNAL_NAME
        if journal.exists():
            plan = json.loads(journal.read_text())
            self._apply(plan)
            done.append(f"rolled forward an interrupted publish ({len(plan['replace'])} files)")
        for p in self._temp_files():
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
            done.append(f"removed stale temp file {p.relative_to(self.root)}")
        if drop_stale_wal(self.db_path):
            done.append(f"removed {DB_NAME}.wal of a superseded database (a read-write session on an older file)")
        return done

    def _apply(self, plan: dict) -> None:
        """Perform a journal's renames and removals (idempotent: safe to repeat after a crash), then drop it."""
        from pipelines.core.publish.database import drop_stale_wal

        for tmp, dest in plan["replace"]:
            tmp_p, dest_p = self.root / tmp, self.root / dest
            if tmp_p.exists():
                dest_p.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp_p, dest_p)
                if dest == DB_NAME:  # any WAL at the path was written against the file just superseded
                    drop_stale_wal(dest_p, superseded=True)
        for gone in plan["remove"]:
            p = self.root / gone
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
            if p.parent != self.reports_dir:
                with contextlib.suppress(OSError):
                    p.parent.rmdir()
        for d in {(self.root / dest).parent for _, dest in plan["replace"]}:
            fsync_dir(d)
        (self.root / JOURNAL_NAME).unlink(missing_ok=True)
        fsync_dir(self.root)

    def stage_file(self, name: str) -> Path | None:
        """The one Parquet file holding an unpartitioned stage (what the IO manager's scan reads), or None (a
        partitioned stage spans one file per batch). publish() can link it instead of rewriting it."""
        if self.is_partitioned_stage(name):
            return None
        p = self.stage_path(name)
        return p if p.exists() else None

    def publish(self, tables: dict[str, pl.DataFrame | pl.LazyFrame | Path], *, comments: list[str] | None = None,
                views: list[str] | None = None, reports: dict[str, Path] | None = None) -> dict[str, int]:
        """Write every table to Parquet and build newsevents.duckdb, then swap all of them in together.

        A table given as a Path (a complete Parquet file that is never modified in place, such as a stage file:
        stages are only ever replaced by rename) is hard-linked as the new published file rather than rewritten
        (copied when the file system cannot link it).

        `reports` ({file name: rendered file}) become WAREHOUSE/reports/<name> in the same commit (copied: the
        renderer may rewrite its files in place); report files of earlier publishes not in it are removed. None
        leaves reports/ as it is. WAREHOUSE/manifest.json names the files of the publish (core/publish/manifest.py).

        Tables of earlier runs that are not in `tables` are removed (a stage that does not exist yet has no table).
        On an error while writing (disk full, permission denied...) nothing of the old warehouse has been touched:
        the temp files are removed and an OSError names the warehouse and the cause. Returns {table: row_count}.
        """
        import json
        import uuid

        from pipelines.core.publish.database import build_duckdb  # local: keeps resource import light
        from pipelines.core.publish.manifest import MANIFEST_NAME, build_manifest, file_entry

        with self.publish_lock():
            self.recover()
            suffix = f".tmp-{os.getpid()}"
            work = self.publish_dir
            replace: list[tuple[Path, Path]] = []
            entries: dict[str, dict] = {}
            report_entries: dict[str, dict] = {}
            try:
                work.mkdir(parents=True, exist_ok=True)
                for name, df in tables.items():
                    dest = self.parquet_path(name)
                    tmp = work / f"{name}.parquet{suffix}"
                    replace.append((tmp, dest))
                    if isinstance(df, Path):
                        link_or_copy(df, tmp)
                    else:
                        write_parquet_file(df, tmp)
                    with open(tmp, "rb") as fh:
                        os.fsync(fh.fileno())
                    entries[name] = file_entry(tmp, dest.relative_to(self.root).as_posix(), rows=parquet_rows(tmp))
                for name, src in sorted((reports or {}).items()):
                    if "/" in name or name in ("", ".", ".."):
                        raise ValueError(f"bad report file name {name!r}")
                    tmp = work / f"report__{name}{suffix}"
                    shutil.copyfile(src, tmp)
                    with open(tmp, "rb") as fh:
                        os.fsync(fh.fileno())
                    replace.append((tmp, self.reports_dir / name))
                    report_entries[name] = file_entry(tmp, f"reports/{name}")
                tmp_db = work / f"{DB_NAME}{suffix}"
                # the database is loaded from the Parquet files just written: a lazy table is never collected whole
                build_duckdb(tmp_db, {name: tmp for (tmp, _), name in zip(replace, tables)},
                             comments=comments or [], views=views or [])
                with open(tmp_db, "rb") as fh:
                    os.fsync(fh.fileno())
                os.chmod(tmp_db, 0o444)  # readers get a read-only file: only the publisher writes it (by rename)
                replace.append((tmp_db, self.db_path))
                manifest_tmp = work / f"{MANIFEST_NAME}{suffix}"
                manifest_tmp.write_text(json.dumps(build_manifest(
                    uuid.uuid4().hex, entries, file_entry(tmp_db, DB_NAME), report_entries), indent=1, sort_keys=True))
                with open(manifest_tmp, "rb") as fh:
                    os.fsync(fh.fileno())
                replace.append((manifest_tmp, self.root / MANIFEST_NAME))  # last: it names the files above
                parquet_root = self.root / "parquet"
                remove = [
                    (old / "data.parquet").relative_to(self.root).as_posix()
                    for old in (sorted(parquet_root.iterdir()) if parquet_root.exists() else [])
                    if old.is_dir() and old.name not in tables and (old / "data.parquet").exists()
                ]
                if reports is not None and self.reports_dir.is_dir():
                    remove += [f"reports/{p.name}" for p in sorted(self.reports_dir.iterdir())
                               if p.is_file() and p.name not in reports]
                plan = {"replace": [[t.relative_to(self.root).as_posix(), d.relative_to(self.root).as_posix()] for t, d in replace],
                        "remove": remove}
                journal_tmp = work / f"{JOURNAL_NAME}{suffix}"
                journal_tmp.write_text(json.dumps(plan))
                with open(journal_tmp, "rb") as fh:
                    os.fsync(fh.fileno())
            except (OSError, duckdb.Error) as e:
                shutil.rmtree(work, ignore_errors=True)
                cause = f"{e.strerror} ({e.filename})" if isinstance(e, OSError) and e.strerror else str(e).splitlines()[0]
                raise OSError(getattr(e, "errno", None) or 5, f"could not publish to {self.root}: {cause}; "
                              "the previous warehouse was left intact") from e
            os.replace(journal_tmp, self.root / JOURNAL_NAME)  # commit point
            fsync_dir(self.root)
            self._apply(plan)
            url = self.object_store_url or os.environ.get("NEWSEVENTS_OBJECT_STORE_URL")
            if url:  # after the local publish, still under the lock: the mirror uploads a consistent set of files
                from pipelines.core.publish.object_store import mirror_warehouse

                mirror_warehouse(self.root, url, endpoint=self.object_store_endpoint or os.environ.get("NEWSEVENTS_OBJECT_STORE_ENDPOINT"))
        return {name: parquet_rows(self.parquet_path(name)) for name in tables}

    def connect_readonly(self) -> duckdb.DuckDBPyConnection:
        from pipelines.core.publish.database import open_readonly

        return open_readonly(self.db_path)

"""Publishing: every table to Parquet, newsevents.duckdb, the report files and manifest.json swapped in together by one
journal commit, and recover() for a publish that was interrupted.

A publish first writes every new file as a complete, fsynced temp file in WAREHOUSE/_publish/ (never inside a table or
report folder, so no `parquet/<table>/*` glob can see one), then records the renames in a journal (written
atomically), then performs them. A crash before the journal leaves the old warehouse untouched (temp files are swept
later); a crash after it is rolled forward by recover(): all new files were already complete.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import polars as pl

from pipelines.core.atomic import fsync_dir, link_or_copy, parquet_rows, write_parquet_file
from pipelines.warehouse.layout import DB_NAME, JOURNAL_NAME
from pipelines.warehouse.mirror import mirror_publish


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


class Publisher:
    """publish() and recover() (mixed into the Warehouse resource; needs Layout, RunLock and the object_store_*
    fields)."""

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

    def _stale_files(self, tables: dict, reports: dict[str, Path] | None) -> list[str]:
        """Published files of earlier runs that this publish removes (tables and reports no longer produced)."""
        parquet_root = self.root / "parquet"
        remove = [
            (old / "data.parquet").relative_to(self.root).as_posix()
            for old in (sorted(parquet_root.iterdir()) if parquet_root.exists() else [])
            if old.is_dir() and old.name not in tables and (old / "data.parquet").exists()
        ]
        if reports is not None and self.reports_dir.is_dir():
            remove += [f"reports/{p.name}" for p in sorted(self.reports_dir.iterdir())
                       if p.is_file() and p.name not in reports]
        return remove

    def _write_publish(self, tables: dict, suffix: str, comments: list[str], views: list[str],
                       reports: dict[str, Path] | None) -> dict:
        """Every new file as a complete, fsynced temp file in _publish/, then the journal's temp file: the plan."""
        from pipelines.core.publish.database import build_duckdb  # local: keeps resource import light
        from pipelines.core.publish.manifest import MANIFEST_NAME, build_manifest, file_entry

        work = self.publish_dir
        replace: list[tuple[Path, Path]] = []
        entries: dict[str, dict] = {}
        report_entries: dict[str, dict] = {}
        work.mkdir(parents=True, exist_ok=True)
        for name, df in tables.items():
            dest = self.parquet_path(name)
            tmp = work / f"{name}.parquet{suffix}"
            replace.append((tmp, dest))
            if isinstance(df, Path):
                link_or_copy(df, tmp)
            else:
                write_parquet_file(df, tmp)
            _fsync(tmp)
            entries[name] = file_entry(tmp, dest.relative_to(self.root).as_posix(), rows=parquet_rows(tmp))
        for name, src in sorted((reports or {}).items()):
            if "/" in name or name in ("", ".", ".."):
                raise ValueError(f"bad report file name {name!r}")
            tmp = work / f"report__{name}{suffix}"
            shutil.copyfile(src, tmp)
            _fsync(tmp)
            replace.append((tmp, self.reports_dir / name))
            report_entries[name] = file_entry(tmp, f"reports/{name}")
        tmp_db = work / f"{DB_NAME}{suffix}"
        # the database is loaded from the Parquet files just written: a lazy table is never collected whole
        build_duckdb(tmp_db, {name: tmp for (tmp, _), name in zip(replace, tables)}, comments=comments, views=views)
        _fsync(tmp_db)
        os.chmod(tmp_db, 0o444)  # readers get a read-only file: only the publisher writes it (by rename)
        replace.append((tmp_db, self.db_path))
        manifest_tmp = work / f"{MANIFEST_NAME}{suffix}"
        manifest = build_manifest(uuid.uuid4().hex, entries, file_entry(tmp_db, DB_NAME), report_entries)
        manifest_tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
        _fsync(manifest_tmp)
        replace.append((manifest_tmp, self.root / MANIFEST_NAME))  # last: it names the files above
        rel = [[t.relative_to(self.root).as_posix(), d.relative_to(self.root).as_posix()] for t, d in replace]
        plan = {"replace": rel, "remove": self._stale_files(tables, reports)}
        journal_tmp = work / f"{JOURNAL_NAME}{suffix}"
        journal_tmp.write_text(json.dumps(plan))
        _fsync(journal_tmp)
        return plan

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
        with self.publish_lock():
            self.recover()
            suffix = f".tmp-{os.getpid()}"
            try:
                plan = self._write_publish(tables, suffix, comments or [], views or [], reports)
            except (OSError, duckdb.Error) as e:
                shutil.rmtree(self.publish_dir, ignore_errors=True)
                cause = (f"{e.strerror} ({e.filename})" if isinstance(e, OSError) and e.strerror
                         else str(e).splitlines()[0])
                raise OSError(getattr(e, "errno", None) or 5, f"could not publish to {self.root}: {cause}; "
                              "the previous warehouse was left intact") from e
            os.replace(self.publish_dir / f"{JOURNAL_NAME}{suffix}", self.root / JOURNAL_NAME)  # commit point
            fsync_dir(self.root)
            self._apply(plan)
            # after the local publish, still under the lock: the mirror uploads a consistent set of files
            mirror_publish(self.root, self.object_store_url, self.object_store_endpoint)
        return {name: parquet_rows(self.parquet_path(name)) for name in tables}

    def connect_readonly(self) -> duckdb.DuckDBPyConnection:
        from pipelines.core.publish.database import open_readonly

        return open_readonly(self.db_path)

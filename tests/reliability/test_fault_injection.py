"""Crashes lose nothing: SIGKILL `newsevents run` at stage boundaries and during publish, then check the warehouse is
exactly the previous or the new one (DuckDB and Parquet alike, never mixed) and that the next run repairs everything.
Disk-full and permission errors while publishing give a clear message and leave the old warehouse intact."""
from __future__ import annotations

import errno
import os
import random
import string
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from tests.reliability._run import (
    REPO, SEED_FILES, copy_warehouse, glob_sees_temp_files, kill_when, leftover_temp_files, make_input, run_cli, run_ok, snapshot, start_cli,
)


def _assert_previous_or_new(wh: Path, refs: dict) -> str:
    snap = snapshot(wh)
    which = {}
    for part in ("duckdb", "parquet", "reports"):
        if snap[part] == refs["before"][part]:
            which[part] = "previous"
        elif snap[part] == refs["after"][part]:
            which[part] = "new"
        else:
            mixed = {t: ("prev" if v == refs["before"][part].get(t) else "new" if v == refs["after"][part].get(t) else "neither")
                     for t, v in (snap[part] or {}).items()}
            raise AssertionError(f"{part} is neither the previous nor the new warehouse: {mixed}")
    assert which["duckdb"] == which["parquet"] == which["reports"], f"DuckDB, Parquet and reports disagree after the kill: {which}"
    return which["duckdb"]


def _kill_and_recover(refs: dict, name: str, marker_for) -> str:
    wh = copy_warehouse(refs["wh_a"], refs["tmp"] / f"wh_kill_{name}")
    started = time.time()
    proc = start_cli(refs["input_b"], wh, refs["tmp"] / f"kill_{name}.log")
    marker, seen = marker_for(wh, started), []

    def marker_and_glob() -> bool:  # polled every few ms during the run: no reader glob may ever see a temp file
        seen.extend(glob_sees_temp_files(wh))
        return marker()

    killed = kill_when(proc, marker_and_glob)
    assert seen == [], f"a parquet/<table>/* or reports/* glob saw temp files: {sorted(set(seen))[:5]}"
    assert killed, f"the run finished before the kill point '{name}' was reached:\n{(refs['tmp'] / f'kill_{name}.log').read_text()[-2000:]}"
    state = _assert_previous_or_new(wh, refs)
    run_ok(refs["input_b"], wh)  # the next run repairs everything
    assert snapshot(wh) == refs["after"]
    assert leftover_temp_files(wh) == []
    assert not (wh / ".publish-journal.json").exists()
    return state


def _stage_written(stage: str):
    """A stage file written by this run: _stage/<stage>.parquet, or a batch file _stage/<stage>/<batch>.parquet."""
    def factory(wh: Path, started: float):
        p, folder = wh / "_stage" / f"{stage}.parquet", wh / "_stage" / stage

        def written(f: Path) -> bool:
            try:
                return f.stat().st_mtime >= started
            except FileNotFoundError:
                return False

        return lambda: written(p) or (folder.is_dir() and any(written(f) for f in folder.iterdir()))
    return factory


def _publish_temp(pattern: str):
    def factory(wh: Path, started: float):
        return lambda: any(wh.glob(pattern))
    return factory


@pytest.mark.slow
def test_kill_after_first_stage_and_recover(refs):
    """SIGKILL right after `documents` is staged -> the old warehouse, untouched; the next run completes."""
    assert _kill_and_recover(refs, "documents", _stage_written("documents")) == "previous"


def test_kill_during_publish_and_recover(refs):
    """CI: SIGKILL when the new DuckDB file is being built (every Parquet file already written as a temp file)."""
    assert _kill_and_recover(refs, "duckdb_tmp", _publish_temp("_publish/newsevents.duckdb.tmp-*")) == "previous"


@pytest.mark.slow
def test_kill_while_copying_reports_and_recover(refs):
    """The report files are staged in _publish/ with the tables: a kill there leaves the old reports too."""
    assert _kill_and_recover(refs, "report_tmp", _publish_temp("_publish/report__*.tmp-*")) == "previous"


@pytest.mark.slow
def test_kill_while_writing_parquet_and_recover(refs):
    assert _kill_and_recover(refs, "parquet_tmp", _publish_temp("_publish/*.parquet.tmp-*")) == "previous"


@pytest.mark.slow
def test_kill_at_every_stage_boundary_and_recover(refs):
    states = {}
    for stage in refs["stages"]:
        states[stage] = _kill_and_recover(refs, f"stage_{stage}", _stage_written(stage))
    assert set(states.values()) <= {"previous"}, states


# ------------------------------------------------------------------ deterministic kills inside Warehouse.publish
_PUBLISH_SCRIPT = r"""
import os, signal, sys
import polars as pl
from pathlib import Path
from pipelines.warehouse import Warehouse
wh, src, kill_at = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
tables = {d.name: pl.read_parquet(d / "data.parquet") for d in sorted((src / "parquet").iterdir())}
reports = {p.name: p for p in sorted((src / "reports").iterdir())}
real_replace, calls = os.replace, [0]
def replace(a, b):
    calls[0] += 1
    if calls[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(a, b)
os.replace = replace
Warehouse(path=wh).publish(tables, reports=reports)
print(calls[0])
"""


class _Crash(BaseException):
    """Stands in for SIGKILL in-process: not an Exception, so no `except` in the code under test can swallow it."""


def _check_crash_at_every_rename(refs, tmp_path, publish_killed_at) -> list[str]:
    """Kill the publisher at each os.replace of the commit: before the journal -> exactly the previous warehouse;
    after it -> recover() (run by the next publish) rolls forward to exactly the new one. Parquet and DuckDB agree."""
    from pipelines.warehouse import Warehouse

    src = refs["tmp"] / "wh_ab"  # the tables of the new warehouse
    full = copy_warehouse(refs["wh_a"], tmp_path / "full")
    n_renames = publish_killed_at(full, src, 0)
    new = snapshot(full)
    assert new["parquet"] == refs["after"]["parquet"] and new["reports"] == refs["after"]["reports"]
    assert n_renames >= 3
    outcomes = []
    for k in range(1, n_renames + 1):
        wh = copy_warehouse(refs["wh_a"], tmp_path / f"k{k}")
        publish_killed_at(wh, src, k)
        if (wh / ".publish-journal.json").exists():
            Warehouse(path=str(wh)).recover()
            assert snapshot(wh) == new, f"kill at rename {k}: roll-forward did not give the new warehouse"
            outcomes.append("rolled forward")
        else:
            assert snapshot(wh) == refs["before"], f"kill at rename {k}: the old warehouse was modified"
            outcomes.append("previous")
        Warehouse(path=str(wh)).recover()
        assert leftover_temp_files(wh) == []
        publish_killed_at(wh, src, 0)
        assert snapshot(wh) == new
    assert outcomes[0] == "previous" and outcomes[-1] == "rolled forward"
    return outcomes


def test_crash_at_every_rename_of_publish(refs, tmp_path, monkeypatch):
    """In-process and fast: the crash is an uncatchable exception raised instead of the k-th rename."""
    from pipelines.warehouse import Warehouse

    real_replace = os.replace

    def publish_killed_at(wh: Path, src: Path, k: int) -> int:
        calls = [0]

        def replace(a, b):
            calls[0] += 1
            if calls[0] == k:
                raise _Crash()
            return real_replace(a, b)

        monkeypatch.setattr(os, "replace", replace)
        try:
            Warehouse(path=str(wh)).publish(_tables(src), reports=_reports(src))
        except _Crash:
            assert k
        finally:
            monkeypatch.setattr(os, "replace", real_replace)
        return calls[0]

    _check_crash_at_every_rename(refs, tmp_path, publish_killed_at)


@pytest.mark.slow
def test_sigkill_at_every_rename_of_publish(refs, tmp_path):
    """The same with a real SIGKILL of a separate publisher process at the k-th rename."""
    def publish_killed_at(wh: Path, src: Path, k: int) -> int:
        r = subprocess.run([sys.executable, "-c", _PUBLISH_SCRIPT, str(wh), str(src), str(k)], cwd=REPO,
                           capture_output=True, text=True, timeout=300)
        if k:
            assert r.returncode == -9, (k, r.returncode, r.stderr[-2000:])
            return k
        assert r.returncode == 0, r.stderr
        return int(r.stdout.strip())

    _check_crash_at_every_rename(refs, tmp_path, publish_killed_at)


# ------------------------------------------------------------------ disk full / permission denied
def _tables(src: Path) -> dict[str, pl.DataFrame]:
    return {d.name: pl.read_parquet(d / "data.parquet") for d in sorted((src / "parquet").iterdir())}


def _reports(src: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted((src / "reports").iterdir())}


@pytest.mark.parametrize("where", ["parquet", "duckdb"])
@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EACCES])
def test_write_error_during_publish_is_clear_and_keeps_the_old_warehouse(refs, tmp_path, monkeypatch, where, err):
    import pipelines.core.publish.database as database
    from pipelines.warehouse import Warehouse

    wh = copy_warehouse(refs["wh_a"], tmp_path / "wh")
    failure = OSError(err, os.strerror(err), "the-file")
    if where == "parquet":
        real = pl.DataFrame.write_parquet
        calls = []

        def write_parquet(self, file, *a, **k):
            calls.append(file)
            if len(calls) == 2:
                raise failure
            return real(self, file, *a, **k)

        monkeypatch.setattr(pl.DataFrame, "write_parquet", write_parquet)
    else:
        def build_duckdb(path, *a, **k):
            Path(path).write_bytes(b"partial")
            raise failure

        monkeypatch.setattr(database, "build_duckdb", build_duckdb)
    with pytest.raises(OSError) as ei:
        Warehouse(path=str(wh)).publish(_tables(refs["tmp"] / "wh_ab"))
    msg = str(ei.value)
    assert str(wh) in msg and os.strerror(err) in msg and "left intact" in msg
    assert snapshot(wh) == refs["before"]
    assert leftover_temp_files(wh) == []


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    return r.returncode == 0


def test_real_disk_full_run_fails_clearly_and_keeps_the_old_warehouse(refs, tmp_path):
    """The previous warehouse copied onto a small tmpfs; a run with more input hits ENOSPC: clear message, old data kept."""
    mnt = tmp_path / "small"
    # 4 MB of room plus the extractor's derived-table cache (~3.6 MB of JSON), which the copy brings along
    tables = refs["wh_a"] / "_cache" / "extract_tables"
    extra_mb = -(-sum(f.stat().st_size for f in tables.rglob("*") if f.is_file()) // 2**20) if tables.exists() else 0
    if os.geteuid() != 0 or not _mount_tmpfs(mnt, f"{4 + extra_mb}m"):
        pytest.skip("needs root and tmpfs to make a small filesystem")
    try:
        wh = copy_warehouse(refs["wh_a"], mnt / "wh")
        big = make_input(tmp_path / "big_in", SEED_FILES[:2])
        # ~2.5 MB of distinct text documents: more than the free space once staged and published
        rnd = random.Random(8)
        for i in range(6):
            words = ("".join(rnd.choices(string.ascii_lowercase, k=rnd.randint(2, 9))) for _ in range(60_000))
            (big / f"filler_{i}.txt").write_text(" ".join(words) + ".\n")
        r = run_cli(big, wh)
        assert r.returncode != 0
        out = r.stderr
        assert "No space left on device" in out and "failed" in out, out[-3000:]
        assert snapshot(wh) == refs["before"]
        assert leftover_temp_files(wh) == []
        assert not list(wh.glob(".publish-journal.json*"))
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)

"""Helpers for black-box runs of `newsevents run` in a subprocess and for comparing warehouses."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"), key=lambda p: (p.stat().st_size, p.name))  # smallest first: fast runs
# Columns whose value is the wall-clock time of a run, not a function of the input.
VOLATILE_COLUMNS = {"ingested_at"}


def cli_cmd(input_dir: Path, warehouse: Path) -> list[str]:
    return [sys.executable, "-m", "pipelines.orchestration.cli", "run", "--input", str(input_dir), "--warehouse", str(warehouse)]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra or {})
    return env


def start_cli(input_dir: Path, warehouse: Path, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    fh = open(log, "wb")
    return subprocess.Popen(cli_cmd(input_dir, warehouse), cwd=REPO, stdout=fh, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=_env(env), start_new_session=True)


def run_cli(input_dir: Path, warehouse: Path, *, timeout: float = 900, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cli_cmd(input_dir, warehouse), cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=_env(env))


def run_ok(input_dir: Path, warehouse: Path, **kw) -> subprocess.CompletedProcess:
    r = run_cli(input_dir, warehouse, **kw)
    assert r.returncode == 0, f"newsevents run failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
    return r


def kill_when(proc: subprocess.Popen, marker: Callable[[], bool], *, timeout: float = 600, poll: float = 0.002) -> bool:
    """SIGKILL `proc` (its whole session) as soon as `marker()` is true; False if it exited before that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
            return True
        if proc.poll() is not None:
            return False
        time.sleep(poll)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    raise AssertionError(f"marker never appeared within {timeout}s")


def _digest(rows: list[tuple]) -> tuple[int, str]:
    h = hashlib.sha256()
    for r in sorted(map(repr, rows)):
        h.update(r.encode("utf-8", "surrogatepass"))
        h.update(b"\n")
    return len(rows), h.hexdigest()[:16]


def duckdb_snapshot(warehouse: Path) -> dict[str, tuple[int, str]] | None:
    """{table: (rows, digest)} of every base table in newsevents.duckdb (volatile columns left out); None if absent."""
    import duckdb

    db = warehouse / "newsevents.duckdb"
    if not db.exists():
        return None
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_type='BASE TABLE' ORDER BY 1").fetchall()]
        for t in tables:
            cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name=? ORDER BY ordinal_position", [t]).fetchall()]
            keep = ", ".join(f'"{c}"' for c in cols if c not in VOLATILE_COLUMNS)
            out[t] = _digest(con.execute(f'SELECT {keep} FROM "{t}"').fetchall())
        return out
    finally:
        con.close()


def parquet_snapshot(warehouse: Path) -> dict[str, tuple[int, str]]:
    """{table: (rows, digest)} of every WAREHOUSE/parquet/<table>/ (all its .parquet files), volatile columns left out."""
    import polars as pl

    out = {}
    root = warehouse / "parquet"
    if not root.is_dir():
        return out
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(f for f in d.rglob("*.parquet") if not f.name.startswith("."))
        if not files:
            continue
        df = pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")
        df = df.drop([c for c in df.columns if c in VOLATILE_COLUMNS])
        out[d.name] = _digest(df.rows())
    return out


_GENERATED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


def reports_snapshot(warehouse: Path) -> dict[str, str]:
    """{file: digest} of WAREHOUSE/reports/ (the page's "generated" time left out: a re-render of the same inputs
    in another run has another time); the report stamp is left out too (it records that time)."""
    root = warehouse / "reports"
    out = {}
    if not root.is_dir():
        return out
    for f in sorted(root.iterdir()):
        if f.is_file() and not f.name.startswith("."):
            data = f.read_bytes()
            if f.suffix == ".html":
                data = _GENERATED.sub("<generated>", data.decode("utf-8")).encode("utf-8")
            out[f.name] = hashlib.sha256(data).hexdigest()[:16]
    return out


def snapshot(warehouse: Path) -> dict:
    return {"duckdb": duckdb_snapshot(warehouse), "parquet": parquet_snapshot(warehouse),
            "reports": reports_snapshot(warehouse)}


def glob_sees_temp_files(warehouse: Path) -> list[str]:
    """What a reader's `parquet/<table>/*` or `reports/*` glob would match besides the published files (Python's
    glob skips dot files, DuckDB's read_parquet('.../*') does not): must always be empty."""
    out = [p for p in warehouse.glob("parquet/*/.*") if p.name != "data.parquet"]
    out += [p for p in warehouse.glob("parquet/*/*") if p.name != "data.parquet"]
    out += [p for p in [*warehouse.glob("reports/*"), *warehouse.glob("reports/.*")] if ".tmp" in p.name]
    return sorted(p.relative_to(warehouse).as_posix() for p in out)


def leftover_temp_files(warehouse: Path) -> list[str]:
    """Temp files of an interrupted write that a successful run must have removed (outside _stage/)."""
    return sorted(p.relative_to(warehouse).as_posix() for p in warehouse.rglob("*")
                  if ".tmp-" in p.name and "_stage" not in p.relative_to(warehouse).parts)


def copy_warehouse(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def make_input(dst: Path, seeds: list[Path], extra: dict[str, bytes] | None = None) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for s in seeds:
        shutil.copy(s, dst / s.name)
    for name, data in (extra or {}).items():
        (dst / name).write_bytes(data)
    return dst

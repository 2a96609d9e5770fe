"""`newsevents run [--input DIR] [--warehouse DIR]`: bring the warehouse up to date with the input folder, in-process.

It runs the very Definitions the Dagster UI shows (pipelines.definitions.build_definitions), with the input and
warehouse folders bound to the resources: plan the ingest batches (new files -> new batches; changed/removed files
or a new code version -> their batches again; see pipelines/orchestration/partitions.py), one `newsevents_batch` run per batch to
(re)process, then one `newsevents_downstream` run over every live batch; the whole update holds the warehouse's run
lock. Unchanged input: no batch runs, and the downstream stages reuse their caches.
Exit codes: 0 success, 1 a stage failed (named, with its cause), 2 bad usage (e.g. the input folder does not exist).
"""
from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import time
from pathlib import Path

SUMMARY_TABLES = ["documents", "stories", "story_duplicates", "events", "event_clusters", "actors", "quarantine"]


class _Progress(logging.Handler):
    """Turns Dagster's structured step events into one short line per stage."""

    def __init__(self, stream=sys.stderr):
        super().__init__(logging.DEBUG)
        self.stream = stream
        self.t0 = time.perf_counter()
        self.failures: list[tuple[str, str]] = []
        self.step_seconds: dict[str, float] = {}  # step -> seconds, summed over the runs of one update
        self._started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            if record.levelno >= logging.WARNING and step:
                self._line(f"  ! {step}: {record.getMessage()[:300]}")
            return
        kind = event.event_type_value
        elapsed = f"{time.perf_counter() - self.t0:7.1f}s"
        if kind == "STEP_START":
            self._started[step] = time.perf_counter()
            self._line(f"{elapsed}  ▶ {step}")
        elif kind == "STEP_SUCCESS":
            took = time.perf_counter() - self._started.pop(step, time.perf_counter())
            self.step_seconds[step] = round(self.step_seconds.get(step, 0.0) + took, 3)
            self._line(f"{elapsed}  ✓ {step}")
        elif kind == "STEP_FAILURE":
            err = event.event_specific_data.error
            cause = err.cause.message if err and err.cause else None
            msg = (cause or (err.message if err else "unknown error")).strip()
            self.failures.append((step, msg))
            self._line(f"{elapsed}  ✗ {step}: {msg.splitlines()[-1][:400] if msg else ''}")
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                sev = getattr(data.severity, "value", data.severity)
                self._line(f"{elapsed}  ! check {data.asset_check_key.to_user_string()} failed ({sev}): {data.description or ''}")
        elif kind == "STEP_SKIPPED":
            self._line(f"{elapsed}  - {step} skipped (an upstream blocking check failed)")

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


def _run_errors(result) -> list[tuple[str, str]]:
    """Errors that are not step failures (e.g. a resource that could not start: the run lock timed out)."""
    out = []
    for ev in result.all_events:
        data = getattr(ev, "event_specific_data", None)
        err = getattr(data, "error", None)
        if err is not None:
            msg = (err.cause.message if getattr(err, "cause", None) else err.message) or ""
            out.append((ev.step_key or ev.event_type_value.lower(), msg))
    return out


def _summary(warehouse_root: Path) -> str:
    from pipelines.core.publish.database import open_readonly

    db = warehouse_root / "newsevents.duckdb"
    con = open_readonly(db)
    try:
        have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_type='BASE TABLE'").fetchall()}
        parts = []
        for t in SUMMARY_TABLES:
            if t in have:
                parts.append(f"{t}={con.execute(f'SELECT count(*) FROM {t}').fetchone()[0]:,}")
        q = ""
        if "quarantine" in have:
            rows = con.execute("SELECT rule, count(*) FROM quarantine GROUP BY rule ORDER BY 2 DESC, 1 LIMIT 8").fetchall()
            if rows:
                q = "\n  quarantined by rule: " + ", ".join(f"{r}={n}" for r, n in rows)
    finally:
        con.close()
    return f"warehouse: {db}\n  " + "  ".join(parts) + q


def _prepare(input_dir: str | None, warehouse_dir: str | None, quiet: bool, batch_files: int | None,
             batch_bytes: int | None):
    """(input path, warehouse root, progress handler, Definitions, run config) shared by `run` and `watch`;
    None when the input folder does not exist (message printed)."""
    from dagster import logger

    from pipelines.definitions import build_definitions
    from pipelines.warehouse import InputFolder, Warehouse

    input_folder = InputFolder(path=input_dir, batch_max_files=batch_files, batch_max_bytes=batch_bytes)
    input_path = input_folder.resolved_path()
    if not input_path.exists():  # a folder (read recursively) or a single input file
        print(f"newsevents: input {input_path} does not exist (give a folder or a file)", file=sys.stderr)
        return None
    root = Warehouse(path=warehouse_dir).root
    print(f"newsevents: {input_path} -> {root}", file=sys.stderr)
    progress = _Progress(stream=open(os.devnull, "w") if quiet else sys.stderr)

    @logger(description="one line per stage on stderr")
    def progress_logger(_init_context):
        lg = logging.Logger("newsevents.progress", level=logging.DEBUG)
        lg.addHandler(progress)
        return lg

    defs = build_definitions(str(input_path), str(root), loggers={"progress": progress_logger},
                             batch_max_files=batch_files, batch_max_bytes=batch_bytes)
    return input_path, root, progress, defs, {"loggers": {"progress": {}}}


def _instance(root: Path, dagster_home: str | None):
    """The persistent instance shared with `make ui` (pipelines/orchestration/instance.py): --dagster-home, else $DAGSTER_HOME,
    else WAREHOUSE/_dagster."""
    from pipelines.orchestration.instance import open_instance

    return open_instance(root, dagster_home)


def _update(defs, instance, run_config, progress: _Progress, **kw):
    """One update (plan, batch runs, downstream run) with progress lines."""
    from pipelines.orchestration.runner import run_in_process

    def on_plan(prepared):
        p = prepared.plan
        progress._line(f"{time.perf_counter() - progress.t0:7.1f}s  ingest batches: {p.summary()} "
                       f"({len(p.live)} live, planned in {prepared.seconds:.1f}s)")

    def on_batch(batch, p):
        progress._line(f"{time.perf_counter() - progress.t0:7.1f}s  ── batch {batch}: {len(p.members(batch))} file(s), "
                       f"{p.reasons.get(batch, '')}")

    return run_in_process(defs, instance, run_config=run_config, on_plan=on_plan, on_batch=on_batch, **kw)


def _report_failure(update, progress: _Progress) -> None:
    result = update.runs[-1][1]
    failed = progress.failures or [(s.step_key, "failed") for s in result.get_step_failure_events()] or _run_errors(result)
    if update.failed != "downstream":
        print(f"newsevents: ingest {update.failed} failed; later batches and the downstream stages were not run "
              "(the published warehouse is unchanged; the next run retries the batch)", file=sys.stderr)
    for step, msg in failed:
        print(f"newsevents: stage '{step}' failed: {msg.strip().splitlines()[-1] if msg.strip() else msg}", file=sys.stderr)
    if not failed:
        print("newsevents: the run did not succeed (a blocking check failed; see messages above)", file=sys.stderr)


def run(input_dir: str | None, warehouse_dir: str | None, quiet: bool = False, batch_files: int | None = None,
        batch_bytes: int | None = None, dagster_home: str | None = None) -> int:
    prepared = _prepare(input_dir, warehouse_dir, quiet, batch_files, batch_bytes)
    if prepared is None:
        return 2
    _, root, progress, defs, run_config = prepared
    if _STANDALONE:
        # the ~500k objects of the imported libraries live until exit: keep them out of the cyclic GC's scans
        # (only in the console script, which exits right after the run; never inside a caller's process)
        gc.freeze()
    with _instance(root, dagster_home) as instance:
        try:
            update = _update(defs, instance, run_config, progress)
        except TimeoutError:  # the run lock: the message is already on stderr
            return 1
    if not update.success:
        _report_failure(update, progress)
        return 1
    print(_summary(root))
    return 0


def watch(input_dir: str | None, warehouse_dir: str | None, *, interval: float = 60.0, cycles: int | None = None,
          quiet: bool = False, log_json: str | None = None, batch_files: int | None = None,
          batch_bytes: int | None = None, dagster_home: str | None = None) -> int:
    """Keep the warehouse up to date with the input folder: an update every `interval` seconds in this one process
    (see pipelines/orchestration/watch.py for what stays loaded between updates and when an update is skipped)."""
    from pipelines.orchestration.watch import Watcher

    prepared = _prepare(input_dir, warehouse_dir, quiet, batch_files, batch_bytes)
    if prepared is None:
        return 2
    input_path, root, progress, defs, run_config = prepared
    with _instance(root, dagster_home) as instance:
        watcher = Watcher(defs, instance, lambda **kw: _update(defs, watcher.instance, run_config, progress, **kw),
                          progress=progress, log_json=log_json)
        code = watcher.loop(interval=interval, cycles=cycles, on_failure=lambda u: _report_failure(u, progress),
                            on_success=lambda u: print(_summary(root), flush=True))
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newsevents", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run the whole pipeline on an input folder")
    p_run.add_argument("--input", default=None,
                       help="input folder or single file (default: $NEWSEVENTS_INPUT or ./seeds of the project)")
    p_run.add_argument("--warehouse", default=None, help="warehouse folder (default: $NEWSEVENTS_WAREHOUSE or ./warehouse of the project)")
    p_run.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    p_run.add_argument("--batch-files", type=int, default=None, metavar="N",
                       help="at most N new files per ingest batch (default: rules/ingest.yaml, 1000)")
    p_run.add_argument("--batch-bytes", type=int, default=None, metavar="N",
                       help="at most N bytes of new files per ingest batch (default: rules/ingest.yaml, 64 MiB)")
    p_run.add_argument("--dagster-home", default=None, metavar="DIR",
                       help="Dagster instance folder shared with `make ui` (default: $DAGSTER_HOME or WAREHOUSE/_dagster)")
    p_watch = sub.add_parser("watch", help="keep the warehouse up to date with the input folder (one long-lived "
                             "process: an update every --interval seconds, skipped when nothing changed)")
    for a in p_run._actions[1:]:  # the same options as `run` (all but -h)
        p_watch._add_action(a)
    p_watch.add_argument("--interval", type=float, default=60.0, metavar="SECONDS",
                         help="seconds between the end of one update and the next look at the input (default 60)")
    p_watch.add_argument("--cycles", type=int, default=None, metavar="N", help="stop after N updates (default: never)")
    p_watch.add_argument("--log-json", default=None, metavar="FILE",
                         help="append one JSON line per update (seconds, steps, batches, skipped) to FILE")
    p_sql = sub.add_parser("sql", help="SQL over the published DuckDB database, read-only (a small shell, or -c SQL)")
    p_sql.add_argument("--warehouse", default=None, help="warehouse folder (default: $NEWSEVENTS_WAREHOUSE or ./warehouse of the project)")
    p_sql.add_argument("-c", "--command", dest="sql", default=None, metavar="SQL", help="run these statements, print the last result, exit")
    p_sql.add_argument("--csv", action="store_true", help="print results as CSV (every row) instead of a table")
    p_sql.add_argument("--max-rows", type=int, default=100, metavar="N", help="rows shown in a table (default 100)")
    args = parser.parse_args(argv)
    if args.command == "sql":
        from pipelines.sql import main as sql_main

        return sql_main(args.warehouse, args.sql, "csv" if args.csv else "box", args.max_rows)
    if args.command in ("run", "watch"):
        for opt in ("batch_files", "batch_bytes"):
            if getattr(args, opt) is not None and getattr(args, opt) < 1:
                parser.error(f"--{opt.replace('_', '-')} must be >= 1")
        if args.command == "watch":
            if args.interval < 0 or (args.cycles is not None and args.cycles < 1):
                parser.error("--interval must be >= 0 and --cycles >= 1")
            return watch(args.input, args.warehouse, interval=args.interval, cycles=args.cycles, quiet=args.quiet,
                         log_json=args.log_json, batch_files=args.batch_files, batch_bytes=args.batch_bytes,
                         dagster_home=args.dagster_home)
        return run(args.input, args.warehouse, quiet=args.quiet, batch_files=args.batch_files, batch_bytes=args.batch_bytes,
                   dagster_home=args.dagster_home)
    return 2


_STANDALONE = False  # set by entry(): this process is the `newsevents` command and ends with the run


def entry() -> None:
    """The console script: main(), then leave without the interpreter's teardown. Everything is written, fsynced
    and closed by then; the teardown would only run a full garbage collection over the ~500k objects of the
    imported libraries (~2 s, frozen out of the collector by run()) and report them as leaked native objects."""
    global _STANDALONE
    _STANDALONE = True
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()

"""`newsevents watch`: one long-lived process that keeps a warehouse up to date with an input folder.

An update of a few new files costs little work but, as a new process (`newsevents run`), a fixed start-up: the
interpreter and the libraries (~1.2 s), then the spaCy model, the actor dictionaries, gazetteer and event rules
(~1-2 s) - more than the work itself. The watcher pays that once:

* start: build the Definitions (the same as `newsevents run` and the Dagster UI), then `warm_up` the extractor
  (pipelines/core/extract/batch.py) so the first update does not carry the model load;
* every cycle: one update exactly as `newsevents run` does it (pipelines/orchestration/partitions.py: plan the ingest batches ->
  one `newsevents_batch` run per new/changed batch -> one `newsevents_downstream` run; the same run lock, the same
  tables), then wait `interval` seconds and look again;
* skipped cycle: when the previous update of this process succeeded and the plan has no batch to run or retire
  (unchanged input), nothing runs - not even the downstream job;
* a failed update is reported and retried by the next cycle (a failed batch stays pending in the registry);
* stop: after `cycles` updates, on SIGINT/SIGTERM (after the update in progress), or - exit code 3 - when the
  code or rules on disk no longer match the code version this process loaded (restart it to pick them up: the
  process must not stamp rows made by old in-memory rules with the new version).

Memory stays flat over cycles: the runs of a finished cycle are deleted from an ephemeral instance (the
CLI's persistent instance, shared with the UI, keeps them), and every stage reads and writes its frames through Parquet.
Every cycle can be logged as one JSON line (`log_json`): seconds, per-step seconds, batches, skipped, RSS.
"""
from __future__ import annotations

import gc
import json
import os
import signal
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from pipelines.core.cache import code_version, tree_version

EXIT_CODE_CHANGED = 3


def _rss_mib() -> float | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def _cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and of its reaped children (e.g. extract workers)."""
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


class Watcher:
    """`update(skip_unchanged=bool)` runs one update (pipelines.orchestration.cli._update); the rest is the loop around it."""

    def __init__(self, defs, instance, update: Callable[..., Any], *, progress=None, log_json: str | None = None):
        self.defs = defs
        self.instance = instance
        self.update = update
        self.progress = progress
        self.log_json = Path(log_json) if log_json else None
        self.version = code_version()
        self.stop = threading.Event()
        self.cycle = 0

    # ------------------------------------------------------------------------------------------------ logging
    def _say(self, text: str) -> None:
        if self.progress is not None:
            self.progress._line(text)

    def _log(self, record: dict) -> None:
        if self.log_json is not None:
            with self.log_json.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, default=str) + "\n")

    # ------------------------------------------------------------------------------------------------ steps
    def warm_up(self) -> float:
        from pipelines.core.extract.batch import warm_up

        warehouse = self.defs.resources["warehouse"]
        seconds = warm_up(warehouse.cache_dir / "extract_tables")
        self._say(f"watch: extractor loaded in {seconds:.1f}s")
        self._log({"event": "warm_up", "seconds": round(seconds, 3), "rss_mib": _rss_mib()})
        return seconds

    def run_cycle(self, skip_unchanged: bool):
        if self.progress is not None:
            self.progress.step_seconds = {}
            self.progress.failures = []
        started = datetime.now(timezone.utc).replace(tzinfo=None)
        t0, c0 = time.perf_counter(), _cpu_seconds()
        update = self.update(skip_unchanged=skip_unchanged)
        seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
        p = update.prepared.plan if update.prepared is not None else None
        record = {
            "event": "update", "cycle": self.cycle, "started": started.isoformat(timespec="seconds"),
            "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3), "skipped": update.skipped, "success": update.success,
            "failed": update.failed, "batches_run": list(p.to_run) if p else [], "new": len(p.new) if p else 0,
            "dirty": len(p.dirty) if p else 0, "retired": len(p.retired) if p else 0,
            "plan_seconds": update.prepared.seconds if update.prepared is not None else None,
            "steps": dict(self.progress.step_seconds) if self.progress is not None else {},
            "rss_mib": _rss_mib(),
        }
        self._log(record)
        if update.skipped:
            self._say(f"watch: cycle {self.cycle}: no change ({seconds:.2f}s)")
        else:
            self._say(f"watch: cycle {self.cycle}: {'done' if update.success else 'FAILED'} in {seconds:.1f}s")
        if self.instance is not None and self.instance.is_ephemeral:  # an in-memory instance: keep memory flat over cycles
            for _, result in update.runs:
                self.instance.delete_run(result.run_id)
        self.cycle += 1
        return update

    def loop(self, *, interval: float, cycles: int | None = None, on_failure=None, on_success=None) -> int:
        """Cycles until stopped; returns the exit code (0, 1 if the last update failed, 3 if the code changed)."""
        restore = self._handle_signals()
        try:
            self.warm_up()
            # the libraries, the model and the tables stay for the process's life: out of the cyclic GC's scans
            # (objects of later updates are collected as usual)
            gc.collect()
            gc.freeze()
            ok = False
            while not self.stop.is_set():
                if tree_version() != self.version:
                    self._say("watch: the code or rules on disk changed since this process started; stopping "
                              "(restart `newsevents watch` to use them)")
                    return EXIT_CODE_CHANGED
                try:
                    update = self.run_cycle(skip_unchanged=ok)
                except TimeoutError:  # another process holds the warehouse's run lock: try again next cycle
                    ok = False
                    update = None
                else:
                    ok = update.success
                    if not ok and on_failure:
                        on_failure(update)
                    elif ok and not update.skipped and on_success:
                        on_success(update)
                if cycles is not None and self.cycle >= cycles:
                    break
                self.stop.wait(interval)
            return 0 if ok else 1
        finally:
            restore()

    def _handle_signals(self) -> Callable[[], None]:
        """SIGINT/SIGTERM end the loop after the update in progress (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {}

        def stop(signum, _frame):
            self._say(f"watch: {signal.Signals(signum).name}: stopping after the current update")
            self.stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, stop)

        def restore():
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore

"""One run at a time per warehouse, and one publisher at a time: `filelock` locks on WAREHOUSE/.run.lock and
WAREHOUSE/.publish.lock (flock(2) on Unix, so `flock(1)` in a shell sees the same lock).

Runs share WAREHOUSE/_stage, so two runs on one warehouse must not interleave: a run holds `.run.lock` from resource
set-up to tear-down (the whole run for `newsevents run` / materialize, which execute in one process; each step's
process under a multiprocess executor). A second run waits up to lock_timeout_s, then fails clearly.

The lock is re-entrant within a process: one FileLock object per lock file, kept for the life of the process (a
FileLock releases its lock when garbage-collected, and filelock's own `is_singleton` registry holds only weak
references), shared by every thread (`thread_local=False`) and counted, because the warehouse resource, the IO
manager's nested copy and the runs an update starts all take it for the same warehouse.
"""
from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from pipelines.warehouse.layout import PUBLISH_LOCK_NAME, RUN_LOCK_NAME

_LOCKS: dict[str, FileLock] = {}
_LOCKS_GUARD = threading.Lock()


def file_lock(path: Path) -> FileLock:
    """The process-wide lock object of a lock file (the lock file is kept: another process may be waiting on it)."""
    key = str(Path(path).resolve())
    with _LOCKS_GUARD:
        if key not in _LOCKS:
            _LOCKS[key] = FileLock(key, thread_local=False, preserve_lock_file=True, poll_interval=0.2)
        return _LOCKS[key]


def acquire(lock: FileLock, timeout: float, *, waiting_message: str | None = None) -> None:
    """Take `lock` (re-entrant), waiting at most `timeout` s; print `waiting_message` to stderr once if it has to
    wait. Raises TimeoutError (filelock.Timeout) when it is not granted in time."""
    try:
        lock.acquire(timeout=0)
        return
    except Timeout:
        if timeout <= 0:
            raise
    if waiting_message:  # stderr: a resource set-up failure is not a step event the CLI would show
        print(f"newsevents: {waiting_message}", file=sys.stderr, flush=True)
    lock.acquire(timeout=timeout)


class RunLock:
    """The run lock and the publish lock (mixed into the Warehouse resource; needs `root` and `lock_timeout_s`)."""

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
        lock_file = self.root / RUN_LOCK_NAME
        timeout = self.lock_timeout_s if timeout is None else timeout
        waiting = None if quiet else f"waiting for another newsevents run to finish with {self.root} ..."
        try:
            acquire(file_lock(lock_file), timeout, waiting_message=waiting)
        except Timeout:
            msg = (f"another newsevents run is using the warehouse {self.root} (lock {lock_file} held > "
                   f"{timeout:.0f}s); wait for it or use another warehouse folder")
            if not quiet:
                print(f"newsevents: {msg}", file=sys.stderr, flush=True)
            raise TimeoutError(msg) from None

    def release_run_lock(self) -> None:
        lock = file_lock(self.root / RUN_LOCK_NAME)
        if lock.is_locked:
            lock.release()

    @contextlib.contextmanager
    def publish_lock(self) -> Iterator[None]:
        """One publisher at a time per warehouse; a second one waits (up to lock_timeout_s) then fails clearly."""
        lock_file = self.root / PUBLISH_LOCK_NAME
        lock = file_lock(lock_file)
        try:
            acquire(lock, self.lock_timeout_s)
        except Timeout:
            raise TimeoutError(f"another newsevents run is publishing to {self.root} (lock {lock_file} held > "
                               f"{self.lock_timeout_s:.0f}s)") from None
        try:
            yield
        finally:
            lock.release()

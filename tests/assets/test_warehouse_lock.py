"""The warehouse run lock (pipelines/warehouse/lock.py, filelock): held across processes, re-entrant within one, and
not dropped when the objects that took it are garbage-collected."""
import gc
import subprocess
import sys

import pytest

from pipelines.warehouse import Warehouse


def _other_process_can_lock(path) -> bool:
    return subprocess.run(["flock", "-n", str(path), "true"]).returncode == 0


def test_run_lock_excludes_other_processes_and_is_reentrant(tmp_path):
    w = Warehouse(path=str(tmp_path / "wh"))
    lock_file = w.root / ".run.lock"
    w.acquire_run_lock()
    Warehouse(path=str(tmp_path / "wh")).acquire_run_lock()  # a second resource object of the same warehouse
    gc.collect()
    assert not _other_process_can_lock(lock_file)
    w.release_run_lock()
    assert not _other_process_can_lock(lock_file)  # still held once
    w.release_run_lock()
    assert _other_process_can_lock(lock_file)
    w.release_run_lock()  # releasing a lock not held is a no-op


def test_run_lock_times_out_when_another_process_holds_it(tmp_path):
    w = Warehouse(path=str(tmp_path / "wh"))
    hold = ("import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); print('held', "
            "flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(w.root / ".run.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(TimeoutError, match="another newsevents run"):
            w.acquire_run_lock(timeout=0.3, quiet=True)
    finally:
        holder.kill()
        holder.wait()
    with w.holding_run_lock(timeout=5):
        assert not _other_process_can_lock(w.root / ".run.lock")

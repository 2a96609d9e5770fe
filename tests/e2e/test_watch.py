"""`newsevents watch`: one long-lived process, one update per cycle. An unchanged input runs nothing, new files are
picked up by the next cycle, the warehouse equals a fresh full run of the same input, and a change to the code on
disk stops the watcher (it must not stamp rows of old in-memory rules with the new code version)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipelines.core.publish.compare import compare_warehouses

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO / "seeds").glob("*.txt"))


def _watcher(inp: Path, wh: Path, tmp: str, log_json: Path | None = None):
    from pipelines.orchestration.cli import _instance, _prepare, _update
    from pipelines.orchestration.watch import Watcher

    _, _, progress, defs, run_config = _prepare(str(inp), str(wh), True, None, None)
    instance = _instance(wh, tmp)
    return Watcher(defs, instance, lambda **kw: _update(defs, instance, run_config, progress, **kw),
                   progress=progress, log_json=str(log_json) if log_json else None)


def _n_runs(instance) -> int:
    return len(instance.get_run_records())


def test_unchanged_input_runs_nothing_new_files_are_picked_up_and_equal_a_full_run(tmp_path):
    inp, wh = tmp_path / "in", tmp_path / "wh"
    inp.mkdir()
    for p in SEEDS[:3]:
        shutil.copy(p, inp / p.name)
    with tempfile.TemporaryDirectory() as tmp:
        w = _watcher(inp, wh, tmp, tmp_path / "watch.jsonl")
        assert w.warm_up() > 0
        first = w.run_cycle(skip_unchanged=False)
        assert first.success and not first.skipped and len(first.runs) == 2  # one batch run + downstream
        runs = _n_runs(w.instance)
        idle = w.run_cycle(skip_unchanged=True)
        assert idle.success and idle.skipped and idle.runs == []
        assert _n_runs(w.instance) == runs  # not even the downstream job ran
        for p in SEEDS[3:]:
            shutil.copy(p, inp / p.name)
        more = w.run_cycle(skip_unchanged=True)
        assert more.success and not more.skipped and [label for label, _ in more.runs][-1] == "downstream"
        assert len(more.prepared.plan.new) == 1 and more.prepared.plan.dirty == []  # only the new files' batch
    records = [json.loads(line) for line in (tmp_path / "watch.jsonl").read_text().splitlines()]
    assert [r["event"] for r in records] == ["warm_up", "update", "update", "update"]
    assert [r["skipped"] for r in records[1:]] == [False, True, False]
    assert records[3]["steps"]["extract"] > 0 and records[2]["steps"] == {}
    # the warehouse the watcher kept up to date equals a fresh full run of the same input
    full = tmp_path / "wh_full"
    proc = subprocess.run([sys.executable, "-m", "pipelines.orchestration.cli", "run", "--quiet", "--input", str(inp),
                           "--warehouse", str(full)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    diff = compare_warehouses(wh, full)
    assert {"documents", "stories", "events", "event_clusters"} <= set(diff)
    assert all(d["equal"] for d in diff.values()), {t: d for t, d in diff.items() if not d["equal"]}


def test_a_failed_update_is_not_skipped_next_time(tmp_path, monkeypatch):
    """skip_unchanged is only passed after a successful update: after a failure the next cycle runs again."""
    import pipelines.orchestration.watch as watch

    calls = []

    class Update:
        def __init__(self, ok):
            self.success, self.skipped, self.runs, self.failed, self.prepared = ok, False, [], None if ok else "downstream", None

    outcomes = iter([False, True, True])

    w = watch.Watcher.__new__(watch.Watcher)
    w.defs, w.instance, w.progress, w.log_json, w.cycle = None, None, None, None, 0
    w.version = watch.code_version()
    w.stop = watch.threading.Event()
    w.update = lambda skip_unchanged: (calls.append(skip_unchanged), Update(next(outcomes)))[1]
    monkeypatch.setattr(w, "warm_up", lambda: 0.0)
    failures = []
    assert w.loop(interval=0, cycles=3, on_failure=failures.append) == 0
    assert calls == [False, False, True] and len(failures) == 1


def test_code_change_on_disk_stops_the_watcher(monkeypatch):
    import pipelines.orchestration.watch as watch

    w = watch.Watcher.__new__(watch.Watcher)
    w.defs, w.instance, w.progress, w.log_json, w.cycle = None, None, None, None, 0
    w.version = "the-version-this-process-loaded"
    w.stop = watch.threading.Event()
    w.update = lambda skip_unchanged: (_ for _ in ()).throw(AssertionError("must not run an update"))
    monkeypatch.setattr(w, "warm_up", lambda: 0.0)
    assert w.loop(interval=0, cycles=2) == watch.EXIT_CODE_CHANGED


def test_cli_watch_cycles_and_json_log(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SEEDS[0], inp / SEEDS[0].name)
    log = tmp_path / "log.jsonl"
    proc = subprocess.run([sys.executable, "-m", "pipelines.orchestration.cli", "watch", "--quiet", "--input", str(inp),
                           "--warehouse", str(tmp_path / "wh"), "--interval", "0", "--cycles", "2",
                           "--log-json", str(log)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "documents=1" in proc.stdout  # the summary after the update that changed the warehouse
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["event"], r.get("skipped")) for r in records] == [("warm_up", None), ("update", False), ("update", True)]
    assert all(r["success"] for r in records[1:]) and records[1]["cpu_seconds"] > 0
    bad = subprocess.run([sys.executable, "-m", "pipelines.orchestration.cli", "watch", "--input", str(tmp_path / "missing")],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "does not exist" in bad.stderr

"""release_memory (pipelines.core.memory) and its hook on the downstream job."""
from __future__ import annotations

import platform

from pipelines.core.memory import release_memory


def test_release_memory_trims_on_glibc():
    libc, _ = platform.libc_ver()
    assert release_memory() is (libc == "glibc")


def test_downstream_steps_release_memory():
    from pipelines.definitions import build_definitions
    from pipelines.orchestration.jobs import BATCH_JOB_NAME, DOWNSTREAM_JOB_NAME

    defs = build_definitions()
    assert "release_memory" in {h.name for h in defs.resolve_job_def(DOWNSTREAM_JOB_NAME).hook_defs}
    assert not defs.resolve_job_def(BATCH_JOB_NAME).hook_defs  # batch steps are bounded by the batch


def test_full_collection_only_after_a_long_step(monkeypatch):
    """A full gc after the first call and after more than FULL_COLLECT_AFTER_S; young generations after a short
    step; an explicit `full` wins."""
    from pipelines.core import memory

    clock = [100.0]
    seen = []
    monkeypatch.setattr(memory.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(memory.gc, "collect", lambda generation=2: seen.append(generation))
    monkeypatch.setattr(memory, "_last_release", [])
    memory.release_memory()                     # first call of the process
    clock[0] += 0.2
    memory.release_memory()                     # a short step
    clock[0] += memory.FULL_COLLECT_AFTER_S + 0.5
    memory.release_memory()                     # a long step
    clock[0] += 0.1
    memory.release_memory(full=True)
    clock[0] += 5.0
    memory.release_memory(full=False)
    assert seen == [2, 1, 2, 2, 1]

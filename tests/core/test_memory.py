"""release_memory (pipelines.core.memory) and its hook on the downstream job."""
from __future__ import annotations

import platform

from pipelines.core.memory import release_memory


def test_release_memory_trims_on_glibc():
    libc, _ = platform.libc_ver()
    assert release_memory() is (libc == "glibc")


def test_downstream_steps_release_memory():
    from pipelines.definitions import build_definitions
    from pipelines.partitions import BATCH_JOB_NAME, DOWNSTREAM_JOB_NAME

    defs = build_definitions()
    assert "release_memory" in {h.name for h in defs.resolve_job_def(DOWNSTREAM_JOB_NAME).hook_defs}
    assert not defs.resolve_job_def(BATCH_JOB_NAME).hook_defs  # batch steps are bounded by the batch

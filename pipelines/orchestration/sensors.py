"""The `new_input_files` sensor (off by default): new or changed input files -> ingest batches -> batch runs, then
one downstream run.

Each tick plans the batches (pipelines/orchestration/partitions.py, under the warehouse's run lock; skipped while a run holds it):
1. new/changed/removed files or a new code version -> the registry is updated, new batches are added as
   `ingest_batch` partitions (retired ones deleted) and one `newsevents_batch` run is requested per batch to run
   (run_key = batch + code version + member fingerprint: a tick never requests the same batch run twice);
2. only when every live batch is materialized with the current code (the clean step records it in the registry)
   and the registry differs from the one last published by the sensor (its cursor), one `newsevents_downstream` run
   is requested. This is how ordering is ensured: the downstream run is never requested while a batch is pending.
A failed batch run stays pending (the downstream run waits): re-execute it from the UI or run `newsevents run`.
"""
import hashlib
import os

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from pipelines.core.cache import batch_version
from pipelines.core.ingest import SUPPORTED
from pipelines.core.ingest.batches import batch_fingerprint
from pipelines.orchestration.jobs import BATCH_JOB_NAME, DOWNSTREAM_JOB_NAME
from pipelines.orchestration.partitions import apply, ingest_batch, plan
from pipelines.warehouse import InputFolder, Warehouse


def folder_fingerprint(root) -> tuple[str, int]:
    """Hash of (relative path, size, mtime_ns) of every supported file below root, and the file count."""
    h = hashlib.sha256()
    n = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for f in sorted(filenames):
            if os.path.splitext(f)[1].lower() not in SUPPORTED:
                continue
            p = os.path.join(dirpath, f)
            try:
                st = os.stat(p)
            except OSError:
                continue
            h.update(f"{os.path.relpath(p, root)}\x1f{st.st_size}\x1f{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
            n += 1
    return h.hexdigest()[:20], n


def registry_state(registry) -> str:
    """Fingerprint of the whole registry (files, batches, versions): what a downstream run would publish."""
    return hashlib.sha256(repr(registry.sort("batch_key", "path").rows()).encode("utf-8", "surrogatepass")).hexdigest()[:20]


def build_new_files_sensor(batch_job, downstream_job, warehouse_path: str | None = None):
    """`warehouse_path` as for the Warehouse resource (None: $NEWSEVENTS_WAREHOUSE or <project>/warehouse). The
    sensor builds its own Warehouse object rather than taking the resource, whose set-up would wait for the run lock."""

    @sensor(
        name="new_input_files",
        jobs=[batch_job, downstream_job],
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.STOPPED,
        description="Watches the input folder: new files become ingest batches (partitions of `ingest_batch`) and "
        "one newsevents_batch run each; changed/removed files or a new code version re-run their batches; once every "
        "batch is done, one newsevents_downstream run publishes. Off by default: turn it on in the UI (Automation).",
    )
    def new_input_files(context: SensorEvaluationContext, input_folder: InputFolder):
        warehouse = Warehouse(path=warehouse_path)
        root = input_folder.resolved_path()
        if not root.exists():
            return SkipReason(f"input {root} does not exist")
        try:
            with warehouse.holding_run_lock(timeout=0, quiet=True):
                p = plan(warehouse, input_folder)
                if p.to_run or p.retired or not p.registry.equals(warehouse.read_registry()):
                    apply(warehouse, p)
        except TimeoutError:
            return SkipReason(f"a run is using the warehouse {warehouse.root}; planning at the next tick")
        have = set(context.instance.get_dynamic_partitions(ingest_batch.name))
        dynamic = []
        if add := [b for b in p.live if b not in have]:
            dynamic.append(ingest_batch.build_add_request(add))
        if gone := [b for b in p.retired if b in have and b not in p.live]:
            dynamic.append(ingest_batch.build_delete_request(gone))
        version = batch_version()
        if p.to_run:
            runs = [RunRequest(job_name=BATCH_JOB_NAME, partition_key=b,
                               run_key=f"{b}:{version}:{batch_fingerprint(p.registry, b)}",
                               tags={"newsevents/batch_reason": p.reasons.get(b, "")[:200],
                                     "newsevents/batch_files": str(len(p.members(b)))})
                    for b in p.to_run]
            return SensorResult(run_requests=runs, dynamic_partitions_requests=dynamic)
        state = registry_state(p.registry)
        if state == context.cursor:
            return SensorResult(skip_reason=SkipReason(f"no change: {len(p.live)} batch(es) up to date"),
                                dynamic_partitions_requests=dynamic)
        return SensorResult(
            run_requests=[RunRequest(job_name=DOWNSTREAM_JOB_NAME, run_key=f"downstream:{state}",
                                     tags={"newsevents/batches": str(len(p.live))})],
            dynamic_partitions_requests=dynamic, cursor=state)

    return new_input_files

"""Partitioning by ingest batch: the `ingest_batch` dynamic partitions, the two jobs that use them, and the plan step
shared by `newsevents run`, the distributed runner and the sensor.

* `documents` and the `clean` multi-asset (clean_stories, removed_spans) are partitioned by `ingest_batch`, 1:1 on
  the batch key: documents[b] reads only the files of batch b, clean[b] only documents[b]. Memory and time of these
  stages are bounded by the batch (max_files / max_bytes), not by the corpus.
* Everything downstream (dedup, extract, link, quarantine, warehouse, report) is unpartitioned and reads every live
  batch (StageIOManager: a lazy scan over the batch files, or their union sorted by the table's key).
* The batches and which of them must run come from the pure planner (pipelines/core/ingest/batches.py) and the
  registry in WAREHOUSE/_batches/registry.parquet, which is the source of truth for the live batches of that
  warehouse (a Dagster instance can serve several warehouses; its dynamic partitions are kept in sync with it).

Flow of one update (plan_and_apply + the jobs below): plan -> write the registry, drop retired batches' files ->
add the new partitions on the instance -> run `newsevents_batch` once per new/dirty batch -> delete the retired
partitions -> run `newsevents_downstream` once. The last partitioned step (clean) records its batch as done with the
current code version; a batch whose run failed stays pending and is re-run by the next plan.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import polars as pl
from dagster import AssetSelection, DynamicPartitionsDefinition, HookContext, define_asset_job, success_hook

from pipelines.core.cache import batch_version
from pipelines.core.ingest.batches import BatchPlan, content_hasher, list_inputs, plan_batches, reset
from pipelines.resources import PARTITIONED_STAGES, QUARANTINE_BATCH_SEP, InputFolder, Warehouse

ingest_batch = DynamicPartitionsDefinition(name="ingest_batch")

BATCH_JOB_NAME = "newsevents_batch"
DOWNSTREAM_JOB_NAME = "newsevents_downstream"
BATCH_ASSETS = AssetSelection.assets(*PARTITIONED_STAGES)
DOWNSTREAM_ASSETS = AssetSelection.all() - BATCH_ASSETS


def batch_job(executor_def=None, name: str = BATCH_JOB_NAME):
    return define_asset_job(name, selection=BATCH_ASSETS, partitions_def=ingest_batch, executor_def=executor_def,
                            description="One ingest batch (partition of `ingest_batch`): documents + clean for the batch's files.")


@success_hook(name="release_memory")
def release_memory_hook(context: HookContext) -> None:
    """After each downstream step: hand the memory it freed back to the OS (pipelines.core.memory), so the next
    step, in the same process, does not start from this one's high-water mark."""
    from pipelines.core.memory import release_memory

    release_memory()


def downstream_job(executor_def=None, name: str = DOWNSTREAM_JOB_NAME):
    return define_asset_job(name, selection=DOWNSTREAM_ASSETS, executor_def=executor_def, hooks={release_memory_hook},
                            description="Everything after the batches (dedup, extract, link, quarantine, warehouse, report), "
                            "over every live ingest batch. Run it after the batch runs.")


def quarantine_stage(stage: str, batch: str) -> str:
    """The staged quarantine file name of a stage for one batch (removed with the batch)."""
    return f"{stage}{QUARANTINE_BATCH_SEP}{batch}"


def validated_partition(df: pl.DataFrame, model: Any, asset_key: str, *, warehouse: Warehouse, batch: str,
                        key_column: str | None = None, started: float | None = None, output_name: str | None = None,
                        extra_metadata: dict[str, Any] | None = None):
    """pipelines.assets._common.validated for one batch: the quarantine rows are staged per batch."""
    from pipelines.assets._common import Validated, frame_metadata
    from pipelines.core.validate import validate_frame

    outcome = validate_frame(df, model, asset_key, key_column=key_column)
    warehouse.stage_quarantine(quarantine_stage(asset_key, batch), outcome.quarantine)
    shown = outcome.valid if outcome.valid is not None else df
    md = frame_metadata(shown, started, rows_quarantined=outcome.n_quarantined, ingest_batch=batch, **(extra_metadata or {}))
    v = Validated(asset_key, outcome, output_name, md)
    v._unvalidated = df
    return v


@dataclass
class Prepared:
    plan: BatchPlan
    seconds: float
    removed_files: int


def plan(warehouse: Warehouse, input_folder: InputFolder, *, now: datetime | None = None,
         version: str | None = None) -> BatchPlan:
    """Plan the batches for the input folder against the warehouse's registry (no side effect). Batches whose staged
    files went missing are planned again."""
    registry = warehouse.read_registry()
    lost = [b for b in sorted(set(registry["batch_key"].to_list())) if not warehouse.batch_is_staged(b)]
    if lost:
        registry = reset(registry, lost)
    kw = {k: v for k, v in (("max_files", input_folder.batch_max_files), ("max_bytes", input_folder.batch_max_bytes)) if v}
    root = input_folder.resolved_path()
    return plan_batches(list_inputs(root), registry, code_version=version or batch_version(),
                        now=now or datetime.now(timezone.utc).replace(tzinfo=None),
                        content_hash=content_hasher(root), **kw)


def apply(warehouse: Warehouse, batch_plan: BatchPlan) -> int:
    """Persist a plan (caller holds the run lock): the registry, retired batches' staged files removed, leftovers of
    the unpartitioned layout removed. Returns the number of files removed."""
    warehouse.write_registry(batch_plan.registry)
    removed = warehouse.drop_unpartitioned_leftovers()
    for b in batch_plan.retired:
        removed += warehouse.drop_batch(b)
    return len(removed)


def plan_and_apply(warehouse: Warehouse, input_folder: InputFolder, instance=None, **kw) -> Prepared:
    """plan + apply + the instance's `ingest_batch` partitions synced (every live batch added, retired ones deleted)."""
    t0 = time.perf_counter()
    p = plan(warehouse, input_folder, **kw)
    n = apply(warehouse, p)
    if instance is not None:
        sync_instance(instance, p)
    return Prepared(p, round(time.perf_counter() - t0, 3), n)


def sync_instance(instance, batch_plan: BatchPlan) -> None:
    have = set(instance.get_dynamic_partitions(ingest_batch.name))
    missing = [b for b in batch_plan.live if b not in have]
    if missing:
        instance.add_dynamic_partitions(ingest_batch.name, missing)
    for b in batch_plan.retired:
        if b in have and b not in batch_plan.live:
            instance.delete_dynamic_partition(ingest_batch.name, b)


@dataclass
class UpdateResult:
    prepared: Prepared | None
    runs: list[tuple[str, Any]]  # (label, ExecutionResult) in execution order
    failed: str | None = None  # label of the run that failed ('batch <key>' or 'downstream')
    skipped: bool = False  # skip_unchanged and the plan had nothing to do: no run at all

    @property
    def success(self) -> bool:
        return self.failed is None and self.prepared is not None


def run_update(execute, warehouse: Warehouse, input_folder: InputFolder, instance, *, on_plan=None, on_batch=None,
               hold_lock: bool = True, skip_unchanged: bool = False) -> UpdateResult:
    """Plan, then `execute(BATCH_JOB_NAME, batch)` for every new/dirty batch (stops at the first failure: the
    downstream run never reads a half-updated set of batches), then `execute(DOWNSTREAM_JOB_NAME, None)`.

    `execute(job_name, partition_key)` returns a Dagster result with `.success`. hold_lock: keep the warehouse's run
    lock for the whole update (in-process runs re-enter it); executors whose steps run in other processes take
    the lock per step, so then only the plan is done under the lock.

    skip_unchanged: when the plan has no batch to run or retire, run nothing (not even the downstream job). Only for
    a caller that knows the downstream run already succeeded on this very set of batches, with this code (e.g. the
    previous cycle of `newsevents watch`); a fresh `newsevents run` always runs downstream."""
    runs: list[tuple[str, Any]] = []
    lock = warehouse.holding_run_lock()
    lock.__enter__()
    try:
        prepared = plan_and_apply(warehouse, input_folder, instance)
        if on_plan:
            on_plan(prepared)
        if skip_unchanged and not prepared.plan.to_run and not prepared.plan.retired:
            return UpdateResult(prepared, runs, skipped=True)
        if not hold_lock:
            lock.__exit__(None, None, None)
            lock = None
        for b in prepared.plan.to_run:
            if on_batch:
                on_batch(b, prepared.plan)
            r = execute(BATCH_JOB_NAME, b)
            runs.append((f"batch {b}", r))
            if not r.success:
                return UpdateResult(prepared, runs, failed=f"batch {b}")
        r = execute(DOWNSTREAM_JOB_NAME, None)
        runs.append(("downstream", r))
        return UpdateResult(prepared, runs, failed=None if r.success else "downstream")
    finally:
        if lock is not None:
            lock.__exit__(None, None, None)


@contextlib.contextmanager
def _without_output_capture():
    """JobDefinition.execute_in_process keeps every step's return value in the result (for output_for_node), so
    a run would hold each stage's frames until the result is dropped - and the batch runs of one update would
    pile up every batch's documents and texts (measured: +1.6 GB over a 111k-document corpus). The frames are
    already on disk (StageIOManager), so the pipeline runs without that capture: the same call with
    output_capturing_enabled=False (Dagster's private core_execute_in_process, pinned in requirements.lock)."""
    from dagster._core.execution import execute_in_process as eip

    original = eip.core_execute_in_process

    def no_capture(*args, **kwargs):
        kwargs["output_capturing_enabled"] = False
        return original(*args, **kwargs)

    eip.core_execute_in_process = no_capture
    try:
        yield
    finally:
        eip.core_execute_in_process = original


def run_in_process(defs, instance, *, run_config: dict | None = None, **kw) -> UpdateResult:
    """run_update with in-process runs of `defs` (pipelines.definitions.build_definitions), its input_folder and
    warehouse resources: what `newsevents run` does, for scripts (e.g. a benchmark) that used to call
    `defs.resolve_job_def("newsevents").execute_in_process()` before the pipeline was partitioned."""
    resources = dict(defs.resources or {})

    def execute(job_name: str, partition_key: str | None):
        with _without_output_capture():
            return defs.resolve_job_def(job_name).execute_in_process(
                instance=instance, partition_key=partition_key, raise_on_error=False, run_config=run_config)

    return run_update(execute, resources["warehouse"], resources["input_folder"], instance, **kw)


__all__ = ["UpdateResult", "run_in_process", "run_update", "BATCH_JOB_NAME", "DOWNSTREAM_JOB_NAME", "Prepared", "apply", "batch_job", "downstream_job", "ingest_batch",
           "plan", "plan_and_apply", "quarantine_stage", "sync_instance", "validated_partition"]

"""Partitioning by ingest batch: the `ingest_batch` dynamic partitions, and the plan step shared by `newsevents run`,
the distributed runner and the sensor.

* `documents` and the `clean` multi-asset (clean_stories, removed_spans) are partitioned by `ingest_batch`, 1:1 on
  the batch key: documents[b] reads only the files of batch b, clean[b] only documents[b]. Memory and time of these
  stages are bounded by the batch (max_files / max_bytes), not by the corpus.
* Everything downstream (dedup, extract, link, quarantine, warehouse, report) is unpartitioned and reads every live
  batch (StageIOManager: a lazy scan over the batch files, or their union sorted by the table's key).
* The batches and which of them must run come from the pure planner (pipelines/core/ingest/batches.py) and the
  registry in WAREHOUSE/_batches/registry.parquet, which is the source of truth for the live batches of that
  warehouse (a Dagster instance can serve several warehouses; its dynamic partitions are kept in sync with it).

Flow of one update (plan_and_apply here, the jobs in jobs.py, the runs in runner.py): plan -> write the registry,
drop retired batches' files -> add the new partitions on the instance -> run `newsevents_batch` once per new/dirty
batch -> delete the retired partitions -> run `newsevents_downstream` once. The last partitioned step (clean) records its batch as done with the
current code version; a batch whose run failed stays pending and is re-run by the next plan.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from dagster import DynamicPartitionsDefinition

from pipelines.core.cache import batch_version
from pipelines.core.ingest.batches import BatchPlan, content_hasher, list_inputs, plan_batches, reset
from pipelines.warehouse import InputFolder, Warehouse

ingest_batch = DynamicPartitionsDefinition(name="ingest_batch")


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
    limits = (("max_files", input_folder.batch_max_files), ("max_bytes", input_folder.batch_max_bytes))
    kw = {k: v for k, v in limits if v}
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

"""The pipeline on a real distributed engine: the same assets and resources, executed by dagster-dask.

Why Dask (dagster-dask) rather than Celery (dagster-celery + Redis):
* no broker or result backend to run and secure: the Dask scheduler is the queue, and the same config that starts a
  `LocalCluster` of 2 worker processes here points at an existing scheduler (`tcp://host:8786`) or at a
  `dask-kubernetes` cluster on a larger installation;
* one pip dependency set (dagster-dask, distributed), no Debian service in CI; a test can start and stop the
  whole cluster in-process, on loopback, in ~2 s;
* on Kubernetes the usual production path is dagster-k8s (one pod per run, see deploy/), with the Dask executor
  (or the k8s step executor) inside the run when one run must use more than one pod.
Celery earns its keep when many small runs share long-lived workers with routing by queue; our unit of work is one
ingest batch per run with a handful of heavy steps, which Dask schedules just as well with less machinery.

Multi-process executors re-import the job in every worker from a code pointer, so the job comes from
`build_reconstructable_job("pipelines.executors", "build_distributed_job", kwargs)` (see `reconstructable_job`)
and runs with `dagster.execute_job` on a persistent DagsterInstance (the StageIOManager hands frames between steps
through WAREHOUSE/_stage/*.parquet, which every worker on the machine, or a shared volume, can read).
No change to pipelines/definitions.py is needed; the lead may add the job there (`build_distributed_job()`).
"""
from __future__ import annotations

from typing import Any

from dagster import AssetSelection, Definitions, JobDefinition, define_asset_job

DISTRIBUTED_JOB_NAME = "newsevents_dask"


def dask_executor_config(n_workers: int = 2, address: str | None = None) -> dict[str, Any]:
    """dagster-dask executor config: a local cluster of `n_workers` processes (1 thread each: Dagster steps are
    not thread-safe), or an existing scheduler at `address`. Dashboard on a random free port (never a fixed 8787 that a second run would clash on)."""
    if address:
        return {"cluster": {"existing": {"address": address}}}
    return {"cluster": {"local": {"n_workers": n_workers, "threads_per_worker": 1, "processes": True,
                                  "dashboard_address": ":0"}}}


def build_distributed_job(input_path: str | None = None, warehouse_path: str | None = None, n_workers: int = 2,
                          address: str | None = None) -> JobDefinition:
    """The whole pipeline (every asset of pipelines.definitions) as a job on the dagster-dask executor."""
    from dagster_dask import dask_executor

    from pipelines.definitions import build_definitions

    base = build_definitions(input_path, warehouse_path)
    job = define_asset_job(
        DISTRIBUTED_JOB_NAME,
        selection=AssetSelection.all(),
        executor_def=dask_executor.configured(dask_executor_config(n_workers, address)),
        description="The whole pipeline on a Dask cluster (local: n worker processes; or an existing scheduler).",
    )
    defs = Definitions(assets=list(base.assets or []), resources=dict(base.resources or {}), jobs=[job])
    return defs.resolve_job_def(DISTRIBUTED_JOB_NAME)


def reconstructable_job(input_path: str, warehouse_path: str, n_workers: int = 2, address: str | None = None):
    """A ReconstructableJob pointing at build_distributed_job(...) with these arguments (for dagster.execute_job)."""
    from dagster import build_reconstructable_job

    return build_reconstructable_job(
        "pipelines.executors",
        "build_distributed_job",
        reconstructable_kwargs={"input_path": input_path, "warehouse_path": warehouse_path,
                                "n_workers": n_workers, "address": address},
    )


def run_distributed(input_path: str, warehouse_path: str, instance, n_workers: int = 2, address: str | None = None):
    """Run the whole pipeline on Dask and return the ExecutionResult (`instance` must be persistent)."""
    from dagster import execute_job

    return execute_job(reconstructable_job(input_path, warehouse_path, n_workers, address), instance=instance)

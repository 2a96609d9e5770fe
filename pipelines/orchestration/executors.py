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

Multi-process executors re-import the job in every worker from a code pointer, so the jobs come from
`build_reconstructable_job("pipelines.orchestration.executors", "build_distributed_job", kwargs)` (see `reconstructable_job`)
and run with `dagster.execute_job` on a persistent DagsterInstance (the StageIOManager hands frames between steps
through WAREHOUSE/_stage/, which every worker on the machine, or a shared volume, can read).

The partitioned flow is the one of `newsevents run` (pipelines.orchestration.runner.run_update): plan the ingest batches,
one `newsevents_dask_batch` run per new/dirty batch (partition key = batch), then one `newsevents_dask` run for
the unpartitioned rest. `run_distributed` starts ONE LocalCluster for all of these runs (workers keep their imports
between runs) unless given the address of an existing scheduler. Steps run in the workers, which take the
warehouse's run lock per step, so the orchestrating process holds it only while planning.
"""
from __future__ import annotations

from typing import Any

from dagster import Definitions, JobDefinition

DISTRIBUTED_JOB_NAME = "newsevents_dask"


def dask_executor_config(n_workers: int = 2, address: str | None = None) -> dict[str, Any]:
    """dagster-dask executor config: a local cluster of `n_workers` processes (1 thread each: Dagster steps are
    not thread-safe), or an existing scheduler at `address`. Dashboard on a random free port (never a fixed 8787 that a second run would clash on)."""
    if address:
        return {"cluster": {"existing": {"address": address}}}
    return {"cluster": {"local": {"n_workers": n_workers, "threads_per_worker": 1, "processes": True,
                                  "dashboard_address": ":0"}}}


DISTRIBUTED_BATCH_JOB_NAME = "newsevents_dask_batch"


class _Opaque:
    """Hides a value from dask's argument parsing. dask walks tuple arguments of `Client.submit`, and a DagsterRun is
    a NamedTuple; a partitioned run carries a KeyRangesPartitionsSubset that refuses iteration, so dagster-dask
    0.29.27 fails on every partitioned run ('Iteration is not allowed on `@record` KeyRangesPartitionsSubset')."""

    def __init__(self, value):
        self.value = value


def _query_on_dask_worker(dependencies, recon_job, opaque_run, run_config, step_keys, instance_ref, known_state):
    from dagster_dask.executor import query_on_dask_worker

    return query_on_dask_worker(dependencies, recon_job, opaque_run.value, run_config, step_keys, instance_ref, known_state)


def partition_safe_dask_executor():
    """dagster-dask's executor (same config) whose step submission passes the DagsterRun opaquely (see _Opaque).
    Only the `existing` and `local` cluster types are handled here; the others use dagster-dask's own code."""
    from dagster import multiple_process_executor_requirements
    from dagster._core.definitions.executor_definition import executor
    from dagster._core.errors import raise_execution_interrupts
    from dagster._utils import iterate_with_context
    from dagster_dask.executor import DaskExecutor, dask_executor, get_dask_resource_requirements

    class PartitionSafeDaskExecutor(DaskExecutor):
        def execute(self, plan_context, execution_plan):
            if self.cluster_type not in ("existing", "local"):
                yield from super().execute(plan_context, execution_plan)
                return
            import dask.distributed

            if not plan_context.instance.is_persistent:
                raise RuntimeError("Dask execution requires a persistent DagsterInstance")
            instance = plan_context.instance
            if self.cluster_type == "existing":
                cluster = self.cluster_configuration["address"]
            else:
                cluster = dask.distributed.LocalCluster(**self.build_dict(plan_context.job_name))
            with dask.distributed.Client(cluster) as client:
                futures, by_step = [], {}
                for level in execution_plan.get_steps_to_execute_by_level():
                    for step in level:
                        deps = [by_step[k] for si in step.step_inputs for k in si.dependency_keys]
                        fut = client.submit(
                            _query_on_dask_worker, deps, plan_context.reconstructable_job, _Opaque(plan_context.dagster_run),
                            plan_context.run_config, [step.key], instance.get_ref(), execution_plan.known_state,
                            key=f"{plan_context.job_name}.{step.key}.{plan_context.run_id[:8]}",
                            resources=get_dask_resource_requirements(step.tags))
                        futures.append(fut)
                        by_step[step.key] = fut
                done = dask.distributed.as_completed(futures, with_results=True)
                for _future, result in iterate_with_context(raise_execution_interrupts, done):
                    yield from result

    @executor(name="dask", requirements=multiple_process_executor_requirements(), config_schema=dask_executor.config_schema)
    def _executor(init_context):
        ((cluster_type, cluster_configuration),) = init_context.executor_config["cluster"].items()
        return PartitionSafeDaskExecutor(cluster_type, cluster_configuration)

    return _executor


def build_distributed_job(input_path: str | None = None, warehouse_path: str | None = None, n_workers: int = 2,
                          address: str | None = None, part: str = "downstream") -> JobDefinition:
    """A job of pipelines.definitions on the dagster-dask executor: part="batch" -> documents + clean for one ingest
    batch (partitioned); "downstream" -> everything else, over every live batch."""
    from pipelines.definitions import build_definitions
    from pipelines.orchestration.jobs import batch_job, downstream_job

    base = build_definitions(input_path, warehouse_path)
    executor = partition_safe_dask_executor().configured(dask_executor_config(n_workers, address))
    if part == "batch":
        job = batch_job(executor_def=executor, name=DISTRIBUTED_BATCH_JOB_NAME)
    elif part == "downstream":
        job = downstream_job(executor_def=executor, name=DISTRIBUTED_JOB_NAME)
    else:
        raise ValueError(f"part must be 'batch' or 'downstream', not {part!r}")
    defs = Definitions(assets=list(base.assets or []), resources=dict(base.resources or {}), jobs=[job])
    return defs.resolve_job_def(job.name)


def reconstructable_job(input_path: str, warehouse_path: str, n_workers: int = 2, address: str | None = None,
                        part: str = "downstream"):
    """A ReconstructableJob pointing at build_distributed_job(...) with these arguments (for dagster.execute_job)."""
    from dagster import build_reconstructable_job

    return build_reconstructable_job(
        "pipelines.orchestration.executors",
        "build_distributed_job",
        reconstructable_kwargs={"input_path": input_path, "warehouse_path": warehouse_path,
                                "n_workers": n_workers, "address": address, "part": part},
    )


def run_distributed(input_path: str, warehouse_path: str, instance, n_workers: int = 2, address: str | None = None,
                    batch_max_files: int | None = None, batch_max_bytes: int | None = None):
    """The partitioned pipeline on Dask (`instance` must be persistent): returns pipelines.orchestration.runner.UpdateResult
    (`.runs`: one (label, ExecutionResult) per batch run, then the downstream run)."""
    import contextlib

    from dagster import execute_job

    from pipelines.orchestration.jobs import BATCH_JOB_NAME
    from pipelines.orchestration.runner import run_update
    from pipelines.warehouse import InputFolder, Warehouse

    with contextlib.ExitStack() as stack:
        if address is None:
            from distributed import LocalCluster

            cluster = stack.enter_context(LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=":0"))
            address = cluster.scheduler_address

        def execute(job_name: str, partition_key: str | None):
            part = "batch" if job_name == BATCH_JOB_NAME else "downstream"
            tags = {"dagster/partition": partition_key} if partition_key else None
            return execute_job(reconstructable_job(input_path, warehouse_path, n_workers, address, part),
                               instance=instance, tags=tags)

        folder = InputFolder(path=input_path, batch_max_files=batch_max_files, batch_max_bytes=batch_max_bytes)
        return run_update(execute, Warehouse(path=warehouse_path), folder, instance, hold_lock=False)

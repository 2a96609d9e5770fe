"""The jobs: `newsevents_batch` (documents + clean for one ingest batch), `newsevents_downstream` (everything else,
over every live batch) and `newsevents` (the whole update from one op, so the UI's Launchpad can start it: plan the
batches, a batch run per new/dirty batch, then the downstream run - what `newsevents run` does)."""
from __future__ import annotations

from dagster import AssetSelection, Failure, HookContext, define_asset_job, job, op, success_hook

from pipelines.warehouse.layout import PARTITIONED_STAGES

JOB_NAME = "newsevents"
BATCH_JOB_NAME = "newsevents_batch"
DOWNSTREAM_JOB_NAME = "newsevents_downstream"
BATCH_ASSETS = AssetSelection.assets(*PARTITIONED_STAGES)
DOWNSTREAM_ASSETS = AssetSelection.all() - BATCH_ASSETS


def batch_job(executor_def=None, name: str = BATCH_JOB_NAME):
    """Partitioned by `ingest_batch` (inferred from the selected assets)."""
    return define_asset_job(name, selection=BATCH_ASSETS, executor_def=executor_def,
                            description="One ingest batch (partition of `ingest_batch`): documents + clean for the "
                            "batch's files.")


@success_hook(name="release_memory")
def release_memory_hook(context: HookContext) -> None:
    """After each downstream step: hand the memory it freed back to the OS (pipelines.core.memory), so the next
    step, in the same process, does not start from this one's high-water mark."""
    from pipelines.core.memory import release_memory

    release_memory()


def downstream_job(executor_def=None, name: str = DOWNSTREAM_JOB_NAME):
    return define_asset_job(name, selection=DOWNSTREAM_ASSETS, executor_def=executor_def, hooks={release_memory_hook},
                            description="Everything after the batches (dedup, extract, link, quarantine, warehouse, "
                            "report), over every live ingest batch. Run it after the batch runs.")


@op(required_resource_keys={"input_folder", "warehouse"},
    description="Plan the ingest batches, run `newsevents_batch` for each new/dirty batch, then "
    "`newsevents_downstream` (the same update as `newsevents run`, on this instance).")
def update(context) -> None:  # (no annotation: this module uses postponed annotations, Dagster checks the type)
    from pipelines.definitions import build_definitions
    from pipelines.orchestration.runner import run_in_process

    inp, wh = context.resources.input_folder, context.resources.warehouse
    defs = build_definitions(str(inp.resolved_path()), str(wh.root), batch_max_files=inp.batch_max_files,
                             batch_max_bytes=inp.batch_max_bytes)

    def on_plan(prepared):
        context.log.info(f"ingest batches: {prepared.plan.summary()} ({len(prepared.plan.live)} live)")

    result = run_in_process(defs, context.instance, on_plan=on_plan)
    for label, r in result.runs:
        context.log.info(f"{label}: run {r.run_id} {'succeeded' if r.success else 'FAILED'}")
    if not result.success:
        raise Failure(f"{result.failed} failed: see its run ({result.runs[-1][1].run_id}); the published warehouse "
                      "is unchanged unless the downstream run got to publish")


@job(name=JOB_NAME, description="The whole pipeline, no partition key needed: plan the ingest batches, ingest → "
     "clean each new/dirty batch (`newsevents_batch` runs), then dedup → extract → link → publish over every live "
     "batch (a `newsevents_downstream` run). Same as `newsevents run`.")
def update_job():
    update()

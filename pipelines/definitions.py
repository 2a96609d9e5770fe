"""The one Definitions entry point: assets (collected from pipelines/assets), checks, resources, jobs, sensor.

Jobs: `newsevents_batch` (documents + clean for one ingest batch, partitioned by `ingest_batch`),
`newsevents_downstream` (everything else, over every live batch) and `newsevents` (the whole update, no partition
key needed: what `newsevents run` does - plan the batches, one `newsevents_batch` run per new/dirty batch, then one
`newsevents_downstream` run - from one op, so the UI's Launchpad can start it on a fresh or an existing warehouse;
the runs it starts show in the UI beside it). See pipelines/partitions.py."""
from __future__ import annotations

import importlib
import pkgutil

from dagster import AssetsDefinition, Definitions, Failure, job, load_assets_from_modules, op

import pipelines.assets as assets_pkg
from pipelines.assets.publish import build_publish_assets
from pipelines.core.cache import STAGES, stage_version
from pipelines.io_manager import StageIOManager
from pipelines.partitions import BATCH_JOB_NAME, DOWNSTREAM_JOB_NAME, batch_job, downstream_job
from pipelines.warehouse import InputFolder, Warehouse
from pipelines.sensors import build_new_files_sensor
from schemas import PUBLIC_TABLES

JOB_NAME = "newsevents"
__all__ = ["BATCH_JOB_NAME", "DOWNSTREAM_JOB_NAME", "JOB_NAME", "build_definitions", "defs", "stage_assets"]
_NOT_STAGE_MODULES = {"_common", "publish"}


def stage_assets() -> list[AssetsDefinition]:
    """Every asset defined in pipelines/assets/<stage>.py (stages land one module at a time)."""
    modules = [
        importlib.import_module(f"{assets_pkg.__name__}.{m.name}")
        for m in sorted(pkgutil.iter_modules(assets_pkg.__path__), key=lambda m: m.name)
        if m.name not in _NOT_STAGE_MODULES
    ]
    return list(load_assets_from_modules(modules))


@op(required_resource_keys={"input_folder", "warehouse"},
    description="Plan the ingest batches, run `newsevents_batch` for each new/dirty batch, then `newsevents_downstream` "
    "(the same update as `newsevents run`, on this instance).")
def update(context) -> None:  # (no annotation: this module uses postponed annotations, Dagster checks the type)
    from pipelines.partitions import run_in_process

    inp, wh = context.resources.input_folder, context.resources.warehouse
    defs = build_definitions(str(inp.resolved_path()), str(wh.root), batch_max_files=inp.batch_max_files,
                             batch_max_bytes=inp.batch_max_bytes)

    def on_plan(prepared):
        context.log.info(f"ingest batches: {prepared.plan.summary()} ({len(prepared.plan.live)} live)")

    result = run_in_process(defs, context.instance, on_plan=on_plan)
    for label, r in result.runs:
        context.log.info(f"{label}: run {r.run_id} {'succeeded' if r.success else 'FAILED'}")
    if not result.success:
        raise Failure(f"{result.failed} failed: see its run ({result.runs[-1][1].run_id}); the published warehouse is "
                      "unchanged unless the downstream run got to publish")


@job(name=JOB_NAME, description="The whole pipeline, no partition key needed: plan the ingest batches, ingest → clean "
     "each new/dirty batch (`newsevents_batch` runs), then dedup → extract → link → publish over every live batch "
     "(a `newsevents_downstream` run). Same as `newsevents run`.")
def update_job():
    update()


def with_stage_version(assets_def: AssetsDefinition) -> AssetsDefinition:
    """The asset(s) with their stage's code version (pipelines.core.cache.stage_version; the stage is the group)."""
    (group,) = set(assets_def.group_names_by_key.values())
    if group not in STAGES:
        raise ValueError(f"asset group {group!r} is no stage of pipelines.core.cache.STAGES {STAGES}")
    version = stage_version(group)
    return assets_def.map_asset_specs(lambda spec: spec.replace_attributes(code_version=version))


def build_definitions(input_path: str | None = None, warehouse_path: str | None = None, loggers: dict | None = None,
                      batch_max_files: int | None = None, batch_max_bytes: int | None = None) -> Definitions:
    stages = stage_assets()
    keys = [k.to_user_string() for a in stages for k in a.keys]
    tables = [t for t in PUBLIC_TABLES if t in keys and t != "quarantine"]
    # `quarantine` runs after every stage that can stage rows; report-like assets downstream of warehouse excluded.
    producers = [k.to_user_string() for a in stages for k in a.keys if a.group_names_by_key.get(k) != "publish"]
    publish = build_publish_assets(tables, producers, report_key="report" if "report" in keys else None)
    warehouse = Warehouse(path=warehouse_path)
    batch, down = batch_job(), downstream_job()
    return Definitions(
        assets=[with_stage_version(a) for a in (*stages, *publish)],
        resources={
            "input_folder": InputFolder(path=input_path, batch_max_files=batch_max_files, batch_max_bytes=batch_max_bytes),
            "warehouse": warehouse,
            "io_manager": StageIOManager(warehouse=warehouse),
        },
        loggers=loggers,
        sensors=[build_new_files_sensor(batch, down, warehouse_path)],
        jobs=[update_job, batch, down],
    )


defs = build_definitions()

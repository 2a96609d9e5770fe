"""The one Definitions entry point: assets (one module per stage in pipelines/assets/), checks, resources, jobs and
the sensor (pipelines/orchestration/).

Jobs: `newsevents_batch` (documents + clean for one ingest batch, partitioned by `ingest_batch`),
`newsevents_downstream` (everything else, over every live batch) and `newsevents` (the whole update, no partition
key needed: what `newsevents run` does - plan the batches, one `newsevents_batch` run per new/dirty batch, then one
`newsevents_downstream` run - from one op, so the UI's Launchpad can start it on a fresh or an existing warehouse;
the runs it starts show in the UI beside it). See pipelines/orchestration/jobs.py."""
from __future__ import annotations

from dagster import AssetsDefinition, Definitions

from pipelines.assets import clean, dedup, extract, ingest, link, report
from pipelines.assets.publish import build_publish_assets
from pipelines.core.cache import STAGES, stage_version
from pipelines.io_manager import StageIOManager
from pipelines.orchestration.jobs import BATCH_JOB_NAME, DOWNSTREAM_JOB_NAME, JOB_NAME, batch_job, downstream_job
from pipelines.orchestration.jobs import update_job
from pipelines.orchestration.sensors import build_new_files_sensor
from pipelines.warehouse import InputFolder, Warehouse
from schemas import PUBLIC_TABLES

__all__ = ["BATCH_JOB_NAME", "DOWNSTREAM_JOB_NAME", "JOB_NAME", "build_definitions", "defs", "stage_assets"]


def stage_assets() -> list[AssetsDefinition]:
    """The stage assets, in pipeline order (the publish assets are built from them: build_publish_assets)."""
    return [ingest.documents, clean.clean, dedup.dedup, extract.extract, link.link, report.report]


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
    # `quarantine` reads the rows every stage asset staged (each validates its frames): all of them are its inputs
    producers = [k.to_user_string() for a in stages for k in a.keys if a.group_names_by_key.get(k) != "publish"]
    publish = build_publish_assets(tables, producers, report_key="report")
    warehouse = Warehouse(path=warehouse_path)
    batch, down = batch_job(), downstream_job()
    folder = InputFolder(path=input_path, batch_max_files=batch_max_files, batch_max_bytes=batch_max_bytes)
    return Definitions(
        assets=[with_stage_version(a) for a in (*stages, *publish)],
        resources={"input_folder": folder, "warehouse": warehouse, "io_manager": StageIOManager(warehouse=warehouse)},
        loggers=loggers,
        sensors=[build_new_files_sensor(batch, down, warehouse_path)],
        jobs=[update_job, batch, down],
    )


defs = build_definitions()

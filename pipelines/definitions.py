"""The one Definitions entry point: assets (collected from pipelines/assets), checks, resources, jobs, sensor.

Jobs: `newsevents_batch` (documents + clean for one ingest batch, partitioned by `ingest_batch`),
`newsevents_downstream` (everything else, over every live batch) and `newsevents` (every asset: with a partition
key it runs that batch and then the rest). `newsevents run` plans the batches and runs the first two
(pipelines/partitions.py)."""
from __future__ import annotations

import importlib
import pkgutil

from dagster import AssetSelection, AssetsDefinition, Definitions, define_asset_job, load_assets_from_modules

import pipelines.assets as assets_pkg
from pipelines.assets.publish import build_publish_assets
from pipelines.io_manager import StageIOManager
from pipelines.partitions import BATCH_JOB_NAME, DOWNSTREAM_JOB_NAME, batch_job, downstream_job, ingest_batch
from pipelines.resources import InputFolder, Warehouse
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
        assets=[*stages, *publish],
        resources={
            "input_folder": InputFolder(path=input_path, batch_max_files=batch_max_files, batch_max_bytes=batch_max_bytes),
            "warehouse": warehouse,
            "io_manager": StageIOManager(warehouse=warehouse),
        },
        loggers=loggers,
        sensors=[build_new_files_sensor(batch, down, warehouse_path)],
        jobs=[define_asset_job(JOB_NAME, selection=AssetSelection.all(), partitions_def=ingest_batch,
                               description="The whole pipeline for one ingest batch: ingest → clean of the batch, then "
                               "dedup → extract → link → publish over every live batch."),
              batch, down],
    )


defs = build_definitions()

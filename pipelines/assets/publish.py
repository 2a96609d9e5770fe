"""[publish] quarantine and warehouse: the only writers of the public Parquet files and newsevents.duckdb."""

import time
from typing import Sequence

import polars as pl
from dagster import AssetExecutionContext, AssetIn, AssetsDefinition, Failure, MetadataValue, Output, asset

from pipelines.assets._common import frame_metadata, markdown_preview
from pipelines.core.validate import validate_frame
from pipelines.warehouse import Warehouse
from schemas import PUBLIC_TABLES, all_models
from schemas.quarantine import Quarantine


def _publish_sql(models: dict[str, type], tables: dict[str, pl.DataFrame | pl.LazyFrame]) -> tuple[list[str], list[str]]:
    """COMMENT ON statements for the published tables and the analyst views (when every table they need exists)."""
    try:
        from pipelines.core.publish import views as views_mod
    except ModuleNotFoundError as e:
        if e.name != "pipelines.core.publish.views":
            raise
        return [], []
    comments = views_mod.comment_statements({t: m for t, m in models.items() if t in tables},
                                            columns={t: df.collect_schema().names() for t, df in tables.items()})
    views = views_mod.view_statements() if set(PUBLIC_TABLES) <= set(tables) else []
    return comments, views


def build_publish_assets(table_keys: Sequence[str], upstream_keys: Sequence[str],
                         report_key: str | None = None) -> list[AssetsDefinition]:
    """`quarantine` (after every stage) and `warehouse` (after every public table, and after `report_key` when the
    report asset exists: its files are published in the same commit) for the tables that exist."""

    @asset(
        name="quarantine",
        group_name="publish",
        deps=list(upstream_keys),
        description="Everything that could not be used, and why: rejected input files/records and rows that failed "
        "their table's schema, collected from every stage's staged quarantine rows.",
    )
    def quarantine(context: AssetExecutionContext, warehouse: Warehouse):
        started = time.perf_counter()
        df = warehouse.collect_quarantine()
        outcome = validate_frame(df, Quarantine, "quarantine")
        if not outcome.passed:
            raise Failure(f"quarantine rows do not match their own schema: {outcome.structural_errors or outcome.quarantine.head(3)}")
        by_rule = df.group_by("table_name", "rule").len().sort("len", descending=True)
        return Output(outcome.valid, metadata=frame_metadata(df, started, by_rule=MetadataValue.md(markdown_preview(by_rule, n=30))))

    ins = {t: AssetIn(key=t, dagster_type=pl.LazyFrame) for t in table_keys}  # streamed into the warehouse
    ins["quarantine"] = AssetIn(key="quarantine")

    @asset(
        name="warehouse",
        group_name="publish",
        ins=ins,
        deps=[report_key] if report_key else [],
        description="Publishes every table: WAREHOUSE/parquet/<table>/data.parquet (temp file + atomic rename each; a "
        "table staged as one file is hard-linked from the stage, not rewritten) and "
        "WAREHOUSE/newsevents.duckdb (built in WAREHOUSE/_publish/ with column comments and analyst views, read-only, "
        "then renamed over the old file), the report files (WAREHOUSE/reports/) and manifest.json, all in one journal "
        "commit. Readers holding the old database open keep a consistent snapshot.",
    )
    def warehouse_asset(context: AssetExecutionContext, warehouse: Warehouse, **tables: pl.LazyFrame):
        started = time.perf_counter()
        ordered = {t: tables[t] for t in PUBLIC_TABLES if t in tables}
        comments, views = _publish_sql(all_models(), ordered)
        # a table staged as one file (an unpartitioned asset) is that file: linked, not rewritten; the tables
        # staged per ingest batch are merged into one file by streaming their scans
        sources = {t: warehouse.stage_file(t) or lf for t, lf in ordered.items()}
        reports = None
        if report_key:  # rendered by the report asset into _stage/report/
            folder = warehouse.stage_dir / report_key
            reports = {p.name: p for p in sorted(folder.iterdir()) if p.is_file() and ".tmp" not in p.name} if folder.is_dir() else {}
        counts = warehouse.publish(sources, comments=comments, views=views, reports=reports)
        context.log.info(f"published {counts} to {warehouse.root}")
        md = {
            "database": MetadataValue.path(str(warehouse.db_path)),
            "row_counts": MetadataValue.json(counts),
            "views": MetadataValue.int(len(views)),
            "seconds": MetadataValue.float(round(time.perf_counter() - started, 3)),
        }
        md.update({f"rows/{t}": MetadataValue.int(n) for t, n in counts.items()})
        return Output(None, metadata=md)

    return [quarantine, warehouse_asset]

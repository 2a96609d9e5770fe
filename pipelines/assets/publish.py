"""[publish] quarantine and warehouse: the only writers of the public Parquet files and newsevents.duckdb (core:
pipelines.warehouse.journal for the atomic publish, pipelines.core.publish for the SQL)."""

from typing import Sequence

import polars as pl
from dagster import AssetExecutionContext, AssetIn, AssetsDefinition, Failure, MetadataValue, Output, asset

from pipelines.assets._common import describe, frame_metadata, metadata_value
from pipelines.assets.report import REPORT_STAGE
from pipelines.core.publish.statements import publish_sql
from pipelines.core.validate import validate_frame
from pipelines.warehouse import Warehouse
from schemas import PUBLIC_TABLES
from schemas.quarantine import Quarantine


def build_publish_assets(table_keys: Sequence[str], upstream_keys: Sequence[str],
                         report_key: str | None = None) -> list[AssetsDefinition]:
    """`quarantine` (after every stage that stages quarantine rows: `upstream_keys`) and `warehouse` (after every
    public table, and after `report_key`: its files are published in the same commit)."""

    @asset(name="quarantine", group_name="publish", deps=list(upstream_keys), description=describe("quarantine"))
    def quarantine(context: AssetExecutionContext, warehouse: Warehouse):
        df = warehouse.collect_quarantine()
        outcome = validate_frame(df, Quarantine, "quarantine")
        if not outcome.passed:
            raise Failure(f"quarantine rows do not match their own schema: "
                          f"{outcome.structural_errors or outcome.quarantine.head(3)}")
        by_rule = df.group_by("table_name", "rule").len().sort("len", descending=True)
        return Output(outcome.valid, metadata=frame_metadata(df, by_rule=by_rule))

    ins = {t: AssetIn(key=t, dagster_type=pl.LazyFrame) for t in table_keys}  # streamed into the warehouse
    ins["quarantine"] = AssetIn(key="quarantine")

    @asset(name="warehouse", group_name="publish", ins=ins, deps=[report_key] if report_key else [],
           description=describe("warehouse"))
    def warehouse_asset(context: AssetExecutionContext, warehouse: Warehouse, **tables: pl.LazyFrame):
        ordered = {t: tables[t] for t in PUBLIC_TABLES if t in tables}
        comments, views = publish_sql({t: lf.collect_schema().names() for t, lf in ordered.items()})
        # a table staged as one file (an unpartitioned asset) is that file: linked, not rewritten; the tables
        # staged per ingest batch are merged into one file by streaming their scans
        sources = {t: warehouse.stage_file(t) or lf for t, lf in ordered.items()}
        reports = warehouse.rendered_files(REPORT_STAGE) if report_key else None
        counts = warehouse.publish(sources, comments=comments, views=views, reports=reports)
        context.log.info(f"published {counts} to {warehouse.root}")
        md = {"database": MetadataValue.path(str(warehouse.db_path)), "row_counts": counts, "views": len(views),
              **{f"rows/{t}": n for t, n in counts.items()}}
        return Output(None, metadata={k: metadata_value(v) for k, v in md.items()})

    return [quarantine, warehouse_asset]

"""[publish] report: events timeline + who-acts-on-whom SVG charts and a static HTML page, rendered into
WAREHOUSE/_stage/report/ and published to WAREHOUSE/reports/ by the `warehouse` asset in the same commit as the
tables (so a crash never leaves reports that disagree with the database)."""

import base64
import time

import polars as pl
from dagster import AssetExecutionContext, AssetIn, MetadataValue, Output, asset

from pipelines.assets.link import upstream_ready
from pipelines.core.publish.report import render_report
from pipelines.warehouse import Warehouse

# inline previews larger than this are not embedded in the run's event log (the path is always attached)
MAX_INLINE_BYTES = 400_000


REPORT_STAGE = "report"


def report_stage_dir(warehouse: Warehouse):
    """Where the report is rendered; `warehouse` publishes these files to WAREHOUSE/reports/."""
    return warehouse.stage_dir / REPORT_STAGE


def _report(context: AssetExecutionContext, warehouse: Warehouse, events: pl.DataFrame, event_clusters: pl.DataFrame,
           stories: pl.LazyFrame):
    started = time.perf_counter()
    stories = stories.select("story_id", "published_date").collect()  # the report needs dates, never the texts
    actors = warehouse.read_stage("actors")
    # reuse=True: not rendered again when the files on disk were rendered for these very inputs (content hash)
    out = render_report(events, event_clusters, report_stage_dir(warehouse), stories=stories, actors=actors, reuse=True)
    context.log.info(f"report {'unchanged (same inputs)' if out['reused'] else 'written'}: {out['html']}")
    md = {
        "html": MetadataValue.path(str(out["html"])),
        "timeline_svg": MetadataValue.path(str(out["timeline"])),
        "actors_svg": MetadataValue.path(str(out["actors"])),
        "event_clusters": MetadataValue.int(out["n_clusters"]),
        "event_mentions": MetadataValue.int(out["n_mentions"]),
        "reused": MetadataValue.bool(out["reused"]),
        "seconds": MetadataValue.float(round(time.perf_counter() - started, 3)),
    }
    for key, path in (("timeline", out["timeline"]), ("who_acts_on_whom", out["actors"])):
        data = path.read_bytes()
        if len(data) <= MAX_INLINE_BYTES:
            md[key] = MetadataValue.md(f"![{key}](data:image/svg+xml;base64,{base64.b64encode(data).decode('ascii')})")
    return Output(None, metadata=md)


def build_report_asset():
    """The `report` asset."""
    return asset(
        name="report",
        group_name="publish",
        ins={"events": AssetIn(key="events"), "event_clusters": AssetIn(key="event_clusters"),
             "stories": AssetIn(key="stories")},
        description="Renders (into _stage/report/, published by `warehouse` with the tables) WAREHOUSE/reports/timeline.svg (real-world events per day by PLOVER type), "
        "WAREHOUSE/reports/actors.svg (who acts on whom) and WAREHOUSE/reports/index.html (both images plus the most "
        "reported events with their evidence). The timeline is shown in the asset's metadata.",
    )(_report)


if upstream_ready():  # see pipelines/assets/link.py
    report = build_report_asset()

"""[publish] report: events timeline + who-acts-on-whom SVG charts and a static HTML page, rendered into
WAREHOUSE/_stage/report/ and published to WAREHOUSE/reports/ by the `warehouse` asset in the same commit as the
tables (so a crash never leaves reports that disagree with the database). Core: pipelines.core.publish.report."""

import base64

import polars as pl
from dagster import AssetExecutionContext, MetadataValue, Output, asset

from pipelines.assets._common import describe, metadata_value
from pipelines.core.publish.report import render_report
from pipelines.warehouse import Warehouse

MAX_INLINE_BYTES = 400_000  # inline previews larger than this are not embedded in the event log (the path always is)
REPORT_STAGE = "report"


@asset(group_name="publish", description=describe("report"))
def report(context: AssetExecutionContext, warehouse: Warehouse, events: pl.DataFrame, event_clusters: pl.DataFrame,
           stories: pl.LazyFrame, actors: pl.DataFrame):
    stories = stories.select("story_id", "published_date").collect()  # the report needs dates, never the texts
    # reuse=True: not rendered again when the files on disk were rendered for these very inputs (content hash)
    out = render_report(events, event_clusters, warehouse.stage_dir / REPORT_STAGE, stories=stories, actors=actors,
                        reuse=True)
    context.log.info(f"report {'unchanged (same inputs)' if out['reused'] else 'written'}: {out['html']}")
    md = {"html": MetadataValue.path(str(out["html"])), "timeline_svg": MetadataValue.path(str(out["timeline"])),
          "actors_svg": MetadataValue.path(str(out["actors"])), "event_clusters": out["n_clusters"],
          "event_mentions": out["n_mentions"], "reused": out["reused"]}
    for key, path in (("timeline", out["timeline"]), ("who_acts_on_whom", out["actors"])):
        data = path.read_bytes()
        if len(data) <= MAX_INLINE_BYTES:
            md[key] = MetadataValue.md(f"![{key}](data:image/svg+xml;base64,{base64.b64encode(data).decode('ascii')})")
    return Output(None, metadata={k: metadata_value(v) for k, v in md.items()})

"""[ingest] documents: read the input folder; every file/record lands in documents or quarantine."""

import time
from collections import Counter
from datetime import datetime, timezone

from dagster import AssetExecutionContext, MetadataValue, asset

from pipelines.assets._common import schema_check_spec, validated
from pipelines.core.ingest import DEFAULT_MAX_BYTES, scan_folder
from pipelines.core.ingest.frame import ingest_frames
from pipelines.resources import InputFolder, Warehouse
from schemas.documents import Documents

INPUT_QUARANTINE_STAGE = "documents__inputs"


@asset(
    group_name="ingest",
    check_specs=[schema_check_spec("documents")],
    description="One row per input document (.txt file, news-please .json record, .jsonl line, .html page) with its "
    "decoded raw text and metadata. Unusable inputs (empty, binary, undecodable, broken JSON, no text, unsupported "
    "extension, too large...) go to `quarantine` with a named rule; documents + quarantined inputs = all inputs.",
)
def documents(context: AssetExecutionContext, input_folder: InputFolder, warehouse: Warehouse):
    started = time.perf_counter()
    root = input_folder.resolved_path()
    items = list(scan_folder(root, max_bytes=input_folder.max_bytes or DEFAULT_MAX_BYTES))
    docs, rejected = ingest_frames(
        items, now=datetime.now(timezone.utc).replace(tzinfo=None), previous=warehouse.read_stage("documents")
    )
    warehouse.stage_quarantine(INPUT_QUARANTINE_STAGE, rejected)
    by_rule = Counter(rejected["rule"].to_list())
    context.log.info(f"{root}: {docs.height} documents, {rejected.height} inputs quarantined {dict(by_rule)}")
    v = validated(
        docs, Documents, "documents", warehouse=warehouse, key_column="doc_id", started=started,
        extra_metadata={
            "input_folder": MetadataValue.path(str(root)),
            "inputs_quarantined": rejected.height,
            "quarantined_by_rule": MetadataValue.json(dict(by_rule)),
            "formats": MetadataValue.json(dict(Counter(docs["format"].to_list()))),
        },
    )
    yield from v.events()

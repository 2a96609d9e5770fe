"""[ingest] documents: the files of one ingest batch -> documents; every file/record lands in documents or quarantine."""

import time
from collections import Counter
from datetime import datetime, timezone

import polars as pl
from dagster import AssetExecutionContext, Failure, MetadataValue, asset

from pipelines.assets._common import schema_check_spec
from pipelines.core.ingest import DEFAULT_MAX_BYTES
from pipelines.core.ingest.batches import batch_members, read_batch
from pipelines.core.ingest.frame import ingest_frames
from pipelines.partitions import ingest_batch, quarantine_stage, validated_partition
from pipelines.warehouse import InputFolder, Warehouse
from schemas.documents import Documents

INPUT_QUARANTINE_STAGE = "documents__inputs"  # per batch: documents__inputs__<batch>


@asset(
    group_name="ingest",
    partitions_def=ingest_batch,
    check_specs=[schema_check_spec("documents")],
    description="One row per input document (.txt file, news-please .json record, .jsonl line, .html page) with its "
    "decoded raw text and metadata, for the files of one ingest batch (partition). Unusable inputs (empty, binary, "
    "undecodable, broken JSON, no text, unsupported extension, too large...) go to `quarantine` with a named rule; "
    "documents + quarantined inputs = all inputs. ingested_at = when the document was first ingested.",
)
def documents(context: AssetExecutionContext, input_folder: InputFolder, warehouse: Warehouse):
    started = time.perf_counter()
    batch = context.partition_key
    root = input_folder.resolved_path()
    members = batch_members(warehouse.read_registry(), batch)
    if not members:
        raise Failure(f"ingest batch {batch} is not a live batch of {warehouse.root} (retired, or planned for another "
                      "warehouse): `newsevents run` (or the new_input_files sensor) plans the batches")
    items = read_batch(root, members, max_bytes=input_folder.max_bytes or DEFAULT_MAX_BYTES)
    # first-ingest times come from the previous version of this batch's file (files never change batch)
    prev_path = warehouse.partition_path("documents", batch)
    if not prev_path.exists() and warehouse.first_ingested_path.exists():  # the warehouse predates the batches
        prev_path = warehouse.first_ingested_path
    previous = pl.read_parquet(prev_path, columns=["doc_id", "ingested_at"]) if prev_path.exists() else None
    docs, rejected = ingest_frames(items, now=datetime.now(timezone.utc).replace(tzinfo=None), previous=previous)
    warehouse.stage_quarantine(quarantine_stage(INPUT_QUARANTINE_STAGE, batch), rejected)
    by_rule = Counter(rejected["rule"].to_list())
    context.log.info(f"{root} batch {batch} ({len(members)} files): {docs.height} documents, "
                     f"{rejected.height} inputs quarantined {dict(by_rule)}")
    v = validated_partition(
        docs, Documents, "documents", warehouse=warehouse, batch=batch, key_column="doc_id", started=started,
        extra_metadata={
            "input_folder": MetadataValue.path(str(root)),
            "input_files": len(members),
            "inputs_quarantined": rejected.height,
            "quarantined_by_rule": MetadataValue.json(dict(by_rule)),
            "formats": MetadataValue.json(dict(Counter(docs["format"].to_list()))),
        },
    )
    yield from v.events()

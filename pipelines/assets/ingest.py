"""[ingest] documents: the files of one ingest batch -> documents; every file/record lands in documents or quarantine
(core: pipelines.core.ingest.stage)."""

from dagster import AssetExecutionContext, Failure, MetadataValue, asset

from pipelines.assets._common import describe, schema_check_spec, validated
from pipelines.core.ingest.batches import batch_members
from pipelines.core.ingest.stage import ingest_batch_files
from pipelines.orchestration.partitions import ingest_batch
from pipelines.warehouse import InputFolder, Warehouse
from pipelines.warehouse.layout import quarantine_stage
from schemas.documents import Documents

INPUT_QUARANTINE_STAGE = "documents__inputs"  # per batch: documents__inputs__<batch>


@asset(group_name="ingest", partitions_def=ingest_batch, check_specs=[schema_check_spec("documents")],
       description=describe("documents"))
def documents(context: AssetExecutionContext, input_folder: InputFolder, warehouse: Warehouse):
    batch, root = context.partition_key, input_folder.resolved_path()
    members = batch_members(warehouse.read_registry(), batch)
    if not members:
        raise Failure(f"ingest batch {batch} is not a live batch of {warehouse.root} (retired, or planned for another "
                      "warehouse): `newsevents run` (or the new_input_files sensor) plans the batches")
    # first-ingest times: the previous version of this batch's file (files never change batch), else the table
    # kept from a warehouse that predates the batches
    previous = [warehouse.partition_path("documents", batch), warehouse.first_ingested_path]
    docs, rejected, stats = ingest_batch_files(root, members, max_bytes=input_folder.max_bytes, previous=previous)
    warehouse.stage_quarantine(quarantine_stage(INPUT_QUARANTINE_STAGE, batch), rejected)
    context.log.info(f"{root} batch {batch} ({len(members)} files): {docs.height} documents, "
                     f"{rejected.height} inputs quarantined {stats['quarantined_by_rule']}")
    yield from validated(docs, Documents, "documents", warehouse=warehouse, batch=batch, key_column="doc_id",
                         extra_metadata={"input_folder": MetadataValue.path(str(root)), **stats})

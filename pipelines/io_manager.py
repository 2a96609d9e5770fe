"""StageIOManager: frames handed between assets are Parquet files in WAREHOUSE/_stage/.

This makes every asset re-materializable on its own (from the UI or the CLI), across processes and runs,
without a persistent DAGSTER_HOME; the public tables are written only by the `warehouse` asset.

Layout: an unpartitioned asset is `_stage/<asset>.parquet`; an asset partitioned by ingest batch
(pipelines/orchestration/partitions.py) is `_stage/<asset>/<batch>.parquet`, one file per batch.
* A partitioned consumer (clean[b]) gets its own batch's file (documents[b]).
* An unpartitioned consumer of a partitioned asset gets every live batch of the warehouse (the batch registry, not
  the instance's partition list, which may span several warehouses): a lazy `pl.scan_parquet([files])` in batch
  order when its parameter is annotated `pl.LazyFrame` (row order then follows the batches: sort if it matters),
  else the eager union sorted by the table's key (Warehouse.read_partitions), so the result does not depend on how
  the input was split into batches. No live batch: an empty frame with the stage's schema. A live batch that was
  never materialized: FileNotFoundError naming it.

Memory: an asset parameter annotated `pl.LazyFrame` receives a lazy scan (nothing is read until the asset collects a
slice or streams it), one annotated `pl.DataFrame` (or not annotated) the whole frame. An asset may return a
`pl.LazyFrame`: it is streamed to the stage file (polars' streaming sink), never collected whole; or a
`StagedFile` (pipelines/core/atomic.py), a Parquet file it already wrote, which is moved into place as it is.
"""
from __future__ import annotations

import polars as pl
from dagster import ConfigurableIOManager, InputContext, OutputContext

from pipelines.core.atomic import StagedFile
from pipelines.warehouse import Warehouse


def wants_lazy(context: InputContext) -> bool:
    """True when the consuming asset's parameter is annotated pl.LazyFrame."""
    try:
        return context.dagster_type.typing_type is pl.LazyFrame
    except AttributeError:  # pragma: no cover - very old dagster
        return False


def consumer_is_partitioned(context: InputContext) -> bool:
    """True when the asset loading this input is itself partitioned (then it reads its own partition only)."""
    try:
        assets_def = context.step_context.assets_def
    except Exception:  # built contexts in unit tests: no step
        return context.has_partition_key
    return assets_def is not None and assets_def.partitions_def is not None


class StageIOManager(ConfigurableIOManager):
    warehouse: Warehouse

    @staticmethod
    def _name(context: InputContext | OutputContext) -> str:
        return "__".join(context.asset_key.path)

    def handle_output(self, context: OutputContext, obj: pl.DataFrame | pl.LazyFrame | None) -> None:
        if obj is None:
            return
        if not isinstance(obj, (pl.DataFrame, pl.LazyFrame, StagedFile)):
            raise TypeError(f"asset {context.asset_key.to_user_string()} returned {type(obj).__name__}; assets hand polars DataFrames/LazyFrames to each other")
        batch = context.asset_partition_key if context.has_asset_partitions else None
        self.warehouse.write_stage(self._name(context), obj, batch=batch)

    def load_input(self, context: InputContext) -> pl.DataFrame | pl.LazyFrame:
        name = self._name(context)
        lazy = wants_lazy(context)
        if context.has_asset_partitions or self.warehouse.is_partitioned_stage(name):
            if consumer_is_partitioned(context):
                batch = context.asset_partition_key
                path = self.warehouse.partition_path(name, batch)
                if not path.exists():
                    raise FileNotFoundError(f"upstream asset '{name}' has not been materialized for ingest batch {batch} "
                                            f"({path}): materialize that partition first")
                return pl.scan_parquet(path) if lazy else pl.read_parquet(path)
            return self.warehouse.scan_partitions(name) if lazy else self.warehouse.read_partitions(name)
        if not self.warehouse.stage_path(name).exists():
            raise FileNotFoundError(f"upstream asset '{name}' has not been materialized into {self.warehouse.stage_dir} yet: materialize it first (or run the whole job)")
        return self.warehouse.scan_stage(name) if lazy else self.warehouse.read_stage(name)

"""StageIOManager: frames handed between assets are Parquet files in WAREHOUSE/_stage/<asset>.parquet.

This makes every asset re-materializable on its own (from the UI or the CLI), across processes and runs,
without a persistent DAGSTER_HOME; the public tables are written only by the `warehouse` asset.

Memory: an asset parameter annotated `pl.LazyFrame` receives a lazy scan of the staged file (nothing is read until
the asset collects a slice or streams it), one annotated `pl.DataFrame` (or not annotated) the whole frame. An asset
may return a `pl.LazyFrame`: it is streamed to the stage file (polars' streaming sink), never collected whole.
"""
from __future__ import annotations

import polars as pl
from dagster import ConfigurableIOManager, InputContext, OutputContext

from pipelines.resources import Warehouse


def wants_lazy(context: InputContext) -> bool:
    """True when the consuming asset's parameter is annotated pl.LazyFrame."""
    try:
        return context.dagster_type.typing_type is pl.LazyFrame
    except AttributeError:  # pragma: no cover - very old dagster
        return False


class StageIOManager(ConfigurableIOManager):
    warehouse: Warehouse

    @staticmethod
    def _name(context: InputContext | OutputContext) -> str:
        return "__".join(context.asset_key.path)

    def handle_output(self, context: OutputContext, obj: pl.DataFrame | pl.LazyFrame | None) -> None:
        if obj is None:
            return
        if not isinstance(obj, (pl.DataFrame, pl.LazyFrame)):
            raise TypeError(f"asset {context.asset_key.to_user_string()} returned {type(obj).__name__}; assets hand polars DataFrames/LazyFrames to each other")
        self.warehouse.write_stage(self._name(context), obj)

    def load_input(self, context: InputContext) -> pl.DataFrame | pl.LazyFrame:
        name = self._name(context)
        if not self.warehouse.stage_path(name).exists():
            raise FileNotFoundError(f"upstream asset '{name}' has not been materialized into {self.warehouse.stage_dir} yet: materialize it first (or run the whole job)")
        return self.warehouse.scan_stage(name) if wants_lazy(context) else self.warehouse.read_stage(name)

"""StageIOManager: frames handed between assets are Parquet files in WAREHOUSE/_stage/<asset>.parquet.

This makes every asset re-materializable on its own (from the UI or the CLI), across processes and runs,
without a persistent DAGSTER_HOME; the public tables are written only by the `warehouse` asset.
"""
from __future__ import annotations

import polars as pl
from dagster import ConfigurableIOManager, InputContext, OutputContext

from pipelines.resources import Warehouse


class StageIOManager(ConfigurableIOManager):
    warehouse: Warehouse

    @staticmethod
    def _name(context: InputContext | OutputContext) -> str:
        return "__".join(context.asset_key.path)

    def handle_output(self, context: OutputContext, obj: pl.DataFrame | None) -> None:
        if obj is None:
            return
        if not isinstance(obj, pl.DataFrame):
            raise TypeError(f"asset {context.asset_key.to_user_string()} returned {type(obj).__name__}; assets hand polars DataFrames to each other")
        self.warehouse.write_stage(self._name(context), obj)

    def load_input(self, context: InputContext) -> pl.DataFrame:
        name = self._name(context)
        df = self.warehouse.read_stage(name)
        if df is None:
            raise FileNotFoundError(f"upstream asset '{name}' has not been materialized into {self.warehouse.stage_dir} yet: materialize it first (or run the whole job)")
        return df

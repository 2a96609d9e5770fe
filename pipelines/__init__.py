"""newsevents: raw English news text -> a validated PLOVER event dataset (Dagster + Parquet + DuckDB)."""

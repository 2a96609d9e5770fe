"""Running the pipeline: ingest-batch partitions and planning, the jobs, the update runner (in-process and on
Dask), the sensor, the long-lived watcher, the CLI and the shared Dagster instance."""

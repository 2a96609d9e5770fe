"""Event linking: the same real-world event across stories (no dagster here)."""
from pipelines.core.link.linker import CLUSTER_SCHEMA, link_events, load_rules

__all__ = ["link_events", "load_rules", "CLUSTER_SCHEMA"]

"""Event linking: the same real-world event across stories (no dagster here)."""
from pipelines.core.link.linker import CLUSTER_SCHEMA, LINKS_SCHEMA, LinkResult, link_events, link_events_explained, load_rules

__all__ = ["link_events", "link_events_explained", "load_rules", "CLUSTER_SCHEMA", "LINKS_SCHEMA", "LinkResult"]

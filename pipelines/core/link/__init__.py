"""Event linking: the same real-world event across stories (no dagster here).

Steps: block.py (type family, factuality group, date interval) -> score.py (actor/date/location/quantity/terms
agreement) -> cluster.py (sweep, merge, dateless attach) -> explain.py (event_links rows); dates.py gives the
cluster dates; linker.py chains them (link_events, link_events_explained)."""
from pipelines.core.link.linker import (
    CLUSTER_SCHEMA,
    LINKS_SCHEMA,
    LinkResult,
    link_events,
    link_events_explained,
    load_rules,
)

__all__ = ["link_events", "link_events_explained", "load_rules", "CLUSTER_SCHEMA", "LINKS_SCHEMA", "LinkResult"]

"""Extract stage: canonical stories -> PLOVER event mentions + actors (pure Python, no dagster)."""
from pipelines.core.extract.events import extract_events, split_sentences

__all__ = ["extract_events", "split_sentences"]

"""Extract stage: canonical stories -> PLOVER event mentions + actors (pure Python, no dagster)."""
from pipelines.core.extract.coder import extract_events, extract_story_events, load_models
from pipelines.core.extract.events import split_sentences

__all__ = ["extract_events", "extract_story_events", "load_models", "split_sentences"]

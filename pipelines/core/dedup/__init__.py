"""Story deduplication (issue 4): signature -> bucket -> verify -> cluster. No Dagster import here.

    result = dedup_stories(stories_frame, existing_index_or_None)
    result.index        # story_signatures (persist it; pass it back next run)
    result.assignments  # story_id, cluster_id, is_canonical
    result.duplicates   # story_id, duplicate_of, relation (exact|near|version), similarity, ...
"""
from .config import DedupConfig, load_config
from .pipeline import DUPLICATE_COLUMNS, INDEX_SCHEMA, DedupResult, IndexSchemeError, dedup_stories, empty_index
from .signature import compute_signatures, normalise, scheme_id

__all__ = ["DedupConfig", "load_config", "DedupResult", "IndexSchemeError", "dedup_stories", "empty_index",
           "compute_signatures", "normalise", "scheme_id", "INDEX_SCHEMA", "DUPLICATE_COLUMNS"]

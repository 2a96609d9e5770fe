"""Clean stage core: strip page furniture, split glued files into stories, log every removal.

No Dagster here. Entry point: `segment_document(raw_text, *, title=None, published=None)`.
"""
from .audit import check_offsets, rebuild_text, stories_and_spans
from .segment import Segmenter, clean_text, segment_document
from .text import normalize_text

__all__ = ["segment_document", "clean_text", "Segmenter", "normalize_text", "rebuild_text", "check_offsets", "stories_and_spans"]

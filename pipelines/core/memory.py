"""Give memory freed by a finished pipeline step back to the operating system (no Dagster import).

All downstream steps of `newsevents run` execute in one process, one after the other. What a step freed stays mapped
in glibc's heap (numpy buffers, Python objects) until something trims it, so the next step starts from the previous
one's high-water mark: at 50x BBC the extract stage's parent started ~100 MiB above what it needed because of dedup.
release_memory() runs a full garbage collection and glibc's malloc_trim(0) (which also returns free pages in the
middle of the heap); polars' own allocator (jemalloc) returns its dirty pages on its own after ~10 s.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's malloc_trim, or None (musl, macOS, ...: nothing to do there)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        fn = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def release_memory() -> bool:
    """gc.collect() then malloc_trim(0); True when malloc_trim was available."""
    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True

"""Give memory freed by a finished pipeline step back to the operating system (no Dagster import).

All downstream steps of `newsevents run` execute in one process, one after the other. What a step freed stays mapped
in glibc's heap (numpy buffers, Python objects) until something trims it, so the next step starts from the previous
one's high-water mark: at 50x BBC the extract stage's parent started ~100 MiB above what it needed because of dedup.
release_memory() runs a garbage collection (full after a long step) and glibc's malloc_trim(0) (which also returns
free pages in the middle of the heap); polars' own allocator (jemalloc) returns its dirty pages on its own after ~10 s.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import time


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


# a full collection walks every live object (~10-20 ms in a warm process, per step); it pays after a long step, whose
# garbage has had time to reach the oldest generation, not after a short one (an incremental update's steps take
# well under a second): there the young generations hold what the step left
FULL_COLLECT_AFTER_S = 1.0
_last_release: list[float] = []  # monotonic time of the previous release_memory() in this process


def release_memory(full: bool | None = None) -> bool:
    """gc.collect() then malloc_trim(0); True when malloc_trim was available.

    full=None: a full collection when this is the first call of the process or more than FULL_COLLECT_AFTER_S have
    passed since the previous one (a long step), else a collection of the two young generations only."""
    if full is None:
        full = not _last_release or time.monotonic() - _last_release[-1] > FULL_COLLECT_AFTER_S
    gc.collect() if full else gc.collect(1)
    _last_release[:] = [time.monotonic()]
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True

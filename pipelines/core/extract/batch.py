"""Extraction over many stories: chunked (bounded memory) and, for big batches, in several processes.

Each story is extracted on its own (pipelines.core.extract.coder.extract_story_events: the trained typer decides the
types, the trained role ranker the actors), so results can be cached per story and a parallel run equals a serial
one. The models are loaded once per process (coder.default_models); a missing or corrupt model file raises
ModelLoadError naming the file before any story is extracted (check_models in the parent, the load in a worker). No Dagster import: spawned worker processes import only this package.
"""
from __future__ import annotations

import collections
import contextlib
import functools
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import polars as pl

from pipelines.core.extract import bounds, coder
from pipelines.core.extract.events import check_evidence

EVENT_SCHEMA = {
    "event_id": pl.String, "story_id": pl.String, "sentence_index": pl.Int32, "char_start": pl.Int64,
    "char_end": pl.Int64, "evidence": pl.String, "trigger": pl.String, "event_type": pl.String,
    "event_mode": pl.String, "cameo_root": pl.String, "factuality": pl.String,
    "source_actor": pl.String, "source_actor_id": pl.String, "source_country": pl.String, "source_sector": pl.String,
    "target_actor": pl.String, "target_actor_id": pl.String, "target_country": pl.String, "target_sector": pl.String,
    "event_date": pl.Date, "date_precision": pl.String, "date_text": pl.String,
    "location_name": pl.String, "location_country": pl.String, "latitude": pl.Float64, "longitude": pl.Float64,
    "quantity": pl.Int64, "quantity_kind": pl.String, "quantity_text": pl.String,
    "confidence": pl.Float64, "extractor": pl.String, "published_date": pl.Date,
}
STORY_ACTOR_SCHEMA = {"story_id": pl.String, "actor_id": pl.String, "name": pl.String, "country": pl.String,
                      "sector": pl.String}


def events_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=EVENT_SCHEMA, orient="row") if rows else pl.DataFrame(schema=EVENT_SCHEMA)


# Stories are extracted CHUNK_STORIES at a time: each chunk's rows become a compact Arrow frame at once, so memory
# holds one chunk of texts and Python row dicts, never the whole corpus.
CHUNK_STORIES = 500
PARALLEL_MIN_STORIES = 1000


def extract_chunk(story_rows: list[dict], cache_dir: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Event mentions and per-story actors of some stories (each story extracted on its own: cacheable per story).
    `cache_dir`: the extractor's table cache folder (tablecache.py), or None."""
    if cache_dir is not None:
        from pipelines.core.extract import tablecache

        tablecache.configure(cache_dir)  # this process (a spawned worker too) reads/writes its tables there
    models = coder.default_models()  # once per process (lru_cache); ModelLoadError naming the file
    new_events, new_actors = [], []
    for story in story_rows:
        # at most bounds.max_sentences() sentences per story (rules/extract_bounds.yaml; capped stories are
        # quarantine rows, bounds.cap_quarantine_rows)
        ev_rows, ac_rows = coder.extract_story_events(bounds.cap_story(story), models)
        new_events += ev_rows
        new_actors += [{"story_id": story["story_id"], **{k: a[k] for k in ("actor_id", "name", "country", "sector")}}
                       for a in ac_rows]
    actors = (pl.DataFrame(new_actors, schema=STORY_ACTOR_SCHEMA, orient="row") if new_actors
              else pl.DataFrame(schema=STORY_ACTOR_SCHEMA))
    return events_frame(new_events), actors


def check_models(load: bool = True) -> None:
    """Fail now (ModelLoadError naming the file) when a shipped model is missing or corrupt. load=True loads them
    into this process (it will extract); False only verifies the manifests and the spaCy package (workers load)."""
    if load:
        coder.default_models()
        return
    from pipelines.core.extract import role_ranker, roles
    from pipelines.core.extract.typer import DEFAULT_DIR
    from pipelines.core.models import ModelLoadError, verify_model_dir

    verify_model_dir(DEFAULT_DIR)
    verify_model_dir(role_ranker.MODEL_DIR)
    import importlib.util

    if importlib.util.find_spec(roles.MODEL) is None:
        raise ModelLoadError(f"spaCy model package {roles.MODEL} not installed (needed for roles)")


def extract_workers(n_stories: int) -> int:
    """Processes for the NLP stage: $NEWSEVENTS_EXTRACT_WORKERS if set, else one per core (at most 4) once there
    are at least PARALLEL_MIN_STORIES new stories (a worker costs ~3 s of model loading and its own spaCy copy),
    and 1 inside a daemonic process (e.g. a Dask worker), which may not start children."""
    if multiprocessing.current_process().daemon:
        return 1
    env = os.environ.get("NEWSEVENTS_EXTRACT_WORKERS")
    if env:
        return max(1, int(env))
    return min(os.cpu_count() or 1, 4) if n_stories >= PARALLEL_MIN_STORIES else 1


def _chunk_rows(stories: pl.LazyFrame, size: int = CHUNK_STORIES):
    for chunk in stories.collect_batches(chunk_size=size):
        yield chunk.to_dicts()


def extract_in_chunks(stories: pl.LazyFrame, n_stories: int, log=None,
                      cache_dir: str | os.PathLike | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """extract_chunk over a lazy frame of stories, CHUNK_STORIES at a time, in extract_workers() processes (spawned:
    no forked copy of the parent's threads); results concatenated in chunk order, so equal to a serial run.
    `cache_dir`: folder of the extractor's on-disk table cache (e.g. WAREHOUSE/_cache/extract_tables; every worker
    process reads the gazetteer / actor regex from it instead of building them), or None."""
    chunk_fn = functools.partial(extract_chunk, cache_dir=str(cache_dir) if cache_dir is not None else None)
    ev_parts, ac_parts, done = [pl.DataFrame(schema=EVENT_SCHEMA)], [pl.DataFrame(schema=STORY_ACTOR_SCHEMA)], 0
    if not n_stories:
        return ev_parts[0], ac_parts[0]
    workers = extract_workers(n_stories)
    check_models(load=workers == 1)  # a bad model stops the run here, naming the file, not inside a worker
    # chunks small enough that every worker gets several (load balance), at most CHUNK_STORIES
    size = CHUNK_STORIES if workers == 1 else max(25, min(CHUNK_STORIES, -(-n_stories // (4 * workers))))
    with contextlib.ExitStack() as stack:
        if workers > 1:
            pool = stack.enter_context(ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")))
            # at most 2 chunks in flight per worker: memory holds a few chunks, not the corpus
            results = _bounded_map(pool, chunk_fn, _chunk_rows(stories, size), 2 * workers)
        else:
            results = map(chunk_fn, _chunk_rows(stories, size))
        for ev, ac in results:
            ev_parts.append(ev)
            ac_parts.append(ac)
            done += size
            if log and n_stories > CHUNK_STORIES:
                log(f"extract: {min(done, n_stories)}/{n_stories} new stories ({workers} process(es))")
    return pl.concat(ev_parts, how="vertical"), pl.concat(ac_parts, how="vertical")


def _bounded_map(pool: ProcessPoolExecutor, fn, items, in_flight: int):
    """pool.map that submits lazily (at most `in_flight` pending) and yields results in submission order."""
    pending: collections.deque = collections.deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def evidence_violations(events: pl.DataFrame, texts: pl.LazyFrame) -> list[dict]:
    """check_evidence over the stories' texts, one chunk of stories at a time (texts never all in memory)."""
    bad: list[dict] = []
    seen: set[str] = set()
    for chunk in texts.collect_batches(chunk_size=CHUNK_STORIES):
        ids = chunk["story_id"]
        seen.update(ids.to_list())
        mine = events.filter(pl.col("story_id").is_in(ids.implode()))
        if mine.height:
            bad += check_evidence(mine.select("event_id", "story_id", "char_start", "char_end", "evidence").to_dicts(),
                                  dict(zip(ids.to_list(), chunk["text"].to_list())))
    orphans = events.filter(~pl.col("story_id").is_in(pl.Series(sorted(seen), dtype=pl.String).implode()))
    if orphans.height:
        bad += check_evidence(orphans.select("event_id", "story_id", "char_start", "char_end", "evidence").to_dicts(), {})
    return bad


# A neutral sentence with a trigger verb and two actors: extracting it loads everything extraction uses lazily (rules,
# actor dictionaries, gazetteer, classifier, spaCy model) the way a real story would.
_WARM_UP_TEXT = "The government said on Monday that ministers would meet opposition leaders in the capital."


def warm_up(cache_dir: str | os.PathLike | None = None) -> float:
    """Load the extractor's tables and model into this process now (a long-lived process, e.g. `newsevents watch`,
    then pays for them once, not in its first update). Returns the seconds it took. Nothing is written except the
    on-disk table cache (cache_dir), which a run would write anyway."""
    import time

    from pipelines.core.extract import roles

    t0 = time.perf_counter()
    extract_chunk([{"story_id": "warm-up", "text": _WARM_UP_TEXT, "published_date": None}],
                  cache_dir=str(cache_dir) if cache_dir is not None else None)
    roles.get_nlp()  # in case the sentence above gave the parser nothing to do
    return time.perf_counter() - t0

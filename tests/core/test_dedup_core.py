"""Dedup core (no Dagster): relations, verification, transitive clusters, canonical rule, incremental == full."""
from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest

from pipelines.core.dedup import DedupConfig, IndexSchemeError, compute_signatures, dedup_stories, load_config
from schemas.story_duplicates import StoryDuplicates
from schemas.story_signatures import StorySignatures
from tests.core.test_dedup_helpers import (frame, partition, py_containment, py_jaccard, py_shingles,
                                           seed_paragraphs)

PARAS = seed_paragraphs()
D1, D2 = dt.date(2020, 9, 21), dt.date(2020, 9, 22)


def story(first: int, n: int) -> str:
    return "\n\n".join(PARAS[first:first + n])


def restyle(text: str) -> str:
    """Same words, other furniture-free styling: case, quotes, dashes, line breaks."""
    return (text.upper().replace("’", "'").replace("“", '"').replace("”", '"').replace("–", "-")
            .replace("\n\n", "\n \n"))


def change_sentence(text: str, replacement: str) -> str:
    paras = text.split("\n\n")
    paras[2] = replacement
    return "\n\n".join(paras)


def dup_map(res) -> dict[str, dict]:
    return {r["story_id"]: r for r in res.duplicates.iter_rows(named=True)}


def test_exact_near_version_and_unrelated():
    base = story(0, 12)
    rows = [
        {"story_id": "base", "text": base, "published_date": D1},
        {"story_id": "exact", "text": restyle(base), "published_date": D2},
        {"story_id": "near", "text": change_sentence(base, PARAS[40]), "published_date": D2},
        {"story_id": "version", "text": story(0, 8), "published_date": D2},
        {"story_id": "other", "text": story(20, 10), "published_date": D1},
    ]
    res = dedup_stories(frame(rows))
    d = dup_map(res)
    assert set(d) == {"exact", "near", "version"}
    assert all(r["duplicate_of"] == "base" for r in d.values())
    assert d["exact"]["relation"] == "exact" and d["exact"]["similarity"] == 1.0
    assert d["near"]["relation"] == "near"
    assert d["version"]["relation"] == "version"
    assert d["version"]["rule"].startswith("version:containment")
    a = res.assignments.filter(pl.col("story_id") == "other").row(0, named=True)
    assert a["cluster_id"] == "other" and a["is_canonical"]
    StoryDuplicates.validate(res.duplicates, lazy=True)
    StorySignatures.validate(res.index, lazy=True)


def test_similarity_is_measured_exactly_not_estimated():
    base = story(3, 10)
    texts = {"base": base, "v1": change_sentence(base, PARAS[41]), "v2": story(3, 7), "v3": story(3, 9)}
    res = dedup_stories(frame([{"story_id": k, "text": v} for k, v in texts.items()]))
    assert res.duplicates.height == 3
    for r in res.duplicates.iter_rows(named=True):
        sa, sb = py_shingles(texts[r["story_id"]]), py_shingles(texts[r["duplicate_of"]])
        assert r["jaccard"] == pytest.approx(py_jaccard(sa, sb), abs=1e-9)
        assert r["containment"] == pytest.approx(py_containment(sa, sb), abs=1e-9)


def test_clusters_are_transitive_and_canonical_is_longest():
    # a chain: each is a shortened version of the previous one; the longest is canonical
    rows = [{"story_id": f"c{i}", "text": story(50, 14 - 2 * i), "published_date": D1} for i in range(4)]
    res = dedup_stories(frame(rows))
    assert partition(res.assignments) == {frozenset({"c0", "c1", "c2", "c3"})}
    assert res.assignments.filter(pl.col("is_canonical"))["story_id"].to_list() == ["c0"]


def test_canonical_tie_breaks_date_then_id():
    text = story(60, 8)
    rows = [{"story_id": "b", "text": text, "published_date": D2},
            {"story_id": "c", "text": restyle(text), "published_date": D1},
            {"story_id": "a", "text": text, "published_date": None}]
    res = dedup_stories(frame(rows))
    assert set(res.assignments["cluster_id"]) == {"c"}  # same length: earliest known date wins
    res2 = dedup_stories(frame([dict(r, published_date=D1) for r in rows]))
    assert set(res2.assignments["cluster_id"]) == {"a"}  # same length and date: smallest id


def _corpus() -> list[dict]:
    """Stories with every relation, chains and unrelated ones, built from real seed paragraphs."""
    rng = random.Random(7)
    rows = []
    for g, start in enumerate(range(0, len(PARAS) - 12, 12)):
        base = story(start, 10)
        rows.append({"story_id": f"g{g}-base", "text": base, "published_date": D1})
        rows.append({"story_id": f"g{g}-copy", "text": restyle(base), "published_date": D2})
        rows.append({"story_id": f"g{g}-short", "text": story(start, 7), "published_date": D2})
        rows.append({"story_id": f"g{g}-edit", "text": change_sentence(base, PARAS[(start + 30) % len(PARAS)]),
                     "published_date": None})
        rows.append({"story_id": f"g{g}-other", "text": story(start + 10, 2), "published_date": D1})
    rng.shuffle(rows)
    return rows


def test_incremental_gives_the_same_clusters_as_a_full_run():
    rows = _corpus()
    full = dedup_stories(frame(rows))
    assert full.duplicates.height >= len(rows) // 3  # the corpus really has duplicates
    for seed in (1, 2):
        order = rows[:]
        random.Random(seed).shuffle(order)
        index = None
        for part in (order[:10], order[10:25], order[25:]):
            res = dedup_stories(frame(part), index)
            index = res.index
            StorySignatures.validate(index, lazy=True)
        assert partition(res.assignments) == partition(full.assignments)
        assert res.stats["n_new"] == len(order) - 25 and res.stats["n_index_before"] == 25
    # a re-run on stories already indexed changes nothing
    again = dedup_stories(frame(rows), full.index)
    assert again.stats["n_new"] == 0
    assert again.index.equals(full.index)


def test_new_story_merges_two_old_clusters_like_a_full_run():
    a, b, c = story(100, 6), story(103, 6), story(100, 9)  # c contains a and b; a and b overlap by half
    first = dedup_stories(frame([{"story_id": "a", "text": a}, {"story_id": "b", "text": b}]))
    assert partition(first.assignments) == {frozenset({"a"}), frozenset({"b"})}
    second = dedup_stories(frame([{"story_id": "c", "text": c}]), first.index)
    full = dedup_stories(frame([{"story_id": k, "text": t} for k, t in (("a", a), ("b", b), ("c", c))]))
    assert partition(second.assignments) == partition(full.assignments) == {frozenset({"a", "b", "c"})}
    assert set(second.assignments["cluster_id"]) == {"c"}


def test_incumbent_canonical_is_kept_for_copies_but_not_for_a_longer_update():
    text = story(70, 8)
    first = dedup_stories(frame([{"story_id": "zz-original", "text": text, "published_date": D1}]))
    # a later re-scrape with a smaller id and the same date: a full run would pick it by id, an
    # incremental run keeps the canonical analysts already have
    second = dedup_stories(frame([{"story_id": "aa-copy", "text": restyle(text), "published_date": D1}]),
                           first.index)
    assert set(second.assignments["cluster_id"]) == {"zz-original"}
    # an updated version with clearly more text takes over
    third = dedup_stories(frame([{"story_id": "mm-update", "text": story(70, 11), "published_date": D2}]),
                          second.index)
    assert set(third.assignments["cluster_id"]) == {"mm-update"}
    d = dup_map(third)
    assert d["zz-original"]["relation"] == "version" and d["aa-copy"]["duplicate_of"] == "mm-update"


def test_index_from_other_settings_is_refused():
    res = dedup_stories(frame([{"story_id": "x", "text": story(0, 3)}]))
    with pytest.raises(IndexSchemeError):
        dedup_stories(frame([{"story_id": "y", "text": story(0, 3)}]), res.index,
                      load_config().with_(shingle_words=3))


def test_empty_and_short_texts():
    rows = [{"story_id": "e1", "text": ""}, {"story_id": "e2", "text": "   "},
            {"story_id": "s1", "text": "Protests continue"}, {"story_id": "s2", "text": "PROTESTS — continue."},
            {"story_id": "s3", "text": "Protests ended"}]
    res = dedup_stories(frame(rows))
    assert partition(res.assignments) == {frozenset({"e1"}), frozenset({"e2"}), frozenset({"s1", "s2"}),
                                          frozenset({"s3"})}
    assert dedup_stories(frame([])).index.height == 0


def test_chunked_signatures_equal_one_batch():
    rows = [{"story_id": f"s{i}", "text": story(i, 3)} for i in range(12)]
    cfg = load_config()
    one = compute_signatures(frame(rows), cfg)
    many = compute_signatures(frame(rows), cfg.with_(chunk_size=5))
    assert one.equals(many)


def test_config_rejects_more_band_rows_than_permutations():
    with pytest.raises(ValueError):
        DedupConfig(num_perm=64, bands=30, rows_per_band=3)


def test_duplicates_schema_rejects_bad_rows():
    import pandera.errors

    good = pl.DataFrame({"story_id": ["b", "c"], "duplicate_of": ["a", "a"], "relation": ["near", "exact"],
                         "similarity": [0.9, 1.0], "jaccard": [0.9, 1.0], "containment": [0.95, 1.0],
                         "rule": ["near:jaccard>=0.80", "exact:normalised-text-hash"]})
    StoryDuplicates.validate(good, lazy=True)
    bad_rows = [
        good.with_columns(pl.Series("duplicate_of", ["b", "a"])),          # self pair
        good.with_columns(pl.Series("relation", ["near", "copy"])),        # unknown relation
        good.with_columns(pl.Series("similarity", [1.2, 1.0])),            # out of [0, 1]
        good.with_columns(pl.Series("duplicate_of", ["a", "b"])),          # points to a non-canonical story
        good.with_columns(pl.Series("similarity", [0.9, 0.95])),           # exact but not 1.0
    ]
    for bad in bad_rows:
        with pytest.raises(pandera.errors.SchemaErrors):
            StoryDuplicates.validate(bad, lazy=True)


def test_retiring_a_bridge_story_splits_its_cluster_like_a_full_run():
    texts = {"a": story(100, 6), "b": story(103, 6), "c": story(100, 9), "d": story(200, 5),
             "d2": restyle(story(200, 5))}
    everything = dedup_stories(frame([{"story_id": k, "text": t} for k, t in texts.items()]))
    assert frozenset({"a", "b", "c"}) in partition(everything.assignments)
    rest = frame([{"story_id": k, "text": t} for k, t in texts.items() if k != "c"])
    mirrored = dedup_stories(rest, everything.index, retire_missing=True)
    assert partition(mirrored.assignments) == partition(dedup_stories(rest).assignments) == {
        frozenset({"a"}), frozenset({"b"}), frozenset({"d", "d2"})}
    assert mirrored.stats["n_retired"] == 1 and mirrored.stats["n_reclustered"] == 2
    assert mirrored.stats["n_new"] == 0  # nothing re-signed: stored signatures are reused
    kept = dedup_stories(rest, everything.index)  # default: the index keeps every story it has seen
    assert kept.index.height == 5


def test_oversized_buckets_use_hubs_and_still_find_every_copy():
    # 12 copies of one story (one of them shortened) and 12 unrelated ones; with max_bucket=4 every shared band
    # bucket is "oversized", so members are only paired with the bucket's hubs
    base = story(120, 8)
    rows = [{"story_id": f"copy{i:02d}", "text": change_sentence(base, PARAS[200 + i])} for i in range(11)]
    rows.append({"story_id": "short", "text": story(120, 6)})
    rows += [{"story_id": f"other{i:02d}", "text": story(140 + 3 * i, 3)} for i in range(12)]
    normal = dedup_stories(frame(rows))
    hubs = dedup_stories(frame(rows), None, load_config().with_(max_bucket=4, bucket_hubs=2))
    assert partition(hubs.assignments) == partition(normal.assignments)
    assert frozenset([r["story_id"] for r in rows[:12]]) in partition(hubs.assignments)
    assert hubs.stats["n_candidates"] < normal.stats["n_candidates"]

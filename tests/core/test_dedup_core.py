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
    StorySignatures.validate(res.index.collect(), lazy=True)


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
            StorySignatures.validate(index.collect(), lazy=True)
        assert partition(res.assignments) == partition(full.assignments)
        assert res.stats["n_new"] == len(order) - 25 and res.stats["n_index_before"] == 25
    # a re-run on stories already indexed changes nothing
    again = dedup_stories(frame(rows), full.index)
    assert again.stats["n_new"] == 0
    assert again.index.collect().equals(full.index.collect())


def test_new_story_merges_two_old_clusters_like_a_full_run():
    a, b, c = story(100, 6), story(103, 6), story(100, 9)  # c contains a and b; a and b overlap by half
    first = dedup_stories(frame([{"story_id": "a", "text": a}, {"story_id": "b", "text": b}]))
    assert partition(first.assignments) == {frozenset({"a"}), frozenset({"b"})}
    second = dedup_stories(frame([{"story_id": "c", "text": c}]), first.index)
    full = dedup_stories(frame([{"story_id": k, "text": t} for k, t in (("a", a), ("b", b), ("c", c))]))
    assert partition(second.assignments) == partition(full.assignments) == {frozenset({"a", "b", "c"})}
    assert set(second.assignments["cluster_id"]) == {"c"}


def test_canonical_rule_is_order_independent_copy_never_displaces_the_original():
    text = story(70, 8)
    original = {"story_id": "zz-original", "text": text, "published_date": D1}
    # a later re-scrape with a smaller id, the same date and the same words
    copy = {"story_id": "aa-copy", "text": restyle(text), "published_date": D1}
    # an updated version with clearly more text (> 5 % more words)
    update = {"story_id": "mm-update", "text": story(70, 11), "published_date": D2}
    first = dedup_stories(frame([original]))
    second = dedup_stories(frame([copy]), first.index)
    # same words, same date, no furniture known: the smallest story_id, whatever arrived first
    assert set(second.assignments["cluster_id"]) == {"aa-copy"}
    assert second.assignments.sort("story_id").equals(dedup_stories(frame([copy, original])).assignments.sort("story_id"))
    third = dedup_stories(frame([update]), second.index)
    assert set(third.assignments["cluster_id"]) == {"mm-update"}
    d = dup_map(third)
    assert d["zz-original"]["relation"] == "version" and d["aa-copy"]["duplicate_of"] == "mm-update"
    full = dedup_stories(frame([update, copy, original]))
    assert full.assignments.sort("story_id").equals(third.assignments.sort("story_id"))
    assert full.duplicates.equals(third.duplicates)


def test_furniture_decides_between_same_length_same_date_twins():
    text = story(80, 8)
    furnished = "Advertisement\n\n" + text + "\n\nRead more: World news in brief"
    rows = pl.DataFrame([
        # the re-scrape has the smaller id, but its raw slice held more page furniture the cleaner removed
        {"story_id": "aa-rescrape", "text": text, "published_date": D1, "raw_start": 0, "raw_end": len(furnished)},
        {"story_id": "zz-original", "text": text, "published_date": D1, "raw_start": 10, "raw_end": 10 + len(text)},
    ])
    assert set(dedup_stories(rows).assignments["cluster_id"]) == {"zz-original"}
    # the date still comes first: an earlier re-scrape wins over a later clean copy
    earlier = rows.with_columns(pl.when(pl.col("story_id") == "aa-rescrape").then(pl.lit(D1 - dt.timedelta(days=1)))
                                .otherwise(pl.col("published_date")).alias("published_date"))
    assert set(dedup_stories(earlier).assignments["cluster_id"]) == {"aa-rescrape"}


def _rule_corpus() -> list[dict]:
    """Clusters whose canonical is decided by each step of the rule, with offsets so furniture is known."""
    rows = []
    for g, start in enumerate(range(0, 120, 12)):
        base = story(start, 10)
        furn = g % 3
        variants = [
            (f"g{g}-base", base, D2, 0),
            (f"g{g}-copy", restyle(base), D2, 40 + furn),       # same words, more furniture removed
            (f"g{g}-early", change_sentence(base, PARAS[(start + 31) % len(PARAS)]), D1, 5),  # near, earlier
            (f"g{g}-short", story(start, 7), D1 if g % 2 else None, 0),  # version: too short to be canonical
            (f"g{g}-long", story(start, 11), None if g % 4 == 0 else D2, 80),  # longer update, >5 % more words
        ]
        for sid, text, date, extra in variants[: 3 + g % 3]:
            rows.append({"story_id": sid, "text": text, "published_date": date, "raw_start": 3,
                         "raw_end": 3 + len(text) + extra})
    return rows


def _rows_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"story_id": pl.String, "text": pl.String, "published_date": pl.Date,
                                      "raw_start": pl.Int64, "raw_end": pl.Int64})


def test_assignments_do_not_depend_on_arrival_order_or_batches():
    rows = _rule_corpus()
    full = dedup_stories(_rows_frame(rows))
    assert full.duplicates.height >= len(rows) // 2
    canon = set(full.assignments.filter(pl.col("is_canonical"))["story_id"])
    assert any(c.endswith("-early") for c in canon) and any(c.endswith("-long") for c in canon)
    for seed in range(4):
        order = rows[:]
        random.Random(seed).shuffle(order)
        cuts = sorted(random.Random(100 + seed).sample(range(1, len(order)), 3))
        index = None
        for part in (order[:cuts[0]], order[cuts[0]:cuts[1]], order[cuts[1]:cuts[2]], order[cuts[2]:]):
            res = dedup_stories(_rows_frame(part), index, config=load_config().with_(chunk_size=3))
            index = res.index
        assert res.assignments.sort("story_id").equals(full.assignments.sort("story_id")), seed
        assert res.duplicates.equals(full.duplicates), seed


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
    assert dedup_stories(frame([])).index.collect().height == 0


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
    assert kept.index.collect().height == 5


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


def test_choose_canonical_pure_rule():
    from pipelines.core.dedup.cluster import choose_canonical

    def m(sid, n, date=None, furn=None, doc_furn=None):
        return {"story_id": sid, "n_words": n, "published_date": date, "furniture": furn, "doc_furniture": doc_furn}

    # only members within 5 % of the longest are eligible: the earlier but much shorter story loses
    assert choose_canonical([m("a", 100, D1), m("b", 120, D2)], 0.05) == "b"
    # exactly 5 % shorter is still eligible (100 * 1.05 == 105): then the earliest date wins
    assert choose_canonical([m("b", 105, D2), m("a", 100, D1)], 0.05) == "a"
    assert choose_canonical([m("b", 106, D2), m("a", 100, D1)], 0.05) == "b"
    # unknown date sorts last
    assert choose_canonical([m("a", 100, None), m("b", 100, D2)], 0.05) == "b"
    # same length and date: least furniture removed, unknown furniture last
    assert choose_canonical([m("a", 100, D1, 50), m("b", 100, D1, 3)], 0.05) == "b"
    assert choose_canonical([m("a", 100, D1, None), m("b", 100, D1, 3)], 0.05) == "b"
    # same slice furniture: the story from the document with less furniture overall (a re-scraped page)
    assert choose_canonical([m("a", 100, D1, 3, 900), m("b", 100, D1, 3, 40)], 0.05) == "b"
    assert choose_canonical([m("a", 100, D1, 3, None), m("b", 100, D1, 3, 40)], 0.05) == "b"
    assert choose_canonical([m("a", 100, D1, 2, 900), m("b", 100, D1, 3, 40)], 0.05) == "a"  # slice first
    # all equal: smallest story_id; the result never depends on the members' order
    ms = [m("c", 100, D1, 3), m("a", 100, D1, 3), m("b", 101, D1, 3), m("d", 90, None, 0)]
    assert {choose_canonical(p, 0.05) for p in (ms, ms[::-1], ms[1:] + ms[:1])} == {"a"}
    assert choose_canonical([m("x", 0), m("y", 0)], 0.05) == "x"


@pytest.mark.parametrize("tile_slices", [1, 4])
def test_out_of_core_run_from_parquet_scans_equals_in_memory(tmp_path, monkeypatch, tile_slices):
    """Input and index as lazy Parquet scans, signatures and index written chunk by chunk (3 stories a chunk),
    verification tile by tile (1 slice a tile: pairs spread over many tiles): the same clusters, duplicates and
    index as the in-memory run, in any number of files."""
    from pipelines.core.dedup import pipeline as dedup_pipeline

    monkeypatch.setattr(dedup_pipeline._Universe, "TILE_SLICES", tile_slices)
    rows = _rule_corpus()
    cfg = load_config().with_(chunk_size=3)
    half = len(rows) // 2
    for i, part in enumerate((rows[:half], rows[half:])):
        _rows_frame(part).write_parquet(tmp_path / f"in_{i}.parquet")
    first = dedup_stories(pl.scan_parquet(tmp_path / "in_0.parquet"), None, cfg, workdir=tmp_path / "w")
    idx = first.write_index(tmp_path / "index.parquet", cfg.chunk_size)
    assert pl.read_parquet(idx).equals(first.index.collect())
    both = pl.scan_parquet([tmp_path / "in_0.parquet", tmp_path / "in_1.parquet"])
    ooc = dedup_stories(both, pl.scan_parquet(idx), cfg, retire_missing=True, workdir=tmp_path / "w")
    mem = dedup_stories(_rows_frame(rows))
    assert ooc.stats["n_new"] == len(rows) - half and ooc.stats["n_index_before"] == half
    assert ooc.assignments.sort("story_id").equals(mem.assignments.sort("story_id"))
    assert ooc.duplicates.equals(mem.duplicates)
    assert ooc.index.collect().sort("story_id").equals(mem.index.collect().sort("story_id"))
    assert pl.concat(list(ooc.iter_index(cfg.chunk_size))).equals(ooc.index.collect())
    StorySignatures.validate(ooc.index.collect(), lazy=True)


def test_index_without_the_furniture_column_is_refused():
    res = dedup_stories(frame([{"story_id": "x", "text": story(0, 3)}]))
    with pytest.raises(IndexSchemeError):
        dedup_stories(frame([{"story_id": "y", "text": story(0, 3)}]), res.index.drop("furniture"))


def test_candidates_verified_in_batches_equal_one_batch():
    # 12 near copies share many band keys in every band group: the same pair is found by several groups and must be
    # measured (and counted) once; verifying one pair at a time gives the same clusters, counts and measures
    import numpy as np

    from pipelines.core.dedup.bucket import candidate_pairs

    base = story(120, 8)
    rows = [{"story_id": f"copy{i:02d}", "text": change_sentence(base, PARAS[200 + i])} for i in range(11)]
    rows.append({"story_id": "short", "text": story(120, 6)})
    rows += [{"story_id": f"other{i:02d}", "text": story(140 + 3 * i, 3)} for i in range(12)]
    whole = dedup_stories(frame(rows), keep_candidates=True)
    one = dedup_stories(frame(rows), keep_candidates=True, verify_batch=1)
    default = dedup_stories(frame(rows))
    for res in (one, default):
        assert res.assignments.equals(whole.assignments)
        assert res.duplicates.equals(whole.duplicates)
        assert res.clusters.equals(whole.clusters)
        assert res.stats["n_candidates"] == whole.stats["n_candidates"]
        assert res.stats["verified"] == whole.stats["verified"]
    assert one.candidates.equals(whole.candidates)
    assert default.candidates.height == 0  # the diagnostic frame is opt-in
    # n_candidates counts unique pairs over all band groups, as the in-memory helper finds them
    cfg = load_config()
    index = whole.index.collect()
    mh = np.array(index["minhash"].to_list(), dtype=np.uint32)
    rank = index["story_id"].rank("ordinal").to_numpy().astype(np.int64)
    pairs = candidate_pairs(mh, np.ones(index.height, bool), rank, cfg)
    assert whole.stats["n_candidates"] == len(pairs) == whole.candidates.height > 12
    ids = index["story_id"].to_list()
    assert [(ids[a], ids[b]) for a, b in pairs.tolist()] == list(whole.candidates.select("story_a", "story_b").iter_rows())
    rel = whole.candidates.drop_nulls("relation")
    assert rel.height == sum(whole.stats["verified"].values())


@pytest.mark.parametrize("max_bucket", [4, 1000])
def test_pairs_of_all_bands_in_one_pass_equal_one_band_at_a_time(monkeypatch, max_bucket):
    # the same members paired in one pass (few members: an incremental run) and one band at a time (many members)
    # give the same sorted pair keys, with oversized buckets (hubs, max_bucket=4) and without
    import numpy as np

    from pipelines.core.dedup import bucket
    from pipelines.core.dedup.bucket import band_groups, band_keys, bucket_pair_keys, long_keys, with_rank

    base = story(120, 8)
    rows = [{"story_id": f"copy{i:02d}", "text": change_sentence(base, PARAS[200 + i])} for i in range(11)]
    rows += [{"story_id": f"other{i:02d}", "text": story(140 + 3 * i, 3)} for i in range(12)]
    cfg = load_config().with_(max_bucket=max_bucket, bucket_hubs=2)
    index = dedup_stories(frame(rows), None, cfg).index.collect()
    mh = np.array(index["minhash"].to_list(), dtype=np.uint32)
    rank = index["story_id"].rank("ordinal").to_numpy().astype(np.int64)
    is_new = np.arange(index.height) % 3 == 0  # some old rows: pairs of two old rows are never made
    ids = np.arange(index.height, dtype=np.int64)
    found = 0
    for bands in band_groups(cfg):
        members = with_rank(long_keys(ids, band_keys(mh, cfg, bands), bands), rank, is_new)
        monkeypatch.setattr(bucket, "PAIR_ROWS_AT_ONCE", 0)
        per_band = bucket_pair_keys(members, cfg)
        monkeypatch.setattr(bucket, "PAIR_ROWS_AT_ONCE", 10**9)
        one_pass = bucket_pair_keys(members, cfg)
        assert np.array_equal(per_band, one_pass)
        a, b = bucket.split_pair_keys(one_pass)
        assert (is_new[a] | is_new[b]).all() and (a < b).all()
        found += len(one_pass)
    assert found > 0

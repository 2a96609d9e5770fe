"""RowCache: reuse rows of keys seen before, compute only new keys, mirror the current input, invalidate on version."""
import polars as pl

from pipelines.core.cache import RowCache, code_version, split_keys


def compute(keys):
    return pl.DataFrame({"doc_id": [k for k in keys for _ in range(2)], "n": [i for i, _ in enumerate(keys) for _ in range(2)]},
                        schema={"doc_id": pl.Utf8, "n": pl.Int64}).with_columns(pl.col("doc_id").str.len_chars().cast(pl.Int64).alias("n"))


def test_incremental_equals_full(tmp_path):
    cache = RowCache(tmp_path, "clean", "v1")
    first = ["a", "bb", "ccc"]
    hit, miss = split_keys(first, cache.known_keys("stories", "doc_id"))
    assert hit == [] and miss == first
    full1 = cache.combine("stories", "doc_id", first, compute(miss))
    cache.save({"stories": full1}, "doc_id", first)

    second = ["a", "ccc", "dddd"]  # "bb" removed, "dddd" added
    hit, miss = split_keys(second, cache.known_keys("stories", "doc_id"))
    assert hit == ["a", "ccc"] and miss == ["dddd"]
    incremental = cache.combine("stories", "doc_id", second, compute(miss))
    assert incremental.sort("doc_id").equals(compute(second).sort("doc_id"))


def test_keys_without_rows_are_remembered_and_new_version_recomputes(tmp_path):
    cache = RowCache(tmp_path, "extract", "v1")
    empty = pl.DataFrame(schema={"doc_id": pl.Utf8, "n": pl.Int64})
    cache.save({"events": empty}, "doc_id", ["x"])
    assert cache.known_keys("events", "doc_id") == {"x"}
    v2 = RowCache(tmp_path, "extract", "v2")
    assert v2.known_keys("events", "doc_id") == set()
    v2.save({"events": empty}, "doc_id", ["x"])
    assert not (tmp_path / "extract" / "v1").exists()  # other versions dropped


def test_code_version_is_stable():
    assert code_version() == code_version() and len(code_version()) == 16

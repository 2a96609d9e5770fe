"""Wiring of the dedup multi_asset with dagster.materialize: clean_stories staged by hand from real text."""
from __future__ import annotations

import polars as pl
from dagster import AssetKey, SourceAsset, materialize

from pipelines.assets.dedup import dedup
from pipelines.core.clean.relevance import score_stories
from pipelines.core.ids import stable_id
from pipelines.io_manager import StageIOManager
from pipelines.warehouse import Warehouse
from tests.core.test_dedup_helpers import seed_paragraphs


def clean_stories(texts: dict[str, str]) -> pl.DataFrame:
    rows = []
    for i, (doc, text) in enumerate(texts.items()):
        doc_id = stable_id("doc", doc)
        rows.append({"story_id": stable_id("st", doc_id, 1), "doc_id": doc_id, "story_index": 1, "title": doc,
                     "outlet": None, "dateline": None, "published_date": None, "published_date_source": "none",
                     "published_precision": "none", "published_rule": "none:no_date_evidence",
                     "raw_start": 0, "raw_end": len(text), "text": text, "n_words": len(text.split())})
    return score_stories(pl.DataFrame(rows).with_columns(pl.col("story_index", "n_words").cast(pl.Int32),
                                                         pl.col("outlet", "dateline").cast(pl.String),
                                                         pl.col("published_date").cast(pl.Date)))


def _run(wh: Warehouse, df: pl.DataFrame, spans: pl.DataFrame | None = None):
    wh.write_stage("clean_stories", df)
    wh.write_stage("removed_spans", spans if spans is not None else pl.DataFrame(
        schema={"doc_id": pl.String, "char_start": pl.Int64, "char_end": pl.Int64, "rule": pl.String}))
    return materialize([SourceAsset("clean_stories"), SourceAsset("removed_spans"), dedup],
                       resources={"warehouse": wh, "io_manager": StageIOManager(warehouse=wh)})


def test_dedup_materializes_and_is_incremental(warehouse_dir):
    paras = seed_paragraphs()
    a, b = "\n".join(paras[0:8]), "\n".join(paras[20:28])
    wh = Warehouse(path=str(warehouse_dir))
    first = clean_stories({"a.txt": a, "b.txt": b, "a-copy.json": a.upper()})
    result = _run(wh, first)
    assert result.success
    checks = {(c.asset_key.to_user_string(), c.check_name): c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {("story_signatures", "schema"): True, ("stories", "schema"): True,
                      ("story_duplicates", "schema"): True}
    stories, dups = wh.read_stage("stories"), wh.read_stage("story_duplicates")
    assert stories.height == 3 and stories["cluster_id"].n_unique() == 2
    assert dups["relation"].to_list() == ["exact"]
    mats = {e.event_specific_data.materialization.asset_key: e.event_specific_data.materialization.metadata
            for e in result.get_asset_materialization_events()}
    assert mats[AssetKey("story_duplicates")]["dagster/row_count"].value == 1
    assert "| story_id |" in mats[AssetKey("stories")]["preview"].value

    # second run: the same input plus a shortened version of b -> only one story is signed, b keeps its cluster
    second = pl.concat([first, clean_stories({"b-short.txt": "\n".join(paras[20:26])})])
    result2 = _run(wh, second)
    assert result2.success
    mats2 = {e.event_specific_data.materialization.asset_key: e.event_specific_data.materialization.metadata
             for e in result2.get_asset_materialization_events()}
    assert mats2[AssetKey("story_signatures")]["new_stories"].value == 1
    stories2 = wh.read_stage("stories")
    b_id = first.filter(pl.col("title") == "b.txt")["story_id"][0]
    short = stories2.filter(pl.col("title") == "b-short.txt").row(0, named=True)
    assert short["cluster_id"] == b_id and not short["is_canonical"]
    assert wh.read_stage("story_duplicates").filter(pl.col("duplicate_of") == b_id)["relation"].to_list() == ["version"]


def test_index_made_with_other_settings_is_rebuilt(warehouse_dir):
    paras = seed_paragraphs()
    wh = Warehouse(path=str(warehouse_dir))
    df = clean_stories({"a.txt": "\n".join(paras[0:8]), "a2.txt": "\n".join(paras[0:8]).lower()})
    assert _run(wh, df).success
    stale = wh.read_stage("story_signatures").with_columns(pl.lit("w3-old-settings").alias("scheme"))
    wh.write_stage("story_signatures", stale)
    assert _run(wh, df).success
    rebuilt = wh.read_stage("story_signatures")
    assert rebuilt["scheme"].n_unique() == 1 and rebuilt["scheme"][0] != "w3-old-settings"
    assert wh.read_stage("story_duplicates")["relation"].to_list() == ["exact"]


def test_stories_are_validated_in_chunks_bad_rows_quarantined(warehouse_dir, monkeypatch):
    """`stories` is read and written chunk by chunk (chunk_size 2 here; chunks are validated together up to
    VALIDATE_ROWS rows): a row breaking the Stories model in the third chunk is quarantined, the check is a WARN with a failure sample, and the staged table lacks only that row."""
    from dagster import AssetCheckSeverity

    import pipelines.core.dedup.stage as dedup_module

    cfg = dedup_module.load_config().with_(chunk_size=2)
    monkeypatch.setattr(dedup_module, "load_config", lambda: cfg)
    paras = seed_paragraphs()
    texts = {f"d{i}.txt": "\n".join(paras[4 * i: 4 * i + 4]) for i in range(5)}
    texts["d0-copy.txt"] = texts["d0.txt"].upper()
    df = clean_stories(texts)
    bad_id = df["story_id"][4]
    df = df.with_columns(pl.when(pl.col("story_id") == bad_id).then(pl.lit("metadata")).otherwise(
        pl.col("published_date_source")).alias("published_date_source"))  # date null but source says metadata
    wh = Warehouse(path=str(warehouse_dir))
    result = _run(wh, df)
    assert result.success
    evals = {(c.asset_key.to_user_string(), c.check_name): c for c in result.get_asset_check_evaluations()}
    check = evals[("stories", "schema")]
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    assert "failure_sample" in check.metadata
    assert evals[("story_signatures", "schema")].passed
    staged = wh.read_stage("stories")
    assert staged.height == df.height - 1 and bad_id not in staged["story_id"].to_list()
    q = pl.read_parquet(wh.stage_dir / "quarantine" / "stories.parquet")
    assert q["record_key"].to_list() == [bad_id]
    # the chunked index has every story once, and the copy found its original across chunk boundaries
    index = wh.read_stage("story_signatures")
    assert index.height == df.height and index["story_id"].n_unique() == df.height
    assert wh.read_stage("story_duplicates")["relation"].to_list() == ["exact"]


def test_validated_chunked_structural_failure_is_an_error_and_duplicates_across_chunks_are_caught(warehouse_dir):
    from dagster import AssetCheckSeverity

    from pipelines.assets._common import validated
    from pipelines.core.validate_chunks import Chunked
    from schemas.story_duplicates import StoryDuplicates

    wh = Warehouse(path=str(warehouse_dir))
    good = pl.DataFrame({"story_id": ["b", "c", "d"], "duplicate_of": ["a", "a", "a"],
                         "relation": ["near", "exact", "version"], "similarity": [0.9, 1.0, 0.8],
                         "jaccard": [0.9, 1.0, 0.5], "containment": [0.95, 1.0, 0.8],
                         "rule": ["near:jaccard>=0.80", "exact:normalised-text-hash", "version:containment>=0.70"]})
    def check(frame: pl.DataFrame):
        return validated(Chunked(frame.lazy(), chunk_size=2, validate_rows=2), StoryDuplicates, "story_duplicates",
                         warehouse=wh, key_column="story_id")

    ok = check(good)
    assert ok.check_result().passed and ok.outcome.valid.collect().equals(good)
    res = check(good.drop("rule")).check_result()
    assert not res.passed and res.severity == AssetCheckSeverity.ERROR
    # "b" twice, in two different chunks: no chunk sees the repeat, the frame-wide key check does
    repeated = pl.concat([good, good.head(1)])
    rep = check(repeated).check_result()
    assert not rep.passed and rep.severity == AssetCheckSeverity.ERROR
    assert "not unique" in rep.metadata["structural_errors"].value


def test_small_chunks_are_validated_together_in_order():
    """coalesced: chunks joined in order into frames of >= `rows` rows (never split), the rest at the end."""
    from pipelines.core.validate_chunks import coalesced

    chunks = [pl.DataFrame({"x": list(range(i * 3, i * 3 + 3))}) for i in range(5)]  # 5 chunks of 3 rows
    out = list(coalesced(iter(chunks), 7))
    assert [f.height for f in out] == [9, 6]
    assert pl.concat(out)["x"].to_list() == list(range(15))
    assert [f.height for f in coalesced(iter(chunks), 1)] == [3] * 5
    assert list(coalesced(iter([]), 4)) == []

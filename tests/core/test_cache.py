"""RowCache: reuse rows of keys seen before, compute only new keys, mirror the current input, invalidate on version.
Per-stage versions: a change to one stage's files changes that stage's version and its downstream stages' only."""
import shutil

import polars as pl
import pytest

from pipelines.core import cache as cache_mod
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


# ------------------------------------------------------------------ per-stage versions
@pytest.fixture
def tree(tmp_path):
    """A copy of the code, rules and schemas the versions are computed from."""
    for part in ("pipelines", "schemas"):
        shutil.copytree(cache_mod.ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return tmp_path


def _changed(before: dict, after: dict) -> set[str]:
    return {s for s in before if before[s] != after[s]}


def _downstream(stage: str) -> set[str]:
    out = {stage}
    for s in cache_mod.STAGES:  # upstream first
        if any(u in out for u in cache_mod.UPSTREAM[s]):
            out.add(s)
    return out


def test_the_copy_has_the_installed_versions(tree):
    assert cache_mod.stage_versions(tree) == {s: cache_mod.stage_version(s) for s in cache_mod.STAGES}


@pytest.mark.parametrize("stage", ["ingest", "clean", "dedup", "extract", "link"])
def test_a_rules_file_changes_only_its_stage_and_downstream(tree, stage):
    before = cache_mod.stage_versions(tree)
    rule = tree / "pipelines" / "rules" / cache_mod.STAGE_RULES[stage][0]
    rule.write_bytes(rule.read_bytes() + b"\n# an edit\n")
    changed = _changed(before, cache_mod.stage_versions(tree))
    assert changed == _downstream(stage)
    assert ("ingest" in changed or "clean" in changed) == (stage in ("ingest", "clean"))  # batch planner: re-ingest?


def test_link_rules_do_not_reingest(tree):
    """rules/linking.yaml: link and publish change; the batches (ingest + clean) keep their version."""
    before = cache_mod.stage_versions(tree)
    (tree / "pipelines" / "rules" / "linking.yaml").write_text("# edited\n", encoding="utf-8")
    after = cache_mod.stage_versions(tree)
    assert _changed(before, after) == {"link", "publish"}
    assert after["clean"] == before["clean"]  # batch_version() is clean's


def test_core_code_schema_and_bench_only_modules(tree):
    before = cache_mod.stage_versions(tree)
    svg = tree / "pipelines" / "core" / "publish" / "svg.py"
    svg.write_text(svg.read_text() + "\n# edited\n")
    assert _changed(before, mid := cache_mod.stage_versions(tree)) == {"publish"}
    schema = tree / "schemas" / "event_clusters.py"
    schema.write_text(schema.read_text() + "\n# edited\n")
    assert _changed(mid, mid2 := cache_mod.stage_versions(tree)) == {"link", "publish"}
    synthetic = tree / "pipelines" / "core" / "clean" / "synthetic.py"  # bench/test helper: no stage reads it
    synthetic.write_text(synthetic.read_text() + "\n# edited\n")
    assert cache_mod.stage_versions(tree) == mid2
    shared = tree / "pipelines" / "core" / "validate.py"
    shared.write_text(shared.read_text() + "\n# edited\n")
    assert _changed(mid2, cache_mod.stage_versions(tree)) == set(cache_mod.STAGES)


def test_every_rules_and_schema_file_is_listed_under_a_stage():
    """A rules/schema file no stage lists is hashed into every stage: list it in STAGE_RULES / STAGE_SCHEMAS."""
    assert cache_mod.unlisted_files() == []


def test_an_unlisted_rules_file_versions_every_stage(tree):
    before = cache_mod.stage_versions(tree)
    (tree / "pipelines" / "rules" / "new_word_list.txt").write_text("a\nb\n", encoding="utf-8")
    assert cache_mod.unlisted_files(tree) == ["pipelines/rules/new_word_list.txt"]
    assert _changed(before, cache_mod.stage_versions(tree)) == set(cache_mod.STAGES)


def test_row_cache_defaults_to_its_stage_version(tmp_path):
    assert RowCache(tmp_path, "extract").version == cache_mod.stage_version("extract")
    assert cache_mod.batch_version() == cache_mod.stage_version("clean")


def test_a_rules_file_named_in_a_stages_code_is_listed_under_that_stage_or_upstream():
    """The listing is only as good as its match with the code: a stage whose core folder or asset modules name a
    rules file (or model folder) must list it in its own STAGE_RULES or an upstream stage's, else editing it would
    not move the stage's version."""
    rules = cache_mod.ROOT / "pipelines" / "rules"
    entries = [p for p in rules.iterdir() if p.name != "models"] + list((rules / "models").iterdir())

    def reach(stage):
        out = {e.split("/")[-1] for e in cache_mod.STAGE_RULES[stage]}
        for up in cache_mod.UPSTREAM[stage]:
            out |= reach(up)
        return out

    checked = 0
    for stage in cache_mod.STAGES:
        own = [f for f in cache_mod.stage_files(stage) if f.suffix == ".py" and (
            f"pipelines/core/{stage}/" in f.as_posix() or f.parent.name == "assets" and f.name != "_common.py")]
        text = "\n".join(f.read_text(encoding="utf-8") for f in own)
        for p in entries:
            if p.name in text:  # e.g. "dedup.yaml", "event_typer", "plv_logreg.npz"
                checked += 1
                assert p.name in reach(stage), f"{stage} names rules/{p.name} but cache.STAGE_RULES does not list it"
    assert checked >= 5

"""Per-stage code versions on the real asset graph: editing one stage's rules file changes the code_version of that
stage's assets and of every asset downstream of them in the Dagster graph, nothing else; and the batch planner
re-plans the ingest batches only for an ingest or clean edit."""
import shutil
from datetime import datetime

import pytest

from pipelines.core import cache as cache_mod
from pipelines.core.ingest.batches import InputFile, mark_done, plan_batches
from pipelines.definitions import build_definitions


@pytest.fixture(scope="module")
def graph():
    return build_definitions().resolve_asset_graph()


@pytest.fixture
def tree(tmp_path):
    """A copy of the code, rules and schemas the versions are computed from."""
    for part in ("pipelines", "schemas"):
        shutil.copytree(cache_mod.ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return tmp_path


def _closure(graph, keys) -> set:
    """`keys` and every asset downstream of them."""
    out, todo = set(), list(keys)
    while todo:
        k = todo.pop()
        if k not in out:
            out.add(k)
            todo.extend(graph.get(k).child_keys)
    return out


def _ancestors(stage: str) -> set[str]:
    out, todo = set(), list(cache_mod.UPSTREAM[stage])
    while todo:
        s = todo.pop()
        if s not in out:
            out.add(s)
            todo.extend(cache_mod.UPSTREAM[s])
    return out


def test_every_asset_has_its_stage_version(graph):
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name in cache_mod.STAGES, key
        assert node.code_version == cache_mod.stage_version(node.group_name), key


def test_upstream_stages_cover_every_edge_of_the_graph(graph):
    """cache.UPSTREAM is what makes a downstream stage's version move with its inputs: every dependency edge of the
    asset graph must go from a stage to itself or to one of its (transitive) UPSTREAM stages."""
    for key in graph.get_all_asset_keys():
        group = graph.get(key).group_name
        for parent in graph.get(key).parent_keys:
            assert graph.get(parent).group_name in _ancestors(group) | {group}, (key, parent)


@pytest.mark.parametrize("stage", ["ingest", "clean", "dedup", "extract", "link"])
def test_a_rules_edit_reruns_its_stage_and_downstream_only(graph, tree, stage):
    before = cache_mod.stage_versions(tree)
    assert before == {s: cache_mod.stage_version(s) for s in cache_mod.STAGES}  # the copy is the installed tree
    rule = tree / "pipelines" / "rules" / cache_mod.STAGE_RULES[stage][0]
    rule.write_bytes(rule.read_bytes() + b"\n# an edit\n")
    after = cache_mod.stage_versions(tree)
    keys = graph.get_all_asset_keys()
    group = {k: graph.get(k).group_name for k in keys}
    changed = {k for k in keys if after[group[k]] != before[group[k]]}
    assert changed == _closure(graph, [k for k in keys if group[k] == stage])
    assert changed != set(keys) or stage == "ingest"

    # the batch planner: a batch materialized by the old version is re-run only after an ingest or clean edit
    listing = [InputFile("a.txt", 10, 1), InputFile("b.txt", 20, 2)]
    first = plan_batches(listing, None, code_version=before["clean"], now=datetime(2026, 1, 1))
    (batch,) = first.new
    again = plan_batches(listing, mark_done(first.registry, batch, before["clean"]), code_version=after["clean"],
                         now=datetime(2026, 1, 2))
    assert again.to_run == ([batch] if stage in ("ingest", "clean") else [])

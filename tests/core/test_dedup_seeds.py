"""Seeds ingested twice (second copy with other page furniture): every story finds its twin, canonicals stay."""
from __future__ import annotations

import re
import shutil

import polars as pl

from pipelines.core.dedup import dedup_stories
from tests.core.test_dedup_helpers import SEEDS, ingest_and_clean, partition

FURNITURE_TOP = "Advertisement\n\n"
FURNITURE_MID = "\n\nShare this article\n\nRead more: World news in brief\n\n"
FURNITURE_END = "\n\nSign up for our morning newsletter\n"


def refurnish(text: str) -> str:
    """Other page furniture around the same articles: an ad label on top, a share bar and a related link after
    the third paragraph, a newsletter promo at the end; line breaks as CRLF."""
    paras = re.split(r"\n\s*\n", text)
    out = FURNITURE_TOP + "\n\n".join(paras[:3]) + FURNITURE_MID + "\n\n".join(paras[3:]) + FURNITURE_END
    return out.replace("\n", "\r\n")


def test_seeds_twice_every_story_has_its_twin_and_the_canonical_rule_holds(tmp_path):
    first_dir, second_dir = tmp_path / "run1", tmp_path / "run2"
    shutil.copytree(SEEDS, first_dir)
    second_dir.mkdir()
    for p in sorted(SEEDS.glob("*.txt")):
        (second_dir / ("copy_" + p.name)).write_bytes(refurnish(p.read_text(encoding="utf-8")).encode("utf-8"))

    run1 = ingest_and_clean(first_dir)
    run2 = ingest_and_clean(second_dir)
    assert run1.height >= 5 and run2.height == run1.height

    first = dedup_stories(run1)
    canon_before = set(first.assignments.filter(pl.col("is_canonical"))["story_id"])
    second = dedup_stories(run2, first.index)
    a = second.assignments
    # as many clusters as before, one canonical each
    assert a.filter(pl.col("is_canonical")).height == len(canon_before)
    # every new story is a non-canonical member of a cluster that contains a story of the first run
    old_ids = set(run1["story_id"])
    members = a.group_by("cluster_id").agg(pl.col("story_id"))
    by_cluster = {r["cluster_id"]: set(r["story_id"]) for r in members.iter_rows(named=True)}
    for sid, cid, canon in a.filter(pl.col("story_id").is_in(run2["story_id"].implode())).iter_rows():
        assert by_cluster[cid] & old_ids, sid
    # twins pair up one to one: the i-th story of a document with the i-th story of its copy
    twins = run1.select("story_id", pl.col("source_uri").alias("u"),
                        pl.int_range(pl.len()).over("source_uri").alias("i"))
    copies = run2.select(pl.col("story_id").alias("copy_id"), pl.col("source_uri").str.replace("^copy_", "").alias("u"),
                         pl.int_range(pl.len()).over("source_uri").alias("i"))
    cl = dict(a.select("story_id", "cluster_id").iter_rows())
    pairs = twins.join(copies, on=["u", "i"])
    assert pairs.height == run1.height
    assert all(cl[s] == cl[c] for s, c in pairs.select("story_id", "copy_id").iter_rows())
    # the canonical rule is order independent, so a re-scraped copy wins only on its merits: where the copy's raw
    # slice held more furniture than the original's (same words, same date) the original stays canonical; where
    # the two slices are alike (the promo blocks fell between stories) the smaller story_id wins either way
    furn = {sid: f for sid, f in pl.concat([run1, run2]).select(
        "story_id", pl.col("raw_end") - pl.col("raw_start") - pl.col("text").str.len_chars()).iter_rows()}
    words = dict(second.index.collect().select("story_id", "n_words").iter_rows())
    canon = set(a.filter(pl.col("is_canonical"))["story_id"])
    more_furniture = [(s, c) for s, c in pairs.select("story_id", "copy_id").iter_rows()
                      if words[s] == words[c] and furn[c] > furn[s]]
    assert len(more_furniture) >= 3
    for s, c in more_furniture:
        assert s in canon and c not in canon, (s, c)
    dates = dict(pl.concat([run1, run2]).select("story_id", "published_date").iter_rows())
    for s, c in pairs.select("story_id", "copy_id").iter_rows():
        if by_cluster[cl[s]] == {s, c} and words[s] == words[c] and furn[c] == furn[s] and dates[s] == dates[c]:
            assert cl[s] == min(s, c), (s, c)
    # a full run over both folders forms the same clusters
    full = dedup_stories(pl.concat([run1, run2]))
    assert partition(full.assignments) == partition(a)
    # ...with the same canonical stories (the rule is a pure function of a cluster's members)
    assert full.assignments.sort("story_id").equals(a.sort("story_id"))
    assert full.duplicates.equals(second.duplicates)
    rel = second.duplicates["relation"].value_counts()
    assert set(rel["relation"]) <= {"exact", "near", "version"}

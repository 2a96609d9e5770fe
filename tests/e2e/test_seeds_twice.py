"""The seeds ingested twice (a second copy with other page furniture) count nothing twice downstream."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
FURNITURE = "\n\nAdvertisement\n\nRead More\n\nImage copyright Getty Images\n\n"


def run(inp: Path, wh: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pipelines.orchestration.cli", "run", "--quiet", "--input", str(inp), "--warehouse", str(wh)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]


def counts(wh: Path):
    con = duckdb.connect(str(wh / "newsevents.duckdb"), read_only=True)
    try:
        clusters = sorted(con.execute("select event_type, factuality, event_date, n_mentions, n_stories, n_outlets from event_clusters").fetchall(),
                          key=str)
        events = con.execute("select count(*) from events").fetchone()[0]
        canonical = con.execute("select count(*) from stories where is_canonical").fetchone()[0]
        sanctions = sorted(con.execute("select n_targets, n_stories, event_day, status, source_actor_id, target_actor_id "
                                       "from v_sanctions").fetchall(), key=str)
        stories = con.execute("select count(*) from stories").fetchone()[0]
        return clusters, events, canonical, sanctions, stories
    finally:
        con.close()


@pytest.fixture(scope="module")
def once(tmp_path_factory) -> Path:
    """The seeds once, into their own warehouse (shared by the tests of this module)."""
    base = tmp_path_factory.mktemp("once")
    shutil.copytree(REPO / "seeds", base / "in")
    run(base / "in", base / "wh")
    return base / "wh"


def test_second_copy_with_other_furniture_changes_no_count(tmp_path, once):
    twice = tmp_path / "twice"
    shutil.copytree(REPO / "seeds", twice / "a")
    (twice / "b").mkdir()
    for p in sorted((REPO / "seeds").glob("*.txt")):
        paras = p.read_text(encoding="utf-8").split("\n\n")
        # other furniture: a promo block after the first paragraph and a credit line at the end
        (twice / "b" / p.name).write_text(paras[0] + FURNITURE + "\n\n".join(paras[1:]) + "\n\nPhoto by Staff / AFP\n", encoding="utf-8")
    run(twice, tmp_path / "wh2")
    c1, e1, k1, s1, n1 = counts(once)
    c2, e2, k2, s2, n2 = counts(tmp_path / "wh2")
    assert n2 == 2 * n1                    # every story is there twice...
    assert k2 == k1                        # ...but only one of each twin is canonical
    assert e1 > 0 and e2 == e1             # events come from canonical stories only
    assert c1 and c2 == c1                 # same clusters with the same mention/story/outlet counts
    assert s1 and s2 == s1                 # and the same sanctions rows


@pytest.mark.xfail(strict=True, reason=(
    "issues 14/15 unmet: the 2 October EU sanction on 40 officials is published only from 003, which carries no year "
    "anywhere in its text (published_rule none:no_date_evidence), so its event_day is null; 000 (dated 2020-10-03) "
    "reports the same sanction but the shipped typer+decider do not decide SANCTION there (tests/core/"
    "test_extract_events.py). Kept failing on purpose until the coder or cross-story dating (linking) dates it"))
def test_eu_sanction_on_40_officials_is_dated_2020_10_02(once):
    sanctions = [r for r in counts(once)[3] if r[0] == 40 and str(r[2]) == "2020-10-02"]
    assert sanctions


def twin_table(wh: Path):
    """Every story with its file name, story_index, cluster, canonical flag and the canonical rule's inputs."""
    import polars as pl

    con = duckdb.connect(str(wh / "newsevents.duckdb"), read_only=True)
    try:
        cur = con.execute("""
            select s.story_id, d.source_uri, s.story_index, s.cluster_id, s.is_canonical, s.published_date,
                   s.raw_end - s.raw_start - length(s.text) as furniture
            from stories s join documents d using (doc_id)""")
        cols = [c[0] for c in cur.description]
        frame = pl.DataFrame(cur.fetchall(), schema=cols, orient="row")
    finally:
        con.close()
    return frame.with_columns(pl.col("source_uri").str.replace(r"^.*/", "").alias("file"),
                              pl.col("source_uri").str.contains(r"(^|/)b/").alias("is_copy"))


def test_furnished_copy_added_later_equals_a_full_rebuild(tmp_path):
    """seeds/ alone, then a second copy with other furniture added in a subfolder and the same warehouse re-run:
    every story has its twin in its cluster, counts do not move, and the incremental warehouse equals a full
    rebuild of both folders (the canonical rule does not depend on arrival order)."""
    import polars as pl

    from pipelines.core.publish.compare import compare_warehouses

    inp, wh_inc, wh_full = tmp_path / "in", tmp_path / "wh_inc", tmp_path / "wh_full"
    shutil.copytree(REPO / "seeds", inp)
    run(inp, wh_inc)
    c1, e1, k1, s1, n1 = counts(wh_inc)
    canon1 = set(twin_table(wh_inc).filter(pl.col("is_canonical"))["story_id"])
    (inp / "b").mkdir()
    for p in sorted((REPO / "seeds").glob("*.txt")):
        paras = p.read_text(encoding="utf-8").split("\n\n")
        (inp / "b" / p.name).write_text(paras[0] + FURNITURE + "\n\n".join(paras[1:]) + "\n\nPhoto by Staff / AFP\n",
                                        encoding="utf-8")
    run(inp, wh_inc)
    c2, e2, k2, s2, n2 = counts(wh_inc)
    assert n2 == 2 * n1 and k2 == k1 and e2 == e1 and c2 == c1 and s2 == s1
    t = twin_table(wh_inc)
    pairs = t.filter(~pl.col("is_copy")).join(t.filter(pl.col("is_copy")), on=["file", "story_index"], suffix="_c")
    assert pairs.height == n1
    assert (pairs["cluster_id"] == pairs["cluster_id_c"]).all()     # every story has its twin in its cluster
    canon2 = set(t.filter(pl.col("is_canonical"))["story_id"])
    # canonical stories unchanged: a copy from a page with more furniture never displaces the original, also where
    # the extra furniture fell outside this story's slice of a glued file (document-level tie-break)
    more = pairs.filter(pl.col("furniture_c") > pl.col("furniture"))
    assert more.height >= 2                                          # some slices themselves carry the extra furniture
    assert pairs.filter(pl.col("furniture_c") == pl.col("furniture")).height >= 2   # and some do not
    assert canon2 == canon1
    # the same warehouse as a full rebuild of both folders
    run(inp, wh_full)
    diff = compare_warehouses(wh_inc, wh_full)
    assert diff and all(d["equal"] for d in diff.values()), {k: d for k, d in diff.items() if not d["equal"]}

"""The seeds ingested twice (a second copy with other page furniture) count nothing twice downstream."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
FURNITURE = "\n\nAdvertisement\n\nRead More\n\nImage copyright Getty Images\n\n"


def run(inp: Path, wh: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--quiet", "--input", str(inp), "--warehouse", str(wh)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]


def counts(wh: Path):
    con = duckdb.connect(str(wh / "newsevents.duckdb"), read_only=True)
    try:
        clusters = sorted(con.execute("select event_type, factuality, event_date, n_mentions, n_stories, n_outlets from event_clusters").fetchall(),
                          key=str)
        events = con.execute("select count(*) from events").fetchone()[0]
        canonical = con.execute("select count(*) from stories where is_canonical").fetchone()[0]
        sanctions = con.execute("select n_targets, n_stories from v_sanctions where n_targets = 40 and event_day = DATE '2020-10-02'").fetchall()
        stories = con.execute("select count(*) from stories").fetchone()[0]
        return clusters, events, canonical, sanctions, stories
    finally:
        con.close()


def test_second_copy_with_other_furniture_changes_no_count(tmp_path):
    once, twice = tmp_path / "once", tmp_path / "twice"
    shutil.copytree(REPO / "seeds", once)
    shutil.copytree(REPO / "seeds", twice / "a")
    (twice / "b").mkdir()
    for p in sorted((REPO / "seeds").glob("*.txt")):
        paras = p.read_text(encoding="utf-8").split("\n\n")
        # other furniture: a promo block after the first paragraph and a credit line at the end
        (twice / "b" / p.name).write_text(paras[0] + FURNITURE + "\n\n".join(paras[1:]) + "\n\nPhoto by Staff / AFP\n", encoding="utf-8")
    run(once, tmp_path / "wh1")
    run(twice, tmp_path / "wh2")
    c1, e1, k1, s1, n1 = counts(tmp_path / "wh1")
    c2, e2, k2, s2, n2 = counts(tmp_path / "wh2")
    assert n2 == 2 * n1                    # every story is there twice...
    assert k2 == k1                        # ...but only one of each twin is canonical
    assert e2 == e1                        # events come from canonical stories only
    assert c2 == c1                        # same clusters with the same mention/story/outlet counts
    assert s1 and s2 == s1 and s1[0][0] == 40

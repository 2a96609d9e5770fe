"""The extractor's on-disk table cache (pipelines/core/extract/tablecache.py): a cached table equals a fresh build,
and a changed input (rule file, phrases, code version) builds it again."""
from __future__ import annotations

import shutil

import yaml

from pipelines.core.extract import actors, places, tablecache
from pipelines.core.extract.events import RULES_DIR


def _fresh(folder):
    from pipelines.core.extract import events

    tablecache.configure(folder)
    places._gazetteer.cache_clear()
    actors._load.cache_clear()
    events._resolvers.cache_clear()


def test_cached_json_builds_once_then_hits_and_rebuilds_on_new_parts(tmp_path):
    calls = []

    def build():
        calls.append(1)
        return {"a": [1, 2.5, None, "x"]}

    try:
        tablecache.configure(tmp_path)
        assert tablecache.cached_json("t", ("p1",), build) == ({"a": [1, 2.5, None, "x"]}, "built")
        assert tablecache.cached_json("t", ("p1",), build) == ({"a": [1, 2.5, None, "x"]}, "hit")
        assert len(calls) == 1
        assert tablecache.cached_json("t", ("p2",), build)[1] == "built"  # other content -> other key
        assert len(calls) == 2 and len(list(tmp_path.glob("t-*.json"))) == 1  # the stale file is gone
        # a corrupt file is rebuilt, not trusted
        next(tmp_path.glob("t-*.json")).write_text("{not json", encoding="utf-8")
        assert tablecache.cached_json("t", ("p2",), build)[1] == "built"
        # another code version -> another key
        import pipelines.core.cache as cache

        real = cache.code_version
        cache.code_version = lambda: "other-version"  # type: ignore[assignment]
        try:
            assert tablecache.cached_json("t", ("p2",), build)[1] == "built"
        finally:
            cache.code_version = real  # type: ignore[assignment]
        tablecache.configure(None)
        assert tablecache.cached_json("t", ("p2",), build)[1] == "off"
    finally:
        tablecache.configure(None)


def test_cached_gazetteer_and_actor_regex_equal_a_fresh_build(tmp_path):
    try:
        _fresh(None)
        gaz0 = places._gazetteer(str(places.RULES_DIR))
        rx0 = actors._load(str(actors.RULES_DIR)).rx
        _fresh(tmp_path)
        gaz1 = places._gazetteer(str(places.RULES_DIR))  # built and written
        rx1 = actors._load(str(actors.RULES_DIR)).rx
        assert {p.name.split("-")[0] for p in tmp_path.glob("*.json")} == {"gazetteer", "actor_trie"}
        _fresh(tmp_path)
        gaz2 = places._gazetteer(str(places.RULES_DIR))  # read back
        rx2 = actors._load(str(actors.RULES_DIR)).rx
        assert gaz0 == gaz1 == gaz2 and rx0 == rx1 == rx2
        entries = [e for lst in gaz2[0].values() for _f, e in lst]
        assert {type(e.population) for e in entries} == {int} and all(isinstance(e.is_country, bool) for e in entries)
        assert places.find_places("Police detained protesters in Minsk and Paris on Monday.")[0][0].name == "Minsk"
    finally:
        _fresh(None)


def test_changed_rule_file_rebuilds_the_cached_tables(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    cache_dir = tmp_path / "cache"
    try:
        _fresh(cache_dir)
        gaz = places._gazetteer(str(rules))[0]
        assert "wakanda" not in gaz
        d = actors._load(str(rules))
        assert "Wakanda Liberation Front" not in [m.group(0) for m in d.rx.finditer("the Wakanda Liberation Front said")]
        # a new country name and a new organisation: both tables must change, not be read from the cache
        with open(rules / "country_aliases.csv", "a", encoding="utf-8") as fh:
            fh.write("\nFRA,Wakanda,name\n")
        with open(rules / "actors.csv", "a", encoding="utf-8") as fh:
            header = (rules / "actors.csv").read_text(encoding="utf-8").splitlines()
            cols = next(h for h in header if not h.startswith("#")).split(",")
            row = {c: "" for c in cols}
            row.update(actor_id="XYZ:REB", name="Wakanda Liberation Front", country="XYZ", sector="REB")
            fh.write("\n" + ",".join(row[c] for c in cols) + "\n")
        _fresh(cache_dir)
        assert "wakanda" in places._gazetteer(str(rules))[0]
        rx = actors._load(str(rules)).rx
        assert "Wakanda Liberation Front" in [m.group(0) for m in rx.finditer("the Wakanda Liberation Front said")]
        assert len(list(cache_dir.glob("gazetteer-*.json"))) == 1 and len(list(cache_dir.glob("actor_trie-*.json"))) == 1
    finally:
        _fresh(None)


def test_libyaml_loader_reads_the_rule_files_like_the_pure_python_one():
    for name in ("event_patterns.yaml", "roles.yaml"):
        text = (RULES_DIR / name).read_text(encoding="utf-8")
        assert yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) == yaml.safe_load(text)


def test_extract_with_the_table_cache_gives_the_same_rows(tmp_path):
    import datetime as dt

    import polars as pl

    from pipelines.core.extract.batch import extract_in_chunks

    stories = pl.DataFrame({
        "story_id": ["st_a", "st_b"],
        "text": ["Police detained 40 protesters in Minsk on Monday, the interior ministry said.",
                 "The European Union imposed sanctions on Belarus on Tuesday over the crackdown in Minsk."],
        "title": ["Arrests", "Sanctions"], "published_date": [dt.date(2024, 3, 4), dt.date(2024, 3, 5)],
        "outlet": ["x", "y"]}).lazy()
    try:
        _fresh(None)
        ev0, ac0 = extract_in_chunks(stories, 2)
        cache_dir = tmp_path / "extract_tables"
        _fresh(None)
        ev1, ac1 = extract_in_chunks(stories, 2, cache_dir=cache_dir)  # builds and writes the tables
        assert {p.name.split("-")[0] for p in cache_dir.glob("*.json")} == {"gazetteer", "actor_trie"}
        _fresh(None)
        ev2, ac2 = extract_in_chunks(stories, 2, cache_dir=cache_dir)  # reads them back
        assert ev0.height > 0
        assert ev0.equals(ev1) and ev0.equals(ev2) and ac0.equals(ac1) and ac0.equals(ac2)
    finally:
        _fresh(None)

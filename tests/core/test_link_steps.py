"""Linking steps on built text (no seed sentences): date vetoes, cluster dates, story evidence, incremental == full."""
from __future__ import annotations

import datetime as dt
import random

import polars as pl

from pipelines.core.link import link_events, link_events_explained, load_rules
from pipelines.core.link.block import prepare
from pipelines.core.link.dates import cluster_date
from tests.core.test_link import frames, mention, story

D = dt.date


# unrelated stories without mentions: story groups need a corpus (TF-IDF drops terms found in most stories)
OTHER = {"x1": "Brindle council approves a new library budget", "x2": "Marrow football club signs a goalkeeper",
         "x3": "Quillan weather: storms expected over the weekend", "x4": "Sedge bakery wins a national prize"}


def with_text(st: pl.DataFrame, titles: dict[str, str]) -> pl.DataFrame:
    """Stories with a title and a lead, so story groups (stories.py) can form."""
    return st.with_columns(pl.col("story_id").replace_strict(titles, default=None).alias("title"),
                           pl.col("story_id").replace_strict(titles, default=None).alias("text"))


def rules_with(**over) -> dict:
    base = load_rules()
    out = dict(base)
    for k, v in over.items():
        out[k] = {**base[k], **v} if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


def parade_case():
    """Three reports of a march in Oakvale (a made-up city) in Sept 2031, one of them recalling a march of 2024."""
    stories = [story("a", "Herald", D(2031, 9, 14)), story("b", "Courier", D(2031, 9, 14)),
               story("c", "Gazette", D(2031, 9, 15))] + [story(s, "Other", D(2031, 9, 14)) for s in OTHER]
    ms = [
        mention("a", "Thousands of Oakvale dockworkers marched against the port authority on Sunday.", "PROTEST",
                src="XOK:LAB", src_c="XOK", tgt="XOK:GOV", tgt_c="XOK", date=D(2031, 9, 14), sent=0),
        mention("b", "Dockworkers in Oakvale marched on the port authority.", "PROTEST",
                src="XOK:LAB", src_c="XOK", tgt="XOK:GOV", tgt_c="XOK", sent=0),
        mention("c", "Oakvale dockworkers had last marched against the port authority in 2024.", "PROTEST",
                src="XOK:LAB", src_c="XOK", tgt="XOK:GOV", tgt_c="XOK", date=D(2024, 1, 1), precision="year",
                date_text="in 2024", sent=3),
    ]
    ev, st = frames(ms, stories)
    title = "Oakvale dockworkers march on the port authority"
    return ev, with_text(st, {"a": title, "b": title + " again", "c": "Oakvale dockworkers march, port authority",
                              **OTHER})


def test_a_coarse_date_of_another_year_never_joins():
    ev, st = parade_case()
    out, cl = link_events(ev, st)
    ids = out["event_cluster_id"].to_list()
    assert ids[0] == ids[1]            # the 2031 march, one dated and one undated report
    assert ids[2] != ids[0]            # "in 2024" contradicts the cluster's 2031 dates: vetoed
    row = cl.filter(pl.col("event_cluster_id") == ids[0]).to_dicts()[0]
    assert row["event_date"] == D(2031, 9, 14) and row["n_stories"] == 2
    # the three stories are one story group (the same news), which would let the mention in
    res = link_events_explained(ev, st)
    assert len({res.story_groups.group_of[s] for s in "abc"}) == 1
    # the veto is what keeps them apart: switched off, the year-dated mention joins (and would date the cluster)
    out2, _ = link_events(ev, st, rules_with(vague_date_veto=False))
    assert out2["event_cluster_id"].n_unique() == 1


def test_a_coarse_date_of_the_same_month_may_join():
    ev, st = parade_case()
    ev = ev.with_columns(pl.when(pl.col("story_id") == "c").then(pl.lit(D(2031, 9, 1))).otherwise(pl.col("event_date"))
                         .alias("event_date"),
                         pl.when(pl.col("story_id") == "c").then(pl.lit("month")).otherwise(pl.col("date_precision"))
                         .alias("date_precision"))
    out, cl = link_events(ev, st)
    assert out["event_cluster_id"].n_unique() == 1
    # the cluster's date is the most precise one (the day), not the month
    assert cl.filter(pl.col("n_mentions") == 3)["event_date"].to_list() == [D(2031, 9, 14)]


def test_cluster_date_is_the_most_precise_consistent_one():
    ev, st = parade_case()
    ms = prepare(ev, st, load_rules())
    assert cluster_date(ms[:2]) == (D(2031, 9, 14), "day")
    assert cluster_date(ms[1:2]) == (None, "none")     # undated (publication only): no stated date
    assert cluster_date(ms[2:]) == (D(2024, 1, 1), "year")


def test_planned_event_and_its_occurrence_stay_apart_even_in_one_story_group():
    title = "Oakvale port authority dockworkers strike"
    stories = [story("p", "Herald", D(2031, 9, 10)), story("q", "Courier", D(2031, 9, 14))] + \
        [story(s, "Other", D(2031, 9, 14)) for s in OTHER]
    ms = [mention("p", "Oakvale dockworkers will strike against the port authority on Sunday.", "PROTEST",
                  src="XOK:LAB", src_c="XOK", tgt="XOK:GOV", tgt_c="XOK", date=D(2031, 9, 14), factuality="planned"),
          mention("q", "Oakvale dockworkers struck against the port authority on Sunday.", "PROTEST",
                  src="XOK:LAB", src_c="XOK", tgt="XOK:GOV", tgt_c="XOK", date=D(2031, 9, 14))]
    ev, st = frames(ms, stories)
    st = with_text(st, {"p": title, "q": title, **OTHER})
    loose = rules_with(story_links={"actor_conflict": "none", "window_days": 30, "min_similarity": 0.0})
    for rules in (load_rules(), loose):
        res = link_events_explained(ev, st, rules)
        assert res.story_groups.group_of["p"] == res.story_groups.group_of["q"]   # same news...
        assert res.events["event_cluster_id"].n_unique() == 2                     # ...two events
        assert sorted(res.clusters["factuality"].to_list()) == ["asserted", "planned"]


def random_corpus(n_stories: int, seed: int):
    """Built stories about made-up towns: a few events, each reported by several outlets with varied dates,
    actors and titles, plus unrelated background mentions."""
    rng = random.Random(seed)
    towns = ["Oakvale", "Brindle", "Marrow", "Quillan", "Sedge", "Tarn", "Umber", "Vell"]
    types = [("PROTEST", "marched against"), ("COERCE", "detained"), ("SANCTION", "sanctioned"),
             ("CONSULT", "met"), ("ACCUSE", "accused")]
    stories, ms, titles = [], [], {}
    for i in range(n_stories):
        town = rng.choice(towns)
        etype, verb = rng.choice(types)
        day = D(2031, 3, 1) + dt.timedelta(days=rng.randrange(40))
        sid = f"s{i:03d}"
        stories.append(story(sid, f"O{rng.randrange(6)}", day + dt.timedelta(days=rng.randrange(2))))
        titles[sid] = f"{town} {etype.lower()} {verb} officials {rng.choice(towns)}"
        code = f"X{town[:2].upper()}"
        for j in range(rng.randrange(1, 4)):
            dated = rng.random() < 0.5
            ms.append(mention(sid, f"In {town}, {rng.choice(['workers', 'police', 'the council'])} {verb} "
                                   f"{rng.choice(['officials', 'protesters', 'the mayor'])} ({j}).", etype,
                              src=f"{code}:{rng.choice(['GOV', 'COP', 'LAB'])}", src_c=code,
                              tgt=rng.choice([f"{code}:OPP", None]), tgt_c=code if rng.random() < 0.5 else None,
                              date=day if dated else None, sent=j,
                              factuality=rng.choice(["asserted"] * 5 + ["planned"])))
    ev, st = frames(ms, stories)
    return ev, with_text(st, titles)


def canonical(res) -> tuple:
    """The partition of mentions into clusters, the cluster rows and the link rows, independent of row order."""
    ev = res.events.sort("event_id")
    return (ev.select("event_id", "event_cluster_id", "event_date"), res.clusters.sort("event_cluster_id"),
            res.links.sort("link_id"))


def test_incremental_linking_equals_a_full_rebuild():
    """The link stage re-links the staged mentions of all stories after each batch: adding stories batch by batch
    (new rows appended, in arrival order) must give exactly what one run over the whole corpus gives."""
    ev, st = random_corpus(120, seed=5)
    rules = load_rules()
    full = link_events_explained(ev.sample(fraction=1.0, shuffle=True, seed=1), st.sample(fraction=1.0, shuffle=True,
                                 seed=2), rules)
    order = st["story_id"].to_list()
    state_ev, state_st = ev.clear(), st.clear()
    for batch in (order[:50], order[50:90], order[90:]):
        state_st = pl.concat([state_st, st.filter(pl.col("story_id").is_in(batch))])
        state_ev = pl.concat([state_ev, ev.filter(pl.col("story_id").is_in(batch))])
        inc = link_events_explained(state_ev, state_st, rules)
    assert inc.links.height > 0 and (inc.clusters["n_stories"] > 1).any()   # the corpus does link
    for a, b in zip(canonical(inc), canonical(full)):
        assert a.equals(b)

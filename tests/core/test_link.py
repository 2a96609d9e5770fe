"""Event linking on mention rows built from real seed sentences (no extractor needed, no dagster)."""
from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest

from pipelines.core.ids import stable_id
from pipelines.core.link import link_events, load_rules
from schemas.event_clusters import EventClusters

D = dt.date

# real sentences from the seed files (000 and 003 report the EU's 2 Oct 2020 sanctions)
S000_EU = ("EU leaders earlier yesterday gave their approval for travel bans and asset freezes on some 40 members of "
           "Mr Lukashenko's regime they deemed responsible for rigging the Aug 9 election and the subsequent violent "
           "crackdown on protests.")
S003_EU = ("On Oct. 2, the EU imposed travel bans and assets freeze against 40 Belarusian officials from the Interior "
           "Ministry, Central Election Commission, and Okrestina detention center, the State Security Committee, but "
           "not Alexander Lukashenko, the embattled president of 26 years who claimed landslide victory in the Aug. 9 "
           "presidential elections widely recognized as not free and unfair.")
S003_UKR = ("Ukraine intends to join the sanctions imposed by the European Union against Belarusian officials implicated "
            "in vote-rigging and violence against peaceful protesters, Foreign Minister Dmytro Kuleba told BBC Ukraine.")
S000_TUR = ("The deadlock was finally broken early yesterday, with the 27 leaders agreeing to a formal statement "
            "threatening Turkey with sanctions if it does not halt its activities.")
S000_BLR = ("Belarus said yesterday it was introducing counter-sanctions on the European Union after the bloc adopted "
            "measures against members of the regime in Minsk following President Alexander Lukashenko's disputed re-election.")
S000_UK = ("Unlike Britain and Canada, which have already sanctioned Belarusian officials, the EU will not be imposing "
           "measures on Mr Lukashenko himself.")

EVENT_COLS = ["event_id", "story_id", "sentence_index", "char_start", "char_end", "evidence", "trigger", "event_type",
              "event_mode", "cameo_root", "factuality", "source_actor", "source_actor_id", "source_country",
              "source_sector", "target_actor", "target_actor_id", "target_country", "target_sector", "event_date",
              "date_precision", "date_text", "location_name", "location_country", "latitude", "longitude",
              "quantity", "quantity_kind", "quantity_text", "confidence", "extractor"]


def mention(story_id, evidence, event_type, *, src=None, src_c=None, tgt=None, tgt_c=None, date=None,
            date_text="x", precision="day", factuality="asserted", loc_c=None, conf=0.8, sent=0, qty=None):
    ev = {c: None for c in EVENT_COLS}
    ev.update(story_id=story_id, sentence_index=sent, char_start=0, char_end=len(evidence), evidence=evidence,
              event_type=event_type, factuality=factuality, source_actor_id=src, source_country=src_c,
              target_actor_id=tgt, target_country=tgt_c, event_date=date,
              date_precision=precision if date else "none", date_text=date_text if date else None,
              location_country=loc_c, confidence=conf, extractor="test", quantity=qty,
              quantity_kind="targets" if qty else None)
    ev["event_id"] = stable_id("ev", story_id, sent, event_type, src, tgt, factuality, date)
    return ev


def frames(mentions, stories):
    ev = pl.DataFrame(mentions, schema={c: (pl.Date if c == "event_date" else pl.Float64 if c in ("latitude", "longitude", "confidence") else pl.Int64 if c in ("sentence_index", "char_start", "char_end", "quantity") else pl.Utf8) for c in EVENT_COLS})
    st = pl.DataFrame(stories, schema={"story_id": pl.Utf8, "doc_id": pl.Utf8, "outlet": pl.Utf8,
                                       "published_date": pl.Date, "cluster_id": pl.Utf8, "is_canonical": pl.Boolean})
    return ev, st


def story(sid, outlet, pub, doc=None, cluster=None, canonical=True):
    return {"story_id": sid, "doc_id": doc or f"doc_{sid}", "outlet": outlet, "published_date": pub,
            "cluster_id": cluster or sid, "is_canonical": canonical}


def seed_case():
    stories = [story("st_000", "The Straits Times", D(2020, 10, 3)), story("st_003", "Kyiv Post", None)]
    ms = [
        mention("st_000", S000_EU, "SANCTION", src="IGO:EU", src_c=None, tgt="BLR:GOV", tgt_c="BLR",
                date=D(2020, 10, 2), qty=40, sent=3),
        mention("st_003", S003_EU, "SANCTION", src="IGO:EU", tgt="BLR:GOV", tgt_c="BLR", date=D(2020, 10, 2),
                qty=40, sent=4, conf=0.9),
        mention("st_003", S003_UKR, "SANCTION", src="UKR:GOV", src_c="UKR", tgt="BLR:GOV", tgt_c="BLR",
                factuality="planned", sent=1),
        mention("st_000", S000_TUR, "THREATEN", src="IGO:EU", tgt="TUR", tgt_c="TUR", date=D(2020, 10, 2),
                factuality="asserted", sent=12),
        mention("st_000", S000_BLR, "SANCTION", src="BLR:GOV", src_c="BLR", tgt="IGO:EU", date=D(2020, 10, 2),
                sent=0),
        mention("st_000", S000_UK, "SANCTION", src="GBR", src_c="GBR", tgt="BLR:GOV", tgt_c="BLR", sent=4,
                date=None),
    ]
    return frames(ms, stories)


def cluster_of(ev, evidence):
    return ev.filter(pl.col("evidence") == evidence)["event_cluster_id"].to_list()


def test_eu_sanctions_link_across_two_stories():
    ev, st = seed_case()
    out, cl = link_events(ev, st)
    a, b = cluster_of(out, S000_EU)[0], cluster_of(out, S003_EU)[0]
    assert a == b
    row = cl.filter(pl.col("event_cluster_id") == a).to_dicts()[0]
    assert row["n_mentions"] == 2 and row["n_stories"] == 2 and row["n_outlets"] == 2
    assert row["event_type"] == "SANCTION" and row["target_country"] == "BLR"
    assert row["event_date"] == D(2020, 10, 2)
    # the 003 mention has the higher confidence, so it represents the event
    assert row["representative_event_id"] == out.filter(pl.col("evidence") == S003_EU)["event_id"][0]
    assert row["event_cluster_id"] == stable_id("ec", row["representative_event_id"])
    assert row["link_rule"] == "link:family=sanction;factuality=asserted;window=3d"


def test_other_sanctions_stay_apart():
    ev, st = seed_case()
    out, cl = link_events(ev, st)
    eu = cluster_of(out, S000_EU)[0]
    for s in (S003_UKR, S000_TUR, S000_BLR, S000_UK):
        assert cluster_of(out, s)[0] != eu, s
    # every mention has a cluster, every cluster id is in the clusters table
    assert out["event_cluster_id"].null_count() == 0
    assert set(out["event_cluster_id"]) == set(cl["event_cluster_id"])
    assert cl.height == 5
    EventClusters.validate(cl, lazy=True)


def test_planned_and_later_occurrence_are_distinct():
    stories = [story("s1", "A", D(2020, 9, 30)), story("s2", "B", D(2020, 10, 2))]
    ms = [
        mention("s1", "EU leaders will impose sanctions on Belarusian officials on Friday.", "SANCTION",
                src="IGO:EU", tgt="BLR:GOV", tgt_c="BLR", date=D(2020, 10, 2), factuality="planned"),
        mention("s2", "EU leaders imposed sanctions on Belarusian officials.", "SANCTION",
                src="IGO:EU", tgt="BLR:GOV", tgt_c="BLR", date=D(2020, 10, 2)),
    ]
    out, cl = link_events(*frames(ms, stories))
    assert out["event_cluster_id"].n_unique() == 2
    assert sorted(cl["factuality"].to_list()) == ["asserted", "planned"]


def test_date_window_and_conflicting_actors():
    stories = [story(f"s{i}", f"O{i}", D(2020, 8, 20)) for i in range(4)]
    txt = "Police detained protesters in Minsk."
    ms = [
        mention("s0", txt, "COERCE", src="BLR:COP", src_c="BLR", tgt="BLR:CVL", tgt_c="BLR", date=D(2020, 8, 10)),
        mention("s1", txt + " ", "ASSAULT", src="BLR:COP", src_c="BLR", tgt="BLR:CVL", tgt_c="BLR",
                date=D(2020, 8, 11)),  # same family (coerce), within 3 days -> linked
        mention("s2", txt + "  ", "COERCE", src="BLR:COP", src_c="BLR", tgt="BLR:CVL", tgt_c="BLR",
                date=D(2020, 8, 19)),  # 9 days later -> another event
        mention("s3", txt + "   ", "COERCE", src="RUS:COP", src_c="RUS", tgt="BLR:CVL", tgt_c="BLR",
                date=D(2020, 8, 10)),  # conflicting source country -> another event
    ]
    out, cl = link_events(*frames(ms, stories))
    ids = out["event_cluster_id"].to_list()
    assert ids[0] == ids[1]
    assert len({ids[0], ids[2], ids[3]}) == 3
    merged = cl.filter(pl.col("event_cluster_id") == ids[0]).to_dicts()[0]
    assert merged["event_type"] in ("COERCE", "ASSAULT") and merged["n_stories"] == 2
    assert merged["first_date"] == D(2020, 8, 10) and merged["last_date"] == D(2020, 8, 11)


def test_no_chaining_through_a_vague_mention():
    # B (unknown target) may join A, but then C (different target) must not join the A+B cluster
    stories = [story(f"s{i}", f"O{i}", D(2021, 3, 1)) for i in range(3)]
    ms = [
        mention("s0", "The EU sanctioned Russian officials.", "SANCTION", src="IGO:EU", tgt_c="RUS", tgt="RUS:GOV",
                date=D(2021, 3, 1)),
        mention("s1", "The EU adopted sanctions.", "SANCTION", src="IGO:EU", date=D(2021, 3, 1)),
        mention("s2", "The EU sanctioned Chinese officials.", "SANCTION", src="IGO:EU", tgt_c="CHN", tgt="CHN:GOV",
                date=D(2021, 3, 1)),
    ]
    out, _ = link_events(*frames(ms, stories))
    ids = out["event_cluster_id"].to_list()
    assert ids[0] != ids[2]
    assert ids[1] in (ids[0], ids[2])


def test_duplicate_stories_do_not_inflate_counts():
    """The seeds ingested twice: copies are non-canonical members of the same dedup cluster."""
    ev, st = seed_case()
    _, cl1 = link_events(ev, st)
    copies = st.with_columns((pl.col("story_id") + "_copy").alias("story_id"), (pl.col("doc_id") + "_copy").alias("doc_id"),
                             pl.lit(False).alias("is_canonical"))
    ev_copies = ev.with_columns((pl.col("story_id") + "_copy").alias("story_id"), (pl.col("event_id") + "c").alias("event_id"))
    out2, cl2 = link_events(pl.concat([ev, ev_copies]), pl.concat([st, copies]))
    eu = out2.filter(pl.col("evidence") == S000_EU)["event_cluster_id"].unique().to_list()
    assert len(eu) == 1
    r1 = cl1.filter(pl.col("n_stories") == 2).select("n_mentions", "n_stories", "n_outlets").to_dicts()
    r2 = cl2.filter(pl.col("event_cluster_id") == eu[0]).select("n_mentions", "n_stories", "n_outlets").to_dicts()
    assert r1 == r2 == [{"n_mentions": 2, "n_stories": 2, "n_outlets": 2}]


def test_deterministic_under_row_order():
    ev, st = seed_case()
    out1, cl1 = link_events(ev, st)
    rows = ev.to_dicts()
    random.Random(7).shuffle(rows)
    out2, cl2 = link_events(pl.DataFrame(rows, schema=ev.schema), st.reverse())
    assert cl1.equals(cl2)
    assert dict(zip(out1["event_id"], out1["event_cluster_id"])) == dict(zip(out2["event_id"], out2["event_cluster_id"]))
    assert out2["event_id"].to_list() == [r["event_id"] for r in rows]  # row order kept


def test_undated_mentions_use_publication_window():
    stories = [story("s0", "A", D(2020, 8, 20)), story("s1", "B", D(2020, 8, 21)), story("s2", "C", None),
               story("s3", "D", D(2020, 8, 30))]
    txt = "EU leaders held an emergency video summit on Belarus."
    ms = [mention(s, txt + " " * i, "CONSULT", src="IGO:EU", tgt="BLR", tgt_c="BLR", loc_c=None)
          for i, s in enumerate(["s0", "s1", "s2", "s3"])]
    out, _ = link_events(*frames(ms, stories))
    ids = out["event_cluster_id"].to_list()
    assert ids[0] == ids[1]          # published a day apart, both undated -> overlapping lookback windows
    assert ids[2] not in (ids[0],)   # no date at all -> never linked
    assert ids[3] != ids[0]          # 10 days later -> another event


def test_symmetric_family_links_swapped_actors():
    stories = [story("s0", "A", D(2020, 9, 14)), story("s1", "B", D(2020, 9, 14))]
    ms = [
        mention("s0", "Putin met Lukashenko in Sochi.", "CONSULT", src="RUS:GOV", src_c="RUS", tgt="BLR:GOV",
                tgt_c="BLR", date=D(2020, 9, 14)),
        mention("s1", "Lukashenko held talks with Putin in Sochi.", "CONSULT", src="BLR:GOV", src_c="BLR",
                tgt="RUS:GOV", tgt_c="RUS", date=D(2020, 9, 14)),
        mention("s1", "Lukashenko accused Putin of meddling.", "ACCUSE", src="BLR:GOV", src_c="BLR",
                tgt="RUS:GOV", tgt_c="RUS", date=D(2020, 9, 14), sent=2),
    ]
    out, _ = link_events(*frames(ms, stories))
    ids = out["event_cluster_id"].to_list()
    assert ids[0] == ids[1] and ids[2] != ids[0]


def test_empty_input_and_rules_are_data():
    ev, st = seed_case()
    out, cl = link_events(ev.head(0), st)
    assert out.height == 0 and cl.height == 0 and "event_cluster_id" in out.columns
    rules = load_rules()
    assert "SANCTION" in rules["type_families"]["sanction"]
    # turning off the planned group makes planned mentions unlinkable
    r2 = dict(rules, factuality_groups={"asserted": ["asserted"]})
    _, cl2 = link_events(ev, st, rules=r2)
    assert (cl2.filter(pl.col("factuality") == "planned")["link_rule"] == "link:unlinkable").all()


def test_blocking_scales_linearly_in_candidates():
    """5,000 mentions over a year in 50 countries: the sweep never compares far-apart dates (no all-pairs)."""
    rng = random.Random(3)
    stories, ms = [], []
    countries = [f"C{i:02d}" for i in range(50)]
    for i in range(5000):
        d = D(2020, 1, 1) + dt.timedelta(days=rng.randrange(366))
        sid = f"s{i}"
        stories.append(story(sid, f"O{i % 40}", d))
        c = rng.choice(countries)
        ms.append(mention(sid, f"Police arrested protesters {i}.", "COERCE", src=f"{c}:COP", src_c=None,
                          tgt=f"{c}:CVL", date=d, sent=i))
    out, cl = link_events(*frames(ms, stories))
    assert out["event_cluster_id"].null_count() == 0
    assert cl["n_mentions"].sum() == 5000
    # linked clusters only ever join the same country's actors within the window
    j = out.join(cl.select("event_cluster_id", "source_actor_id", "event_date"), on="event_cluster_id")
    assert (j["source_actor_id"] == j["source_actor_id_right"]).all()


def test_broad_sector_codes_identify_nobody():
    """USA:BUS (some US company) on one side and the same country on the other is not one event."""
    stories = [story("s0", "A", D(2017, 12, 26)), story("s1", "B", D(2017, 12, 27))]
    ms = [
        mention("s0", "All Nippon Airways flight 175 returned to US soil.", "SUPPORT", src="USA:BUS", src_c="USA",
                tgt="USA", tgt_c="USA", date=D(2017, 12, 26)),
        mention("s1", "An airline manager apologized to the players.", "SUPPORT", src="USA:BUS", src_c="USA",
                tgt="person:joshua-freed", tgt_c="USA", date=D(2017, 12, 27)),
    ]
    out, _ = link_events(*frames(ms, stories))
    assert out["event_cluster_id"].n_unique() == 2
    out, _ = link_events(*frames(ms, stories), rules=dict(load_rules(), broad_sectors=[]))
    assert out["event_cluster_id"].n_unique() == 1  # the same rows link once BUS counts as a narrow sector


def test_country_only_agreement_is_not_enough():
    """Two domestic US stories on the same day with only 'USA' on both sides are not the same event."""
    stories = [story("s0", "A", D(2018, 2, 5)), story("s1", "B", D(2018, 2, 5))]
    ms = [
        mention("s0", "Coinbase has struggled to keep up with demand, US regulators said.", "ACCUSE", src="USA:BUS",
                src_c="USA", tgt="USA:CVL", tgt_c="USA", date=D(2018, 2, 5)),
        mention("s1", "Broadcom criticized Qualcomm's management team.", "ACCUSE", src="USA:MED", src_c="USA",
                tgt="person:steve-mollenkopf", tgt_c="USA", date=D(2018, 2, 5)),
    ]
    out, _ = link_events(*frames(ms, stories))
    assert out["event_cluster_id"].n_unique() == 2


def test_shared_terms_let_undated_mentions_link():
    stories = [story("s0", "A", D(2017, 9, 15)), story("s1", "B", D(2017, 9, 15))]
    a = "Russia strongly condemned the latest missile launch over Hokkaido by Pyongyang."
    b = "Moscow condemned the launch of the missile that flew over Hokkaido, Pyongyang's 15th test this year."
    c = "Russia condemned North Korea again."
    strict = dict(load_rules(), min_link_score_undated=4)
    ms = [mention("s0", a, "ACCUSE", src="RUS:GOV", src_c="RUS", tgt="PRK", tgt_c="PRK"),
          mention("s1", b, "ACCUSE", src="RUS:GOV", src_c="RUS", tgt="PRK", tgt_c="PRK")]
    out, _ = link_events(*frames(ms, stories), rules=strict)
    assert out["event_cluster_id"].n_unique() == 1          # 2 (RUS:GOV) + 1 (PRK) + 1 (hokkaido, pyongyang)
    ms[1] = mention("s1", c, "ACCUSE", src="RUS:GOV", src_c="RUS", tgt="PRK", tgt_c="PRK")
    out, _ = link_events(*frames(ms, stories), rules=strict)
    assert out["event_cluster_id"].n_unique() == 2          # undated, no shared terms: 3 < 4


def test_key_terms():
    from pipelines.core.link.linker import key_terms

    t = key_terms(S003_EU, ("the EU",), frozenset({"oct"}))
    assert {"40", "interior", "okrestina", "lukashenko"} <= t
    assert "on" not in t and "eu" not in t and "oct" not in t


def test_dateless_mention_joins_only_a_unique_strong_match():
    """003 states 'On Oct. 2' without a year and has no publication date: the mention has no date at all."""
    stories = [story("st_000", "The Straits Times", D(2020, 10, 3)), story("st_003", "Kyiv Post", None)]
    eu000 = mention("st_000", S000_EU, "SANCTION", src="IGO:EU", tgt="BLR:GOV", tgt_c="BLR", date=D(2020, 10, 2),
                    qty=40, sent=3)
    eu003 = mention("st_003", S003_EU, "SANCTION", src="IGO:EU", tgt="BLR:GOV", tgt_c="BLR", qty=40, sent=4)
    weak = mention("st_003", "The EU imposed sanctions.", "SANCTION", src="IGO:EU", sent=5)
    out, cl = link_events(*frames([eu000, eu003, weak], stories))
    ids = out["event_cluster_id"].to_list()
    assert ids[0] == ids[1] and ids[2] != ids[0]
    row = cl.filter(pl.col("event_cluster_id") == ids[0]).to_dicts()[0]
    assert row["n_stories"] == 2 and row["event_date"] == D(2020, 10, 2)
    # two equally good dated clusters (same sanctions on two dates far apart): ambiguous -> stays alone
    later = mention("st_000", S000_EU + " ", "SANCTION", src="IGO:EU", tgt="BLR:GOV", tgt_c="BLR",
                    date=D(2020, 11, 6), qty=40, sent=9)
    out, _ = link_events(*frames([eu000, later, eu003], stories))
    ids = out["event_cluster_id"].to_list()
    assert ids[0] != ids[1] and ids[2] not in (ids[0], ids[1])


def test_clusters_do_not_depend_on_ids():
    """The same texts under other story/event ids (a re-ingested copy became canonical) give the same clusters."""
    def run(prefix):
        stories = [story(f"{prefix}{i}", f"O{i}", D(2021, 3, 1)) for i in range(3)]
        ms = [
            mention(f"{prefix}0", "The EU sanctioned Russian officials.", "SANCTION", src="IGO:EU", tgt="RUS:GOV",
                    tgt_c="RUS", date=D(2021, 3, 1)),
            mention(f"{prefix}1", "The EU adopted sanctions.", "SANCTION", src="IGO:EU", date=D(2021, 3, 1)),
            mention(f"{prefix}2", "The EU sanctioned Chinese officials.", "SANCTION", src="IGO:EU", tgt="CHN:GOV",
                    tgt_c="CHN", date=D(2021, 3, 1)),
        ]
        out, _ = link_events(*frames(ms, stories))
        by_ev = dict(zip(out["evidence"], out["event_cluster_id"]))
        partner = [e for e, c in by_ev.items() if c == by_ev["The EU adopted sanctions."] and e != "The EU adopted sanctions."]
        return partner

    assert run("a") == run("z") and len(run("a")) == 1


def test_undated_mention_takes_its_clusters_day_only_when_its_words_name_it():
    import datetime as dt

    import polars as pl

    from pipelines.core.link.linker import DATE_FROM_CLUSTER_RULE, complete_dates_from_clusters

    day = dt.date(2020, 10, 2)
    events = pl.DataFrame({
        "event_id": ["a", "b", "c"],
        "event_cluster_id": ["ec1", "ec1", "ec1"],
        "event_date": [day, None, None],
        "date_text": ["yesterday", "On Oct. 2", "On Sept. 23"],
        "date_precision": ["day", "none", "none"],
        "extractor": ["rule:x@1", "rule:x@1", "rule:x@1"],
    })
    clusters = pl.DataFrame({"event_cluster_id": ["ec1"], "event_date": [day]})
    out = complete_dates_from_clusters(events, clusters)
    assert out["event_date"].to_list() == [day, day, None]
    assert out["date_precision"].to_list() == ["day", "day", "none"]
    assert out["extractor"][1].endswith(DATE_FROM_CLUSTER_RULE) and out["extractor"][2] == "rule:x@1"


def test_undated_mention_uses_calendar_words_of_its_evidence_not_relative_ones():
    import datetime as dt

    import polars as pl

    from pipelines.core.link.linker import complete_dates_from_clusters

    day = dt.date(2020, 10, 2)
    events = pl.DataFrame({
        "event_cluster_id": ["ec1", "ec1", "ec1"],
        "event_date": [day, None, None],
        "date_text": ["yesterday", None, None],
        "date_precision": ["day", "none", "none"],
        "extractor": ["r", "r", "r"],
        "evidence": ["EU leaders yesterday approved bans.", "On Oct. 2, the EU imposed travel bans.", "Today the EU imposed bans."],
    })
    out = complete_dates_from_clusters(events, pl.DataFrame({"event_cluster_id": ["ec1"], "event_date": [day]}))
    assert out["event_date"].to_list() == [day, day, None]

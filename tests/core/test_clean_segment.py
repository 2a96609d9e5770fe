"""Clean stage core on real text: the seeds (story counts, titles, outlets, no furniture left, exact audit),
furniture removed vs. content kept (both ways), publication dates, and real scraped furniture from news-cluster."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from pipelines.core.clean import normalize_text, rebuild_text, segment_document

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO / "seeds").glob("*.txt"))
NEWS = REPO / ".." / "shared" / "corpora" / "news-cluster" / "data"

FURNITURE_LEFT = re.compile(
    r"(?im)^(?:read more|hide caption|toggle caption|image copyright|image caption|media caption|"
    r"media playback is unsupported.*)$|getty images|/ ?afp\b|\(photo by|\(afp photo\)|\| tass|reporting by .*editing by"
)


def _run(path: Path):
    raw = path.read_text(encoding="utf-8")
    stories, spans = segment_document(raw)
    return raw, stories, spans


@pytest.fixture(scope="module")
def seeds():
    return {p.name[:3]: _run(p) for p in SEEDS}


def test_seed_story_counts(seeds):
    assert [len(seeds[k][1]) for k in sorted(seeds)] == [1, 10, 12, 1, 1]


def test_seed_titles_are_the_headline_lines(seeds):
    raw, stories, _ = seeds["001"]
    # every story of the glued file starts with a topic tag and a "Headline – Outlet" line
    for st in stories:
        head_line = next(ln for ln in raw[st["raw_start"]:st["raw_end"]].split("\n")[1:] if ln.strip())
        assert head_line.startswith(st["title"]), (st["title"], head_line)
    assert stories[0]["title"] == "Belarus could bring down ‘another iron curtain’ across Europe"
    assert [s["outlet"] for s in stories] == ["The Guardian", "NPR", "The Guardian", "BBC News", "BBC News", "BBC News",
                                              "CNBC", "CBS News", "BBC News", "Reuters"]
    assert stories[9]["dateline"] == "MINSK"
    raw2, stories2, _ = seeds["002"]
    for st in stories2:
        first = raw2[st["raw_start"]:st["raw_end"]].split("\n")[0].strip()
        assert st["title"] == first and not st["text"].startswith(first)
    assert seeds["000"][1][0]["title"] is None  # the text has no headline
    assert seeds["003"][1][0]["title"] == "Kuleba: Ukraine intends to join EU sanctions against Belarus"
    assert seeds["004"][1][0]["title"].startswith("Pressure on Belarusian president")


def test_seed_texts_have_no_furniture_and_the_audit_is_exact(seeds):
    for key, (raw, stories, spans) in seeds.items():
        assert stories
        for sp in spans:
            assert 0 <= sp["char_start"] < sp["char_end"] <= len(raw)
            assert raw[sp["char_start"]:sp["char_end"]] == sp["text"]
        for st in stories:
            assert 0 <= st["raw_start"] < st["raw_end"] <= len(raw)
            assert not FURNITURE_LEFT.search(st["text"]), (key, FURNITURE_LEFT.search(st["text"]).group())
            assert rebuild_text(raw, st["raw_start"], st["raw_end"],
                                [(s["char_start"], s["char_end"]) for s in spans]) == st["text"]
            assert st["n_words"] == len(st["text"].split())
        # stories do not overlap and come in file order
        ranges = [(s["raw_start"], s["raw_end"]) for s in stories]
        assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:]))
        # every non-whitespace character is in a story range or a removed span
        covered = [False] * len(raw)
        for a, b in ranges + [(s["char_start"], s["char_end"]) for s in spans]:
            covered[a:b] = [True] * (b - a)
        assert all(c or ch.isspace() for c, ch in zip(covered, raw))


def test_seed_captions_marked_by_the_page_are_removed_even_with_reported_speech(seeds):
    npr = seeds["001"][1][1]["text"]
    assert "seen in a Moscow cafe in 2017" not in npr and "shown here with husband" not in npr
    assert "Her husband’s troubles began as he walked to a local market" in npr
    afp = seeds["002"][1]
    assert not any("/ AFP" in s["text"] or "Ogbonnaya Onu" in s["text"] for s in afp)


def test_seed_stubs_stay_stories_with_few_words(seeds):
    stubs = [s for s in seeds["001"][1] if s["n_words"] < 40]
    assert len(stubs) == 3  # the Guardian teaser and two video stubs
    assert all(s["text"] for s in stubs)


def test_seed_dates(seeds):
    st = seeds["000"][1][0]
    assert (st["published_date"], st["published_date_source"]) == (dt.date(2020, 10, 3), "explicit")
    assert st["dateline"] == "MINSK" and st["text"].startswith("Belarus said yesterday")


def _clean(text: str, **kw) -> str:
    stories, _ = segment_document(text, **kw)
    return "\n".join(s["text"] for s in stories)


BODY = ("The minister said on Tuesday that the talks would resume next week in Geneva.\n\n"
        "Officials from both sides declined to comment on the details of the draft agreement.\n\n")


@pytest.mark.parametrize("furniture", [
    "hide caption", "toggle caption", "Read More", "Image copyright Getty Images",
    "Media playback is unsupported on your device", "Advertisement Continue reading the main story",
    "Riot police detain a protester in the capital on Sunday. Jane Doe / AFP",
    "Protesters gather outside parliament (Photo by John Smith / AFP)",
    "FILE PHOTO: The flag flies outside the building in a file image from 2015.",
    "Copyright 2018 The Associated Press. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.",
    "Read more: Ten things you need to know about the vote",
    "Reporting by Jane Doe; Editing by John Smith",
])
def test_furniture_lines_are_removed(furniture):
    stories, spans = segment_document(BODY + furniture + "\n\n" + BODY.replace("Geneva", "Vienna"))
    text = "\n".join(s["text"] for s in stories)
    assert furniture not in text
    assert any(sp["text"] == furniture for sp in spans)
    assert "talks would resume next week in Geneva." in text and "in Vienna." in text


@pytest.mark.parametrize("content", [
    "The president said on Monday he had met AFP reporters in the capital.",
    "Reuters reported that the shipment had been held at the border for three days.",
    "Grim conditions",  # a subhead inside a story
    "“We're world champions. For the rest of our lives.”",
    "Read more about the plan was the advice the minister gave parliament on Wednesday.",
    "As for the accident, she claims the company withheld the footage from her.",
])
def test_content_lines_are_kept(content):
    # a content line stays even next to a credit-like line or a bare agency name
    for neighbour in ("", "Reuters\n\n", "PA\n\n"):
        text = _clean(BODY + content + "\n\n" + neighbour + BODY.replace("Geneva", "Vienna"))
        assert content in text, (content, neighbour)


def test_caption_above_a_structured_credit_is_removed_but_not_reported_speech():
    cap = "Supporters of the opposition march through the centre of the capital"
    credit = "Jane Doe/Getty Images"
    said = "The protest was the largest in a decade, the police chief said at a news conference."
    text = _clean(BODY + cap + "\n\n" + credit + "\n\n" + said + "\n\n" + credit + "\n\n" + BODY)
    assert cap not in text and credit not in text and said in text


def test_repeated_paragraph_and_repeated_caption():
    para = "The ministry said the measures would come into force at midnight on Friday."
    text = _clean(BODY + para + "\n\n" + para + "\n\n" + BODY.replace("Geneva", "Oslo"))
    assert text.count(para) == 1


def test_single_story_with_subheads_stays_one_story():
    raw = ("Minsk opens criminal case\n\n" + BODY + "What happens next?\n\n" + BODY
           + "Opposition Leaders Meet In Vilnius\n\n" + BODY)
    stories, _ = segment_document(raw)
    assert len(stories) == 1 and stories[0]["title"] == "Minsk opens criminal case"


def test_glued_read_more_file_splits_with_outlets():
    raw = ("World politics\n\nTalks resume in Geneva – Reuters\n\n" + BODY + "Read More\n\n"
           "Europe trade\n\nEU agrees new tariffs – The Guardian\n\n" + BODY + "Read More\n")
    stories, spans = segment_document(raw)
    assert [(s["title"], s["outlet"]) for s in stories] == [("Talks resume in Geneva", "Reuters"),
                                                             ("EU agrees new tariffs", "The Guardian")]
    assert {"topic_tag", "title_line", "read_more_separator"} <= {s["rule"] for s in spans}


def test_publication_date_precedence_and_inference():
    body = ("Protesters marched on Monday, September 21, 2020, in the capital.\n\n"
            "Police detained dozens of people on Monday, the ministry said.\n")
    st = segment_document("Headline here\n\n" + body, published=dt.datetime(2020, 9, 22, 8, 0))[0][0]
    assert (st["published_date"], st["published_date_source"]) == (dt.date(2020, 9, 22), "metadata")
    st = segment_document("Headline here\n\n" + body)[0][0]
    assert (st["published_date"], st["published_date_source"]) == (dt.date(2020, 9, 21), "inferred")
    # a date whose weekday nobody mentions is only a lower bound: no date, the reason says so
    st = segment_document("Headline here\n\nThe law was adopted on March 3, 2019 after a long debate.\n")[0][0]
    assert (st["published_date"], st["published_precision"], st["published_rule"]) == (
        None, "none", "none:only_date_lower_bound")
    # a later year in a past-tense sentence means the latest full date is an old event, not the news day
    st = segment_document("Headline here\n\nThe vote of Monday, September 21, 2020 was annulled.\n\n"
                          "A new vote was held in 2022, officials said on Monday.\n")[0][0]
    assert (st["published_date"], st["published_precision"], st["published_rule"]) == (
        None, "none", "none:only_year_lower_bound")
    # a planned vote in a later year does not move the news day
    st = segment_document("Headline here\n\nThe vote of Monday, September 21, 2020 was annulled.\n\n"
                          "A new vote is planned for 2022, officials said on Monday.\n")[0][0]
    assert (st["published_date"], st["published_precision"]) == (dt.date(2020, 9, 21), "day")
    # never from a file photo caption
    st = segment_document("Headline here\n\nFILE PHOTO: The square on Monday, June 1, 2015. John Doe / AFP\n\n"
                          "Crowds gathered again on Monday in the square.\n")[0][0]
    assert st["published_date"] is None


def test_normalisation():
    assert normalize_text("  a\u00a0\u00a0b\u200b \r\n\n\n c\u0301 ") == "a b\nć"


def _news_cluster():
    if not NEWS.is_dir():
        pytest.skip("../shared/corpora/news-cluster is missing")
    for p in sorted(NEWS.glob("*.json")):
        d = json.loads(p.read_text(encoding="utf-8"))
        yield d.get("maintext") or d.get("text") or "", d.get("title")


def test_news_cluster_real_furniture_is_removed():
    n_docs = n_multi = 0
    rules = set()
    for text, title in _news_cluster():
        stories, spans = segment_document(text, title=title)
        n_docs += 1
        n_multi += len(stories) > 1
        rules |= {s["rule"] for s in spans}
        for st in stories:
            assert "toggle caption" not in st["text"].lower()
            assert "Advertisement Continue reading the main story" not in st["text"]
            assert not re.search(r"(?m)^Image copyright", st["text"])
    assert n_docs == 383 and n_multi == 0
    assert {"photo_caption", "caption_toggle", "copyright_footer", "advertisement", "related_link", "dateline"} <= rules


@pytest.mark.parametrize("first", [
    "Published reports say the minister resigned on Friday after the vote.",
    "Posted guards stood at every gate.",
    "By Tuesday the talks had collapsed.",
    "Paris, London and Berlin agreed on the plan.",
])
def test_first_body_line_under_a_title_is_kept(first):
    text = _clean("Talks Collapse In Geneva\n\n" + first + "\n\n" + BODY)
    assert text.startswith(first)


@pytest.mark.parametrize("header", ["Xinhua | Updated: 2017-09-15 17:52", "By Jane Doe", "News / World",
                                    "European Union, Science and technology, Trade"])
def test_header_lines_under_a_title_are_removed(header):
    stories, spans = segment_document("Talks Collapse In Geneva\n" + header + "\n" + BODY)
    assert stories[0]["title"] == "Talks Collapse In Geneva"
    assert header not in stories[0]["text"] and any(sp["text"] == header for sp in spans)

"""Precision rules of the coder (issue 14 blind reviews): questions, headings, photo credits, name-internal and
adjective triggers, habitual generalisations; and the typer's actor-marked input. Built text, never seed text."""
from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from pipelines.core.extract import coder
from pipelines.core.extract import events as E
from pipelines.core.extract import sentence_kind as SK
from pipelines.core.extract.actors import ActorContext, ActorResolver
from pipelines.core.extract.typer import DEFAULT_DIR, EventTyper, mark_actors
from pipelines.core.models import ModelLoadError

DAY = dt.date(2021, 3, 9)


def _rows(text: str) -> list[dict]:
    return coder.extract_story_events({"story_id": "p1", "text": text, "published_date": DAY})[0]


def _types(text: str) -> set[str]:
    return {r["event_type"] for r in _rows(text)}


def test_question_gives_no_event_but_the_statement_does():
    assert _rows("Riot police detained dozens of protesters in Minsk on Saturday.")
    assert not _rows("Did riot police detain dozens of protesters in Minsk on Saturday?")
    assert not _rows('"Why have riot police detained dozens of protesters in Minsk?"')
    res = E._resolvers(None)
    q = "How has Russia responded to the sanctions of the European Union?"
    assert res.actors(q, res.new_context()) and not coder.prefilter(q, res.actors(q, res.new_context()))


def test_heading_without_finite_verb_gives_no_event_but_a_headline_with_a_verb_stays():
    from pipelines.core.extract import roles

    nlp = roles.get_nlp()
    label = "Russian army base in Kursk: 13 dead"
    assert SK.is_heading(label, nlp(label))
    assert not _rows(label)
    headline = "Russian troops attack Ukrainian army base near Kharkiv"
    assert not SK.is_heading(headline, nlp(headline))
    assert not SK.is_heading(label + ".", nlp(label + "."))  # a full stop: a sentence, judged by the typer


def test_photo_credit_and_handout_tokens_are_never_actors():
    r = ActorResolver()
    s = "Lithuanian soldiers patrol the border near Vilnius. (AP Photo/Jane Doe)"
    assert "AP" not in [m.text for m in r.find(s, ActorContext())]
    s2 = "Handout - Getty Four Lithuanian fighter jets flew over the border"
    assert all("Getty" not in m.text and "Handout" not in m.text for m in r.find(s2, ActorContext()))
    # the agency as the subject of running text is still an actor
    assert "AP" in [m.text for m in r.find("The AP reported that police detained two men.", ActorContext())]


def test_trigger_words_inside_organisation_names_and_adjective_alleged_are_not_triggers():
    def names(s):
        return [t.rule.name for t in E.find_triggers(s)]

    assert "accuse.investigate" not in names("The files were shared with the Global Council of Investigative "
                                             "Reporters last year.")
    assert "accuse.investigate" in names("Police investigated the council over the files.")
    assert "accuse.accuse" not in names("Most of the alleged smugglers were released by the court.")
    assert "accuse.accuse" in names("Prosecutors alleged that the smugglers bribed border guards.")
    # title-case headlines keep their capitalised triggers
    assert "accuse.accuse" in names("Lithuania Accuses Belarus Of Smuggling Migrants")


def test_habitual_generalisation_gives_no_event_but_the_specific_occurrence_does():
    specific = "The European Union condemned the Russian government on Monday."
    habitual = "The European Union has on numerous occasions condemned the Russian government."
    assert "ACCUSE" in _types(specific)
    assert SK.habitual_cue(habitual, habitual.index("condemned"), habitual.index("condemned") + 9)
    assert "ACCUSE" not in _types(habitual)


def test_mark_actors_wraps_mentions_and_the_typer_input_follows_the_model_format(tmp_path):
    r = ActorResolver()
    s = "Russia accused Ukraine of shelling."
    acts = r.find(s, ActorContext())
    assert mark_actors(s, acts) == "[ Russia ] accused [ Ukraine ] of shelling."
    assert mark_actors(s, []) == s
    typer = coder.default_models().typer
    assert typer.prepare(s, acts) == (mark_actors(s, acts) if typer.input_format == "actor_marked" else s)
    d = tmp_path / "typer"
    shutil.copytree(DEFAULT_DIR, d)
    cal = json.loads((d / "calibration.json").read_text(encoding="utf-8"))
    cal["input"] = "gold_markers"
    (d / "calibration.json").write_text(json.dumps(cal), encoding="utf-8")
    from pipelines.core.models import write_manifest
    man = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    write_manifest(d, list(man["files"]), **{k: v for k, v in man.items() if k != "files"})
    with pytest.raises(ModelLoadError, match="unknown input format"):
        EventTyper(d)

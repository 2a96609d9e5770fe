"""Factuality cues on real news sentences (seeds and BBC-style phrasing)."""
from __future__ import annotations

import pytest

from pipelines.core.extract.factuality import classify

CASES = [
    ("Ukraine doesn’t plan to impose any economic sanctions, restrict trade or sever diplomatic relations with Belarus.",
     "impose", "SANCTION", "negated"),
    ("Unlike Britain and Canada, the EU will not be imposing measures on Mr Lukashenko himself.", "imposing", "SANCTION",
     "negated"),
    ("Ukraine intends to join the sanctions imposed by the European Union against Belarusian officials.", "join",
     "SANCTION", "planned"),
    ("Lithuania's foreign ministry announced that the US envoy will visit Lithuania and Russia next week for talks.",
     "visit", "CONSULT", "planned"),
    ("Minsk threatened even more serious consequences if the EU expands its restrictions.", "expands", "SANCTION",
     "hypothetical"),
    ("Our message to the regime is clear: political prisoners must be released.", "released", "RETREAT",
     "hypothetical"),
    ("Riot police on Saturday detained hundreds of women, dragging many into vans.", "detained", "COERCE", "asserted"),
    ("The Kremlin denied that it had deployed troops to the border.", "deployed", "MOBILIZE", "negated"),
    ("Russia threatened to deploy troops to the border.", "deploy", "MOBILIZE", "threatened"),
    # the trigger of a THREATEN / REQUEST event is itself the act: asserted
    ("Minsk threatened even more serious consequences.", "threatened", "THREATEN", "asserted"),
    ("The opposition called for new elections.", "called for", "REQUEST", "asserted"),
    # a clause break resets the cues: the negation belongs to the first clause only
    ("The bloc did not act, but police arrested 30 protesters on Sunday.", "arrested", "COERCE", "asserted"),
]


@pytest.mark.parametrize("sentence,trigger,event_type,expected", CASES)
def test_factuality(sentence, trigger, event_type, expected):
    i = sentence.index(trigger)
    value, cue = classify(sentence, i, i + len(trigger), event_type)
    assert value == expected, (value, cue)
    assert (cue is None) == (expected == "asserted")

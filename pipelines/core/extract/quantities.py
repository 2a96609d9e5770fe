"""Find counted quantities (crowd size, arrests, deaths, injuries, sanction targets) in a sentence.

Conservative rule, after ACLED's coding guidance: when a text gives a vague or a ranged figure, the LOWEST
figure it supports is recorded.
- "hundreds", "several hundred", "a few hundred" = 100; "thousands" (and "several/a few thousand") = 1000;
  "tens of thousands" = 10000; "hundreds of thousands" = 100000; "millions" = 1000000;
  "dozens" = 12 (and "a dozen" = 12, "two dozen" = 24); "scores" = 20.
- qualifiers are dropped, never inflated: "some 40", "about 40", "more than 40", "at least 40", "up to 40",
  "nearly 40" -> 40 ("up to"/"nearly" give an upper bound: still the figure, never more).
- ranges "between 100 and 200", "100-200", "100 to 200" -> 100.
- percentages, money, ages ("65-year-old"), compound modifiers ("27-country", "47-member"), years, ordinals,
  durations and measures (days, km, tonnes ...) are not quantities of people and are skipped.

`kind` comes from the nearest cue (regexes in pipelines/rules/quantity_cues.yaml):
a verb right before the number ("detained 200"), a verb shortly after ("3 were killed", "100,000 people
marched"), or the counted noun ("200 protesters", "40 officials" in a sanction sentence -> targets).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"


@dataclass(frozen=True)
class Quantity:
    value: int
    kind: str  # participants | arrested | killed | injured | targets | other
    text: str
    start: int
    end: int


_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "m": 1_000_000, "billion": 1_000_000_000,
           "bn": 1_000_000_000, "k": 1000}

_WORDNUM = (r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
            r"|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
            r"|seventeen|eighteen|nineteen)")
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
_SCALE = r"(?:\s*(?:hundred|thousand|million|billion|bn|m|k)\b)?"
_CARD = rf"(?:(?:{_DIGITS}|{_WORDNUM}|an?)(?:\s+(?:hundred|thousand|million|billion)\b|\s*(?:bn|m|k)\b)*|{_DIGITS})"
_VAGUE = (r"(?:hundreds\s+of\s+thousands|tens\s+of\s+thousands|tens\s+of\s+millions|hundreds\s+of\s+millions"
          r"|(?:several|a\s+few|a\s+couple\s+of|many)\s+(?:hundred|thousand|million)(?!s)"
          r"|(?:a|one|two|three|four|five|six|several)\s+dozen|dozens|hundreds|thousands|millions|scores)")
_QUAL = (r"(?:(?:some|about|around|approximately|roughly|nearly|almost|over|more\s+than|at\s+least|up\s+to|as\s+many\s+as"
         r"|fewer\s+than|less\s+than|close\s+to|upwards\s+of|well\s+over|just\s+over|just\s+under|an\s+estimated|estimated"
         r"|at\s+most|no\s+fewer\s+than|no\s+less\s+than|in\s+excess\s+of|between|from)\s+)")
_NUM_RX = re.compile(
    rf"(?<![\w$£€¥.,-])(?P<qual>{_QUAL})?(?P<num>{_VAGUE}|{_CARD})"
    rf"(?:\s*(?:-|–|to|and|or)\s*(?P<hi>{_CARD}))?(?![\w%$£€-])",
    re.I,
)

# what follows the number and disqualifies it as a count of people/targets
_NOT_COUNT_AFTER = re.compile(
    r"^\s*(?:%|per\s*cent|percent|pc\b|-?year-old|-?years?-old|-[a-z]|°|degrees?|"
    r"(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries|century|km|kilomet(?:re|er)s?|miles?|"
    r"met(?:re|er)s?|kg|kilos?|tonnes?|tons?|litres?|barrels?|acres?|hectares?|votes?|points?|goals?|runs?|seats?|"
    r"pounds?|dollars?|euros?|roubles?|rubles?|yuan|yen|francs?|am|pm|a\.m\.|p\.m\.|o'clock|times|fold|sets?|"
    r"games?|matches?|laps?|holes?|stories|floors?|percentage)\b)",
    re.I,
)
_MONEY_BEFORE = re.compile(r"(?:[$£€¥]|\b(?:US\$|Rs\.?|USD|EUR|GBP))\s*$")
_MONTH_BEFORE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s*$")
_MONTH_AFTER = re.compile(r"^\s*(?:of\s+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b")
_YEAR = re.compile(r"^(?:1[89]\d\d|20\d\d)$")


_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
                 "thirteen", "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
                 "hundred", "thousand", "million", "billion", "dozen", "score")


def _word_value(text: str) -> int | None:
    t = text.lower().replace("-", " ").split()
    total, cur = 0, 0
    for w in t:
        if w in ("a", "an"):
            cur = max(cur, 1)
        elif w in _UNITS:
            cur += _UNITS[w]
        elif w in _TENS:
            cur += _TENS[w]
        elif w == "hundred":
            cur = max(cur, 1) * 100
        elif w in ("thousand", "million", "billion"):
            total += max(cur, 1) * _SCALES[w]
            cur = 0
        else:
            return None
    return total + cur


def _card_value(text: str) -> int | None:
    s = re.sub(r"\s+", " ", text.strip().lower())
    m = re.fullmatch(r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(.*)", s)
    if m:
        base = float(m.group(1).replace(",", ""))
        for w in m.group(2).split():
            if w not in _SCALES:
                return None
            base *= _SCALES[w]
        return int(round(base))
    return _word_value(s)


def _vague_value(text: str) -> int | None:
    s = re.sub(r"\s+", " ", text.strip().lower())
    table = {
        "hundreds of thousands": 100_000, "tens of thousands": 10_000, "tens of millions": 10_000_000,
        "hundreds of millions": 100_000_000, "dozens": 12, "hundreds": 100, "thousands": 1000,
        "millions": 1_000_000, "scores": 20,
    }
    if s in table:
        return table[s]
    m = re.fullmatch(r"(several|a few|a couple of|many) (hundred|thousand|million)", s)
    if m:
        return _SCALES[m.group(2)]
    m = re.fullmatch(r"(\w+) dozen", s)
    if m:
        mult = {"a": 1, "one": 1, "several": 1}.get(m.group(1)) or _UNITS.get(m.group(1), 1)
        return 12 * mult
    return None


@lru_cache(maxsize=4)
def _cues(rules_dir: str) -> dict:
    with open(Path(rules_dir) / "quantity_cues.yaml", encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    out = {}
    for section in ("verb_before", "verb_after", "noun_after"):
        flags = 0 if section == "verb_after" else re.I
        out[section] = [(kind, re.compile(rx, flags)) for kind, rx in raw[section].items()]
    out["sanction_context"] = re.compile(raw["sanction_context"], re.I)
    out["people_nouns"] = re.compile(raw["people_nouns"], re.I)
    return out


def _classify(sentence: str, start: int, end: int, cues: dict) -> str:
    before = sentence[max(0, start - 40):start]
    after = sentence[end:end + 90]
    # 1. verb immediately before: "detained 200", "killing at least 3"
    for kind, rx in cues["verb_before"]:
        if rx.search(before):
            return kind
    # 2. counted noun right after ("200 protesters", "40 officials" in a sanctions sentence)
    head = after[:45]
    m_people = cues["people_nouns"].match(head)
    # 3. verb shortly after ("3 were killed", "100,000 people marched", "thousands of protesters were detained")
    best = None
    for kind, rx in cues["verb_after"]:
        m = rx.match(after)
        if m and (best is None or m.end() < best[0]):
            best = (m.end(), kind)
    if best is not None:
        return best[1]
    for kind, rx in cues["noun_after"]:
        if rx.match(head):
            if kind == "targets_if_sanction":
                if cues["sanction_context"].search(sentence):
                    return "targets"
                continue
            return kind
    if m_people and cues["sanction_context"].search(sentence):
        return "targets"
    return "other"


def find_quantities(sentence: str, rules_dir: Path | None = None) -> list[Quantity]:
    """Counted quantities in the sentence, sorted by start (see module doc for the conservative rule)."""
    out: list[Quantity] = []
    if not any(c.isdigit() for c in sentence):
        low = sentence.lower()
        if not any(w in low for w in _NUMBER_WORDS):
            return out
    cues = _cues(str(rules_dir or RULES_DIR))
    for m in _NUM_RX.finditer(sentence):
        num = m.group("num")
        start, end = m.start(), m.end()
        if num.lower() in ("a", "an") or re.fullmatch(r"an?", num.strip(), re.I):
            continue
        after = sentence[end:end + 40]
        before = sentence[max(0, start - 12):start]
        if _NOT_COUNT_AFTER.match(after) or _MONEY_BEFORE.search(before):
            continue
        if _MONTH_BEFORE.search(before) or _MONTH_AFTER.match(after):
            continue
        value = _vague_value(num)
        if value is None:
            plain = num.replace(",", "")
            if _YEAR.match(plain) and "," not in num:
                continue  # a year, not a count
            if re.fullmatch(r"\d+\.\d+", plain):
                continue  # a bare decimal is a measure, not a head count
            value = _card_value(num)
        if value is None or value <= 0:
            continue
        hi_txt = m.group("hi")
        if hi_txt and re.fullmatch(r"\d{1,2}", hi_txt) and re.fullmatch(r"\d{1,2}", num) \
                and re.fullmatch(r"[-–]", sentence[m.end("num"):m.start("hi")].strip()):
            continue  # "6-2", "2-0": a score, not a range of people
        if re.match(r",\s*$", before[-2:]) and re.match(r"\s*,", after) and re.fullmatch(r"\d{1,3}", num) \
                and not m.group("qual"):
            continue  # "The England international, 24, was hurt": an age in apposition
        if m.group("hi"):
            hi = _card_value(m.group("hi"))
            if hi is not None and hi < value and not re.search(r"\d", m.group("hi")):
                pass
            elif hi is not None:
                value = min(value, hi)
        # a bare word "one" is almost always a pronoun/determiner, not a head count
        if num.lower() == "one" and not m.group("qual"):
            continue
        kind = _classify(sentence, start, end, cues)
        out.append(Quantity(value=int(value), kind=kind, text=sentence[start:end], start=start, end=end))
    return out

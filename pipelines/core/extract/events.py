"""Building blocks of the event coder (pipelines.core.extract.coder): sentences, trigger rules, rows.

- `split_sentences(text)` -> (start, end) offsets; `text[start:end]` is the sentence (stripped).
- trigger rules (rules/event_patterns.yaml, CAMEO code -> PLOVER type/mode through rules/cameo_plover.csv):
  `find_triggers` gives non-overlapping matches (longer, then higher-score wins; a per-rule prefix gate keeps it
  fast). Triggers do NOT decide events: the coder uses them as anchors (trigger span), provenance and features.
- `assign_roles`: the nearest-actor rule (active: source before / target after the trigger; passive: source after
  "by"); one of the role ranker's features. `_coordinated` / `_widen`: coordinated actor lists
  ("the EU, Canada and the US") so a chosen actor expands into one row per actor.
- `pick_quantity`, `make_row`, `check_evidence` (offsets must point at the evidence).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml

from pipelines.core.ids import stable_id

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
TARGET_WINDOW = 70  # chars after the trigger in which a target may start
SOURCE_WINDOW = 200  # chars before the trigger in which a source may end
NOUN_SOURCE_WINDOW = 70  # nominal triggers ("travel bans", "crackdown"): source must be this close, no comma between
MAX_SENTENCE = 1200  # longer "sentences" (lists, tables) are skipped: no reliable roles

# ----------------------------------------------------------------------------------------- sentences
_ABBREV = {
    "mr", "mrs", "ms", "dr", "st", "gen", "col", "lt", "sgt", "sen", "rep", "gov", "prof", "jr", "sr", "inc",
    "co", "corp", "ltd", "no", "vs", "v", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m", "maj", "capt", "cmdr", "adm", "rev", "mt",
    "ft", "fig", "approx", "est", "dept", "univ", "assn", "bros", "messrs", "pres", "sec", "atty", "supt",
}
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_PARA = re.compile(r"[^\n]+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) over `text`; paragraphs (newlines) always break; no span is empty."""
    spans: list[tuple[int, int]] = []
    for para in _PARA.finditer(text):
        p0, p1 = para.span()
        start = p0
        for m in _BOUNDARY.finditer(text, p0, p1):
            end = m.end()
            # the word before the period: abbreviation or single initial -> no break
            wm = re.search(r"([A-Za-z][A-Za-z.]*)\.$", text[max(start, m.start() - 12): m.start() + 1])
            if wm and text[m.start()] == ".":
                word = wm.group(1).lower().rstrip(".")
                if word in _ABBREV or len(word) == 1:
                    continue
            _push(text, start, end, spans)
            start = end
        _push(text, start, p1, spans)
    return spans


def _push(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    seg = text[start:end]
    lead = len(seg) - len(seg.lstrip())
    trail = len(seg) - len(seg.rstrip())
    s, e = start + lead, end - trail
    if e > s:
        spans.append((s, e))



# ----------------------------------------------------------------------------------------- rule prefilter
# For every rule, the set of lower-case 1-3 letter prefixes any match must start with, computed from the parsed
# regex (re._parser). A sentence is tested against a rule only when one of its words starts with such a prefix;
# this is a necessary condition, so it never loses a match (checked on the BBC corpus by tests).
try:  # Python 3.11+
    import re._constants as _C
    import re._parser as _sp
except ImportError:  # pragma: no cover
    import sre_constants as _C  # type: ignore[no-redef]
    import sre_parse as _sp  # type: ignore[no-redef]

_K = 3

def _seq_pref(items, k=_K):
    """Set of lowercase prefixes (len<=k) every match of the sequence starts with; a prefix shorter than k
    means 'unknown after this'. Returns None when some match may start with an unconstrained char."""
    cur = {""}     # prefixes still growing
    done = set()   # prefixes that cannot grow further (unknown continuation)
    for op, av in items:
        if not cur:
            break
        alts = _item_alts(op, av, k)   # list of (string, complete) or None for unconstrained
        nxt = set()
        for p in cur:
            if alts is None:
                done.add(p); continue
            for s, complete in alts:
                q = (p + s)[:k]
                if len(q) >= k:
                    done.add(q)
                elif complete:
                    nxt.add(q)
                else:
                    done.add(q)
        cur = nxt
    res = done | cur
    if "" in res:
        return None
    return res

def _item_alts(op, av, k):
    if op is _C.LITERAL:
        return [(chr(av).lower(), True)]
    if op is _C.NOT_LITERAL:
        return None
    if op is _C.AT:
        return [("", True)]
    if op in (_C.ASSERT, _C.ASSERT_NOT):
        return [("", True)]
    if op is _C.IN:
        chars = []
        for o, a in av:
            if o is _C.LITERAL: chars.append(chr(a).lower())
            elif o is _C.RANGE and a[1]-a[0] < 4: chars += [chr(x).lower() for x in range(a[0], a[1]+1)]
            else: return None
        return [(c, True) for c in set(chars)]
    if op is _C.SUBPATTERN:
        sub = av[-1]
        return _seq_alts(list(sub), k)
    if op is _C.BRANCH:
        out = []
        for b in av[1]:
            a = _seq_alts(list(b), k)
            if a is None: return None
            out += a
        return out
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
        lo, hi, sub = av
        a = _seq_alts(list(sub), k)
        if a is None:
            return None if lo > 0 else [("", True)] + [("", False)]
        if lo == 0:
            return [("", True)] + [(s, False) for s, _ in a]
        return [(s, False) for s, _ in a]
    return None

def _seq_alts(items, k):
    """alternatives for a whole sub-sequence: list of (prefix, complete)"""
    cur = [("", True)]
    for op, av in items:
        alts = _item_alts(op, av, k)
        nxt = []
        for p, comp in cur:
            if not comp or len(p) >= k:
                nxt.append((p, comp)); continue
            if alts is None:
                nxt.append((p, False)); continue
            for s, c in alts:
                nxt.append(((p + s)[:k], c))
        cur = list(set(nxt))
        if len(cur) > 5000:
            return None
    return cur


def rule_keys(pattern: str) -> frozenset[str] | None:
    """Prefixes a match of `pattern` must start with (None: unconstrained)."""
    ks = _seq_pref(list(_sp.parse(pattern, re.IGNORECASE)))
    return None if ks is None else frozenset(ks)


_WORD_START = re.compile(r"\b\w[\w'’-]{0,2}")  # first 3 chars from every word boundary (also after hyphens)


def _prefixes(sentence: str) -> set[str]:
    out: set[str] = set()
    for t in _WORD_START.findall(sentence.lower()):
        out.add(t)
        out.add(t[:2])
        out.add(t[:1])
    return out

# ----------------------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class Rule:
    name: str
    cameo: str
    event_type: str
    mode: str | None
    score: float
    voice: str
    rx: re.Pattern[str]
    noun: bool
    version: int
    keys: frozenset[str] | None = None


@lru_cache(maxsize=4)
def load_crosswalk(rules_dir: str = str(RULES_DIR)) -> dict[str, dict[str, str]]:
    with open(Path(rules_dir) / "cameo_plover.csv", encoding="utf-8") as fh:
        return {r["cameo_code"]: r for r in csv.DictReader(fh)}


def cameo_to_plover(code: str, rules_dir: str = str(RULES_DIR)) -> tuple[str | None, str | None]:
    """(PLOVER type, mode) for a CAMEO code; falls back to the 3-digit then the root code."""
    cw = load_crosswalk(rules_dir)
    code = code.strip()
    for c in (code, code[:3], code[:2]):
        if c in cw:
            return cw[c]["plover_type"], (cw[c]["plover_mode"] or None)
    return None, None


@lru_cache(maxsize=4)
def load_rules(rules_dir: str = str(RULES_DIR)) -> tuple[list[Rule], re.Pattern[str]]:
    data = yaml.load((Path(rules_dir) / "event_patterns.yaml").read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml if present
    version = int(data.get("version", 1))
    rules = []
    for r in data["rules"]:
        typ, mode = cameo_to_plover(str(r["cameo"]), rules_dir)
        if typ is None:
            raise ValueError(f"rule {r['name']}: CAMEO code {r['cameo']} not in crosswalk")
        rules.append(Rule(
            name=r["name"], cameo=str(r["cameo"]), event_type=r.get("type", typ),
            mode=r.get("mode", mode), score=float(r.get("score", 0.6)), voice=r.get("voice", "active"),
            rx=re.compile(rf"\b(?:{r['pattern']})\b", re.IGNORECASE), version=int(r.get("version", version)), noun=bool(r.get("noun", False)),
            keys=rule_keys(rf"\b(?:{r['pattern']})\b"),
        ))
    # prefilter: one alternation of every rule; a sentence without any hit is not tested rule by rule
    prefilter = re.compile("|".join(rf"\b(?:{r.rx.pattern[5:-3]})" for r in rules), re.IGNORECASE)
    return rules, prefilter


@lru_cache(maxsize=4)
def load_blockers(rules_dir: str = str(RULES_DIR)) -> tuple[re.Pattern[str], ...]:
    """event_patterns.yaml `blockers`: a trigger overlapping one of their matches is dropped."""
    data = yaml.safe_load((Path(rules_dir) / "event_patterns.yaml").read_text(encoding="utf-8"))
    return tuple(re.compile(b["pattern"], re.IGNORECASE) for b in data.get("blockers") or ())


_CAP_WORD = re.compile(r"[A-Z][\w'’.-]*")
_NAME_GLUE = re.compile(r"^\s+(?:(?:of|for|and|the|on|in|de)\s+)*$")
_WORD = re.compile(r"[A-Za-z][\w'’-]*")


def _title_case_line(sentence: str) -> bool:
    words = [w for w in _WORD.findall(sentence) if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def name_internal(sentence: str, start: int, end: int) -> bool:
    """A capitalised trigger word inside a multi-word proper name of running text ("Consortium of Investigative
    Journalists"): a capitalised word right before it (not the sentence's first word) or right after it, with only
    name glue (of, for, and, the, ...) between. Never in title-case lines (headlines)."""
    if not sentence[start:start + 1].isupper() or _title_case_line(sentence):
        return False
    first = _WORD.search(sentence)
    for m in _CAP_WORD.finditer(sentence):
        if m.end() <= start and _NAME_GLUE.match(sentence[m.end():start] or " ") and m.end() < start:
            if first is not None and m.start() == first.start() and not _CAP_WORD.fullmatch(
                    sentence[m.start():m.end()].upper()):
                continue  # "Investigators ..." at sentence start: not evidence of a name
            return True
        if m.start() >= end and _NAME_GLUE.match(sentence[end:m.start()] or " ") and m.start() > end:
            return True
    return False


@dataclass(frozen=True)
class Trigger:
    rule: Rule
    start: int
    end: int


def find_triggers(sentence: str, rules_dir: str = str(RULES_DIR)) -> list[Trigger]:
    """All non-overlapping rule matches in a sentence (longer match wins, then higher score)."""
    return list(_find_triggers(sentence, rules_dir))


@lru_cache(maxsize=8192)
def _find_triggers(sentence: str, rules_dir: str) -> tuple[Trigger, ...]:
    rules, _ = load_rules(rules_dir)
    pref = _prefixes(sentence)
    # a trigger glued to a hyphen is a compound modifier ("Western-backed", "state-sponsored"), not an event
    cands = [Trigger(r, m.start(), m.end()) for r in rules if r.keys is None or not r.keys.isdisjoint(pref)
             for m in r.rx.finditer(sentence) if not (m.start() > 0 and sentence[m.start() - 1] == "-")]
    if cands:
        blocked = [b.span() for rx in load_blockers(rules_dir) for b in rx.finditer(sentence)]
        cands = [t for t in cands if not any(t.start < b1 and b0 < t.end for b0, b1 in blocked)
                 and not name_internal(sentence, t.start, t.end)]
    cands.sort(key=lambda t: (-(t.end - t.start), -t.rule.score, t.start))
    kept: list[Trigger] = []
    for t in cands:
        if all(t.end <= k.start or t.start >= k.end for k in kept):
            kept.append(t)
    kept.sort(key=lambda t: t.start)
    return tuple(kept)


# ----------------------------------------------------------------------------------------- roles
_PASSIVE_BEFORE = re.compile(r"\b(?:was|were|been|being|is|are|be|got|get)\s+(?:\w+ly\s+)?$", re.IGNORECASE)
_COORD = re.compile(r"^\s*(?:,|and|&|,\s*and|as\s+well\s+as|along\s+with|together\s+with)\s*(?:the\s+)?$", re.IGNORECASE)
_COORD_AND = re.compile(r"\b(?:and|as\s+well\s+as|with)\b|&", re.IGNORECASE)
_PARTICIPLE = re.compile(r"^(?:\w+(?:ed|en|wn)|held|put|set|hit|shot|caught|hurt|cut|led|sent|kept|sought|brought|fought)\b", re.IGNORECASE)
_BY = re.compile(r"\bby\b", re.IGNORECASE)


def _coordinated(actors: list, idx: int, sentence: str, step: int) -> list[int]:
    """Indexes of actors coordinated with actors[idx] ("A, B and C"), walking in direction `step`."""
    out = [idx]
    links = []
    i = idx
    while 0 <= i + step < len(actors):
        a, b = (actors[i + step], actors[i]) if step < 0 else (actors[i], actors[i + step])
        gap = sentence[a.end:b.start]
        if _COORD.match(gap):
            i += step
            out.append(i)
            links.append(gap)
        else:
            break
    # a comma-only chain ("Belarus, Kuleba said") is an apposition or a new clause, not a list
    if not any(_COORD_AND.search(g) for g in links):
        return [idx]
    if step > 0:  # forward lists must end with "and": cut after the first "and"-link
        for j, g in enumerate(links):
            if _COORD_AND.search(g):
                out = out[: j + 2]
                break
    return sorted(out)


def assign_roles(sentence: str, trig: Trigger, actors: list, others: list[Trigger] = ()) -> tuple[list, list, str]:
    """(sources, targets, voice) for a trigger; lists of actor mentions (coordination expanded)."""
    before = [i for i, a in enumerate(actors) if a.end <= trig.start and trig.start - a.end <= SOURCE_WINDOW]
    after = [i for i, a in enumerate(actors) if a.start >= trig.end and a.start - trig.end <= TARGET_WINDOW]
    participle = bool(_PARTICIPLE.match(sentence[trig.start:trig.end]))
    passive = trig.rule.voice == "passive" or (
        participle and (bool(_PASSIVE_BEFORE.search(sentence[max(0, trig.start - 25):trig.start]))
                        or bool(re.match(r"^\s+by\b", sentence[trig.end:]))))  # "X, backed by Y"
    if participle and not passive and before and sentence[actors[before[-1]].end:trig.start].strip() == "" \
            and re.match(r"^\s*(?:$|[,.;]|in\b|at\b|by\b|during\b|on\b|after\b|since\b|for\b)", sentence[trig.end:]):
        passive = True  # reduced relative: "217 women detained in Minsk"
    src_idx: list[int] = []
    tgt_idx: list[int] = []
    if trig.rule.voice == "passive_noun":  # "sanctions imposed by the EU against officials"
        by = [i for i in after if _BY.search(sentence[trig.start:actors[i].start])]
        if by:
            src_idx = _coordinated(actors, by[0], sentence, +1)
            rest = [i for i in after if i > src_idx[-1]]
            if rest:
                tgt_idx = _coordinated(actors, rest[0], sentence, +1)
        voice = "passive"
    elif trig.rule.noun and not passive:
        # nominal trigger: source only when close and in the same phrase; target only after on/against/of/by
        near = [i for i in before if trig.start - actors[i].end <= NOUN_SOURCE_WINDOW
                and not re.search(r"[,;:\"“”()]", sentence[actors[i].end:trig.start])
                and not any(actors[i].end <= o.start and o.end <= trig.start for o in others)]
        if near:
            src_idx = _coordinated(actors, near[-1], sentence, -1)
        obj = [i for i in after if re.match(r"^\s*(?:\w+\s+){0,4}?(?:on|against|of|by|targeting)\s+(?:\S+\s+){0,4}?$",
                                           sentence[trig.end:actors[i].start], re.IGNORECASE)]
        if obj:
            tgt_idx = _coordinated(actors, obj[0], sentence, +1)
        voice = "nominal"
    elif passive:
        if before:
            tgt_idx = _coordinated(actors, before[-1], sentence, -1)
        by = [i for i in after if _BY.search(sentence[trig.start:actors[i].start])]
        if by:
            src_idx = _coordinated(actors, by[0], sentence, +1)
            if not tgt_idx:  # "sanctions adopted by the EU against officials": target follows the agent
                rest = [i for i in after if i > src_idx[-1]]
                if rest:
                    tgt_idx = _coordinated(actors, rest[0], sentence, +1)
        voice = "passive"
    else:
        if before:
            src_idx = _coordinated(actors, before[-1], sentence, -1)
        if after:
            tgt_idx = _coordinated(actors, after[0], sentence, +1)
        voice = "active"
    sources = [actors[i] for i in src_idx]
    targets = [actors[i] for i in tgt_idx]
    return sources, targets, voice


# ----------------------------------------------------------------------------------------- quantities
_QTY_KINDS = {
    "SANCTION": ("targets",), "COERCE": ("arrested", "targets"), "PROTEST": ("participants",),
    "ASSAULT": ("killed", "injured"), "MOBILIZE": ("participants", "other"), "AID": ("other",),
}
_QTY_FALLBACK_KIND = {"SANCTION": "targets", "COERCE": "arrested", "PROTEST": "participants"}


def pick_quantity(event_type: str, trig: Trigger, quantities: list) -> tuple[int | None, str | None, str | None]:
    """The quantity that fits the event: same-kind first, nearest to the trigger; an 'other' count right after
    a SANCTION/COERCE/PROTEST trigger (within 80 chars) takes the event's natural kind."""
    kinds = _QTY_KINDS.get(event_type, ())
    best = None
    for q in quantities:
        dist = q.start - trig.end if q.start >= trig.end else trig.start - q.end
        if q.kind in kinds:
            key = (0, dist)
        elif q.kind == "other" and event_type in _QTY_FALLBACK_KIND and 0 <= q.start - trig.end <= 80:
            key = (1, dist)
        else:
            continue
        if best is None or key < best[0]:
            best = (key, q)
    if best is None:
        return None, None, None
    q = best[1]
    kind = q.kind if q.kind in kinds else _QTY_FALLBACK_KIND[event_type]
    return int(q.value), kind, q.text


# ----------------------------------------------------------------------------------------- resolvers
class _Resolvers:
    """The sentence-level resolvers (actors, places, quantities), created once per process."""

    def __init__(self, rules_dir: Path | None = None):
        from pipelines.core.extract.actors import ActorContext, ActorResolver
        from pipelines.core.extract.places import find_place
        from pipelines.core.extract.quantities import find_quantities

        self.actor_resolver = ActorResolver(rules_dir) if rules_dir else ActorResolver()
        self.ActorContext = ActorContext
        self.find_place = find_place
        self.find_quantities = find_quantities

    def actors(self, sentence: str, ctx: Any) -> list:
        if self.actor_resolver is None:
            return []
        return list(self.actor_resolver.find(sentence, ctx))

    def new_context(self) -> Any:
        return self.ActorContext() if self.ActorContext else None


@lru_cache(maxsize=2)
def _resolvers(rules_dir: str | None = None) -> _Resolvers:
    return _Resolvers(Path(rules_dir) if rules_dir else None)


# ----------------------------------------------------------------------------------------- rows
def _widen(actors: list, idx: list[int], sentence: str) -> list[int]:
    out = set(idx)
    for i in idx:
        out.update(_coordinated(actors, i, sentence, +1))
        out.update(_coordinated(actors, i, sentence, -1))
    return sorted(out)



def make_row(story_id, s_idx, s0, s1, sentence, trigger_text, event_type, mode, cameo_root, factuality, src, tgt,
             ev_date, precision, date_text, place, qty, qkind, qtext, conf, extractor, published) -> dict:
    src_id = src.actor_id if src else None
    tgt_id = tgt.actor_id if tgt else None
    return {
        "event_id": stable_id("ev", story_id, s_idx, s0, s1, event_type, factuality, src_id, tgt_id),
        "story_id": story_id,
        "sentence_index": s_idx,
        "char_start": s0,
        "char_end": s1,
        "evidence": sentence,
        "trigger": trigger_text,
        "event_type": event_type,
        "event_mode": mode,
        "cameo_root": cameo_root,
        "factuality": factuality,
        "source_actor": src.text if src else None,
        "source_actor_id": src_id,
        "source_country": src.country if src else None,
        "source_sector": src.sector if src else None,
        "target_actor": tgt.text if tgt else None,
        "target_actor_id": tgt_id,
        "target_country": tgt.country if tgt else None,
        "target_sector": tgt.sector if tgt else None,
        "event_date": ev_date,
        "date_precision": precision,
        "date_text": date_text,
        "location_name": place.name if place else None,
        "location_country": place.country if place else None,
        "latitude": place.latitude if place else None,
        "longitude": place.longitude if place else None,
        "quantity": qty,
        "quantity_kind": qkind,
        "quantity_text": qtext,
        "confidence": conf,
        "extractor": extractor,
        "published_date": published,
    }


def _note_actor(seen: dict[str, dict], a) -> None:
    row = seen.get(a.actor_id)
    if row is None:
        seen[a.actor_id] = {"actor_id": a.actor_id, "name": a.name, "country": a.country, "sector": a.sector,
                            "aliases": [a.text] if a.text != a.name else []}
    elif a.text != row["name"] and a.text not in row["aliases"]:
        row["aliases"].append(a.text)


def _actors_rows(res: _Resolvers, seen: dict[str, dict]) -> list[dict]:
    """Actors referenced by the events, as resolved in these stories (name/country/sector of their first mention
    here, aliases merged). Deliberately not the resolver's process-wide memory of actors: that depends on which
    stories the same process saw before, so a story's rows would differ between a full run, an incremental run
    and a run split over several processes."""
    out = []
    for aid in sorted(seen):
        row = dict(seen[aid])
        row["aliases"] = sorted(set(row["aliases"]))
        out.append(row)
    return out


def check_evidence(events: Iterable[dict], texts: dict[str, str]) -> list[dict]:
    """Quarantine rows (table_name, record_key, rule, detail, payload) for events whose offsets do not point at
    their evidence inside the story text (stories.text[char_start:char_end] == evidence)."""
    bad = []
    for e in events:
        text = texts.get(e["story_id"])
        if text is None:
            detail = "story_id not among the canonical stories"
        elif not (0 <= e["char_start"] < e["char_end"] <= len(text)):
            detail = f"offsets {e['char_start']}:{e['char_end']} outside the story text ({len(text)} chars)"
        elif text[e["char_start"]:e["char_end"]] != e["evidence"]:
            detail = "stories.text[char_start:char_end] != evidence"
        else:
            continue
        bad.append({"table_name": "events", "source_uri": None, "record_key": e["event_id"],
                    "rule": "events.evidence_offsets", "detail": detail, "payload": e["evidence"][:500]})
    return bad

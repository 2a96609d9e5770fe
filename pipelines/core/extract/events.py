"""Building blocks of the event coder (pipelines.core.extract.coder): roles, quantities, resolvers, rows.

- `split_sentences` (pipelines/core/extract/sentences.py) and the trigger rules (`find_triggers`, `load_rules`,
  `Rule`, `Trigger`: pipelines/core/extract/triggers.py) are re-exported here for existing callers.
- `assign_roles`: the nearest-actor rule (active: source before / target after the trigger; passive: source after
  "by"); one of the role ranker's features. `_coordinated` / `_widen`: coordinated actor lists
  ("the EU, Canada and the US") so a chosen actor expands into one row per actor.
- `pick_quantity`, `make_row`, `check_evidence` (offsets must point at the evidence).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from pipelines.core.extract.sentences import split_sentences  # noqa: F401  (re-export)
from pipelines.core.extract.triggers import (  # noqa: F401  (re-exports)
    Rule, Trigger, _find_triggers, _prefixes, cameo_to_plover, find_triggers, load_blockers, load_crosswalk,
    load_rules, name_internal, rule_keys,
)
from pipelines.core.ids import stable_id

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
TARGET_WINDOW = 70  # chars after the trigger in which a target may start
SOURCE_WINDOW = 200  # chars before the trigger in which a source may end
NOUN_SOURCE_WINDOW = 70  # nominal triggers ("travel bans", "crackdown"): source must be this close, no comma between
MAX_SENTENCE = 1200  # longer "sentences" (lists, tables) are skipped: no reliable roles

# ----------------------------------------------------------------------------------------- roles
_PASSIVE_BEFORE = re.compile(r"\b(?:was|were|been|being|is|are|be|got|get)\s+(?:\w+ly\s+)?$", re.IGNORECASE)
_COORD = re.compile(r"^\s*(?:,|and|&|,\s*and|as\s+well\s+as|along\s+with|together\s+with)\s*(?:the\s+)?$",
                    re.IGNORECASE)
_COORD_AND = re.compile(r"\b(?:and|as\s+well\s+as|with)\b|&", re.IGNORECASE)
_PARTICIPLE = re.compile(r"^(?:\w+(?:ed|en|wn)|held|put|set|hit|shot|caught|hurt|cut|led|sent|kept|sought|brought|"
                         r"fought)\b", re.IGNORECASE)
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

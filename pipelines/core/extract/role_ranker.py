"""Source/target chosen among a sentence's actor mentions by a trained ranker (pure numpy, no dagster).

For one event decision (sentence, type, anchor span) every actor mention of the sentence (ActorResolver) is a
candidate for the source and for the target, plus a NULL candidate ("no actor of this sentence"). A conditional
logit per role (softmax over the candidates + NULL) scores them from encoder-free features:
  - position: before/after the anchor, token distance (bucketed), actors in between, first/last mention;
  - parse: the dependency label of the mention's head, the governing preposition ("by", "against", "on" ...),
    whether it is the subject / object / passive subject / by-agent of the anchor's predicate, whether the anchor is
    inside a clause governed by a verb the mention is the subject of (speaker of "X said ..."), path length to the
    anchor in the tree, passive voice of the predicate (crossed with the dependency label);
  - the parse rules (roles.dep_roles) and the nearest-actor rule (events.assign_roles) as votes;
  - actor kind (person, org, country, group, igo) and sector.
Trained on PLV_train's marked <s>/<t> spans with the pipeline's own actor mentions as candidates
(bench/train_role_ranker.py; weights in rules/models/role_ranker/, loaded through verify_model_dir).
The rules stay the fallback only when the parse is missing (no spaCy model): then the nearest-actor rule decides.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.core.models import ModelLoadError, verify_model_dir

MODEL_DIR = Path(__file__).resolve().parents[2] / "rules" / "models" / "role_ranker"
ROLES = ("source", "target")
_REPORT = {"say", "tell", "add", "state", "claim", "insist", "report", "announce", "warn", "note", "write", "argue"}
_AGENT_PREPS = {"by", "from"}
_TARGET_PREPS = {"against", "on", "upon", "to", "with", "at", "toward", "towards", "into", "over", "for", "of",
                 "targeting"}


def _bucket(n: int) -> str:
    return str(n) if n < 3 else ("3-5" if n < 6 else ("6-10" if n < 11 else "11+"))


def _mention_head(doc, m):
    toks = [t for t in doc if t.idx < m.end and t.idx + len(t) > m.start]
    if not toks:
        return None
    ids = {t.i for t in toks}
    heads = [t for t in toks if t.head.i not in ids or t.head.i == t.i]
    return heads[0] if heads else toks[-1]


def _ancestors(tok) -> list:
    out, t = [], tok
    while t.head.i != t.i and len(out) < 30:
        t = t.head
        out.append(t)
    return out


def anchor_head(doc, start: int, end: int):
    toks = [t for t in doc if t.idx < end and t.idx + len(t) > start]
    if not toks:
        return None
    ids = {t.i for t in toks}
    heads = [t for t in toks if t.head.i not in ids or t.head.i == t.i]
    return heads[0] if heads else toks[0]


def _predicate(h):
    """The verb that carries the anchor's arguments: the anchor itself when a verb, else the verb whose object /
    prepositional complement / subject it is (light verbs: "imposed sanctions", "responded with sanctions")."""
    t = h
    for _ in range(4):
        if t.pos_ in ("VERB", "AUX") or t.head.i == t.i:
            return t
        t = t.head
    return t


def candidate_features(sentence: str, doc, anchor: tuple[int, int], actors: list, i: int,
                       dep_src: set, dep_tgt: set, near_src: set, near_tgt: set) -> list[str]:
    """Feature names of actor mention i as a candidate (the same features serve both roles' models)."""
    m = actors[i]
    a0, a1 = anchor
    f = ["bias"]
    before = m.end <= a0
    f.append("before" if before else ("after" if m.start >= a1 else "overlap"))
    between = [j for j, o in enumerate(actors) if j != i and (m.end <= o.start and o.end <= a0 or a1 <= o.start and o.end <= m.start)]
    f.append(f"n_between:{_bucket(len(between))}")
    f.append(f"rank_side:{_bucket(sum(1 for o in actors if (o.end <= a0) == before and ((o.start > m.start) if before else (o.start < m.start))))}")
    if i == 0:
        f.append("first_mention")
    f.append(f"kind:{m.kind}")
    if m.sector:
        f.append(f"sector:{m.sector}")
    for name, s in (("dep_src", dep_src), ("dep_tgt", dep_tgt), ("near_src", near_src), ("near_tgt", near_tgt)):
        if i in s:
            f.append(name)
    if doc is None:
        f.append(f"chars:{_bucket(len(sentence[min(m.end, a0):max(m.start, a1)].split()))}")
        return f
    mh = _mention_head(doc, m)
    ah = anchor_head(doc, a0, a1)
    if mh is None or ah is None:
        f.append("noparse")
        return f
    pred = _predicate(ah)
    passive = any(c.dep_ in ("auxpass", "nsubjpass", "agent") for c in pred.children) or (
        pred.tag_ == "VBN" and pred.dep_ in ("acl", "relcl", "amod"))
    f.append(f"tokdist:{_bucket(abs(mh.i - ah.i))}")
    dep = mh.dep_
    f.append(f"dep:{dep}")
    f.append(f"dep:{dep}|{'pass' if passive else 'act'}")
    if dep == "pobj":
        prep = mh.head.lower_
        f.append(f"prep:{prep}" if prep in _AGENT_PREPS | _TARGET_PREPS else "prep:other")
        if mh.head.dep_ == "agent":
            f.append("agent")
    if dep in ("conj", "appos"):
        f.append(f"conj_of:{mh.head.dep_}")
    anc_m = _ancestors(mh)
    anc_a = _ancestors(ah)
    ids_m = [t.i for t in anc_m]
    ids_a = [t.i for t in anc_a]
    # relation to the predicate
    if mh.head.i == pred.i:
        f.append(f"arg_of_pred:{dep}")
        f.append(f"arg_of_pred:{dep}|{'pass' if passive else 'act'}")
    elif mh.head.dep_ in ("prep", "agent") and mh.head.head.i == pred.i:
        f.append(f"pobj_of_pred:{mh.head.lower_ if mh.head.lower_ in _AGENT_PREPS | _TARGET_PREPS else 'other'}")
    elif mh.head.i == ah.i:
        f.append(f"arg_of_anchor:{dep}")
    elif mh.head.dep_ == "prep" and mh.head.head.i == ah.i:
        f.append(f"pobj_of_anchor:{mh.head.lower_ if mh.head.lower_ in _AGENT_PREPS | _TARGET_PREPS else 'other'}")
    if pred.i in ids_m or mh.i == pred.i:
        f.append("under_pred")
    if mh.i in ids_a:
        f.append("governs_anchor")
    # speaker: subject of a reporting verb that governs the anchor ("X said Y attacked Z")
    if dep in ("nsubj", "nsubjpass") and mh.head.i in ids_a and mh.head.lemma_.lower() in _REPORT:
        f.append("speaker")
    # subject of the governing verb of the anchor (control / light verbs)
    if dep in ("nsubj", "nsubjpass") and mh.head.i in ids_a:
        f.append(f"subj_of_ancestor:{dep}")
    # tree path length
    common = next((x for x in [mh.i, *ids_m] if x == ah.i or x in ids_a), None)
    if common is None:
        f.append("path:none")
    else:
        up_m = ([mh.i, *ids_m]).index(common)
        up_a = ([ah.i, *ids_a]).index(common)
        f.append(f"path:{_bucket(up_m)}/{_bucket(up_a)}")
    if mh.sent.start != ah.sent.start:
        f.append("other_parse_sentence")
    return f


@dataclass
class RoleChoice:
    source: int | None
    target: int | None
    p_source: float
    p_target: float


class RoleRanker:
    """Conditional-logit ranker; weights: {role: {feature: weight}} plus the NULL candidate's weights."""

    def __init__(self, weights: dict, version: str):
        self.weights = weights
        self.version = version

    def _scores(self, role: str, feats: list[list[str]], null_feats: list[str]) -> np.ndarray:
        w = self.weights[role]
        z = [sum(w.get(x, 0.0) for x in fs) for fs in feats]
        z.append(sum(w.get("NULL:" + x, 0.0) for x in null_feats))
        z = np.array(z, dtype=np.float64)
        z -= z.max()
        p = np.exp(z)
        return p / p.sum()

    def choose(self, feats: list[list[str]], null_feats: list[str]) -> RoleChoice:
        """Best source (or None = NULL), then the best target among the other mentions."""
        ps = self._scores("source", feats, null_feats)
        pt = self._scores("target", feats, null_feats)
        n = len(feats)
        s = int(ps.argmax())
        src = s if s < n else None
        pt2 = pt.copy()
        if src is not None:
            pt2[src] = 0.0
            pt2 /= pt2.sum()
        t = int(pt2.argmax())
        tgt = t if t < n else None
        return RoleChoice(src, tgt, float(ps[s]), float(pt2[t]))

    @classmethod
    def load(cls, model_dir: Path | None = None) -> "RoleRanker":
        model_dir = Path(model_dir or MODEL_DIR)
        manifest = verify_model_dir(model_dir)
        path = model_dir / "weights.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            weights = {r: {k: float(v) for k, v in data["weights"][r].items()} for r in ROLES}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(f"role ranker weights unreadable: {path}: {exc}") from None
        return cls(weights, manifest.get("version") or data.get("version", "role_ranker@?"))

    def save(self, model_dir: Path) -> None:
        model_dir.mkdir(parents=True, exist_ok=True)
        (model_dir / "weights.json").write_text(
            json.dumps({"version": self.version, "weights": self.weights}, indent=0, sort_keys=True) + "\n",
            encoding="utf-8")


def null_features(actors: list) -> list[str]:
    return ["bias", f"n_actors:{_bucket(len(actors))}"]


def train(examples: list[dict], l2: float = 1.0, version: str = "role_ranker@dev") -> RoleRanker:
    """examples: {"feats": [[names] per candidate], "null": [names], "source": set(idx) | empty (NULL),
    "target": set(idx)}. Fits one conditional logit per role (L-BFGS, L2)."""
    from scipy.optimize import minimize

    vocab: dict[str, int] = {}
    for ex in examples:
        for fs in ex["feats"]:
            for x in fs:
                vocab.setdefault(x, len(vocab))
        for x in ex["null"]:
            vocab.setdefault("NULL:" + x, len(vocab))
    names = list(vocab)
    weights = {}
    for role in ROLES:
        groups = []
        for ex in examples:
            rows = [[vocab[x] for x in fs] for fs in ex["feats"]] + [[vocab["NULL:" + x] for x in ex["null"]]]
            gold = sorted(ex[role]) if ex[role] else [len(ex["feats"])]
            groups.append((rows, gold))
        d = len(vocab)

        def loss(w, groups=groups):
            total, grad = 0.0, np.zeros(d)
            for rows, gold in groups:
                z = np.array([w[r].sum() for r in rows])
                zmax = z.max()
                e = np.exp(z - zmax)
                p = e / e.sum()
                pg = p[gold].sum()
                total -= math.log(max(pg, 1e-300))
                q = np.zeros(len(rows))
                q[gold] = p[gold] / max(pg, 1e-300)
                coef = p - q
                for k, r in enumerate(rows):
                    if coef[k]:
                        np.add.at(grad, r, coef[k])
            total += 0.5 * l2 * float(w @ w)
            grad += l2 * w
            return total, grad

        res = minimize(loss, np.zeros(d), jac=True, method="L-BFGS-B", options={"maxiter": 200})
        weights[role] = {names[k]: round(float(v), 5) for k, v in enumerate(res.x) if abs(v) > 1e-6}
    return RoleRanker(weights, version)

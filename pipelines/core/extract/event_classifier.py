"""Small learned event-type classifier: hashed bag of n-grams + rule-hit features -> multinomial logistic regression.

Pure numpy/scipy, no download. Trained on ../shared/peer/plover/PLV_train.tsv by `bench/train_event_classifier.py`
(model file: pipelines/rules/models/plv_logreg.npz, < 2 MB). Classes are PLV_train's gold roots: PLOVER's types with
CONCEDE and RETREAT merged as YIELD.

Features (binary, L2-normalised row):
  w:<token>, b:<tok1>_<tok2>       words and bigrams of the sentence (lower-cased)
  m:<token>, mb:<bigram>           words between source and target (the predicate region), when known
  r:<TYPE>, rn:<rule>              types / names of the trigger rules that fire in the sentence
  rm:<TYPE>                        rule types whose trigger lies inside the predicate region
All hashed with crc32 into N_FEATURES buckets.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import re

from pipelines.core.extract.events import RULES_DIR, find_triggers

MODEL_PATH = RULES_DIR / "models" / "plv_logreg.npz"
N_FEATURES = 1 << 16
_TOKEN = re.compile(r"[a-z]+(?:['’][a-z]+)?|\d+")
MERGED = {"CONCEDE": "YIELD", "RETREAT": "YIELD"}


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def feature_names(sentence: str, between: tuple[int, int] | None = None, use_rules: bool = True) -> list[str]:
    toks = _tokens(sentence)
    feats = [f"w:{t}" for t in toks] + [f"b:{a}_{b}" for a, b in zip(toks, toks[1:])]
    feats += [f"s:{t[:5]}" for t in toks if len(t) > 5]
    if between is not None:
        mt = _tokens(sentence[between[0]:between[1]])
        feats += [f"m:{t}" for t in mt] + [f"mb:{a}_{b}" for a, b in zip(mt, mt[1:])]
        feats += [f"ms:{t[:5]}" for t in mt if len(t) > 5]
    if use_rules:
        for trig in find_triggers(sentence):
            typ = MERGED.get(trig.rule.event_type, trig.rule.event_type)
            feats += [f"r:{typ}", f"rn:{trig.rule.name}"]
            if between is not None and between[0] <= trig.start and trig.end <= between[1]:
                feats.append(f"rm:{typ}")
    return feats


def hash_features(names: list[str], n_features: int = N_FEATURES) -> np.ndarray:
    idx = {zlib.crc32(n.encode("utf-8")) % n_features for n in names}
    return np.fromiter(sorted(idx), dtype=np.int64)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def train(rows: list[tuple[str, tuple[int, int] | None]], labels: list[str], *, l2: float = 3e-6,
          use_rules: bool = True, n_features: int = N_FEATURES, maxiter: int = 300) -> "EventClassifier":
    """Fit softmax regression (L-BFGS, L2 penalty) on (sentence, between-span) rows."""
    from scipy import sparse
    from scipy.optimize import minimize

    classes = sorted(set(labels))
    y = np.array([classes.index(l) for l in labels])
    indptr, indices = [0], []
    for sent, btw in rows:
        ix = hash_features(feature_names(sent, btw, use_rules), n_features)
        indices.extend(ix.tolist())
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float64)
    X = sparse.csr_matrix((data, np.array(indices), np.array(indptr)), shape=(len(rows), n_features))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ X
    used = np.unique(X.indices)  # train only on buckets that occur: same optimum, far fewer parameters
    X = X[:, used]
    full_features, n_features = n_features, len(used)
    n, k = len(rows), len(classes)
    Y = np.zeros((n, k))
    Y[np.arange(n), y] = 1.0

    def loss(wflat: np.ndarray):
        W = wflat[: n_features * k].reshape(n_features, k)
        b = wflat[n_features * k:]
        P = _softmax(X @ W + b)
        ll = -np.log(np.maximum(P[np.arange(n), y], 1e-12)).mean() + 0.5 * l2 * (W * W).sum()
        G = (P - Y) / n
        gW = X.T @ G + l2 * W
        gb = G.sum(axis=0)
        return ll, np.concatenate([np.asarray(gW).ravel(), gb])

    w0 = np.zeros(n_features * k + k)
    res = minimize(loss, w0, jac=True, method="L-BFGS-B", options={"maxiter": maxiter})
    W = np.zeros((full_features, k))
    W[used] = res.x[: n_features * k].reshape(n_features, k)
    b = res.x[n_features * k:]
    return EventClassifier(W.astype(np.float32), b.astype(np.float32), classes, use_rules, full_features)


@dataclass
class EventClassifier:
    W: np.ndarray
    b: np.ndarray
    classes: list[str]
    use_rules: bool = True
    n_features: int = N_FEATURES
    model_id: str = "plv-logreg@1"

    def predict_proba(self, sentence: str, between: tuple[int, int] | None = None) -> np.ndarray:
        ix = hash_features(feature_names(sentence, between, self.use_rules), self.n_features)
        if len(ix) == 0:
            return _softmax(self.b.astype(np.float64))
        z = self.W[ix].sum(axis=0, dtype=np.float64) / np.sqrt(len(ix)) + self.b
        return _softmax(z)

    def predict(self, sentence: str, between: tuple[int, int] | None = None) -> tuple[str, float]:
        p = self.predict_proba(sentence, between)
        i = int(p.argmax())
        return self.classes[i], float(p[i])

    def prob_for(self, probs: np.ndarray, event_type: str) -> float:
        t = MERGED.get(event_type, event_type)
        return float(probs[self.classes.index(t)]) if t in self.classes else 0.0

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, W=self.W.astype(np.float16), b=self.b, classes=np.array(self.classes),
                            use_rules=np.array(self.use_rules), n_features=np.array(self.n_features),
                            model_id=np.array(self.model_id))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "EventClassifier":
        z = np.load(path, allow_pickle=False)
        return cls(z["W"].astype(np.float32), z["b"].astype(np.float32), [str(c) for c in z["classes"]],
                   bool(z["use_rules"]), int(z["n_features"]), str(z["model_id"]))


def load_default() -> EventClassifier | None:
    return EventClassifier.load(MODEL_PATH) if MODEL_PATH.exists() else None

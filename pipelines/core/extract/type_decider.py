"""Type decisions from the sentence typer's logits and the trigger rules as evidence (pure numpy, no dagster).

The typer (typer.EventTyper) scores a sentence; the trigger rules (rules/event_patterns.yaml) say whether a rule of
a type fired in it. Neither decides alone: per type l a logistic model over
    [1, typer logit of l, typer logit of NONE, a rule of l fired, a rule of another type fired,
     a rule of l fired x the highest typer logit of the other types]
(the last: the typer sees an event, a rule names the type - e.g. PLV codes "imposed sanctions" as COERCE, while
this project follows the 2024 manual, where international sanctions are SANCTION; the trainer maps those labels).
gives the probability that the sentence reports l; l is decided when it reaches its threshold (F1-optimal on the
training data). The model is fitted on out-of-fold typer logits of PLV_train (every item scored by the fold model
that never saw it) plus BBC sport/entertainment sentences of the training part (bench/train_type_decider.py);
weights in rules/models/type_decider/ (card.md, manifest.json; verify_model_dir).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pipelines.core.models import ModelLoadError, verify_model_dir

MODEL_DIR = Path(__file__).resolve().parents[2] / "rules" / "models" / "type_decider"
MERGED = {"CONCEDE": "YIELD", "RETREAT": "YIELD"}


def rule_types(triggers) -> set[str]:
    return {MERGED.get(t.rule.event_type, t.rule.event_type) for t in triggers}


def features(logits: np.ndarray, labels: tuple[str, ...], fired: set[str]) -> np.ndarray:
    """(n_types, 6) feature rows for one sentence, in the order of `labels` without NONE."""
    jn = labels.index("NONE")
    types = [j for j, lab in enumerate(labels) if lab != "NONE"]
    rows = []
    for j in types:
        lab = labels[j]
        r = float(lab in fired)
        other = float(bool(fired - {lab}))
        z_other = max(float(logits[k]) for k in types if k != j)
        rows.append([1.0, float(logits[j]), float(logits[jn]), r, other, r * z_other])
    return np.array(rows, dtype=np.float64)


class TypeDecider:
    def __init__(self, weights: dict[str, list[float]], thresholds: dict[str, float], version: str):
        self.weights = weights
        self.thresholds = thresholds
        self.version = version

    def proba(self, logits: np.ndarray, labels: tuple[str, ...], fired: set[str]) -> dict[str, float]:
        X = features(logits, labels, fired)
        types = [l for l in labels if l != "NONE"]
        W = np.array([self.weights[l] for l in types])
        z = (X * W).sum(axis=1)
        return dict(zip(types, (1.0 / (1.0 + np.exp(-z))).tolist()))

    def decide(self, logits: np.ndarray, labels: tuple[str, ...], fired: set[str]) -> list[tuple[str, float]]:
        p = self.proba(logits, labels, fired)
        out = [(l, q) for l, q in p.items() if q >= self.thresholds[l]]
        return sorted(out, key=lambda x: -x[1])

    @classmethod
    def load(cls, model_dir: Path | None = None) -> "TypeDecider":
        model_dir = Path(model_dir or MODEL_DIR)
        manifest = verify_model_dir(model_dir)
        path = model_dir / "weights.json"
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            w = {k: [float(x) for x in v] for k, v in d["weights"].items()}
            th = {k: float(v) for k, v in d["thresholds"].items()}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(f"type decider weights unreadable: {path}: {exc}") from None
        return cls(w, th, manifest.get("version") or d.get("version", "type_decider@?"))

    def save(self, model_dir: Path) -> None:
        model_dir.mkdir(parents=True, exist_ok=True)
        (model_dir / "weights.json").write_text(json.dumps(
            {"version": self.version, "weights": self.weights, "thresholds": self.thresholds}, indent=1,
            sort_keys=True) + "\n", encoding="utf-8")


def fit(X_by_label: dict[str, np.ndarray], y_by_label: dict[str, np.ndarray], l2: float = 1e-2,
        version: str = "type_decider@dev") -> TypeDecider:
    """One L2 logistic regression per label (L-BFGS from zeros: deterministic) + F1-optimal threshold."""
    from scipy.optimize import minimize

    weights, ths = {}, {}
    for lab, X in X_by_label.items():
        y = y_by_label[lab].astype(np.float64)

        def loss(w, X=X, y=y):
            z = X @ w
            p = 1.0 / (1.0 + np.exp(-z))
            ll = np.sum(np.logaddexp(0, z) - y * z) + 0.5 * l2 * float(w[1:] @ w[1:])
            g = X.T @ (p - y)
            g[1:] += l2 * w[1:]
            return ll, g

        w = minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B").x
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        best = (0.0, 0.5)
        for t in np.arange(0.2, 0.81, 0.025):
            tp = float(((p >= t) & (y == 1)).sum())
            fp = float(((p >= t) & (y == 0)).sum())
            fn = float(((p < t) & (y == 1)).sum())
            f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            if f1 > best[0] + 1e-9:
                best = (f1, round(float(t), 3))
        weights[lab] = [round(float(x), 6) for x in w]
        ths[lab] = best[1]
    return TypeDecider(weights, ths, version)

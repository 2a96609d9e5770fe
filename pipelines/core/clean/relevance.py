"""Story relevance gate: does a story report political, security, diplomatic, protest, legal or economic-coercion
actions (something PLOVER codes)? One probability per story (`codeable_score`) and a decision (`codeable`).

Pure numpy, no Dagster, no download. The model is a logistic regression over hashed binary features of the story's
title and the start of its text; trained by `bench/train_gate.py` on weak labels (BBC topic folders, PLOVER/PETR
sentences, synthetic political stories; see the model card). Files: pipelines/rules/models/relevance_gate/
{weights.npz, gate.json, card.md, manifest.json}; `load_gate` checks them with `verify_model_dir` first, so a
missing or corrupt file stops the run with a ModelLoadError naming it.

Features (binary, row L2-normalised, crc32-hashed into `n_features` buckets):
  w:<token>, b:<tok1>_<tok2>    words and bigrams of title + text (text cut at `max_chars`, lower-cased)
  t:<token>                     words of the title again (headlines say what the story is about)
The score is Platt-calibrated (a, b fitted on out-of-fold scores of the training stories), so it is a probability
under the training mix of stories; `codeable` is `codeable_score >= threshold` (threshold in gate.json, see card).
"""
from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipelines.core.models import ModelLoadError, verify_model_dir

MODEL_DIR = Path(__file__).resolve().parents[2] / "rules" / "models" / "relevance_gate"
N_FEATURES = 1 << 18
MAX_CHARS = 4000
_TOKEN = re.compile(r"[a-z]+(?:['’][a-z]+)?|\d+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def feature_names(title: str | None, text: str | None, max_chars: int = MAX_CHARS) -> list[str]:
    ttoks = _tokens(title or "")
    toks = ttoks + _tokens((text or "")[:max_chars])
    feats = [f"w:{t}" for t in toks]
    feats += [f"b:{a}_{b}" for a, b in zip(toks, toks[1:])]
    feats += [f"t:{t}" for t in ttoks]
    return feats


def hash_features(names: list[str], n_features: int = N_FEATURES) -> np.ndarray:
    idx = {zlib.crc32(n.encode("utf-8")) % n_features for n in names}
    return np.fromiter(sorted(idx), dtype=np.int64, count=len(idx))


def feature_matrix(docs: list[tuple[str | None, str | None]], n_features: int = N_FEATURES,
                   max_chars: int = MAX_CHARS):
    """(title, text) pairs -> scipy CSR matrix of L2-normalised binary hashed features."""
    from scipy import sparse

    indptr, indices = [0], []
    for title, text in docs:
        ix = hash_features(feature_names(title, text, max_chars), n_features)
        indices.append(ix)
        indptr.append(indptr[-1] + len(ix))
    ind = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
    counts = np.diff(indptr)
    data = np.repeat(1.0 / np.sqrt(np.maximum(counts, 1)), counts)
    return sparse.csr_matrix((data, ind, np.array(indptr)), shape=(len(docs), n_features))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


@dataclass
class RelevanceGate:
    w: np.ndarray            # (n_features,) float32 weights
    bias: float
    platt_a: float           # calibrated p = sigmoid(platt_a * margin + platt_b)
    platt_b: float
    threshold: float
    n_features: int = N_FEATURES
    max_chars: int = MAX_CHARS
    version: str = "relevance_gate@dev"

    def margin(self, title: str | None, text: str | None) -> float:
        ix = hash_features(feature_names(title, text, self.max_chars), self.n_features)
        if len(ix) == 0:
            return float(self.bias)
        return float(self.w[ix].sum(dtype=np.float64) / np.sqrt(len(ix)) + self.bias)

    def score(self, title: str | None, text: str | None) -> float:
        return float(_sigmoid(np.array(self.platt_a * self.margin(title, text) + self.platt_b)))

    def scores(self, titles: list[str | None], texts: list[str | None]) -> np.ndarray:
        m = np.array([self.margin(a, b) for a, b in zip(titles, texts)], dtype=np.float64)
        return _sigmoid(self.platt_a * m + self.platt_b)

    def codeable(self, title: str | None, text: str | None) -> bool:
        return self.score(title, text) >= self.threshold

    def save(self, model_dir: Path = MODEL_DIR, **meta) -> None:
        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        nz = np.flatnonzero(self.w)
        np.savez_compressed(model_dir / "weights.npz", index=nz.astype(np.int32), weight=self.w[nz].astype(np.float32))
        cfg = {"bias": float(self.bias), "platt_a": float(self.platt_a), "platt_b": float(self.platt_b),
               "threshold": float(self.threshold), "n_features": int(self.n_features),
               "max_chars": int(self.max_chars), **meta}
        (model_dir / "gate.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_gate(model_dir: Path | None = None) -> RelevanceGate:
    """Load the shipped gate after checking its manifest (ModelLoadError names a missing/corrupt/unreadable file)."""
    model_dir = Path(model_dir or MODEL_DIR)
    manifest = verify_model_dir(model_dir)
    cfg_path, w_path = model_dir / "gate.json", model_dir / "weights.npz"
    try:
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        n = int(cfg["n_features"])
        bias, a, b, thr = (float(cfg[k]) for k in ("bias", "platt_a", "platt_b", "threshold"))
        max_chars = int(cfg.get("max_chars", MAX_CHARS))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"relevance gate config unreadable: {cfg_path}: {exc}") from None
    try:
        with np.load(w_path, allow_pickle=False) as z:
            idx, val = z["index"].astype(np.int64), z["weight"].astype(np.float32)
        w = np.zeros(n, dtype=np.float32)
        w[idx] = val
    except Exception as exc:  # noqa: BLE001 - any failure to read the weights is a load error naming the file
        raise ModelLoadError(f"relevance gate weights unreadable: {w_path}: {exc}") from None
    sha = str(manifest.get("files", {}).get("weights.npz", ""))[:12]
    return RelevanceGate(w, bias, a, b, thr, n, max_chars, version=f"relevance_gate@{sha}")


@lru_cache(maxsize=1)
def default_gate() -> RelevanceGate:
    return load_gate(MODEL_DIR)


def score_stories(stories, gate: RelevanceGate | None = None):
    """Add `codeable_score` (Float64 probability) and `codeable` (Boolean) to a polars frame with title + text."""
    import polars as pl

    gate = gate or default_gate()
    if stories.height == 0:
        return stories.with_columns(pl.lit(None, dtype=pl.Float64).alias("codeable_score"),
                                    pl.lit(None, dtype=pl.Boolean).alias("codeable"))
    s = gate.scores(stories["title"].to_list(), stories["text"].to_list())
    return stories.with_columns(pl.Series("codeable_score", s, dtype=pl.Float64),
                                pl.Series("codeable", s >= gate.threshold, dtype=pl.Boolean))

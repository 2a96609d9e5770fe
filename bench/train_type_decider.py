"""Train the type decider (pipelines/core/extract/type_decider.py): typer logits + trigger-rule evidence -> types.

Reproduce:  .venv/bin/python bench/train_type_decider.py [--typer-cache bench/_typer_cache]

Data: out-of-fold typer logits of the 1,044 distinct PLV_train sentences (written by bench/train_event_model.py to
<typer-cache>/oof_logits.npy; every sentence scored by the fold model that never saw it) with their gold label sets,
plus 1,200 BBC sport/entertainment sentences of the TRAINING part (bench/plv_data.bbc_held_out false) that the typer
was not trained on (label NONE), scored by the shipped typer. The BBC held-out part is never used here.
Deterministic (L-BFGS from zeros; the BBC sample uses numpy seed 1).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import plv_data  # noqa: E402

DEFAULT_CACHE = ROOT / "bench" / "_typer_cache"  # written by bench/train_event_model.py (gitignored)
BBC_CACHE = ROOT / "bench" / "_cache" / "decider_bbc_logits.npz"
N_BBC = 1200


def bbc_items() -> list[str]:
    used = {it["text"] for it in plv_data.bbc_negatives(700, 0)}
    pool = sorted({s["text"] for s in plv_data.bbc_sentences(held_out=False)} - used)
    idx = np.random.default_rng(1).permutation(len(pool))[:N_BBC]
    return [pool[i] for i in sorted(idx)]


def bbc_logits(typer) -> tuple[list[str], np.ndarray]:
    texts = bbc_items()
    if BBC_CACHE.exists():
        d = np.load(BBC_CACHE, allow_pickle=False)
        if list(d["texts"]) == texts and str(d["version"]) == typer.version:
            return texts, d["z"]
    z = typer.logits(texts)
    BBC_CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(BBC_CACHE, texts=np.array(texts), z=z, version=np.array(typer.version))
    return texts, z


def convention_labels(text: str, labels: set[str]) -> set[str]:
    """PLV codes international sanctions ("has imposed sanctions on ...") as COERCE (2021 crosswalk); this project
    follows the 2024 manual (../shared/README.md): they are SANCTION. A PLV COERCE label of a sentence in which a
    SANCTION trigger rule fires becomes SANCTION (10 of the 1,044 PLV sentences). Used for training the decider and,
    the same way, for the gold of bench/eval_events.py (which also reports the unmapped gold)."""
    from pipelines.core.extract import events as E

    if "COERCE" in labels and any(t.rule.event_type == "SANCTION" for t in E.find_triggers(text)):
        return (set(labels) - {"COERCE"}) | {"SANCTION"}
    return set(labels)


def data(cache: Path, typer):
    """(texts, logits, label sets, item folds) of PLV OOF items + BBC negatives (fold -1)."""
    rows = plv_data.load_plv_rows()
    items = plv_data.plv_items(rows)
    folds_row = plv_data.plv_folds(rows=rows)
    item_fold = [int(folds_row[it["rows"][0]]) for it in items]
    Z = np.load(cache / "oof_logits.npy")
    assert Z.shape[0] == len(items), (Z.shape, len(items))
    bt, bz = bbc_logits(typer)
    texts = [it["text"] for it in items] + bt
    labels = [convention_labels(it["text"], set(it["labels"])) for it in items] + [set() for _ in bt]
    return texts, np.vstack([Z, bz]), labels, item_fold + [-1] * len(bt)


def train_decider(texts, Z, labels, folds, exclude_fold: int | None, typer_labels, version="type_decider@dev"):
    from pipelines.core.extract import events as E
    from pipelines.core.extract import type_decider as TD

    keep = [i for i, f in enumerate(folds) if exclude_fold is None or f != exclude_fold]
    types = [l for l in typer_labels if l != "NONE"]
    Xs = {l: [] for l in types}
    ys = {l: [] for l in types}
    for i in keep:
        fired = TD.rule_types(E.find_triggers(texts[i]))
        X = TD.features(Z[i], tuple(typer_labels), fired)
        for k, l in enumerate(types):
            Xs[l].append(X[k])
            ys[l].append(l in labels[i])
    return TD.fit({l: np.array(Xs[l]) for l in types}, {l: np.array(ys[l]) for l in types}, version=version)


CARD = """# type_decider

Decides the PLOVER types of a sentence from the sentence typer's raw logits (rules/models/event_typer) and the
trigger rules (rules/event_patterns.yaml) as evidence: one logistic regression per type over
[1, typer logit of the type, typer logit of NONE, a rule of the type fired, a rule of another type fired,
rule of the type fired x highest typer logit of the other types], and an F1-optimal threshold per type (grid 0.2..0.8 on the training data). Its probability is the event row's `confidence`.

- Data: {n_plv} distinct PLV_train sentences with out-of-fold typer logits (5 folds, bench/plv_data.plv_folds) and
  {n_bbc} BBC sport/entertainment sentences from the training part (not among the typer's negatives), label NONE.
  The BBC held-out part and PETR2 validation are never used. Label convention: a PLV COERCE sentence in which a
  SANCTION trigger rule fires is labelled SANCTION (2024 manual, ../shared/README.md; PLV follows the 2021
  crosswalk that codes sanctions as COERCE): 10 sentences.
- Command: `.venv/bin/python bench/train_type_decider.py` (needs the typer's fold cache from
  `python bench/train_event_model.py`: oof_logits.npy). L2 0.01 on the non-bias weights; deterministic.
- Version: {version}
- Typer: {typer}

## Weights and thresholds
| type | bias | typer logit | NONE logit | rule of type | other rule | rule x other logit | threshold |
|---|---|---|---|---|---|---|---|
{table}

End-to-end scores (5 folds, decider refitted without the test fold): bench/results/eval_events.md.
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--typer-cache", type=Path, default=DEFAULT_CACHE)
    args = ap.parse_args()
    from pipelines.core.extract.type_decider import MODEL_DIR
    from pipelines.core.extract.typer import EventTyper
    from pipelines.core.models import write_manifest

    typer = EventTyper()
    texts, Z, labels, folds = data(args.typer_cache, typer)
    d = train_decider(texts, Z, labels, folds, None, typer.labels)
    blob = json.dumps([d.weights, d.thresholds], sort_keys=True).encode()
    d.version = f"type_decider@{hashlib.sha256(blob).hexdigest()[:12]}"
    d.save(MODEL_DIR)
    table = "\n".join(f"| {l} | " + " | ".join(f"{x:.2f}" for x in w) + f" | {d.thresholds[l]} |"
                      for l, w in d.weights.items())
    n_bbc = sum(1 for f in folds if f == -1)
    (MODEL_DIR / "card.md").write_text(CARD.format(n_plv=len(folds) - n_bbc, n_bbc=n_bbc, version=d.version,
                                                   typer=typer.version, table=table), encoding="utf-8")
    write_manifest(MODEL_DIR, ["weights.json", "card.md"], version=d.version)
    print(f"-> {MODEL_DIR} ({d.version})")
    print(table)


if __name__ == "__main__":
    main()

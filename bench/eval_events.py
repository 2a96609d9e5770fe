"""Evaluation of the event coder through the pipeline's own function (writes bench/results/eval_events.md).

Every evaluation text goes through pipelines.core.extract.coder.extract_story_events, the function the extract
asset runs (batch.extract_chunk), as a one-sentence / one-document story. No side classifier.

Reproduce:  .venv/bin/python bench/eval_events.py [--typer-cache bench/_typer_cache] [--skip-bbc]

1. PLV_train, 5 folds (bench/plv_data.plv_folds, the typer's split). Fold k uses the typer trained without fold k
   (<typer-cache>/fold{k}), the type decider refitted without fold k's items, and the role ranker refitted without
   fold k's rows. Raw sentences (markers stripped), the pipeline's own actor mentions.
   - type micro-F1 over sentence label sets (gold: the set of gold roots of the sentence's rows, CONCEDE/RETREAT
     merged as YIELD, COERCE -> SANCTION where a SANCTION trigger rule fires (train_type_decider.convention_labels:
     the project follows the 2024 manual; PLV the 2021 crosswalk; the unmapped score is reported too); predicted: the set of event_type of the rows the pipeline emits; no row = empty set),
     macro-F1 over the 15 types, exact-set accuracy, confusion matrix (gold first label x highest-confidence row).
   - source / target accuracy on type-matched rows: for every PLV row whose gold type the pipeline emitted for the
     sentence, the emitted row of that type with the highest confidence; its source_actor (surface text) is right
     when it overlaps the marked <s> span text (one contains the other), or both are empty; same for target.
   - calibration: ECE (10 equal-width bins) of (a) the confidence of every emitted (sentence, type) decision vs
     "the type is gold", (b) the decider probability of all 15 types of every sentence that passed the prefilter.
2. PETR2_GSR_validation.xml (never trained on): the highest-confidence row's type (NONE when no row) is right when
   it is in the sentence's gold set (bench/plv_data.load_petr2_validation). Shipped models.
3. BBC (bench/plv_data.bbc_held_out: the held-out part only; the typer's and decider's negatives and the gate's
   training come from the other part): share of sport+entertainment and of politics stories with any event,
   (a) as the extract stage sees them today without a codeable column, (b) with the relevance gate's `codeable`
   (pipelines.core.clean.relevance) passed in, as the clean stage will provide it.
4. Throughput (indicative): extract_story_events on 60 random BBC documents in one process, the typer's share.
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import plv_data  # noqa: E402
import train_role_ranker as TRR  # noqa: E402
import train_type_decider as TTD  # noqa: E402
from pipelines.core.extract import coder  # noqa: E402

OUT = ROOT / "bench" / "results" / "eval_events.md"
MERGE = {"CONCEDE": "YIELD", "RETREAT": "YIELD"}
TYPES = list(plv_data.TYPES)


def norm(s: str | None) -> str:
    return " ".join((s or "").split()).lower()


def span_ok(pred: str | None, gold: str | None) -> bool:
    p, g = norm(pred), norm(gold)
    if not g:
        return not p
    return bool(p) and (p in g or g in p)


def ece(conf: list[float], correct: list[bool], bins: int = 10) -> tuple[float, list[tuple]]:
    conf, correct = np.asarray(conf, float), np.asarray(correct, float)
    if not len(conf):
        return float("nan"), []
    edges = np.linspace(0, 1, bins + 1)
    total, table = 0.0, []
    for i in range(bins):
        m = (conf >= edges[i]) & ((conf < edges[i + 1]) if i < bins - 1 else (conf <= 1))
        if m.sum():
            gap = abs(conf[m].mean() - correct[m].mean())
            total += m.sum() / len(conf) * gap
            table.append((f"{edges[i]:.1f}-{edges[i + 1]:.1f}", int(m.sum()), conf[m].mean(), correct[m].mean()))
    return float(total), table


def f1s(gold_sets, pred_sets):
    tp = fp = fn = 0
    per = {t: [0, 0, 0] for t in TYPES}
    for g, p in zip(gold_sets, pred_sets):
        for t in TYPES:
            a, b = t in g, t in p
            per[t][0] += a and b
            per[t][1] += b and not a
            per[t][2] += a and not b
    for t, (a, b, c) in per.items():
        tp, fp, fn = tp + a, fp + b, fn + c
    micro = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    macro = float(np.mean([2 * a / (2 * a + b + c) if a else 0.0 for a, b, c in per.values()
                           if a + c > 0]))
    return micro, macro, per


def story(sid: str, text: str, **kw) -> dict:
    return {"story_id": sid, "text": text, "published_date": None, **kw}


def plv_section(cache: Path):
    from pipelines.core.extract.typer import EventTyper

    rows = plv_data.load_plv_rows()
    items = plv_data.plv_items(rows)
    folds_row = [int(x) for x in plv_data.plv_folds(rows=rows)]
    item_fold = [folds_row[it["rows"][0]] for it in items]
    raw = TRR.load_plv()  # same file order: raw sentence + marked spans
    prepared = TRR.prepare(raw)
    shipped = coder.default_models()
    texts, Z, labels, dfolds = TTD.data(cache, shipped.typer)
    gold_sets, pred_sets, top_pred, top_gold, raw_sets = [], [], [], [], []
    dec_conf, dec_ok, all_conf, all_ok = [], [], [], []
    role = {"source": 0, "target": 0, "n": 0, "n_rows": len(rows)}
    t0 = time.time()
    for k in range(5):
        typer = EventTyper(cache / f"fold{k}")
        decider = TTD.train_decider(texts, Z, labels, dfolds, k, typer.labels, version=f"type_decider@fold{k}")
        ranker = TRR.fit([p for p, f in zip(prepared, folds_row) if f != k], version=f"role_ranker@fold{k}")
        models = coder.Models(typer, ranker, decider)
        for i, it in enumerate(items):
            if item_fold[i] != k:
                continue
            ev, _ = coder.extract_story_events(story(f"plv{i}", it["text"]), models)
            g = TTD.convention_labels(it["text"], set(it["labels"]))  # 2024 manual: sanctions are SANCTION
            raw_sets.append(set(it["labels"]))
            p = {MERGE.get(e["event_type"], e["event_type"]) for e in ev}
            gold_sets.append(g)
            pred_sets.append(p)
            best = max(ev, key=lambda e: e["confidence"]) if ev else None
            top_pred.append(MERGE.get(best["event_type"], best["event_type"]) if best else "NONE")
            top_gold.append(sorted(g)[0])
            seen = set()
            for e in sorted(ev, key=lambda e: -e["confidence"]):
                t = MERGE.get(e["event_type"], e["event_type"])
                if t not in seen:
                    seen.add(t)
                    dec_conf.append(e["confidence"])
                    dec_ok.append(t in g)
            # every type's probability for a sentence that passes the prefilter (same decider, same features)
            from pipelines.core.extract import events as E
            from pipelines.core.extract import type_decider as TD
            res = E._resolvers(None)
            if coder.prefilter(it["text"], res.actors(it["text"], res.new_context())):
                z = typer.logits([it["text"]])[0]
                pr = decider.proba(z, typer.labels, TD.rule_types(E.find_triggers(it["text"])))
                for t, q in pr.items():
                    all_conf.append(q)
                    all_ok.append(t in g)
            for r in it["rows"]:
                gt = rows[r]["gold"]
                if gt == "COERCE" and "COERCE" not in g:
                    gt = "SANCTION"
                match = [e for e in ev if MERGE.get(e["event_type"], e["event_type"]) == gt]
                if not match:
                    continue
                e = max(match, key=lambda e: e["confidence"])
                s, tt = raw[r]["source"], raw[r]["target"]
                gs = raw[r]["sentence"][s[0]:s[1]] if s else None
                gtg = raw[r]["sentence"][tt[0]:tt[1]] if tt else None
                role["n"] += 1
                role["source"] += span_ok(e["source_actor"], gs)
                role["target"] += span_ok(e["target_actor"], gtg)
        print(f"fold {k} done [{time.time() - t0:.0f} s]", flush=True)
    micro, macro, per = f1s(gold_sets, pred_sets)
    micro_raw = f1s(raw_sets, pred_sets)[0]
    exact = float(np.mean([g == p for g, p in zip(gold_sets, pred_sets)]))
    none_share = float(np.mean([not p for p in pred_sets]))
    e1, t1 = ece(dec_conf, dec_ok)
    e2, t2 = ece(all_conf, all_ok)
    return dict(micro=micro, micro_raw=micro_raw, macro=macro, per=per, exact=exact, none_share=none_share, n_items=len(items),
                role=role, ece_dec=e1, ece_tab=t1, n_dec=len(dec_conf), ece_all=e2, ece_all_tab=t2,
                n_all=len(all_conf), top_pred=top_pred, top_gold=top_gold)


def petr2_section():
    models = coder.default_models()
    val = plv_data.load_petr2_validation()
    ok, pred = [], []
    for i, r in enumerate(val):
        ev, _ = coder.extract_story_events(story(f"petr{i}", r["text"]), models)
        best = max(ev, key=lambda e: e["confidence"]) if ev else None
        p = MERGE.get(best["event_type"], best["event_type"]) if best else "NONE"
        pred.append(p)
        ok.append(p in r["gold"])
    return dict(acc=float(np.mean(ok)), n=len(val), pred=pred, gold=[r["gold"][0] for r in val],
                none_gold=sum(r["gold"] == ["NONE"] for r in val))


def bbc_section():
    from pipelines.core.clean.relevance import default_gate

    models = coder.default_models()
    gate = default_gate()
    out = {}
    for name, folders in (("sport+entertainment", ("sport", "entertainment")), ("politics", ("politics",))):
        n = with_ev = with_ev_gate = kept = rows = rows_gate = 0
        for folder in folders:
            for path in sorted((plv_data.BBC / folder).glob("*.txt")):
                rel = f"{folder}/{path.name}"
                if not plv_data.bbc_held_out(rel):
                    continue
                text = path.read_bytes().decode("utf-8", errors="replace")
                title = text.split("\n", 1)[0]
                n += 1
                ev, _ = coder.extract_story_events(story(rel, text), models)
                with_ev += bool(ev)
                rows += len(ev)
                codeable = bool(gate.codeable(title, text))
                kept += codeable
                if codeable:
                    with_ev_gate += bool(ev)
                    rows_gate += len(ev)
        out[name] = dict(n=n, with_ev=with_ev, rows=rows, kept=kept, with_ev_gate=with_ev_gate, rows_gate=rows_gate)
        print(name, out[name], flush=True)
    return out


def speed_section(n_docs: int = 60):
    """extract_story_events on a fixed random sample of BBC documents in this process (1 process, 1 ONNX thread),
    after a warm-up; the typer's share of the time. Indicative only: bench/run_pipeline.py is the measure."""
    import random

    models = coder.default_models()
    paths = sorted(plv_data.BBC.glob("*/*.txt"))
    random.Random(0).shuffle(paths)
    texts = [p.read_bytes().decode("utf-8", errors="replace") for p in paths[:n_docs]]
    coder.extract_story_events(story("warm", texts[0]), models)
    spent = {"typer": 0.0, "n": 0}
    real = models.typer.logits

    def timed(sentences):
        t = time.perf_counter()
        out = real(sentences)
        spent["typer"] += time.perf_counter() - t
        spent["n"] += len(sentences)
        return out

    models.typer.logits = timed
    try:
        t = time.perf_counter()
        for i, tx in enumerate(texts):
            coder.extract_story_events(story(f"bbc{i}", tx), models)
        el = time.perf_counter() - t
    finally:
        models.typer.logits = real
    return dict(n=n_docs, seconds=el, docs_h=n_docs / el * 3600, typer_s=spent["typer"], sentences=spent["n"])


def confusion_md(gold, pred) -> str:
    labels = sorted(set(gold) | set(pred))
    cnt = collections.Counter(zip(gold, pred))
    lines = ["| gold \\ pred | " + " | ".join(l[:4] for l in labels) + " |", "|---|" + "---|" * len(labels)]
    for g in labels:
        lines.append(f"| {g} | " + " | ".join(str(cnt.get((g, p), "")) for p in labels) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--typer-cache", type=Path, default=TTD.DEFAULT_CACHE)
    ap.add_argument("--skip-bbc", action="store_true")
    args = ap.parse_args()
    import subprocess

    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    t0 = time.time()
    plv = plv_section(args.typer_cache)
    print("plv", {k: plv[k] for k in ("micro", "micro_raw", "macro", "exact", "ece_dec", "ece_all")}, plv["role"], flush=True)
    petr = petr2_section()
    print("petr2", petr["acc"], flush=True)
    bbc = None if args.skip_bbc else bbc_section()
    speed = speed_section()
    print("speed", speed, flush=True)
    r = plv["role"]
    L = [f"# Event coder evaluation (through coder.extract_story_events) at {sha}", "",
         f"`.venv/bin/python bench/eval_events.py` ({time.time() - t0:.0f} s). Shipped: "
         f"{coder.default_models().version}.", "",
         "## PLV_train, 5 folds (typer, decider and ranker retrained without the test fold)", "",
         "| metric | value | issue 14 target |", "|---|---|---|",
         f"| type micro-F1 over sentence label sets ({plv['n_items']} sentences) | {plv['micro']:.3f} | >= 0.83 |",
         f"| type micro-F1 against PLV's own labels (sanctions as COERCE) | {plv['micro_raw']:.3f} | |",
         f"| type macro-F1 (15 types) | {plv['macro']:.3f} | |",
         f"| exact label-set accuracy | {plv['exact']:.3f} | |",
         f"| sentences with no event row | {plv['none_share']:.3f} | |",
         f"| source accuracy on type-matched rows ({r['n']} of {r['n_rows']} rows) | {r['source'] / max(r['n'], 1):.3f} | >= 0.85 |",
         f"| target accuracy on type-matched rows | {r['target'] / max(r['n'], 1):.3f} | >= 0.75 |",
         f"| ECE, emitted decisions (n={plv['n_dec']}) | {plv['ece_dec']:.3f} | <= 0.05 |",
         f"| ECE, all 15 type probabilities of prefiltered sentences (n={plv['n_all']}) | {plv['ece_all']:.3f} | <= 0.05 |",
         "", "Reliability (emitted decisions): bin, n, mean confidence, share correct", "",
         "| bin | n | conf | correct |", "|---|---|---|---|"]
    L += [f"| {b} | {n} | {c:.3f} | {a:.3f} |" for b, n, c, a in plv["ece_tab"]]
    L += ["", "Per type (PLV, pooled folds): tp / fp / fn, F1", "", "| type | tp | fp | fn | F1 |", "|---|---|---|---|---|"]
    for t, (a, b, c) in plv["per"].items():
        L.append(f"| {t} | {a} | {b} | {c} | {2 * a / (2 * a + b + c) if a else 0.0:.3f} |")
    L += ["", "Confusion (gold first label x highest-confidence emitted type, NONE = no row)", "",
          confusion_md(plv["top_gold"], plv["top_pred"]), "",
          f"## PETR2 validation ({petr['n']} sentences, never trained on; {petr['none_gold']} gold NONE)", "",
          f"type accuracy (highest-confidence row's type in the gold set, NONE when no row): **{petr['acc']:.3f}** "
          f"(target >= 0.70)", "", confusion_md(petr["gold"], petr["pred"]), ""]
    if bbc:
        L += ["## BBC held-out part (bench/plv_data.bbc_held_out)", "",
              "| folder | stories | with any event, no gate | rows | gate keeps | with any event, gate applied | rows |",
              "|---|---|---|---|---|---|---|"]
        for name, d in bbc.items():
            L.append(f"| {name} | {d['n']} | {d['with_ev']} ({d['with_ev'] / max(d['n'], 1):.1%}) | {d['rows']} | "
                     f"{d['kept']} | {d['with_ev_gate']} ({d['with_ev_gate'] / max(d['n'], 1):.1%}) | {d['rows_gate']} |")
        L += ["", "Targets: sport+entertainment <= 3 % with any event; politics >= 80 %. The training part of BBC is "
              "not scored here (the typer, decider and gate were trained on it)."]
    L += ["", "## Throughput (indicative; 1 process, 1 ONNX thread, machine shared with other jobs)", "",
          f"extract_story_events on {speed['n']} random BBC documents (no gate): {speed['seconds']:.1f} s = "
          f"**{speed['docs_h']:,.0f} docs/hour** per process; the typer took {speed['typer_s']:.1f} s for "
          f"{speed['sentences']} prefiltered sentences ({speed['sentences'] / max(speed['typer_s'], 1e-9):.0f}/s, one "
          "ONNX call per sentence). Issue 14 asks >= 100,000 docs/hour (bench/run_pipeline.py --scales 1, "
          "not run here)."]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(L) + "\n", encoding="utf-8")
    print(f"-> {OUT}")


if __name__ == "__main__":
    main()

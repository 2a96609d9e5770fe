"""Evaluation harness for the event extractor (writes bench/results/eval_events.md).

Reproduce:  .venv/bin/python bench/eval_events.py            (all sections, ~5-8 min on 2 cores)
            .venv/bin/python bench/eval_events.py --quick    (skip the BBC throughput run)

Sections
1. PLV_train (../shared/peer/plover/PLV_train.tsv, 1,050 sentences with marked source/target, gold root type;
   CONCEDE and RETREAT merged as YIELD). 5-fold CV (fixed permutation, seed 0); every fold trains its own model.
   - rules:      type of the trigger rule inside the source..target span (else nearest to it); no trigger = NONE
   - clf:        hashed n-gram logistic regression without rule features
   - clf+rules:  the same with rule-hit features (this is the shipped model's configuration)
2. PETR2_GSR_validation.xml: 78 sentences; gold CAMEO codes -> PLOVER via rules/cameo_plover.csv (codes of the
   CAMEO roots 01/02 have no PLOVER type and are dropped; "noevents" sentences are gold NONE). A prediction is
   correct when it is one of the sentence's gold types. The shipped model (trained on PLV only) is held-out here.
   - pipeline:   extract_events (rules + actors): type of the highest-confidence event, NONE when none
   - clf+rules:  the classifier's top type over the whole sentence (it always predicts a type)
   Actor-country match: for sentences where the pipeline's best event has the gold type, its source country
   equals the gold source code's first three letters (only gold codes that are ISO3 countries).
3. PLOVER_GSR_CAMEO.txt: 322 gold records (old names mapped: DEMAND->REQUEST, DISAPPROVE/INVESTIGATE->ACCUSE,
   FIGHT->ASSAULT); same two predictors; actor-country match against the first gold source code.
4. Throughput on the BBC corpus (2,225 docs): extract_events on every document as one story; wall time, stories/s,
   and the share of time spent in the resolvers (actors/dates/places/quantities), the trigger rules and the
   classifier. No NLP model (spaCy) is used by the extractor.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pipelines.core.extract import events as ev_mod  # noqa: E402
from pipelines.core.extract.event_classifier import MERGED, EventClassifier, load_default, train  # noqa: E402
from pipelines.core.extract.events import cameo_to_plover, extract_events, find_triggers  # noqa: E402
from train_event_classifier import load_plv  # noqa: E402

SHARED = ROOT / ".." / "shared"
OUT = ROOT / "bench" / "results" / "eval_events.md"
OLD_NAMES = {"DEMAND": "REQUEST", "DISAPPROVE": "ACCUSE", "INVESTIGATE": "ACCUSE", "FIGHT": "ASSAULT"}


# ----------------------------------------------------------------------------- metrics
def macro_f1(gold: list[str], pred: list[str], labels: list[str] | None = None) -> float:
    labels = labels or sorted(set(gold))
    f1s = []
    for c in labels:
        tp = sum(g == c and p == c for g, p in zip(gold, pred))
        fp = sum(g != c and p == c for g, p in zip(gold, pred))
        fn = sum(g == c and p != c for g, p in zip(gold, pred))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return float(np.mean(f1s)) if f1s else 0.0


def accuracy(gold, pred) -> float:
    return float(np.mean([g == p for g, p in zip(gold, pred)])) if gold else 0.0


def confusion_md(gold: list[str], pred: list[str]) -> str:
    labels = sorted(set(gold) | set(pred))
    cnt = collections.Counter(zip(gold, pred))
    short = {l: l[:4] for l in labels}
    lines = ["| gold \\ pred | " + " | ".join(short[l] for l in labels) + " |", "|---|" + "---|" * len(labels)]
    for g in labels:
        lines.append(f"| {g} | " + " | ".join(str(cnt.get((g, p), "")) for p in labels) + " |")
    return "\n".join(lines)


def per_class_md(gold, pred) -> str:
    lines = ["| type | n gold | precision | recall | F1 |", "|---|---|---|---|---|"]
    for c in sorted(set(gold)):
        tp = sum(g == c and p == c for g, p in zip(gold, pred))
        fp = sum(g != c and p == c for g, p in zip(gold, pred))
        fn = sum(g == c and p != c for g, p in zip(gold, pred))
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
        lines.append(f"| {c} | {tp + fn} | {pr:.2f} | {rc:.2f} | {f:.2f} |")
    return "\n".join(lines)


def merged(t: str) -> str:
    return MERGED.get(t, t)


# ----------------------------------------------------------------------------- 1. PLV_train CV
def rule_type_plv(sentence: str, between) -> str:
    trig = find_triggers(sentence)
    if not trig:
        return "NONE"
    if between:
        inside = [t for t in trig if between[0] <= t.start and t.end <= between[1]]
        if inside:
            return merged(max(inside, key=lambda t: (t.rule.score, t.end - t.start)).rule.event_type)
        return merged(min(trig, key=lambda t: min(abs(t.start - between[0]), abs(t.start - between[1]))).rule.event_type)
    return merged(max(trig, key=lambda t: t.rule.score).rule.event_type)


def eval_plv(k: int = 5) -> dict:
    rows = load_plv()
    gold = [r["gold"] for r in rows]
    folds = np.random.default_rng(0).permutation(len(rows)) % k
    preds = {"rules": [rule_type_plv(r["sentence"], r["between"]) for r in rows]}
    for name, use_rules in (("clf", False), ("clf+rules", True)):
        p = [None] * len(rows)
        for f in range(k):
            tr = [i for i in range(len(rows)) if folds[i] != f]
            te = [i for i in range(len(rows)) if folds[i] == f]
            clf = train([(rows[i]["sentence"], rows[i]["between"]) for i in tr], [gold[i] for i in tr], use_rules=use_rules)
            for i in te:
                p[i] = clf.predict(rows[i]["sentence"], rows[i]["between"])[0]
        preds[name] = p
    fold_acc = {name: [accuracy([gold[i] for i in range(len(rows)) if folds[i] == f],
                                [p[i] for i in range(len(rows)) if folds[i] == f]) for f in range(k)]
                for name, p in preds.items()}
    return {"n": len(rows), "gold": gold, "preds": preds, "fold_acc": fold_acc}


# ----------------------------------------------------------------------------- 2. PETR2
def load_petr2() -> list[dict]:
    raw = (SHARED / "peer" / "petrarch2" / "PETR2_GSR_validation.xml").read_text(encoding="utf-8")
    out = []
    for block in re.split(r"(?=<Sentence )", raw)[1:]:
        head = re.match(r'<Sentence[^>]*date="(\d{8})"[^>]*id="([^"]+)"', block)
        text = re.search(r"<Text>\s*(.*?)\s*</Text>", block, re.S)
        if not head or not text:
            continue
        codings = re.findall(r'<EventCoding\s+eventcode="(\d+)"\s+sourcecode="([^"]*)"\s+targetcode="([^"]*)"', block)
        noevent = "noevents" in block.split("<Text>")[0]
        gold = []
        for code, src, tgt in codings:
            typ, _ = cameo_to_plover(code)
            if typ:
                gold.append((typ, src, tgt))
        if not gold and not noevent:
            continue  # only CAMEO 01/02 codings: no PLOVER type to compare with
        d = head.group(1)
        out.append({"id": head.group(2), "date": dt.date(int(d[:4]), int(d[4:6]), int(d[6:])),
                    "text": " ".join(text.group(1).split()), "gold": gold})
    return out


def load_gsr() -> list[dict]:
    data = json.loads((SHARED / "peer" / "plover" / "PLOVER_GSR_CAMEO.txt").read_text(encoding="utf-8"))
    out = []
    for r in data:
        if r.get("event") in (None, "DOCUMENT") or not r.get("text"):
            continue
        typ = OLD_NAMES.get(r["event"], r["event"])
        src = r.get("source") or []
        src_code = src[0].get("code") if src and isinstance(src[0], dict) else None
        out.append({"id": r["id"], "text": r["text"], "date": dt.date(2000, 1, 1),
                    "gold": [(typ, src_code or "", "")]})
    return out


def _is_iso3(code: str) -> bool:
    import pycountry
    return bool(code) and len(code) >= 3 and pycountry.countries.get(alpha_3=code[:3]) is not None


def eval_sentences(items: list[dict], clf: EventClassifier | None) -> dict:
    stories = [{"story_id": it["id"], "text": it["text"], "title": None, "published_date": it["date"], "outlet": None}
               for it in items]
    events, _ = extract_events(stories)
    best: dict[str, dict] = {}
    for e in events:
        if e["story_id"] not in best or e["confidence"] > best[e["story_id"]]["confidence"]:
            best[e["story_id"]] = e
    res = {"pipeline": [], "clf+rules": []}
    gold_primary = {"pipeline": [], "clf+rules": []}
    country_hits = country_n = 0
    for it in items:
        gtypes = [g[0] for g in it["gold"]] or ["NONE"]
        b = best.get(it["id"])
        p_pipe = b["event_type"] if b else "NONE"
        p_clf = clf.predict(it["text"])[0] if clf is not None else "NONE"
        for name, p, cmp in (("pipeline", p_pipe, gtypes), ("clf+rules", p_clf, [merged(g) for g in gtypes])):
            gp = p if p in cmp else cmp[0]
            res[name].append(p)
            gold_primary[name].append(gp)
        if b and p_pipe in gtypes:
            codes = [g[1] for g in it["gold"] if g[0] == p_pipe and _is_iso3(g[1])]
            if codes:
                country_n += 1
                country_hits += int(b["source_country"] == codes[0][:3])
    out = {"n": len(items), "n_events": len(events)}
    for name in res:
        out[name] = {"acc": accuracy(gold_primary[name], res[name]),
                     "macro_f1": macro_f1(gold_primary[name], res[name]),
                     "gold": gold_primary[name], "pred": res[name]}
    out["country"] = (country_hits, country_n)
    return out


# ----------------------------------------------------------------------------- 4. throughput
def throughput() -> dict:
    import glob

    files = sorted(glob.glob(str(SHARED / "corpora" / "bbc-fulltext" / "*" / "*.txt")))
    stories = []
    for i, f in enumerate(files):
        raw = Path(f).read_bytes().decode("utf-8", errors="replace")
        title, _, body = raw.partition("\n")
        stories.append({"story_id": f"bbc-{i}", "text": body.strip(), "title": title.strip(),
                        "published_date": dt.date(2005, 1, 1), "outlet": "BBC"})
    n_words = sum(len(s["text"].split()) for s in stories)
    timers = collections.Counter()
    res = ev_mod._resolvers(None)
    clf = ev_mod._classifier()

    def timed(obj, attr, key):
        fn = getattr(obj, attr)

        def wrapper(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                timers[key] += time.perf_counter() - t0
        setattr(obj, attr, wrapper)
        return fn

    saved = [(res, "actors", timed(res, "actors", "actors (engineer B)")),
             (res, "resolve_date", timed(res, "resolve_date", "dates (B)")),
             (res, "find_place", timed(res, "find_place", "places (B)")),
             (res, "find_quantities", timed(res, "find_quantities", "quantities (B)"))]
    if clf is not None:
        saved.append((clf, "predict_proba", timed(clf, "predict_proba", "classifier (incl. its rule features)")))
    from pipelines.core.extract import roles as roles_mod

    roles_mod.parse_sentences(["Warm-up: the model loads once per process."])  # model load is not throughput
    saved.append((roles_mod, "parse_sentences", timed(roles_mod, "parse_sentences", "spaCy parse of trigger sentences (NLP model)")))
    saved.append((roles_mod, "dep_roles", timed(roles_mod, "dep_roles", "roles from the parse (own code)")))
    orig_ft = ev_mod.find_triggers

    def ft(*a, **kw):  # only the extractor's own calls (the classifier imported find_triggers by name)
        t0 = time.perf_counter()
        try:
            return orig_ft(*a, **kw)
        finally:
            timers["trigger rules + prefilter"] += time.perf_counter() - t0
    ev_mod.find_triggers = ft
    try:
        t0 = time.perf_counter()
        events, actors = extract_events(stories)
        wall = time.perf_counter() - t0
    finally:
        ev_mod.find_triggers = orig_ft
        for obj, attr, fn in saved:
            setattr(obj, attr, fn)
    # classifier features call find_triggers too: that time is counted inside "classifier" and "trigger rules"
    return {"stories": len(stories), "words": n_words, "wall": wall, "events": len(events), "actors": len(actors),
            "timers": dict(timers)}


# ----------------------------------------------------------------------------- report
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the BBC throughput run")
    args = ap.parse_args()
    t_start = time.perf_counter()
    md = ["# Event extractor evaluation", "",
          f"Generated by `.venv/bin/python bench/eval_events.py` on {dt.date.today().isoformat()} "
          "(2-core machine). Types are PLOVER; PLV_train merges CONCEDE and RETREAT as YIELD.", ""]

    plv = eval_plv()
    md += ["## 1. PLV_train (1,050 rows, 5-fold CV, models retrained per fold)", "",
           "| predictor | accuracy | macro-F1 | per-fold accuracy |", "|---|---|---|---|"]
    for name, p in plv["preds"].items():
        md.append(f"| {name} | {accuracy(plv['gold'], p):.3f} | {macro_f1(plv['gold'], p):.3f} | "
                  + ", ".join(f"{a:.3f}" for a in plv["fold_acc"][name]) + " |")
    md += ["", "Confusion matrix, clf+rules (held-out folds):", "", confusion_md(plv["gold"], plv["preds"]["clf+rules"]),
           "", "Per type, clf+rules:", "", per_class_md(plv["gold"], plv["preds"]["clf+rules"]),
           "", "Confusion matrix, rules only:", "", confusion_md(plv["gold"], plv["preds"]["rules"]), ""]
    print("PLV done", time.perf_counter() - t_start, flush=True)

    clf = load_default()
    for title, items in (("2. PETR2_GSR_validation.xml", load_petr2()), ("3. PLOVER_GSR_CAMEO.txt", load_gsr())):
        r = eval_sentences(items, clf)
        hits, n = r["country"]
        md += [f"## {title} ({r['n']} sentences, pipeline emitted {r['n_events']} event rows)", "",
               "| predictor | accuracy | macro-F1 |", "|---|---|---|",
               f"| pipeline (rules + actors; best event per sentence) | {r['pipeline']['acc']:.3f} | {r['pipeline']['macro_f1']:.3f} |",
               f"| clf+rules (shipped model, sentence only) | {r['clf+rules']['acc']:.3f} | {r['clf+rules']['macro_f1']:.3f} |",
               "", f"Actor-country match (pipeline source country = gold source country, among {n} sentences with a "
               f"correct type and an ISO3 gold source): **{hits}/{n} = {hits / n if n else 0:.3f}**", "",
               "Confusion matrix, pipeline:", "", confusion_md(r["pipeline"]["gold"], r["pipeline"]["pred"]), ""]
        print(title, "done", time.perf_counter() - t_start, flush=True)

    if not args.quick:
        t = throughput()
        md += ["## 4. Throughput on the BBC corpus", "",
               f"{t['stories']} stories, {t['words']:,} words -> {t['events']:,} event rows, {t['actors']:,} actors in "
               f"**{t['wall']:.1f} s = {t['stories'] / t['wall']:.1f} stories/s** (one process; spaCy parses only the sentences where a trigger fired and an actor was found).", "",
               "| component | seconds | share of wall |", "|---|---|---|"]
        for k, v in sorted(t["timers"].items(), key=lambda kv: -kv[1]):
            md.append(f"| {k} | {v:.1f} | {v / t['wall']:.0%} |")
        rest = t["wall"] - sum(t["timers"].values())
        md += [f"| sentence split, roles, factuality, dates fallback, rows (own code, remainder) | {max(rest, 0):.1f} | {max(rest, 0) / t['wall']:.0%} |", ""]
        print("throughput done", time.perf_counter() - t_start, flush=True)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(md) + "\n", encoding="utf-8")
    print(f"wrote {OUT} in {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()

"""Re-link a warehouse's staged event_mentions with the current link code (no re-extraction) and score news-cluster.

Usage:
  python bench/link_relink.py WAREHOUSE [--set JSON]          # P/R/coverage on all / tune (dev) / test halves
  python bench/link_relink.py WAREHOUSE --save DIR            # write the link output (events, clusters, links)
  python bench/link_relink.py WAREHOUSE --compare DIR         # identical link output to a saved snapshot?
  python bench/link_relink.py WAREHOUSE --no-eval             # skip scoring (e.g. a seeds warehouse)

--set takes linking.yaml overrides as JSON (nested dicts are merged one level deep). The halves are those of
bench/link_eval.py (`half_of`: a SHA-1 of the group's event_id): tune thresholds on `tune` only.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import link_eval as LE  # noqa: E402

from pipelines.core.link import link_events_explained, load_rules  # noqa: E402

EVENT_COLS = ("event_id", "event_cluster_id", "event_date", "date_precision", "extractor")


def relink(root: Path, over: dict):
    docs = pl.read_parquet(root / "parquet/documents/data.parquet")
    st = pl.read_parquet(root / "_stage/stories.parquet")
    men = pl.read_parquet(root / "_stage/event_mentions.parquet")
    base = load_rules()
    rules = {**base}
    for k, v in over.items():
        rules[k] = {**base[k], **v} if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    t = time.perf_counter()
    res = link_events_explained(men, st, rules, documents=docs)
    return docs, st, res, time.perf_counter() - t


def touching(docs, st, res, half: str) -> dict:
    """Precision over the predicted pairs with at least one article of `half`. A pair (a tune article, any other
    article) is gold only when both are in a's group, which lies in the same half: so this needs the labels of
    `half` only, and unlike the within-half precision it sees the false links from that half to the other one."""
    gold, label_of = LE.gold_pairs(LE.CORPUS / "labels.csv")
    arts = LE.clusters_by_article(docs, st, res.events, True)
    arts = {a: c for a, c in arts.items() if a in label_of}
    pred = {p for p in LE.predicted_pairs(arts) if LE.half_of(label_of[p[0]]) == half
            or LE.half_of(label_of[p[1]]) == half}
    tp = len(pred & gold)
    return {"pred": len(pred), "tp": tp, "precision": tp / len(pred) if pred else float("nan")}


def frames(res) -> dict[str, pl.DataFrame]:
    ev = res.events.select([c for c in EVENT_COLS if c in res.events.columns]).sort("event_id")
    return {"events": ev, "clusters": res.clusters.sort("event_cluster_id"), "links": res.links.sort("link_id")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("--set", default="{}", help="linking.yaml overrides (JSON)")
    ap.add_argument("--save", type=Path)
    ap.add_argument("--compare", type=Path)
    ap.add_argument("--no-eval", action="store_true")
    args = ap.parse_args(argv)
    docs, st, res, secs = relink(args.warehouse, json.loads(args.set))
    rules = dict(res.links["rule"].value_counts().iter_rows()) if res.links.height else {}
    print(f"{secs:.2f}s mentions={res.events.height} clusters={res.clusters.height} links={res.links.height} "
          f"by rule={rules}")
    out = frames(res)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, df in out.items():
            df.write_parquet(args.save / f"{name}.parquet")
    rc = 0
    if args.compare:
        for name, df in out.items():
            old = pl.read_parquet(args.compare / f"{name}.parquet")
            same = old.equals(df)
            print(f"  {name}: {'identical' if same else 'DIFFERENT'} ({old.height} vs {df.height} rows)")
            rc |= 0 if same else 1
    if not args.no_eval:
        r = LE.evaluate(docs, st, res.events, res.clusters, LE.CORPUS / "labels.csv")
        for h in ("all", "tune", "test"):
            x = r[f"with_dedup/{h}"]
            print(f"  {h}: P={x['precision']:.3f} R={x['recall']:.3f} F1={x['f1']:.3f} "
                  f"cov_med={x['coverage_median']:.2f} pairs={x['tp']}/{x['pairs_pred']} gold={x['pairs_gold']} "
                  f"arts_ev={x['articles_with_events']}/{x['articles']}"
                  + (f" | touching: P={tt['precision']:.3f} ({tt['tp']}/{tt['pred']})"
                     if h != "all" and (tt := touching(docs, st, res, h)) else ""))
    return rc


if __name__ == "__main__":
    sys.exit(main())

"""Evaluate event linking on ../shared/corpora/news-cluster against labels.csv (article-pair precision/recall).

An article pair (a, b) is *predicted* to report the same event when the two articles share at least one linked
event cluster (an event cluster with mentions in both). It is *gold* when labels.csv gives them the same event_id.
Precision = |pred ∩ gold| / |pred|, recall = |pred ∩ gold| / |gold| over unordered pairs of distinct articles.
A story that dedup marked as a duplicate carries no events of its own (events come from canonical stories); in the
"with dedup" figures it inherits the clusters of its canonical story (the pipeline's claim that it is the same
story), in the "events only" figures it does not.

Usage:
  python bench/link_eval.py --warehouse DIR          # evaluate a warehouse built by `newsevents run`
  python bench/link_eval.py --run [--warehouse DIR]  # run `newsevents run` on the corpus first (full pipeline)
  python bench/link_eval.py --core                   # no Dagster: ingest -> clean -> dedup -> extract -> link cores
  add --out bench/results/link_eval.md to write the markdown report.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpora" / "news-cluster"


def gold_pairs(labels_csv: Path) -> tuple[set[tuple[str, str]], dict[str, str]]:
    by_event: dict[str, list[str]] = defaultdict(list)
    label_of = {}
    with open(labels_csv, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            by_event[row["event_id"]].append(row["file"])
            label_of[row["file"]] = row["event_id"]
    pairs = set()
    for files in by_event.values():
        pairs.update(tuple(sorted(p)) for p in itertools.combinations(sorted(set(files)), 2))
    return pairs, label_of


def predicted_pairs(article_clusters: dict[str, set[str]]) -> set[tuple[str, str]]:
    by_cluster: dict[str, set[str]] = defaultdict(set)
    for art, cls in article_clusters.items():
        for c in cls:
            by_cluster[c].add(art)
    pairs = set()
    for arts in by_cluster.values():
        if len(arts) > 1:
            pairs.update(tuple(sorted(p)) for p in itertools.combinations(sorted(arts), 2))
    return pairs


def prf(pred: set, gold: set) -> dict[str, float]:
    tp = len(pred & gold)
    p = tp / len(pred) if pred else float("nan")
    r = tp / len(gold) if gold else float("nan")
    f = 2 * p * r / (p + r) if pred and gold and (p + r) else float("nan")
    return {"pairs_pred": len(pred), "pairs_gold": len(gold), "tp": tp, "precision": p, "recall": r, "f1": f}


def article_of(uri: str) -> str:
    return uri.split("#", 1)[0].rsplit("/", 1)[-1]


def clusters_by_article(documents: pl.DataFrame, stories: pl.DataFrame, events: pl.DataFrame, with_dedup: bool) -> dict[str, set[str]]:
    story_doc = stories.join(documents.select("doc_id", "source_uri"), on="doc_id", how="left")
    ev_by_story: dict[str, set[str]] = defaultdict(set)
    for sid, cid in events.select("story_id", "event_cluster_id").iter_rows():
        ev_by_story[sid].add(cid)
    out: dict[str, set[str]] = defaultdict(set)
    for sid, uri, cluster_id in story_doc.select("story_id", "source_uri", "cluster_id").iter_rows():
        art = article_of(uri)
        out[art] |= ev_by_story.get(sid, set())
        if with_dedup and cluster_id and cluster_id != sid:
            out[art] |= ev_by_story.get(cluster_id, set())
    return out


# ----------------------------------------------------------------------------------------------- data sources
def from_warehouse(root: Path) -> tuple[pl.DataFrame, ...]:
    pq = root / "parquet"
    return tuple(pl.read_parquet(pq / t / "data.parquet") for t in ("documents", "stories", "events", "event_clusters"))


def run_cli(input_dir: Path, root: Path) -> float:
    t0 = time.perf_counter()
    exe = Path(sys.executable).with_name("newsevents")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "pipelines.orchestration.cli"]
    subprocess.run(cmd + ["run", "--input", str(input_dir), "--warehouse", str(root)], check=True)
    return time.perf_counter() - t0


def from_cores(input_dir: Path) -> tuple[pl.DataFrame, ...]:
    """The stage cores chained without Dagster (same functions the assets call)."""
    from pipelines.core.clean import segment_document
    from pipelines.core.dedup import dedup_stories
    from pipelines.core.extract import extract_events
    from pipelines.core.ids import stable_id
    from pipelines.core.ingest import scan_folder
    from pipelines.core.ingest.frame import ingest_frames
    from pipelines.core.link import link_events

    docs, _ = ingest_frames(scan_folder(input_dir), now=datetime.now(timezone.utc).replace(tzinfo=None))
    rows = []
    for d in docs.iter_rows(named=True):
        pub = d["published_at"].date() if d["published_at"] else None
        stories, _spans = segment_document(d["raw_text"], title=d["title"], published=pub)
        for s in stories:
            rows.append({"story_id": stable_id("st", d["doc_id"], s["story_index"]), "doc_id": d["doc_id"],
                         "title": s.get("title"), "outlet": s.get("outlet"), "published_date": s.get("published_date"),
                         "text": s["text"]})
    stories = pl.DataFrame(rows, schema={"story_id": pl.Utf8, "doc_id": pl.Utf8, "title": pl.Utf8, "outlet": pl.Utf8,
                                         "published_date": pl.Date, "text": pl.Utf8})
    res = dedup_stories(stories)
    stories = stories.join(res.assignments.select("story_id", "cluster_id", "is_canonical"), on="story_id", how="left")
    canon = stories.filter(pl.col("is_canonical").fill_null(True))
    ev_rows, _actors = extract_events(canon.to_dicts())
    events = pl.DataFrame(ev_rows, infer_schema_length=None) if ev_rows else pl.DataFrame()
    events, clusters = link_events(events, stories, documents=docs)
    return docs, stories, events, clusters


# ----------------------------------------------------------------------------------------------- report
def half_of(event_id: str) -> str:
    """The labelled groups are split in two halves by a hash of their event_id: thresholds are chosen on `tune`
    only, `test` is reported untouched."""
    return "tune" if int(hashlib.sha1(event_id.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


def coverage(arts: dict[str, set[str]], label_of: dict[str, str], files: list[str]) -> dict[str, float]:
    """Per group: the share of its articles that carry the group's most-reported event cluster."""
    by_group: dict[str, list[str]] = defaultdict(list)
    for f in files:
        by_group[label_of[f]].append(f)
    out = {}
    for g, fs in by_group.items():
        cnt = Counter(c for f in fs for c in arts.get(f, ()))
        out[g] = (cnt.most_common(1)[0][1] / len(fs)) if cnt else 0.0
    return out


def evaluate(documents, stories, events, clusters, labels_csv: Path) -> dict:
    gold_all, label_of = gold_pairs(labels_csv)
    out = {"articles_labelled": len(label_of), "documents": documents.height, "stories": stories.height,
           "mentions": events.height, "clusters": clusters.height,
           "multi_story_clusters": clusters.filter(pl.col("n_stories") > 1).height}
    for name, dedup in (("with_dedup", True), ("events_only", False)):
        arts_all = clusters_by_article(documents, stories, events, dedup)
        for half in ("all", "tune", "test"):
            files = [f for f in label_of if half == "all" or half_of(label_of[f]) == half]
            keep = set(files)
            arts = {a: c for a, c in arts_all.items() if a in keep}
            gold = {p for p in gold_all if p[0] in keep and p[1] in keep}
            pred = {p for p in predicted_pairs(arts) if p[0] in keep and p[1] in keep}
            r = prf(pred, gold)
            r["articles"] = len(files)
            r["groups"] = len({label_of[f] for f in files})
            r["articles_with_events"] = sum(1 for a in files if arts.get(a))
            # the recall no linker can exceed: a gold pair whose article carries no event mention can share no cluster
            r["recall_ceiling"] = (sum(1 for a, b in gold if arts.get(a) and arts.get(b)) / len(gold)
                                   if gold else float("nan"))
            cov = coverage(arts, label_of, files)
            r["coverage_median"] = statistics.median(cov.values()) if cov else float("nan")
            # and the coverage it cannot exceed: per group, the share of its articles with any event mention
            by_g: dict[str, list[str]] = defaultdict(list)
            for f in files:
                by_g[label_of[f]].append(f)
            ceil = [sum(1 for f in fs if arts.get(f)) / len(fs) for fs in by_g.values()]
            r["coverage_ceiling_median"] = statistics.median(ceil) if ceil else float("nan")
            r["coverage"] = cov
            fp = sorted(pred - gold)
            r["false_pairs_sample"] = [(label_of[a], label_of[b]) for a, b in fp[:8]]
            out[f"{name}/{half}"] = r
        out[name] = out[f"{name}/all"]
    return out


def markdown(res: dict, how: str, seconds: float) -> str:
    lines = ["# Event linking on news-cluster (article-pair precision/recall)", "",
             f"Source: {how}; {seconds:.1f} s. Corpus: ../shared/corpora/news-cluster ({res['articles_labelled']} labelled "
             "articles, 69 same-event groups). Reproduce: `" + res.get("command", "") + "`.", "",
             f"documents {res['documents']}, stories {res['stories']}, event mentions {res['mentions']}, event clusters "
             f"{res['clusters']} ({res['multi_story_clusters']} with more than one story).", "",
             "| variant / half | predicted pairs | gold pairs | true pairs | precision | recall | F1 | articles with "
             "events | recall ceiling | median coverage (ceiling) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    notes = ["", "Notes: labels group articles at the *topic* level (e.g. one group holds North Korean missile launches "
             "from July, August, September and November 2017), while a cluster is one real-world event (one actor pair, "
             "one date window): recall at the article-pair level is bounded well below 1 by design, and is further "
             "limited by extraction (articles with no event, different event types or actors for the same news). "
             "Precision is what the linker controls. Halves: the 69 groups split by a SHA-1 of their event_id "
             "(`half_of`); thresholds in pipelines/rules/linking.yaml are chosen on `tune` only, `test` is held out "
             "(precision counts pairs with both articles in the half). Recall ceiling: the share of gold pairs whose "
             "two articles both carry an event mention (no linker can do better); coverage ceiling: per group, the "
             "share of its articles with any mention (median)."]
    for name in ("with_dedup", "events_only"):
        for half in ("all", "tune", "test"):
            r = res[f"{name}/{half}"]
            lines.append(f"| {name} / {half} | {r['pairs_pred']} | {r['pairs_gold']} | {r['tp']} | "
                         f"{r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['articles_with_events']}"
                         f"/{r['articles']} | {r['recall_ceiling']:.3f} | {r['coverage_median']:.2f} "
                         f"({r['coverage_ceiling_median']:.2f}) |")
    lines += notes
    lines += ["", "False pairs (gold event labels of the two articles), sample: " +
              ", ".join(f"{a} / {b}" for a, b in res["with_dedup"]["false_pairs_sample"]) if res["with_dedup"]["false_pairs_sample"] else "No false pairs.", ""]
    return "\n".join(lines)


SWEEP = [
    {},
    {"min_link_score_undated": 4},
    {"min_link_score_undated": 2},
    {"min_best_side": 1},
    {"broad_sectors": []},
    {"min_shared_terms": 99},
    {"windows_days": {"default": 5, "sanction": 5, "coerce": 5, "protest": 5, "consult": 5}},
]


def sweep(root: Path, labels_csv: Path) -> str:
    """Re-link the staged event_mentions of a warehouse under rule variants (linking.yaml overrides)."""
    from pipelines.core.link import link_events, load_rules

    docs = pl.read_parquet(root / "parquet" / "documents" / "data.parquet")
    stories = pl.read_parquet(root / "_stage" / "stories.parquet")
    mentions = pl.read_parquet(root / "_stage" / "event_mentions.parquet")
    base = load_rules()
    lines = ["| linking.yaml override | predicted pairs | precision | recall |", "|---|---|---|---|"]
    for over in SWEEP:
        ev, cl = link_events(mentions, stories, rules={**base, **over}, documents=docs)
        r = evaluate(docs, stories, ev, cl, labels_csv)["with_dedup"]
        label = ", ".join(f"{k}={v}" for k, v in over.items()) or "(defaults)"
        lines.append(f"| {label} | {r['pairs_pred']} | {r['precision']:.3f} | {r['recall']:.3f} |")
    return "\n".join(lines)


def scale(n: int, seed: int = 3) -> str:
    """Time link_events on n synthetic mentions (a year, 120 countries, 5 types, half of them undated), 3 mentions a
    story; every story has a title and a lead (town, type and country words), so story groups and story links run
    as in the pipeline."""
    import datetime as dt
    import random

    from pipelines.core.link import link_events

    rng = random.Random(seed)

    def word(k: int) -> str:
        out = "w"
        while True:
            k, r = divmod(k, 26)
            out += chr(97 + r)
            if not k:
                return out

    countries = [f"C{i:03d}" for i in range(120)]
    types = ["COERCE", "PROTEST", "SANCTION", "CONSULT", "ACCUSE"]
    stories, rows = [], []
    news_day: dict[int, dt.date] = {}
    for i in range(n):
        # a news item (index k) is reported by ~4 stories within 3 days; a third of their mentions are its event
        k = rng.randrange(max(1, n // 12))
        if i % 3 == 0:
            story_news = k
        k = story_news
        news_day.setdefault(k, dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(366)))
        day = news_day[k] + dt.timedelta(days=rng.randrange(3))
        sid = f"s{i // 3}"
        c = countries[k % 120] if i % 3 == 0 else rng.choice(countries)
        town = f"Town{k % 50}"
        if i % 3 == 0:
            # the title names its news item and draws from a 20,000-word vocabulary (letters only: the story-group
            # tokenizer reads words of letters)
            title = " ".join([word(k), town.lower()] + [word(rng.randrange(20000)) for _ in range(5)])
            stories.append({"story_id": sid, "doc_id": f"d{i // 3}", "outlet": f"O{i % 40}", "published_date": day,
                            "cluster_id": sid, "is_canonical": True, "title": title,
                            "text": f"{title}. Officials in {town} said {rng.randrange(100)} people were held."})
        ev = f"Police arrested protesters in {town}."
        dated = rng.random() < 0.5
        rows.append({"event_id": f"ev_{i:08d}", "story_id": sid, "evidence": ev,
                     "event_type": types[k % 5] if i % 3 == 0 else rng.choice(types),
                     "factuality": "asserted", "source_actor_id": f"{c}:COP", "source_country": c,
                     "target_actor_id": f"{rng.choice(countries)}:GOV", "target_country": None,
                     "event_date": day if dated else None, "date_precision": "day" if dated else "none",
                     "date_text": "x" if dated else None, "confidence": 0.5})
    ev = pl.DataFrame(rows, schema_overrides={"event_date": pl.Date, "target_country": pl.Utf8})
    st = pl.DataFrame(stories)
    t0 = time.perf_counter()
    _, cl = link_events(ev, st)
    t = time.perf_counter() - t0
    multi = cl.filter(pl.col("n_stories") > 1).height
    return (f"{n:,} synthetic mentions ({st.height:,} stories with title + lead) -> {cl.height:,} clusters "
            f"({multi:,} with more than one story) in {t:.1f} s ({n / t:,.0f} mentions/s, one process)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warehouse", type=Path, default=Path("/tmp/newsevents-nc-warehouse"))
    ap.add_argument("--run", action="store_true", help="run `newsevents run` on the corpus into --warehouse first")
    ap.add_argument("--core", action="store_true", help="chain the stage cores directly (no Dagster)")
    ap.add_argument("--relink", action="store_true",
                    help="re-link the warehouse's staged event_mentions with the current link code (no re-extraction)")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--sweep", action="store_true", help="also re-link the warehouse's staged mentions under rule variants")
    ap.add_argument("--scale", type=int, default=0, help="also time link_events on N synthetic mentions")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.core:
        frames, how = from_cores(args.corpus / "data"), "stage cores chained in-process (--core)"
        cmd = "python bench/link_eval.py --core"
    else:
        if args.run:
            run_cli(args.corpus / "data", args.warehouse)
        frames, how = from_warehouse(args.warehouse), f"warehouse {args.warehouse}" + (" built by `newsevents run`" if args.run else "")
        cmd = f"python bench/link_eval.py --run --sweep --scale 50000 --warehouse {args.warehouse}"
        if args.relink:
            from pipelines.core.link import link_events

            stories = pl.read_parquet(args.warehouse / "_stage" / "stories.parquet")
            mentions = pl.read_parquet(args.warehouse / "_stage" / "event_mentions.parquet")
            frames = (frames[0], stories, *link_events(mentions, stories, documents=frames[0]))
            how += ", its staged event_mentions re-linked with the current code (--relink)"
            cmd = cmd.replace(" --run", " [--run]") + " --relink"
    res = evaluate(*frames, args.corpus / "labels.csv")
    res["command"] = cmd
    seconds = time.perf_counter() - t0
    md = markdown(res, how, seconds)
    if args.sweep and not args.core:
        md += ("\n## Threshold sweep (same staged mentions, re-linked; with_dedup variant)\n\n"
               + sweep(args.warehouse, args.corpus / "labels.csv") + "\n")
    print(md)
    if args.scale:
        md += "\n## Scale\n\n" + scale(args.scale) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(md, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

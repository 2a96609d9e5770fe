"""Evaluate the clean stage (segmentation + furniture removal) and write bench/results/clean_eval.md.

    .venv/bin/python bench/clean_eval.py [--files 600] [--seed 13] [--samples 6]

1. seeds: stories per file (expected 1, 10, 12, 1, 1) and their titles;
2. synthetic glued BBC files (2-5 articles, three separator styles): boundary precision / recall / F1, title accuracy;
3. the 2,225 single-story BBC files: how many are (wrongly) split, wall time of the whole clean stage;
4. news-cluster (383 scraped articles with real furniture): removals per rule with a sample of removed lines.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.core.clean import segment_document  # noqa: E402
from pipelines.core.clean.synthetic import STYLES, boundary_scores, load_corpus, make_glued_files  # noqa: E402

SHARED = ROOT / ".." / "shared"
BBC = SHARED / "corpora" / "bbc-fulltext"
NEWS = SHARED / "corpora" / "news-cluster" / "data"


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=600)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--samples", type=int, default=6)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "clean_eval.md"))
    args = ap.parse_args()
    out: list[str] = ["# Clean stage evaluation", "",
                      f"Command: `.venv/bin/python bench/clean_eval.py --files {args.files} --seed {args.seed}`", ""]

    # 1. seeds
    out += ["## Seeds", "", "| file | stories | titles |", "|---|---|---|"]
    for p in sorted((ROOT / "seeds").glob("*.txt")):
        stories, _ = segment_document(p.read_text(encoding="utf-8"))
        titles = "; ".join(str(s["title"]) for s in stories)
        out.append(f"| {p.name} | {len(stories)} | {titles[:400]} |")
    out.append("")

    # 2. synthetic glued BBC files
    corpus = load_corpus(BBC)
    files = make_glued_files(corpus, args.files, seed=args.seed)
    t0 = time.perf_counter()
    res = boundary_scores(files, segment_document)
    dt_syn = time.perf_counter() - t0
    out += ["## Synthetic glued BBC files", "",
            f"{len(files)} files (seed {args.seed}), {sum(len(f.starts) for f in files)} articles, "
            f"styles {', '.join(STYLES)} in turn; {dt_syn:.1f} s.", "",
            "| style | files | tp | fp | fn | precision | recall | F1 |", "|---|---|---|---|---|---|---|---|"]
    for style in STYLES + ("all",):
        sub = files if style == "all" else [f for f in files if f.style == style]
        r = res if style == "all" else boundary_scores(sub, segment_document)
        out.append(f"| {style} | {len(sub)} | {r['tp']} | {r['fp']} | {r['fn']} | {r['precision']:.4f} | "
                   f"{r['recall']:.4f} | {r['f1']:.4f} |")
    out += ["", f"Title accuracy (files with the right story count): {res['title_accuracy']:.4f}", ""]
    if res["errors"]:
        out += ["Boundary errors (text around each missed or spurious boundary):", ""]
        for gf, fps, fns in res["errors"][:10]:
            for x in fns:
                out.append(f"- missed ({gf.style}): `{gf.text[max(0, x - 80):x + 50]!r}`")
            for x in fps:
                out.append(f"- spurious ({gf.style}): `{gf.text[max(0, x - 80):x + 50]!r}`")
        out.append("")

    # 3. single-story BBC files: speed and over-splitting
    texts = [decode(p.read_bytes()) for p in sorted(BBC.glob("*/*.txt"))]
    t0 = time.perf_counter()
    n_split = n_spans = n_stories = 0
    bbc_rules: collections.Counter = collections.Counter()
    for t in texts:
        stories, spans = segment_document(t)
        n_stories += len(stories)
        n_split += len(stories) != 1
        n_spans += len(spans)
        bbc_rules.update(s["rule"] for s in spans)
    dt_bbc = time.perf_counter() - t0
    out += ["## BBC corpus as single documents", "",
            f"{len(texts)} files, {sum(map(len, texts)) / 1e6:.1f} M chars: {n_stories} stories, {n_split} files split "
            f"into more than one story, {n_spans} removed spans ({dict(bbc_rules)}); clean stage core "
            f"{dt_bbc:.2f} s ({len(texts) / dt_bbc:.0f} docs/s, one process).", ""]

    # 3b. the stage as the asset runs it: documents frame -> frames -> pandera validation -> offset check
    import polars as pl

    from pipelines.core.clean import check_offsets, stories_and_spans
    from pipelines.core.ids import stable_id
    from schemas.removed_spans import RemovedSpans
    from schemas.stories import CleanStories

    docs = pl.DataFrame({"doc_id": [stable_id("doc", i) for i in range(len(texts))],
                         "source_uri": [str(i) for i in range(len(texts))], "raw_text": texts,
                         "title": [None] * len(texts), "published_at": [None] * len(texts)},
                        schema_overrides={"title": pl.Utf8, "published_at": pl.Datetime})
    t0 = time.perf_counter()
    st_df, sp_df = stories_and_spans(docs)
    t1 = time.perf_counter()
    CleanStories.validate(st_df, lazy=True)
    RemovedSpans.validate(sp_df, lazy=True)
    t2 = time.perf_counter()
    bad = check_offsets(st_df, sp_df, docs)
    t3 = time.perf_counter()
    out += [f"Whole stage on the BBC documents frame: segmentation+frames {t1 - t0:.2f} s, pandera validation "
            f"{t2 - t1:.2f} s, offset check {t3 - t2:.2f} s (total {t3 - t0:.2f} s; {len(bad)} offset violations).", ""]

    # 4. news-cluster: what each rule removed
    recs = []
    for p in sorted(NEWS.glob("*.json")):
        d = json.loads(p.read_text(encoding="utf-8"))
        text = d.get("maintext") or d.get("text") or ""
        recs.append((p.name, text, d.get("title"), d.get("date_publish")))
    per_rule: collections.Counter = collections.Counter()
    samples: dict[str, list[str]] = collections.defaultdict(list)
    n_multi = 0
    n_words_before = n_words_after = 0
    for name, text, title, date in recs:
        stories, spans = segment_document(text, title=title, published=date if date not in (None, "None") else None)
        n_multi += len(stories) > 1
        n_words_before += len(text.split())
        n_words_after += sum(s["n_words"] for s in stories)
        for s in spans:
            per_rule[s["rule"]] += 1
            if len(samples[s["rule"]]) < args.samples:
                samples[s["rule"]].append(s["text"].replace("\n", " ")[:160])
    # publication dates with the metadata hidden: how often explicit/inferred dates agree with date_publish
    import datetime as _dt
    agree = {"explicit": [0, 0], "inferred": [0, 0]}
    n_dated = 0
    for name, text, title, date in recs:
        if date in (None, "None"):
            continue
        n_dated += 1
        truth = _dt.date.fromisoformat(str(date)[:10])
        stories, _ = segment_document(text, title=title)
        if stories and stories[0]["published_date_source"] in agree:
            a = agree[stories[0]["published_date_source"]]
            a[1] += 1
            a[0] += abs((stories[0]["published_date"] - truth).days) <= 1
    date_line = (f"Publication dates with the record's metadata hidden ({n_dated} records with date_publish): "
                 + ", ".join(f"{k} {v[1]} ({v[0]} within 1 day of date_publish)" for k, v in agree.items())
                 + f", none {n_dated - sum(v[1] for v in agree.values())}.")
    out += ["## news-cluster (real scraped furniture)", "", date_line, "",
            f"{len(recs)} articles; {n_multi} split into more than one story; words {n_words_before} -> "
            f"{n_words_after} ({100 * (1 - n_words_after / max(1, n_words_before)):.1f} % removed).", "",
            "| rule | removed spans |", "|---|---|"]
    for rule, n in per_rule.most_common():
        out.append(f"| {rule} | {n} |")
    out += ["", "Samples of removed text per rule (first ones in file order):", ""]
    for rule, n in per_rule.most_common():
        out.append(f"- **{rule}**")
        for s in samples[rule]:
            out.append(f"  - `{s}`")
    out.append("")
    Path(args.out).write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out[:60]))
    print(f"... written to {args.out}")


if __name__ == "__main__":
    main()

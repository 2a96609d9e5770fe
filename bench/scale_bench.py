"""Cost blow-ups of issue 18: very many tiny records, and one giant repetitive record, end to end.

Builds its inputs itself under a temp folder (nothing is committed that is data), runs `newsevents run` on each in a
subprocess (a fresh warehouse per case), samples the RSS of the run and its children (psutil, every 0.1 s) and
parses the CLI's per-stage lines (`  ▶ step` / `  ✓ step` with elapsed seconds) into per-stage wall seconds.

    .venv/bin/python bench/scale_bench.py [--tiny 1250000] [--giant-mb 5] [--cases tiny,giant] \
        [--label WHAT] [--out bench/results/scale_bench.md]

Cases:
- tiny: `--tiny` JSONL records of 3-6 words each ("Item 123456 noted by Anna."), spread over files of 50,000
  records (the ingest size limit is per file); 1 in 10 repeats an earlier record's text exactly (exact duplicates).
- dedup: the dedup core alone on `--tiny` stories of the same kind, in-process (CPU seconds; see run_dedup_only).
- giant: one .txt file of one sentence repeated to `--giant-mb` MB.
Targets (issue 18): tiny 1.25 M <= 180 s, giant 5 MB <= 15 s.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import polars as pl
import psutil

REPO = Path(__file__).resolve().parents[1]
RECORDS_PER_FILE = 50_000
GIANT_SENTENCE = "Protesters marched through the capital on Sunday demanding the release of detained journalists. "
_WORDS = ("noted", "seen", "filed", "logged", "posted", "listed", "shown", "kept", "read", "sent")
_NAMES = ("Anna", "Boris", "Chen", "Dana", "Emil", "Farah", "Goran", "Hana", "Ivan", "Jana")
_STEP = re.compile(r"^\s*([\d.]+)s\s+([▶✓✗])\s+(\S+)")


def build_tiny(folder: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    for f0 in range(0, n, RECORDS_PER_FILE):
        lines = []
        for i in range(f0, min(n, f0 + RECORDS_PER_FILE)):
            if texts and rng.random() < 0.1:
                text = texts[rng.randrange(len(texts))]
            else:
                text = f"Item {i} {rng.choice(_WORDS)} by {rng.choice(_NAMES)}."
                if len(texts) < 100_000:
                    texts.append(text)
            lines.append(json.dumps({"title": f"t{i}", "maintext": text, "date_publish": "2020-08-10 12:00:00"}))
        (folder / f"tiny_{f0 // RECORDS_PER_FILE:04d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_giant(folder: Path, mb: float) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    reps = int(mb * 1_000_000 // len(GIANT_SENTENCE.encode()))
    (folder / "giant.txt").write_text(GIANT_SENTENCE * reps, encoding="utf-8")


def run_dedup_only(n: int, tmp: Path) -> dict:
    """The dedup core alone (dedup_stories, as the asset calls it: lazy Parquet input, a workdir, then the index
    written chunk by chunk) on n tiny stories, in this process: CPU seconds do not depend on the machine's load.
    The `pipelines` imported is the first on sys.path (PYTHONPATH=<an old checkout> measures old code)."""
    import pipelines
    from pipelines.core.dedup import dedup_stories, load_config

    rng = random.Random(7)
    src = tmp / "stories"
    src.mkdir(parents=True, exist_ok=True)
    per = RECORDS_PER_FILE
    for f0 in range(0, n, per):
        ids = range(f0, min(n, f0 + per))
        pl.DataFrame({"story_id": [f"st_{i:09d}" for i in ids], "doc_id": [f"doc_{i}" for i in ids],
                      "text": [f"Item {i} {rng.choice(_WORDS)} by {rng.choice(_NAMES)}." for i in ids],
                      "published_date": [None] * len(ids), "raw_start": [0] * len(ids), "raw_end": [30] * len(ids)},
                     schema_overrides={"published_date": pl.Date}).write_parquet(
            src / f"b{f0 // per:04d}.parquet", row_group_size=1024)
    cfg = load_config()
    c0, t0 = time.process_time(), time.perf_counter()
    res = dedup_stories(pl.scan_parquet(sorted(src.glob("*.parquet"))), None, cfg, retire_missing=True,
                        workdir=tmp / "work")
    res.write_index(tmp / "work" / "index.parquet", cfg.chunk_size)
    return {"rc": 0, "what": f"dedup core only, {n:,} tiny stories ({Path(pipelines.__file__).parent.parent})",
            "wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(time.process_time() - c0, 1),
            "peak_rss_mb": round(psutil.Process().memory_info().rss / 2**20), "stages_s": res.stats["seconds"],
            "load_before": "", "load_after": round(os.getloadavg()[0], 2), "published": {}}


def run_case(input_dir: Path, warehouse: Path) -> dict:
    env = dict(os.environ, PYTHONHASHSEED="0")
    cmd = [str(REPO / ".venv" / "bin" / "newsevents"), "run", "--input", str(input_dir), "--warehouse", str(warehouse)]
    load_before = os.getloadavg()[0]
    c0 = psutil.Process().cpu_times()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    peak = [0]

    def sample() -> None:
        try:
            p = psutil.Process(proc.pid)
            while proc.poll() is None:
                rss = 0
                for q in [p, *p.children(recursive=True)]:
                    try:
                        rss += q.memory_info().rss
                    except psutil.Error:
                        pass
                peak[0] = max(peak[0], rss)
                time.sleep(0.1)
        except psutil.Error:
            pass

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out = proc.stdout.read()
    rc = proc.wait()
    wall = time.perf_counter() - t0
    th.join(timeout=1)
    cpu = psutil.Process().cpu_times()
    starts: dict[str, float] = {}
    stages: dict[str, float] = {}
    for line in out.splitlines():
        m = _STEP.match(line)
        if not m:
            continue
        t, mark, step = float(m.group(1)), m.group(2), m.group(3)
        if mark == "▶":
            starts[step] = t
        elif step in starts:
            stages[step] = round(stages.get(step, 0.0) + t - starts.pop(step), 1)
    published = {}
    if rc == 0:
        import duckdb

        with duckdb.connect(str(warehouse / "newsevents.duckdb"), read_only=True) as con:
            published = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                         for t in ("documents", "stories", "story_duplicates", "events", "quarantine")}
            published["quarantine_rules"] = dict(con.execute(
                "SELECT rule, count(*) FROM quarantine GROUP BY rule ORDER BY 2 DESC").fetchall())
    return {"rc": rc, "wall_s": round(wall, 1), "published": published, "peak_rss_mb": round(peak[0] / 2**20),
            "cpu_s": round(cpu.children_user + cpu.children_system - c0.children_user - c0.children_system, 1),
            "stages_s": stages,
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "tail": out.splitlines()[-12:]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", type=int, default=1_250_000)
    ap.add_argument("--giant-mb", type=float, default=5.0)
    ap.add_argument("--cases", default="tiny,giant")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "scale_bench.md"))
    ap.add_argument("--label", default="", help="a word saying which code ran (e.g. a commit)")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (inputs + warehouses)")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="scale_bench_"))
    results = {}
    try:
        for case in args.cases.split(","):
            inp = tmp / case / "input"
            t0 = time.perf_counter()
            if case == "dedup":
                r = run_dedup_only(args.tiny, tmp / case)
                r.update(case=case, build_s=0)
                print(json.dumps(r), flush=True)
                results[case] = r
                continue
            if case == "tiny":
                build_tiny(inp, args.tiny)
                what = f"{args.tiny:,} tiny JSONL records"
            elif case == "giant":
                build_giant(inp, args.giant_mb)
                what = f"one {args.giant_mb:g} MB record of one repeated sentence"
            else:
                raise SystemExit(f"unknown case {case}")
            build_s = time.perf_counter() - t0
            r = run_case(inp, tmp / case / "warehouse")
            r.update(case=case, what=what, build_s=round(build_s, 1))
            print(json.dumps({k: v for k, v in r.items() if k != "tail"}), flush=True)
            if r["rc"] != 0:
                print("\n".join(r["tail"]), file=sys.stderr)
            results[case] = r
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    write_report(Path(args.out), results, args)
    return 0 if all(r["rc"] == 0 for r in results.values()) else 1


HEADER = ("# scale_bench: the cost blow-ups of issue 18\n\n"
          "`.venv/bin/python bench/scale_bench.py [--cases tiny,giant] [--label WHAT]`: each run appends its rows here"
          " (and to the .json beside it). 2 cores shared with other sessions: compare CPU seconds when the load"
          " average (before/after) is above 2. Targets: 1.25 M tiny records <= 180 s, 5 MB repeated sentence"
          " <= 15 s, both end to end through `newsevents run`.\n\n"
          "| when | code | case | exit | wall s | CPU s | peak RSS MB | load | slowest stages (s) | published |\n"
          "|---|---|---|---|---|---|---|---|---|---|\n")


def write_report(out: Path, results: dict, args) -> None:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows = []
    for r in results.values():
        stages = ", ".join(f"{k} {v}" for k, v in sorted(r["stages_s"].items(), key=lambda kv: -kv[1])[:6])
        pub = r.get("published") or {}
        pub_s = ", ".join(f"{k} {v}" for k, v in pub.items() if k != "quarantine_rules")
        if pub.get("quarantine_rules"):
            pub_s += "; quarantine rules " + ", ".join(f"{k} {v}" for k, v in pub["quarantine_rules"].items())
        rows.append(f"| {when} | {args.label} | {r['what']} | {r['rc']} | {r['wall_s']} | {r['cpu_s']} | "
                    f"{r['peak_rss_mb']} | {r['load_before']}/{r['load_after']} | {stages} | {pub_s} |")
    out.parent.mkdir(parents=True, exist_ok=True)
    text = out.read_text(encoding="utf-8") if out.exists() else HEADER
    out.write_text(text + "\n".join(rows) + "\n", encoding="utf-8")
    js = out.with_suffix(".json")
    runs = json.loads(js.read_text(encoding="utf-8")) if js.exists() else []
    runs.append({"when": when, "label": args.label, "results": results})
    js.write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")
    print("\n".join(rows))


if __name__ == "__main__":
    raise SystemExit(main())

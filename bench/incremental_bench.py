"""Incremental-run benchmark (issue 7): full BBC run vs the same warehouse after adding 10 new documents.

    python bench/incremental_bench.py [--repeat 3] [--workdir DIR] [--out bench/results/incremental_bench.md]
                                      [--no-rebuild] [--profile FILE.prof] [--watch]

1. the BBC corpus (2,225 docs) is copied to WORKDIR/corpus and run once into a fresh warehouse (the full run);
2. the warehouse is snapshotted; 10 new documents (the first 10 synthetic documents of copy 1 of bench/enlarge.py's
   enlargement, exactly as bench/run_pipeline.py builds them) are added in WORKDIR/corpus/new-batch;
3. the incremental run is repeated --repeat times, each time from a fresh copy of the snapshot (so every repeat
   measures "10 new docs into the full warehouse"); the median is reported, every repeat is listed;
4. a re-run on unchanged input (after the last incremental run) is measured too;
5. unless --no-rebuild: a full rebuild of the same 2,235 documents into a fresh warehouse, compared table by table
   with the incremental warehouse (pipelines.core.publish.compare.compare_warehouses, documents.ingested_at left out).

Every run is a fresh process that does what `newsevents run` does (pipelines.orchestration.runner.run_in_process on an
ephemeral Dagster instance: plan ingest batches, a run per new batch, then the downstream run; gc.freeze() as the
console script does). Reported per run:
wall (process start -> exit, measured by the parent), imports (process start -> Definitions built), job
(execute_in_process), per-step seconds (STEP_START -> STEP_SUCCESS from the run's events), CPU-s, the 1-minute load
average before -> after. The machine is shared (2 cores): compare runs only at similar load.

Python byte-code: this environment may set PYTHONDONTWRITEBYTECODE=1, in which case nothing is ever cached in
__pycache__ and every process recompiles all imported modules from source (seconds of wall). The table states
whether the .pyc files were present. `--profile FILE` additionally writes a cProfile of one incremental run.

6. with --watch: the same measurement inside `newsevents watch` (one long-lived process, pipelines/orchestration/watch.py): on a
   fresh warehouse its first update is the full run, then --repeat times 10 new documents (copies 1..repeat of the
   enlargement, one folder each, renamed into the corpus in one step) and the update that picks them up; the
   watcher's warehouse is then compared with a full rebuild of its input.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CODE = Path(os.environ.get("INCBENCH_CODE_ROOT") or REPO)  # checkout whose `pipelines` is measured (--code-root)
BBC = REPO.parent / "shared" / "corpora" / "bbc-fulltext"
PY = sys.executable
STEP_ORDER = ["documents", "clean", "dedup", "extract", "link", "quarantine", "report", "warehouse"]


# ---------------------------------------------------------------------------------------------- worker
def worker(input_dir: str, warehouse: str, out_json: str, t_spawn: float, profile: str | None,
           gc_freeze: bool = False) -> None:
    """What `newsevents run` does, in this process, timed; result as JSON. gc_freeze: as the console script does
    (gc.freeze() once the Definitions are built and again before exit; pipelines/orchestration/cli.py)."""
    import gc
    import resource

    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t_start = time.time()
    from dagster import DagsterInstance

    from pipelines.definitions import build_definitions
    from pipelines.orchestration.runner import run_in_process

    defs = build_definitions(input_dir, warehouse)
    if gc_freeze:
        gc.freeze()
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="incbench-dagster-") as tmp:
        instance = DagsterInstance.ephemeral(tempdir=tmp)
        # exactly what `newsevents run` does: plan ingest batches, a run per new batch, then the downstream run
        result = run_in_process(defs, instance)
        t1 = time.time()
        from run_pipeline import step_log  # bench/ is this script's folder

        logged, mats = step_log(instance, result)
        steps = {k: v["seconds"] for k, v in logged.items() if v["status"] == "STEP_SUCCESS"}
        meta = {key: {k: md[k] for k in ("stories_extracted", "stories_reused_from_cache", "reused",
                                         "dagster/row_count") if k in md and isinstance(md[k], (int, float, str, bool))}
                for key, _, md in mats}
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    ru_self, ru_kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(out_json).write_text(json.dumps({
        "success": result.success,
        "interpreter_seconds": round(t_start - t_spawn, 3),
        "import_seconds": round(t0 - t_start, 3),
        "job_seconds": round(t1 - t0, 3),
        "cpu_seconds": round(ru_self.ru_utime + ru_self.ru_stime + ru_kids.ru_utime + ru_kids.ru_stime, 2),
        "steps": steps,
        "assets": meta,
        "end_time": time.time(),
    }))
    if gc_freeze:
        gc.freeze()


# ---------------------------------------------------------------------------------------------- parent
def _load() -> float:
    return round(os.getloadavg()[0], 2)


def measured_run(corpus: Path, wh: Path, profile: str | None = None, gc_freeze: bool = True) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    load0 = _load()
    t_spawn = time.time()
    args = [PY, str(Path(__file__).resolve()), "--worker", str(corpus), str(wh), out, repr(t_spawn)]
    if profile:
        args += ["--profile", profile]
    if gc_freeze:
        args.append("--gc-freeze")
    proc = subprocess.run(args, cwd=CODE, capture_output=True, text=True, env={**os.environ, "INCBENCH_CODE_ROOT": str(CODE)})
    t_exit = time.time()
    wall = t_exit - t_spawn
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    data = json.loads(Path(out).read_text())
    os.unlink(out)
    if not data["success"]:
        raise RuntimeError(f"pipeline run failed: {data['steps']}")
    data.update(wall_seconds=round(wall, 2), exit_seconds=round(t_exit - data.pop("end_time"), 2), load_before=load0, load_after=_load())
    return data


def add_new_documents(corpus: Path, workdir: Path, n: int = 10, copy: int = 1, folder: str = "new-batch") -> list[Path]:
    """The first n synthetic documents of copy `copy` of bench/enlarge.py (copy 1 = as bench/run_pipeline.py adds
    them), in corpus/`folder`. The folder is filled beside the corpus and renamed into it in one step, so a watcher
    polling the corpus never sees part of it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from enlarge import enlarge

    extra = workdir / "extra-src"
    shutil.rmtree(extra, ignore_errors=True)
    enlarge(BBC, extra, copy + 1)
    staging = workdir / f"staging-{folder}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    new_dir = corpus / folder
    out = []
    for i, p in enumerate(sorted((extra / f"synth-{copy:03d}").rglob("*.txt"))[:n]):
        dest = staging / f"{i:02d}-{p.parent.name}-{p.name}"
        shutil.copyfile(p, dest)
        out.append(new_dir / dest.name)
    if new_dir.exists():  # an earlier run of this bench in the same workdir
        shutil.rmtree(new_dir)
    os.rename(staging, new_dir)
    shutil.rmtree(extra, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------------------------- watch mode
def _watch_records(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _wait_for(log: Path, proc, pred, timeout: float = 900.0) -> dict:
    """The first record of the watcher's JSON log, after those already seen, that satisfies pred."""
    seen = len(_watch_records(log))
    t0 = time.time()
    while time.time() - t0 < timeout:
        recs = _watch_records(log)
        for r in recs[seen:]:
            if pred(r):
                return r
        seen_now = len(recs)
        if proc.poll() is not None:
            raise RuntimeError(f"watcher exited ({proc.returncode}):\n{proc.stderr.read()[-3000:] if proc.stderr else ''}")
        seen = seen_now
        time.sleep(0.05)
    raise TimeoutError(f"no matching watch record within {timeout} s")


def watch_measurements(work: Path, repeat: int, log) -> dict:
    """`newsevents watch` (one long-lived process) on a fresh warehouse: its first update is the full run of the
    BBC corpus; then `repeat` times 10 new documents (copies 1..repeat of the enlargement, one folder each, moved
    into the corpus in one rename) and the update that picks them up. Between additions the watcher must report an
    idle (skipped) cycle. The watcher's peak RSS is sampled every 0.1 s (psutil)."""
    import psutil

    corpus, wh, wlog = work / "corpus-watch", work / "wh-watch", work / "watch.jsonl"
    for d in (corpus, wh):
        shutil.rmtree(d, ignore_errors=True)
    wlog.unlink(missing_ok=True)
    shutil.copytree(BBC, corpus)
    cmd = [PY, "-m", "pipelines.orchestration.cli", "watch", "--input", str(corpus), "--warehouse", str(wh), "--interval", "0.2",
           "--log-json", str(wlog), "--quiet"]
    load0 = _load()
    proc = subprocess.Popen(cmd, cwd=CODE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = {"rss": 0.0}
    stop = False

    def sample() -> None:
        ps = psutil.Process(proc.pid)
        while not stop:
            try:
                rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            except psutil.Error:
                break
            peak["rss"] = max(peak["rss"], rss / 2**20)
            time.sleep(0.1)

    import threading

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        warm = _wait_for(wlog, proc, lambda r: r["event"] == "warm_up")
        full = _wait_for(wlog, proc, lambda r: r["event"] == "update")
        log(f"watch: warm-up {warm['seconds']} s, full run {full['seconds']} s")
        idle = _wait_for(wlog, proc, lambda r: r["event"] == "update" and r["skipped"])
        adds = []
        for k in range(1, repeat + 1):
            add_new_documents(corpus, work, copy=k, folder=f"new-batch-{k}")
            adds.append(_wait_for(wlog, proc, lambda r: r["event"] == "update" and not r["skipped"]))
            log(f"watch: +10 docs ({k}) {adds[-1]['seconds']} s {adds[-1]['steps']}")
            _wait_for(wlog, proc, lambda r: r["event"] == "update" and r["skipped"])
        proc.send_signal(15)
        proc.wait(timeout=120)
    finally:
        stop = True
        if proc.poll() is None:
            proc.kill()
    return {"warm_up": warm, "full": full, "idle": idle, "adds": adds, "returncode": proc.returncode,
            "peak_rss_mib": round(peak["rss"], 1), "load_before": load0, "load_after": _load(),
            "corpus": str(corpus), "warehouse": str(wh),
            "docs": sum(1 for p in corpus.rglob("*.txt") if not p.name.upper().startswith("README"))}


def bytecode_state() -> str:
    import importlib.util

    spec = importlib.util.find_spec("dagster")
    cached = spec is not None and spec.cached is not None and Path(spec.cached).exists()
    flag = "PYTHONDONTWRITEBYTECODE=1" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "byte-code writing on"
    return f"{flag}; site-packages .pyc {'present' if cached else 'absent (every process compiles from source)'}"


def code_label() -> str:
    from run_pipeline import code_label as label  # bench/ is this script's folder

    return label(CODE)


def _steps_row(label: str, r: dict) -> str:
    return f"| {label} | " + " | ".join(str(r["steps"].get(s, "")) for s in STEP_ORDER) + " |"


def render(res: dict) -> str:
    full, incs = res["full"], res["incremental"]
    L = ["# Incremental benchmark (bench/incremental_bench.py)", "",
         f"Run {res['started']} UTC, code {res['code']}: `python bench/incremental_bench.py {' '.join(res['argv'])}`  ",
         f"Code measured: {res.get('code_root', CODE)}  ",
         f"Python {sys.version.split()[0]}, {os.cpu_count()} logical cores (shared machine); byte-code: {res['bytecode']}", "",
         "Each run is a fresh process doing what `newsevents run` does (ephemeral Dagster instance). wall = process "
         "start → exit; imports = process start → Definitions built (interpreter start-up included); job = "
         "execute_in_process; load = 1-minute load average before → after (2 cores: > 2 means contention).", "",
         "| run | wall s | imports s | job s | exit s | CPU-s | % of full wall | % of full job | load |", "|---|---|---|---|---|---|---|---|---|"]

    def row(label: str, r: dict) -> str:
        imp = round(r["interpreter_seconds"] + r["import_seconds"], 2)
        return (f"| {label} | {r['wall_seconds']} | {imp} | {r['job_seconds']} | {r.get('exit_seconds', '')} | {r['cpu_seconds']} | "
                f"{100 * r['wall_seconds'] / full['wall_seconds']:.1f} % | {100 * r['job_seconds'] / full['job_seconds']:.1f} % | "
                f"{r['load_before']} → {r['load_after']} |")

    L.append(row(f"full run, {res['docs_full']:,} docs", full))
    for i, r in enumerate(incs, 1):
        L.append(row(f"+10 new docs, repeat {i}", r))
    def median_row(label: str, runs: list[dict]) -> str:
        m = {k: statistics.median(r[k] for r in runs) for k in ("wall_seconds", "job_seconds", "cpu_seconds", "exit_seconds")}
        return (f"| **{label}, median of {len(runs)}** | **{m['wall_seconds']:.2f}** | | **{m['job_seconds']:.3f}** | "
                f"{m['exit_seconds']:.2f} | {m['cpu_seconds']:.2f} | **{100 * m['wall_seconds'] / full['wall_seconds']:.1f} %** | "
                f"**{100 * m['job_seconds'] / full['job_seconds']:.1f} %** | |")

    L.append(median_row("+10 new docs", incs))
    if res.get("rerun"):
        L.append(row("re-run, unchanged input", res["rerun"]))
    if res.get("rebuild"):
        L.append(row(f"full rebuild, {res['docs_full'] + 10:,} docs", res["rebuild"]))
    L += ["", "## Per step (seconds, STEP_START → STEP_SUCCESS)", "",
          "| run | " + " | ".join(STEP_ORDER) + " |", "|---|" + "---|" * len(STEP_ORDER)]
    L.append(_steps_row("full run", full))
    for i, r in enumerate(incs, 1):
        L.append(_steps_row(f"+10 docs, repeat {i}", r))
    if res.get("rerun"):
        L.append(_steps_row("re-run, unchanged", res["rerun"]))
    ex = incs[-1]["assets"].get("event_mentions", {})
    if ex:
        L += ["", f"extract in the +10 run: {ex.get('stories_extracted')} stories extracted, "
              f"{ex.get('stories_reused_from_cache')} reused from the cache."]
    w = res.get("watch")
    if w:
        fs = w["full"]["seconds"]
        L += ["", "## `newsevents watch`: one long-lived process", "",
              "The watcher (pipelines/orchestration/watch.py) loads the code, the spaCy model and the extractor's tables once "
              f"(warm-up {w['warm_up']['seconds']} s), then runs one update per cycle exactly as `newsevents run` "
              "does (same Definitions, jobs, run lock and tables). Seconds = one update: plan → batch run(s) → "
              "downstream run, in the watcher's process. Cycle 0 on an empty warehouse is the full run; each "
              "+10 update follows an idle cycle. "
              f"Peak RSS of the watcher (every 0.1 s): {w['peak_rss_mib']} MiB; load {w['load_before']} → {w['load_after']}.", "",
              "| update | seconds | % of the watcher's full run | % of the cold full run (wall) | RSS after, MiB |",
              "|---|---|---|---|---|",
              f"| full run, {res['docs_full']:,} docs (cycle 0) | {fs} | 100.0 % | "
              f"{100 * fs / full['wall_seconds']:.1f} % | {w['full']['rss_mib']} |",
              f"| idle cycle, unchanged input | {w['idle']['seconds']} | {100 * w['idle']['seconds'] / fs:.2f} % | "
              f"{100 * w['idle']['seconds'] / full['wall_seconds']:.2f} % | {w['idle']['rss_mib']} |"]
        for i, r in enumerate(w["adds"], 1):
            L.append(f"| +10 new docs ({i}) | {r['seconds']} | {100 * r['seconds'] / fs:.1f} % | "
                     f"{100 * r['seconds'] / full['wall_seconds']:.1f} % | {r['rss_mib']} |")
        med = statistics.median(r["seconds"] for r in w["adds"])
        L.append(f"| **+10 new docs, median of {len(w['adds'])}** | **{med:.3f}** | **{100 * med / fs:.1f} %** | "
                 f"**{100 * med / full['wall_seconds']:.1f} %** | |")
        L += ["", "Per step in the watcher (seconds):", "", "| update | " + " | ".join(STEP_ORDER) + " |",
              "|---|" + "---|" * len(STEP_ORDER), _steps_row("full run (cycle 0)", w["full"])]
        for i, r in enumerate(w["adds"], 1):
            L.append(_steps_row(f"+10 docs ({i})", r))
        if res.get("watch_compare"):
            L += ["", f"Watcher's warehouse after the additions vs a full rebuild of the same {w['docs']:,} documents "
                  "(`newsevents run` into a fresh warehouse), EXCEPT ALL both ways: "
                  + ", ".join(f"{t} {'equal' if c['equal'] else 'DIFFERENT'} ({c.get('rows_a', '')} rows)"
                              for t, c in res["watch_compare"].items()) + "."]
    if res.get("compare"):
        L += ["", "## Incremental warehouse vs full rebuild (EXCEPT ALL both ways, documents.ingested_at left out)", "",
              "| table | equal | rows incremental | rows rebuild | only in incremental | only in rebuild |", "|---|---|---|---|---|---|"]
        for t, c in res["compare"].items():
            L.append(f"| {t} | {'yes' if c['equal'] else 'NO'} | {c.get('rows_a', '')} | {c.get('rows_b', '')} | "
                     f"{c.get('only_a', c.get('detail', ''))} | {c.get('only_b', '')} |")
    return "\n".join(L) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None, help="keep corpus and warehouses here (default: a temp dir, removed)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "incremental_bench.md"))
    ap.add_argument("--no-rebuild", action="store_true", help="skip the full rebuild + table comparison")
    ap.add_argument("--profile", default=None, help="write a cProfile of the first incremental run here")
    ap.add_argument("--code-root", default=None, help="measure the `pipelines` of this checkout (default: this one)")
    ap.add_argument("--watch", action="store_true", help="also measure `newsevents watch`: its full run, then "
                    "--repeat additions of 10 new documents, and compare its warehouse with a full rebuild")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--gc-freeze", dest="gc_freeze_worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    global CODE
    if a.code_root:
        CODE = Path(a.code_root).resolve()
        os.environ["INCBENCH_CODE_ROOT"] = str(CODE)
    if str(CODE) not in sys.path[:1]:  # measure this checkout's code (or --code-root's)
        sys.path.insert(0, str(CODE))
    if a.worker:
        return worker(a.worker[0], a.worker[1], a.worker[2], float(a.worker[3]), a.profile, a.gc_freeze_worker)
    if not BBC.is_dir():
        sys.exit(f"BBC corpus not found at {BBC}")
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    work = Path(a.workdir) if a.workdir else Path(tempfile.mkdtemp(prefix="incbench-"))
    work.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} load {_load()} {msg}", file=sys.stderr, flush=True)

    try:
        corpus = work / "corpus"
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.copytree(BBC, corpus)
        docs_full = sum(1 for p in corpus.rglob("*.txt") if not p.name.upper().startswith("README"))
        wh, snap = work / "wh", work / "wh-after-full"
        for d in (wh, snap):
            shutil.rmtree(d, ignore_errors=True)
        log("full run ...")
        full = measured_run(corpus, wh)
        log(f"full: {full['wall_seconds']} s wall, {full['job_seconds']} s job")
        shutil.copytree(wh, snap, symlinks=True)
        add_new_documents(corpus, work)
        incs = []
        for i in range(a.repeat):
            shutil.rmtree(wh, ignore_errors=True)
            shutil.copytree(snap, wh, symlinks=True)
            log(f"+10 docs, repeat {i + 1} ...")
            incs.append(measured_run(corpus, wh, profile=a.profile if i == 0 else None))
            log(f"+10 docs: {incs[-1]['wall_seconds']} s wall, {incs[-1]['job_seconds']} s job {incs[-1]['steps']}")
        log("re-run, unchanged input ...")
        rerun = measured_run(corpus, wh)
        res = {"code_root": str(CODE), "started": started, "argv": sys.argv[1:], "code": code_label(), "bytecode": bytecode_state(),
               "docs_full": docs_full, "full": full, "incremental": incs,
               "rerun": rerun}
        if a.watch:
            log("newsevents watch ...")
            res["watch"] = watch_measurements(work, a.repeat, log)
            wh3 = work / "wh-watch-rebuild"
            shutil.rmtree(wh3, ignore_errors=True)
            log("full rebuild of the watcher's input ...")
            measured_run(Path(res["watch"]["corpus"]), wh3)
            from pipelines.core.publish.compare import compare_warehouses

            res["watch_compare"] = compare_warehouses(Path(res["watch"]["warehouse"]), wh3)
        if not a.no_rebuild:
            wh2 = work / "wh-rebuild"
            shutil.rmtree(wh2, ignore_errors=True)
            log("full rebuild of the same input ...")
            res["rebuild"] = measured_run(corpus, wh2)
            from pipelines.core.publish.compare import compare_warehouses

            res["compare"] = compare_warehouses(wh, wh2)
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(render(res))
        Path(a.out).with_suffix(".json").write_text(json.dumps(res, indent=1))
        log(f"wrote {a.out}")
        print(render(res))
    finally:
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

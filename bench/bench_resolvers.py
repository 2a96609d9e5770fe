"""Throughput of the four resolvers on every sentence of the BBC corpus (worst case: no candidate filter).

    .venv/bin/python bench/bench_resolvers.py [--shared ../shared]

Prints sentences, words, and CPU seconds per resolver (time.process_time: robust when other processes share the
2 cores; wall time is printed too), one process, after dictionary load.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.core.extract.actors import ActorContext, ActorResolver  # noqa: E402
from pipelines.core.extract.dates import resolve_date  # noqa: E402
from pipelines.core.extract.places import find_place  # noqa: E402
from pipelines.core.extract.quantities import find_quantities  # noqa: E402

_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT / ".." / "shared"))
    args = ap.parse_args()
    files = sorted((Path(args.shared) / "corpora" / "bbc-fulltext").rglob("*.txt"))
    docs = [f.read_bytes().decode("utf-8", errors="replace") for f in files]
    t = time.perf_counter()
    res = ActorResolver()
    find_place("warm up in Minsk")
    find_quantities("warm up 3 killed")
    load = time.perf_counter() - t
    sents = [[s for p in d.split("\n") for s in _SPLIT.split(p) if s.strip()] for d in docs]
    n_s = sum(len(x) for x in sents)
    n_w = sum(len(s.split()) for x in sents for s in x)
    pub = date(2005, 1, 1)
    timings = {}
    walls = {}
    t, w = time.process_time(), time.perf_counter()
    n_actors = 0
    for x in sents:
        ctx = ActorContext()
        for s in x:
            n_actors += len(res.find(s, ctx))
    timings["actors"] = time.process_time() - t
    walls["actors"] = time.perf_counter() - w
    for name, fn in (("dates", lambda s: resolve_date(s, pub)), ("places", find_place), ("quantities", find_quantities)):
        t, w = time.process_time(), time.perf_counter()
        for x in sents:
            for s in x:
                fn(s)
        timings[name] = time.process_time() - t
        walls[name] = time.perf_counter() - w
    print(f"docs={len(docs)} sentences={n_s} words={n_w} dictionary load={load:.2f}s actor mentions={n_actors}")
    for k, v in timings.items():
        print(f"{k:<11} {v:6.2f} s CPU ({walls[k]:6.2f} s wall)  {n_s / v:9.0f} sentences/s  {n_w / v:10.0f} words/s")
    print(f"total      {sum(timings.values()):6.2f} s CPU ({sum(walls.values()):6.2f} s wall)")


if __name__ == "__main__":
    main()

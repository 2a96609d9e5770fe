"""Evaluate the dictionary actor resolver on shared peer data (no training: every record is held out).

    .venv/bin/python bench/eval_actors.py [--shared ../shared] [--out bench/results/eval_actors.md]

1. PLOVER_GSR_CAMEO.txt (gold actors with text, country code and sector): locate each gold actorText in the
   sentence, run the resolver on the sentence and take the mention overlapping that text.
   country match = our ISO3 == gold code (IGO gold: our actor is an IGO); sector match where gold has a sector.
2. PLV_train.tsv (source/target spans, no gold codes): coverage = share of marked spans overlapped by a mention,
   and share whose mention carries a country (or is an IGO).
3. PETR2_GSR_validation.xml (gold source/target codes, no spans): country recall = share of gold codes whose
   country (first 3 letters; IGO = any IGO) is among the countries of the sentence's mentions.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.core.extract.actors import ActorContext, ActorResolver  # noqa: E402

# CAMEO country codes that differ from ISO 3166-1 alpha-3
CAMEO_TO_ISO = {"JAP": "JPN", "ITL": "ITA", "ROM": "ROU", "GER": "DEU", "SER": "SRB", "MNT": "MNE", "PSE": "PSE"}
IGO_LIKE = ("IGO", "NGO")


def _gold_country(code: str | None) -> str | None:
    if not code:
        return None
    c = code[:3].upper()
    return CAMEO_TO_ISO.get(c, c)


def _ours(m) -> str | None:
    if m is None:
        return None
    if m.kind == "igo" or m.actor_id.startswith("IGO:") or (m.kind == "person" and m.sector == "IGO" and not m.country):
        return "IGO"
    if m.actor_id.startswith("NGO:"):
        return "NGO"
    return m.country


def _overlap(mentions, s: int, e: int):
    best, best_ov = None, 0
    for m in mentions:
        ov = min(e, m.end) - max(s, m.start)
        if ov > best_ov:
            best, best_ov = m, ov
    return best


def eval_gsr(shared: Path, res: ActorResolver) -> dict:
    data = json.loads((shared / "peer" / "plover" / "PLOVER_GSR_CAMEO.txt").read_text(encoding="utf-8"))
    n = found = cmatch = smatch = sn = 0
    conf = Counter()
    misses = []
    for rec in data:
        text = rec.get("text")
        if not text:
            continue
        mentions = res.find(text, ActorContext())
        for role in ("source", "target"):
            for a in rec.get(role) or []:
                if not isinstance(a, dict) or not a.get("actorText") or not a.get("code"):
                    continue
                gold = _gold_country(a["code"])
                if gold in ("---", "***"):
                    continue
                i = text.find(a["actorText"])
                if i < 0:
                    continue
                n += 1
                m = _overlap(mentions, i, i + len(a["actorText"]))
                ours = _ours(m)
                if m is not None:
                    found += 1
                ok = ours == gold
                cmatch += ok
                conf[(gold if gold in IGO_LIKE else "ISO3", "match" if ok else ("none" if ours is None else "other"))] += 1
                gs = (a.get("sector") or "")[:3].upper()
                if gs and gs != "***" and m is not None:
                    sn += 1
                    smatch += (m.sector or "") == {"JRN": "MED", "UAF": "MIL", "CIV": "CVL", "MOS": "REL"}.get(gs, gs)
                if not ok and len(misses) < 25:
                    misses.append((a["actorText"], a["code"], ours, m.actor_id if m else None))
    return {"n": n, "found": found, "country_match": cmatch, "sector_n": sn, "sector_match": smatch,
            "breakdown": conf, "misses": misses}


def eval_plv(shared: Path, res: ActorResolver) -> dict:
    path = shared / "peer" / "plover" / "PLV_train.tsv"
    n = cov = with_country = 0
    sectors = Counter()
    with open(path, encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            ms = r["marked_sentence"]
            # strip the markers while remembering the spans
            spans = {}
            clean = []
            pos = 0
            for tok in re.split(r"(</?[st]>)", ms):
                if tok in ("<s>", "<t>"):
                    spans[tok[1]] = [pos, None]
                elif tok in ("</s>", "</t>"):
                    spans[tok[2]][1] = pos
                else:
                    clean.append(tok)
                    pos += len(tok)
            text = "".join(clean)
            mentions = res.find(text, ActorContext())
            for role in ("s", "t"):
                if role not in spans or spans[role][1] is None:
                    continue
                n += 1
                m = _overlap(mentions, *spans[role])
                if m is not None:
                    cov += 1
                    sectors[m.sector or "-"] += 1
                    if _ours(m):
                        with_country += 1
    return {"n": n, "covered": cov, "with_country": with_country, "sectors": sectors}


def eval_petr2(shared: Path, res: ActorResolver) -> dict:
    raw = (shared / "peer" / "petrarch2" / "PETR2_GSR_validation.xml").read_text(encoding="utf-8")
    n = hit = 0
    for block in re.findall(r"<Sentence [^>]*>(.*?)</Sentence>", raw, flags=re.S) or []:
        pass
    # records: <Sentence .../> then <EventCoding .../>* then <Text>..</Text>
    for m in re.finditer(r"<Sentence\b[^>]*/?>(.*?)<Text>\s*(.*?)\s*</Text>", raw, flags=re.S):
        codings = re.findall(r'sourcecode="([^"]*)"\s+targetcode="([^"]*)"', m.group(1))
        text = re.sub(r"\s+", " ", m.group(2)).strip()
        if not codings or not text:
            continue
        ours = {_ours(x) for x in res.find(text, ActorContext())} - {None}
        for sc, tc in codings:
            for code in (sc, tc):
                g = _gold_country(code)
                if not g or g == "---":
                    continue
                n += 1
                hit += g in ours
    return {"n": n, "hit": hit}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT / ".." / "shared"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "eval_actors.md"))
    args = ap.parse_args()
    shared = Path(args.shared)
    t0 = time.perf_counter()
    res = ActorResolver()
    g = eval_gsr(shared, res)
    p = eval_plv(shared, res)
    e = eval_petr2(shared, res)
    dt = time.perf_counter() - t0

    def pct(a, b):
        return f"{100 * a / b:.1f}%" if b else "n/a"

    lines = [
        "# Actor resolver evaluation (bench/eval_actors.py)",
        "",
        "Dictionary resolver, no training; every record is held out. Reproduce: `.venv/bin/python bench/eval_actors.py`.",
        "",
        "| data | measure | value |",
        "|---|---|---|",
        f"| PLOVER_GSR_CAMEO (gold actorText + code) | gold actors located in text | {g['n']} |",
        f"| | mention found over the gold text | {pct(g['found'], g['n'])} ({g['found']}) |",
        f"| | **country match** (ISO3, or IGO for IGO gold) | **{pct(g['country_match'], g['n'])}** ({g['country_match']}/{g['n']}) |",
        f"| | sector match (where gold has a sector and a mention was found) | {pct(g['sector_match'], g['sector_n'])} ({g['sector_match']}/{g['sector_n']}) |",
        f"| PLV_train (marked source/target spans) | spans | {p['n']} |",
        f"| | span covered by a mention | {pct(p['covered'], p['n'])} |",
        f"| | span resolved to a country or IGO | {pct(p['with_country'], p['n'])} |",
        f"| PETR2_GSR_validation (gold codes, no spans) | gold actor codes | {e['n']} |",
        f"| | **gold country among the sentence's resolved countries** | **{pct(e['hit'], e['n'])}** ({e['hit']}/{e['n']}) |",
        "",
        f"GSR breakdown (gold kind, outcome): {dict(sorted(g['breakdown'].items()))}",
        "",
        f"PLV_train sectors of covering mentions: {dict(p['sectors'].most_common())}",
        "",
        "First GSR misses (gold text, gold code, ours, our actor_id):",
        "",
    ]
    lines += [f"- {a!r} gold={c} ours={o} id={i}" for a, c, o, i in g["misses"]]
    lines += ["", f"Run time: {dt:.1f} s (including dictionary load)."]
    out = "\n".join(lines) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(out, encoding="utf-8")
    print(out)


if __name__ == "__main__":
    main()

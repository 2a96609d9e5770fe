"""Training and evaluation data for the sentence event typer (bench only; never imported at run time).

Sources (all under ../shared, read-only):
- PLV_train.tsv (1,050 rows, 1,047 distinct sentences): gold PLOVER root per row (CONCEDE+RETREAT merged as YIELD).
  The `<s>`/`<t>` markers are stripped: the pipeline never sees gold markers, so the typer learns from raw sentences.
  Rows sharing a sentence are merged into one multi-label item.
- PLOVER_GSR_CAMEO.txt (322 gold records): old names mapped (DEMAND->REQUEST, DISAPPROVE/INVESTIGATE->ACCUSE,
  FIGHT->ASSAULT), CONCEDE/RETREAT -> YIELD.
- PETR.UnitTest.records.xml (petrarch2 unit tests, fictional actors): CAMEO codes -> PLOVER through
  CAMEO2PLOVER-2021.txt (longest code prefix), except CAMEO 163 (embargo, boycott, sanctions) -> SANCTION per the
  2024 manual (../shared/README.md); CAMEO roots 01/02 have no PLOVER type; `noevents` records are NONE.
  Records whose codings are all 01/02 are dropped (no PLOVER label either way).
- PETR2_GSR_validation.xml: EVALUATION ONLY, never trained on (`load_petr2_validation`). Texts that occur in it are
  removed from every training source.
- BBC sport + entertainment sentences as real negatives (NONE). Held-out rule, shared with the relevance gate:
  a BBC file is held out when `int(sha1(relpath).hexdigest(), 16) % 5 == 0` with relpath like "sport/001.txt"
  (relative to corpora/bbc-fulltext/). Training uses only the other files.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared").resolve()
PLOVER = SHARED / "peer" / "plover"
PETR = SHARED / "peer" / "petrarch2"
BBC = SHARED / "corpora" / "bbc-fulltext"

TYPES = ("ACCUSE", "AGREE", "AID", "ASSAULT", "COERCE", "CONSULT", "COOPERATE", "MOBILIZE", "PROTEST", "REJECT",
         "REQUEST", "SANCTION", "SUPPORT", "THREATEN", "YIELD")
LABELS = TYPES + ("NONE",)
OLD_NAMES = {"DEMAND": "REQUEST", "DISAPPROVE": "ACCUSE", "INVESTIGATE": "ACCUSE", "FIGHT": "ASSAULT",
             "CONCEDE": "YIELD", "RETREAT": "YIELD"}
_MARK = re.compile(r"</?[st]>")


def norm_type(t: str) -> str:
    return OLD_NAMES.get(t, t)


def clean(text: str) -> str:
    return " ".join(text.split())


# ----------------------------------------------------------------------------- PLV
def load_plv_rows() -> list[dict]:
    """The 1,050 PLV rows in file order: raw sentence (markers stripped), marked sentence, gold type, spans."""
    rows = []
    with open(PLOVER / "PLV_train.tsv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            marked = r["marked_sentence"]
            rows.append({"sentence_id": r["sentence_id"], "sentence": clean(_MARK.sub("", marked)),
                         "marked": marked, "gold": norm_type(r["gold_root"]),
                         "source": r["source"], "target": r["target"]})
    return rows


def plv_items(rows: list[dict] | None = None) -> list[dict]:
    """Distinct PLV sentences with their label sets (rows with the same raw sentence merged), first-seen order."""
    rows = rows if rows is not None else load_plv_rows()
    by: dict[str, dict] = {}
    for i, r in enumerate(rows):
        it = by.setdefault(r["sentence"], {"text": r["sentence"], "labels": set(), "rows": [], "src": "plv"})
        it["labels"].add(r["gold"])
        it["rows"].append(i)
    return [dict(it, labels=sorted(it["labels"])) for it in by.values()]


def plv_folds(n: int = 5, seed: int = 0, rows: list[dict] | None = None) -> np.ndarray:
    """Fold index (0..n-1) for every PLV row (file order of PLV_train.tsv). Rows with the same raw sentence share
    a fold, so no sentence is in both the training and the test part. Deterministic for (n, seed)."""
    rows = rows if rows is not None else load_plv_rows()
    items = plv_items(rows)
    perm = np.random.default_rng(seed).permutation(len(items))
    item_fold = np.empty(len(items), dtype=int)
    item_fold[perm] = np.arange(len(items)) % n
    out = np.empty(len(rows), dtype=int)
    for k, it in enumerate(items):
        out[it["rows"]] = item_fold[k]
    return out


# ----------------------------------------------------------------------------- GSR
def load_gsr() -> list[dict]:
    data = json.loads((PLOVER / "PLOVER_GSR_CAMEO.txt").read_text(encoding="utf-8"))
    by: dict[str, set] = {}
    for r in data:
        if r.get("event") in (None, "DOCUMENT") or not r.get("text"):
            continue
        by.setdefault(clean(r["text"]), set()).add(norm_type(r["event"]))
    return [{"text": t, "labels": sorted(ls), "src": "gsr"} for t, ls in by.items()]


# ----------------------------------------------------------------------------- CAMEO -> PLOVER
def load_crosswalk() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in (PLOVER / "CAMEO2PLOVER-2021.txt").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(\d{2,4}):\s*([A-Z]+)", line)
        if m and m.group(1) not in table:  # "08: CONCEDE" then "08: RETREAT": both YIELD anyway
            table[m.group(1)] = m.group(2)
    table["163"] = "SANCTION"  # PLOVER manual 2024 / ../shared/README.md (the 2021 crosswalk says COERCE)
    return table


_XWALK: dict[str, str] | None = None


def cameo_to_plover(code: str) -> str | None:
    """PLOVER type (YIELD-merged) of a CAMEO code by its longest listed prefix; None for roots 01/02 and unknown."""
    global _XWALK
    if _XWALK is None:
        _XWALK = load_crosswalk()
    code = code.strip()
    for k in range(len(code), 1, -1):
        t = _XWALK.get(code[:k])
        if t:
            return norm_type(t)
    return None


def _petr_records(path: Path) -> list[dict]:
    raw = path.read_text(encoding="utf-8")
    out = []
    for block in re.split(r"(?=<Sentence )", raw)[1:]:
        head = re.match(r"<Sentence([^>]*)>", block)
        text = re.search(r"<Text>\s*(.*?)\s*</Text>", block, re.S)
        if not head or not text:
            continue
        sid = re.search(r'id="([^"]+)"', head.group(1))
        pre = block.split("<Text>")[0]
        codes = re.findall(r'<EventCoding[^>]*eventcode="([^"]+)"', pre)
        noevent = bool(re.search(r'noevents="[Tt]rue"', pre))
        labels = sorted({t for t in (cameo_to_plover(c) for c in codes) if t})
        out.append({"id": sid.group(1) if sid else "", "text": clean(text.group(1)), "labels": labels,
                    "noevent": noevent, "codes": codes})
    return out


def load_petr2_validation() -> list[dict]:
    """PETR2 validation sentences (NEVER train on): gold PLOVER label set, ["NONE"] for noevents sentences;
    sentences whose codings are all CAMEO 01/02 are dropped (no PLOVER type to compare with)."""
    out = []
    for r in _petr_records(PETR / "PETR2_GSR_validation.xml"):
        if r["labels"]:
            out.append(dict(r, gold=r["labels"]))
        elif r["noevent"]:
            out.append(dict(r, gold=["NONE"]))
    return out


def load_petr_unittest() -> list[dict]:
    out = []
    for r in _petr_records(PETR / "PETR.UnitTest.records.xml"):
        if r["labels"]:
            out.append({"text": r["text"], "labels": r["labels"], "src": "unittest"})
        elif r["noevent"] and not r["codes"]:
            out.append({"text": r["text"], "labels": [], "src": "unittest"})
    by: dict[str, dict] = {}
    for r in out:
        it = by.setdefault(r["text"], {"text": r["text"], "labels": set(), "src": "unittest"})
        it["labels"].update(r["labels"])
    return [dict(it, labels=sorted(it["labels"])) for it in by.values()]


# ----------------------------------------------------------------------------- BBC negatives
def bbc_held_out(relpath: str) -> bool:
    """The held-out rule shared with the relevance gate (relpath like "sport/001.txt")."""
    return int(hashlib.sha1(relpath.encode("utf-8")).hexdigest(), 16) % 5 == 0


_SENT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’]))\s+(?=[\"'“‘]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    out = []
    for para in re.split(r"\n\s*\n|\n", text):
        para = clean(para)
        if para:
            out.extend(s for s in _SENT.split(para) if s)
    return out


def bbc_sentences(folders=("sport", "entertainment"), held_out: bool = False, min_words: int = 6,
                  max_words: int = 60) -> list[dict]:
    """Sentences of the BBC files in `folders` (title line included) on one side of the held-out rule."""
    out = []
    for folder in folders:
        for path in sorted((BBC / folder).glob("*.txt")):
            rel = f"{folder}/{path.name}"
            if bbc_held_out(rel) != held_out:
                continue
            text = path.read_bytes().decode("utf-8", errors="replace")
            for s in split_sentences(text):
                if min_words <= len(s.split()) <= max_words:
                    out.append({"text": s, "labels": [], "src": f"bbc-{folder}", "file": rel})
    return out


def bbc_negatives(n: int, seed: int = 0) -> list[dict]:
    """`n` distinct sentences from the training part of BBC sport + entertainment (label set empty = NONE)."""
    pool = {}
    for s in bbc_sentences(held_out=False):
        pool.setdefault(s["text"], s)
    items = list(pool.values())
    idx = np.random.default_rng(seed).permutation(len(items))[:n]
    return [items[i] for i in sorted(idx)]


def extra_items(n_neg: int = 700, seed: int = 0) -> list[dict]:
    """Everything trained on besides PLV: GSR records, PETR2 unit-test sentences, BBC negatives; texts that occur
    in PLV or in the PETR2 validation set are removed."""
    banned = {r["sentence"] for r in load_plv_rows()} | {r["text"] for r in load_petr2_validation()}
    out, seen = [], set()
    for it in load_gsr() + load_petr_unittest() + bbc_negatives(n_neg, seed):
        if it["text"] in banned or it["text"] in seen:
            continue
        seen.add(it["text"])
        out.append(it)
    return out


_RES = None


def pipeline_actors(text: str) -> list:
    """The actor mentions the pipeline's own resolver finds in `text` read as a one-sentence story (fresh context),
    as pipelines.core.extract.coder sees them for such a story."""
    global _RES
    from pipelines.core.extract import events as E
    if _RES is None:
        _RES = E._resolvers(None)
    return _RES.actors(text, _RES.new_context())


def typer_input(text: str, input_format: str) -> str:
    """The typer's input for a one-sentence text: typer.mark_actors over the pipeline's own mentions, or raw."""
    from pipelines.core.extract.typer import mark_actors
    return mark_actors(text, pipeline_actors(text)) if input_format == "actor_marked" else text


def multi_hot(labels: list[str]) -> np.ndarray:
    y = np.zeros(len(LABELS), dtype=np.float32)
    for t in labels:
        y[LABELS.index(t)] = 1.0
    if not labels:
        y[LABELS.index("NONE")] = 1.0
    return y


if __name__ == "__main__":
    import collections
    rows = load_plv_rows()
    print("plv rows", len(rows), "items", len(plv_items(rows)), "folds", np.bincount(plv_folds(rows=rows)))
    for name, items in (("gsr", load_gsr()), ("unittest", load_petr_unittest()),
                        ("petr2-val", load_petr2_validation())):
        c = collections.Counter(t for it in items for t in (it.get("labels") or it.get("gold") or ["NONE"]))
        print(name, len(items), dict(c))
    print("bbc train", len(bbc_sentences()), "held-out", len(bbc_sentences(held_out=True)))
    print("extra", collections.Counter(it["src"] for it in extra_items()))

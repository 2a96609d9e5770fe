"""Train the shipped event-type classifier on ../shared/peer/plover/PLV_train.tsv (all 1,050 rows).

Reproduce: .venv/bin/python bench/train_event_classifier.py
Writes pipelines/rules/models/plv_logreg.npz (deterministic: L-BFGS from zeros, no randomness).
Held-out quality is measured by bench/eval_events.py (5-fold CV with models trained per fold).
"""
from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PLV = ROOT / ".." / "shared" / "peer" / "plover" / "PLV_train.tsv"
_TAG = re.compile(r"</?[st]>")


def unmark(marked: str) -> tuple[str, tuple[int, int] | None, tuple[int, int] | None]:
    """Strip <s>..</s>/<t>..</t> tags; return (sentence, source span, target span)."""
    out, pos, spans, open_at = [], 0, {}, {}
    n = 0
    for m in _TAG.finditer(marked):
        out.append(marked[pos:m.start()])
        n += m.start() - pos
        tag = m.group(0)
        if tag.startswith("</"):
            spans[tag[2]] = (open_at.get(tag[2], n), n)
        else:
            open_at[tag[1]] = n
        pos = m.end()
    out.append(marked[pos:])
    return "".join(out), spans.get("s"), spans.get("t")


def predicate_span(src, tgt, length: int) -> tuple[int, int] | None:
    if src and tgt:
        a, b = sorted([src, tgt])
        return (a[1], b[0]) if a[1] <= b[0] else None
    if src:
        return (src[1], min(length, src[1] + 80))
    return None


def load_plv(path: Path = PLV) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            sent, src, tgt = unmark(r["marked_sentence"])
            rows.append({"id": r["sentence_id"], "sentence": sent, "source": src, "target": tgt,
                         "between": predicate_span(src, tgt, len(sent)), "gold": r["gold_root"].strip()})
    return rows


def main() -> None:
    from pipelines.core.extract.event_classifier import MODEL_PATH, train

    rows = load_plv()
    clf = train([(r["sentence"], r["between"]) for r in rows], [r["gold"] for r in rows])
    clf.save(MODEL_PATH)
    print(f"trained on {len(rows)} rows, {len(clf.classes)} classes -> {MODEL_PATH} ({MODEL_PATH.stat().st_size/1e6:.2f} MB)")


if __name__ == "__main__":
    main()

"""Train the role ranker (pipelines/core/extract/role_ranker.py) on PLV_train's marked <s>/<t> spans.

Reproduce:  .venv/bin/python bench/train_role_ranker.py            (all 1,050 rows -> rules/models/role_ranker/)
            .venv/bin/python bench/train_role_ranker.py --cv       (5-fold out-of-fold role accuracy, gold type)

Candidates are the pipeline's own actor mentions (ActorResolver on the raw sentence, no gold markers); the anchor is
chosen exactly as the coder chooses it for the row's gold type (coder.choose_anchor). A candidate is gold for a
role when its span overlaps the marked span; a row whose marked span holds no actor mention has NULL as gold.
Deterministic (L-BFGS from zeros).
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PLV = ROOT / ".." / "shared" / "peer" / "plover" / "PLV_train.tsv"
_TAG = re.compile(r"</?[st]>")
L2 = 1.0  # 0.3 and 3.0 tried (5-fold): target 0.649 / 0.650 vs 0.654, source 0.877 / 0.879 vs 0.881


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


def load_plv(path: Path = PLV) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            sent, src, tgt = unmark(r["marked_sentence"])
            rows.append({"id": r["sentence_id"], "sentence": sent, "source": src, "target": tgt,
                         "gold": r["gold_root"].strip()})
    return rows


def overlaps(m, span) -> bool:
    return bool(span) and m.start < span[1] and span[0] < m.end


def prepare(rows: list[dict]) -> list[dict]:
    """Per row: actors, parse, triggers (what the coder sees), once; reused by every fold."""
    from pipelines.core.extract import events as E
    from pipelines.core.extract import roles as roles_mod

    res = E._resolvers(None)
    docs = roles_mod.parse_sentences([r["sentence"] for r in rows])
    out = []
    for r, doc in zip(rows, docs):
        s = r["sentence"]
        actors = res.actors(s, res.new_context())
        out.append({**r, "actors": actors, "doc": doc, "triggers": E.find_triggers(s)})
    return out


def example(p: dict, label: str | None = None) -> dict | None:
    from pipelines.core.extract import coder as C

    if not p["actors"]:
        return None
    anchor = C.choose_anchor(label or p["gold"], p["sentence"], p["triggers"], p["doc"])
    feats, null = C.role_inputs(p["sentence"], p["doc"], anchor, p["actors"], p["triggers"])
    return {"feats": feats, "null": null, "anchor": anchor,
            "source": {i for i, m in enumerate(p["actors"]) if overlaps(m, p["source"])},
            "target": {i for i, m in enumerate(p["actors"]) if overlaps(m, p["target"])}}


def fit(prepared: list[dict], version: str = "role_ranker@dev"):
    from pipelines.core.extract.role_ranker import train

    exs = [e for e in (example(p) for p in prepared) if e is not None]
    return train(exs, l2=L2, version=version)


def cv(prepared: list[dict], folds) -> dict:
    """Out-of-fold: a role is correct when the chosen mention overlaps the marked span, or nothing is chosen and
    nothing is marked. Ceiling: rows where some actor mention overlaps the marked span (or none is marked)."""
    from pipelines.core.extract.role_ranker import RoleChoice  # noqa: F401

    k = max(folds) + 1
    hit = {"source": 0, "target": 0, "n": 0, "src_ceiling": 0, "tgt_ceiling": 0}
    for f in range(k):
        model = fit([p for p, g in zip(prepared, folds) if g != f])
        for p, g in zip(prepared, folds):
            if g != f:
                continue
            hit["n"] += 1
            e = example(p)
            if e is None:
                continue
            ch = model.choose(e["feats"], e["null"])
            for role, idx in (("source", ch.source), ("target", ch.target)):
                span = p[role]
                ok = span is None if idx is None else overlaps(p["actors"][idx], span)
                hit[role] += ok
            hit["src_ceiling"] += bool(e["source"]) or p["source"] is None
            hit["tgt_ceiling"] += bool(e["target"]) or p["target"] is None
    return hit


def folds_for(rows: list[dict]) -> list[int]:
    """The typer's PLV fold split (bench/plv_data.plv_folds: same sentence, same fold), so a fold's ranker and typer
    never saw the fold's test rows."""
    from plv_data import plv_folds

    f = [int(x) for x in plv_folds()]
    assert len(f) == len(rows), (len(f), len(rows))
    return f


CARD = """# role_ranker

Chooses the source and the target of an event decision among the sentence's actor mentions (the pipeline's own
ActorResolver mentions, no gold markers), or NULL. One conditional logit per role (softmax over the candidates and a
NULL candidate), L2 = {l2}, fitted with L-BFGS from zeros (deterministic, no seed needed). Features
(pipelines/core/extract/role_ranker.py): position relative to the anchor, mentions in between, parse relation to
the anchor's predicate (subject / object / by-agent / prepositional object and its preposition, voice), tree path
length, reporting-verb speaker, the parse rules (roles.dep_roles) and the nearest-actor rule as votes, actor kind
and sector.

- Data: ../shared/peer/plover/PLV_train.tsv ({n} rows; `<s>`/`<t>` marked spans; PLOVER licence as in ../shared).
  A candidate is gold for a role when its span overlaps the marked span; a row whose marked span holds no actor
  mention has NULL as gold. The anchor is chosen exactly as the coder does for the row's gold type.
- Training command: `.venv/bin/python bench/train_role_ranker.py` (CV on the typer's 5 folds, then all rows).
- Version: {version}
- Features in the model: source {nf_s}, target {nf_t}.

## Scores (5-fold out-of-fold on PLV_train, typer's fold split bench/plv_data.plv_folds, gold type given)
A role is correct when the chosen mention overlaps the marked span, or nothing is chosen and nothing is marked.
Ceiling: rows where some actor mention of the pipeline overlaps the marked span (or none is marked) - the ranker
cannot be right when the actor resolver found no mention for the marked actor.

| role | accuracy | ceiling |
|---|---|---|
| source | {src:.3f} | {src_c:.3f} |
| target | {tgt:.3f} | {tgt_c:.3f} |

n = {n} rows. The end-to-end numbers (typer decides the type, then this ranker) are in bench/results/eval_events.md.
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cv-only", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="model dir (default rules/models/role_ranker)")
    args = ap.parse_args()
    import hashlib
    import json
    import time

    t0 = time.time()
    rows = load_plv()
    prepared = prepare(rows)
    folds = folds_for(rows)
    print(f"prepared {len(rows)} rows in {time.time() - t0:.0f} s", flush=True)
    h = cv(prepared, folds)
    n = h["n"]
    print(f"source {h['source'] / n:.3f} (ceiling {h['src_ceiling'] / n:.3f})  "
          f"target {h['target'] / n:.3f} (ceiling {h['tgt_ceiling'] / n:.3f})  n={n}  [{time.time() - t0:.0f} s]",
          flush=True)
    if args.cv_only:
        return
    from pipelines.core.extract.role_ranker import MODEL_DIR
    from pipelines.core.models import write_manifest

    model = fit(prepared)
    blob = json.dumps(model.weights, sort_keys=True).encode()
    model.version = f"role_ranker@{hashlib.sha256(blob).hexdigest()[:12]}"
    out = args.out or MODEL_DIR
    model.save(out)
    (out / "card.md").write_text(CARD.format(
        l2=L2, n=n, version=model.version, nf_s=len(model.weights["source"]), nf_t=len(model.weights["target"]),
        src=h["source"] / n, src_c=h["src_ceiling"] / n, tgt=h["target"] / n, tgt_c=h["tgt_ceiling"] / n),
        encoding="utf-8")
    write_manifest(out, ["weights.json", "card.md"], version=model.version)
    print(f"trained on {len(rows)} rows -> {out} ({model.version}) [{time.time() - t0:.0f} s]")


if __name__ == "__main__":
    main()

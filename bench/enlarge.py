"""Deterministic synthetic enlargement of a news corpus (for bench/run_pipeline.py).

`python bench/enlarge.py SRC DEST --scale N [--seed 7]` writes N x the documents of SRC into DEST:

* copy 0 is the source corpus itself, byte for byte (same relative paths), so a 1x run equals the real corpus;
* copies 1..N-1 are new documents built from real sentences of the same corpus, one per source document, as
  `DEST/synth-KKK/<relative path>`:
    - the title line and the first paragraph of source document i are kept (the lede: an article about one thing);
    - every later paragraph is, with probability 3/4, replaced by a paragraph of another document of the same
      topic folder (so a synthetic article mixes 3-6 real articles of one topic: it does not collapse onto its
      source in near-duplicate detection, and the extractor sees as many distinct sentences as a real feed);
    - the sentences inside each paragraph are shuffled (quotes and attributions stay whole sentences);
    - numbers are swapped: each integer/decimal token is scaled by a factor drawn per document in [0.5, 1.5)
      (years 1900-2099 are left alone, so dates keep meaning);
    - a few generic reporting verbs are swapped for synonyms (said/told/added/announced ... from SYNONYMS);
    - outlet furniture is added: 1-3 lines drawn from FURNITURE (ads, share bars, related links, captions) at
      random paragraph breaks, the kind of page furniture the cleaner must remove.
The random generator is seeded by (seed, copy, relative path): the same arguments always give the same bytes,
independently of file-system order. Files of SRC that are not .txt are ignored for the synthetic copies.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import re
import shutil
from collections import defaultdict
from pathlib import Path

SYNONYMS = {
    "said": ["told reporters", "stated", "added", "explained"],
    "says": ["states", "adds", "explains"],
    "announced": ["said", "revealed", "confirmed"],
    "increase": ["rise", "jump", "gain"],
    "decrease": ["fall", "drop", "decline"],
    "rose": ["climbed", "increased", "jumped"],
    "fell": ["dropped", "declined", "slipped"],
    "big": ["large", "major"],
    "important": ["significant", "key"],
    "company": ["firm", "group"],
    "firm": ["company", "business"],
}
FURNITURE = [
    "Advertisement",
    "Share this story",
    "Facebook Twitter Email",
    "Related: Markets round-up of the week",
    "Read more: Analysis from our correspondents",
    "Image caption The scene earlier on Tuesday",
    "Sign up for our daily newsletter",
    "Follow us on Twitter for the latest updates",
    "Continue reading the main story",
]
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'“‘(])")
_NUM = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w])")
_WORD = re.compile(r"\b(" + "|".join(sorted(SYNONYMS, key=len, reverse=True)) + r")\b")


def _rng(seed: int, copy: int, rel: str) -> random.Random:
    h = hashlib.sha256(f"{seed}:{copy}:{rel}".encode()).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


def _read(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]


def _swap_numbers(text: str, factor: float) -> str:
    def repl(m: re.Match) -> str:
        whole, frac = m.group(1), m.group(2) or ""
        n = int(whole.replace(",", ""))
        if 1900 <= n <= 2099 and not frac and "," not in whole:
            return m.group(0)
        new = max(1, round(n * factor))
        s = f"{new:,}" if "," in whole else str(new)
        return s + frac

    return _NUM.sub(repl, text)


def _swap_words(text: str, rng: random.Random, rate: float = 0.5) -> str:
    return _WORD.sub(lambda m: rng.choice(SYNONYMS[m.group(1)]) if rng.random() < rate else m.group(1), text)


def perturb(title: str, lede: str, paragraphs: list[str], donors: list[list[str]], rng: random.Random) -> str:
    """One synthetic article: title + lede kept, later paragraphs mostly from donors, shuffled, swapped, furnished."""
    factor = 0.5 + rng.random()
    out_pars = [lede]
    used: set[str] = set()
    for p in paragraphs:
        if donors and rng.random() < 0.75:
            donor = rng.choice(donors)
            pick = rng.choice(donor) if donor else p
            p = pick if pick not in used else p
        if p in used:
            continue
        used.add(p)
        sents = _SENT.split(p)
        rng.shuffle(sents)
        out_pars.append(" ".join(sents))
    out_pars = [_swap_words(_swap_numbers(p, factor), rng) for p in out_pars]
    for _ in range(rng.randint(1, 3)):
        out_pars.insert(rng.randint(1, len(out_pars)), rng.choice(FURNITURE))
    return title + "\n\n" + "\n\n".join(out_pars) + "\n"


def enlarge(src: Path, dest: Path, scale: int, seed: int = 7) -> dict[str, int]:
    """Write `scale` x the documents of `src` into `dest` (see module doc). Returns {'files': n, 'bytes': n}."""
    if scale < 1:
        raise ValueError("scale must be >= 1")
    src, dest = Path(src), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in src.rglob("*") if p.is_file())
    n_files = n_bytes = 0
    for p in files:  # copy 0: the real corpus
        out = dest / p.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, out)
        n_files += 1
        n_bytes += out.stat().st_size
    docs = []  # (rel, topic, title, paragraphs)
    for p in files:
        if p.suffix.lower() != ".txt" or p.name.upper().startswith("README"):
            continue
        text = _read(p).replace("\r\n", "\n")
        title, _, body = text.strip().partition("\n")
        pars = _paragraphs(body)
        if not pars:
            continue
        rel = p.relative_to(src).as_posix()
        docs.append((rel, p.parent.relative_to(src).as_posix(), title.strip(), pars))
    by_topic: dict[str, list[list[str]]] = defaultdict(list)
    for _, topic, _, pars in docs:
        by_topic[topic].append(pars[1:])
    for copy in range(1, scale):
        for rel, topic, title, pars in docs:
            rng = _rng(seed, copy, rel)
            donors = by_topic[topic]
            donors = [rng.choice(donors) for _ in range(6)] if donors else []
            text = perturb(title, pars[0], pars[1:], donors, rng)
            out = dest / f"synth-{copy:03d}" / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            n_files += 1
            n_bytes += len(text.encode("utf-8"))
    return {"files": n_files, "bytes": n_bytes}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("dest")
    ap.add_argument("--scale", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    print(enlarge(Path(a.src), Path(a.dest), a.scale, a.seed))


if __name__ == "__main__":
    main()

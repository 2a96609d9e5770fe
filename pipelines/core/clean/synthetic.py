"""Synthetic glued files for evaluating segmentation (used by bench/clean_eval.py and the tests).

Joins 2-5 real single-story articles (e.g. the BBC corpus: first line = title, then the body) into one text
with the separator styles seen in scraped glued files, and records where each article starts:
- "read_more":     "<Topic tag>\\n\\n<Headline> – <Outlet>\\n\\n<body>\\n\\nRead More\\n\\n" per article;
- "title_caption": "<Title Case Headline>\\n\\n<photo caption ending in a credit>\\n\\n<body>", articles separated by
                   one or two blank lines;
- "blank_lines":   "<headline>\\n\\n<body>", articles separated by two or three blank lines.
Deterministic for a given seed. The captions/credits are built from generic templates, not from any article.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

STYLES = ("read_more", "title_caption", "blank_lines")
_SMALL = {"a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "by", "with", "as", "from"}
_CAPTION_TEMPLATES = [
    "People walk past a building in the city centre on {date}.",
    "A general view of the venue, pictured on {date}.",
    "Officials attend a news conference in the capital on {date}.",
    "Supporters gather outside the headquarters on {date}. {desk}",
    "File photo: a sign is seen at the entrance of the offices, {date}.",
]
_PHOTOGRAPHERS = ["John Smith", "Maria GARCIA", "Ali Hassan", "Anna Kowalska", "Peter Brown", "Chen Wei"]
_AGENCIES = ["AFP", "Getty Images", "Reuters", "EPA", "AP", "AFP via Getty Images"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


@dataclass
class Article:
    title: str
    body: str
    topic: str


@dataclass
class GluedFile:
    text: str
    style: str
    starts: list[int]     # char offset where each article starts (its first line)
    titles: list[str]


def read_article(path: Path) -> Article | None:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    title, _, body = text.partition("\n")
    body = body.strip()
    if not title.strip() or not body:
        return None
    return Article(title.strip(), body, path.parent.name)


def load_corpus(root: Path) -> list[Article]:
    arts = [read_article(p) for p in sorted(root.glob("*/*.txt"))]
    return [a for a in arts if a is not None]


def title_case(s: str) -> str:
    words = s.split()
    out = []
    for i, w in enumerate(words):
        if i > 0 and w.lower() in _SMALL:
            out.append(w.lower())
        else:
            out.append(w[:1].upper() + w[1:])
    return " ".join(out)


def _caption(rng: random.Random) -> str:
    date = f"{rng.choice(_MONTHS)} {rng.randint(1, 28)}, {rng.randint(2004, 2020)}"
    credit = f"{rng.choice(_PHOTOGRAPHERS)} / {rng.choice(_AGENCIES)}"
    tpl = rng.choice(_CAPTION_TEMPLATES)
    text = tpl.format(date=date, desk="")
    return f"{text.strip()} {credit}" if rng.random() < 0.6 else f"{text.strip()}\n{credit}"


def _topic_tag(rng: random.Random, art: Article) -> str:
    words = [w for w in re.findall(r"[A-Za-z]{4,}", art.title)]
    return f"{art.topic.title()} {rng.choice(words).lower()}" if words else art.topic.title()


def glue(articles: list[Article], style: str, rng: random.Random) -> GluedFile:
    parts: list[str] = []
    starts: list[int] = []
    pos = 0

    def emit(s: str) -> None:
        nonlocal pos
        parts.append(s)
        pos += len(s)

    for i, art in enumerate(articles):
        if style == "read_more":
            starts.append(pos)
            emit(f"{_topic_tag(rng, art)}\n\n{art.title} – BBC News\n\n{art.body}\n\nRead More\n\n")
        elif style == "title_caption":
            if i > 0:
                emit("\n" * rng.choice([2, 3]))
            starts.append(pos)
            emit(f"{title_case(art.title)}\n\n{_caption(rng)}\n\n{art.body}\n")
        else:
            if i > 0:
                emit("\n" * rng.choice([3, 4]))
            starts.append(pos)
            emit(f"{art.title}\n\n{art.body}\n")
    return GluedFile("".join(parts), style, starts, [a.title for a in articles])


def make_glued_files(corpus: list[Article], n_files: int, seed: int = 13) -> list[GluedFile]:
    rng = random.Random(seed)
    out = []
    for i in range(n_files):
        k = rng.randint(2, 5)
        arts = rng.sample(corpus, k)
        out.append(glue(arts, STYLES[i % len(STYLES)], rng))
    return out


def boundary_scores(files: list[GluedFile], segment) -> dict:
    """Boundary precision/recall/F1 (a boundary = the start offset of the 2nd..nth story) + title accuracy."""
    tp = fp = fn = 0
    titles_ok = titles_n = 0
    errors = []
    for gf in files:
        stories, _ = segment(gf.text)
        pred = {s["raw_start"] for s in stories[1:]}
        true = set(gf.starts[1:])
        tp += len(pred & true)
        fp += len(pred - true)
        fn += len(true - pred)
        if pred != true:
            errors.append((gf, sorted(pred - true), sorted(true - pred)))
        if len(stories) == len(gf.titles):
            for s, t in zip(stories, gf.titles):
                titles_n += 1
                want = title_case(t) if gf.style == "title_caption" else t
                titles_ok += int(s["title"] == " ".join(want.split()))
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1,
            "title_accuracy": titles_ok / titles_n if titles_n else None, "errors": errors}

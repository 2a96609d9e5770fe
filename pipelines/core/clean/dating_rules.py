"""Document-dating data types and the rules loader (pipelines/rules/dating.yaml, `document:` section).

Split out of clean/dating.py (which re-exports everything here); see its docstring for the method.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

RULES_FILE = Path(__file__).resolve().parents[2] / "rules" / "dating.yaml"
PRECISIONS = ("day", "week", "month", "year", "none")
SOURCES = ("metadata", "explicit", "inferred", "none")


@dataclass(frozen=True)
class Evidence:
    rule: str
    lo: dt.date
    hi: dt.date
    strength: int
    text: str = ""


@dataclass
class Dating:
    date: dt.date | None
    precision: str
    rule: str
    source: str
    lo: dt.date | None = None
    hi: dt.date | None = None
    evidence: list[Evidence] = field(default_factory=list)

    def as_columns(self) -> dict:
        return {"published_date": self.date, "published_precision": self.precision, "published_rule": self.rule,
                "published_date_source": self.source}


@dataclass(frozen=True)
class DatingRules:
    strength: dict[str, int]
    source: dict[str, str]
    exclude: re.Pattern
    future: re.Pattern
    exclude_lc: re.Pattern
    future_lc: re.Pattern
    caption_rules: frozenset[str]
    header_rules: frozenset[str]
    url_date: list[re.Pattern]
    latest_date_window: int
    latest_date_alone: bool
    inline_header: re.Pattern
    inline_header_chars: int
    caption_window: int
    caption_alone: bool
    year_only: bool
    month_only: bool
    feed_min_dated: int
    max_gap_days: int
    url_timestamp: list[re.Pattern] = field(default_factory=list)
    url_timestamp_min_year: int = 2009
    tweet_embed: re.Pattern | None = None
    caption_max_lag: int = 366
    caption_name_min_len: int = 4
    caption_name_stopwords: frozenset[str] = frozenset()


@lru_cache(maxsize=4)
def load_rules(path: str = str(RULES_FILE)) -> DatingRules:
    d = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["document"]
    ev = d["evidence"]
    return DatingRules(
        strength={k: int(v["strength"]) for k, v in ev.items()},
        source={k: v["source"] for k, v in ev.items()},
        exclude=re.compile(d["exclude_sentences"], re.I),
        future=re.compile(d["future_sentences"], re.I),
        exclude_lc=re.compile(d["exclude_sentences"]),
        future_lc=re.compile(d["future_sentences"]),
        caption_rules=frozenset(d["caption_span_rules"]),
        header_rules=frozenset(d["header_span_rules"]),
        url_date=[re.compile(p) for p in d["url_date_patterns"]],
        latest_date_window=int(d["latest_date_window_days"]),
        latest_date_alone=bool(d.get("latest_date_alone", False)),
        inline_header=re.compile(d["inline_header"]["pattern"], re.I),
        inline_header_chars=int(d["inline_header"]["first_chars"]),
        caption_window=int(d["caption_window_days"]),
        caption_alone=bool(d.get("caption_date_alone", False)),
        year_only=bool(d["year_only"]),
        month_only=bool(d.get("month_only", False)),
        feed_min_dated=int(d["feed"]["min_dated"]),
        max_gap_days=int(d["feed"]["max_gap_days"]),
        url_timestamp=[re.compile(p) for p in d.get("url_timestamp_patterns", [])],
        url_timestamp_min_year=int(d.get("url_timestamp_min_year", 2009)),
        tweet_embed=re.compile(d["tweet_embed"]) if d.get("tweet_embed") else None,
        caption_max_lag=int(d.get("caption_max_lag_days", 366)),
        caption_name_min_len=int(d.get("caption_name_min_len", 4)),
        caption_name_stopwords=frozenset(w.lower() for w in d.get("caption_name_stopwords", [])),
    )

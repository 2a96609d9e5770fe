"""Event dates of a cluster: the most precise consistent date of its mentions, and undated mentions that inherit
it only when their own date words name that very day."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import polars as pl

from pipelines.core.link.block import Mention

PRECISION_RANK = {"day": 0, "week": 1, "before": 2, "month": 3, "year": 4}


def cluster_date(mem: list[Mention]) -> tuple[dt.date | None, str]:
    """The most precise consistent date of a cluster's mentions: among the stated dates of the finest precision
    present, the one that the most stated intervals of the cluster contain (ties: the most frequent, then the
    earliest). Returns (date, precision); (None, "none") when no mention states a date."""
    dated = [m for m in mem if m.dated and m.event_date is not None and m.precision in PRECISION_RANK]
    if not dated:
        return None, "none"
    finest = min(PRECISION_RANK[m.precision] for m in dated)
    cands = Counter(m.event_date for m in dated if PRECISION_RANK[m.precision] == finest)
    ivals = [(m.lo, m.hi) for m in dated if m.lo is not None]

    def support(d):
        return sum(1 for lo, hi in ivals if lo <= d <= hi)

    day = sorted(cands, key=lambda d: (-support(d), -cands[d], d))[0]
    prec = next(m.precision for m in dated if PRECISION_RANK[m.precision] == finest and m.event_date == day)
    return day, prec


DATE_FROM_CLUSTER_RULE = "link:date-from-cluster@1"
_MONTH_WORD = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\b", re.IGNORECASE)


def complete_dates_from_clusters(events: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """Give an undated mention its cluster's day when its own date words name that very day.

    A story without a publication date can say "On Oct. 2" and leave the year unknown. Once the mention is linked
    to a cluster dated 2020-10-02 by other stories, resolving "On Oct. 2" against that date gives 2020-10-02 again:
    the mention's own words agree, so the day is adopted (precision `day`) and the rule is added to `extractor`.
    A date the words do not confirm is never copied.
    """
    from pipelines.core.extract.dates import find_date_mentions, resolve_date

    needed = {"event_date", "date_text", "date_precision", "extractor", "event_cluster_id"}
    if not events.height or not needed <= set(events.columns):
        return events
    day_of = {cid: day for cid, day in clusters.select("event_cluster_id", "event_date").iter_rows()
              if day is not None}
    dates, precisions, extractors = [], [], []
    cols = ["event_date", "date_text", "date_precision", "extractor", "event_cluster_id"]
    cols += ["evidence"] if "evidence" in events.columns else []
    for r in events.select(cols).iter_rows(named=True):
        date, precision, extractor = r["event_date"], r["date_precision"], r["extractor"]
        anchor = day_of.get(r["event_cluster_id"])
        if date is None and anchor is not None:
            # only calendar expressions ("Oct. 2", "2 October"): relative words like "today" name no day by themselves
            texts = [r["date_text"]] if r["date_text"] else \
                [t for _, _, t in find_date_mentions(r.get("evidence") or "")]
            for text in texts:
                if not _MONTH_WORD.search(text):
                    continue
                resolved, prec, _ = resolve_date(text, anchor)
                if resolved == anchor and prec == "day":
                    date, precision, extractor = anchor, "day", f"{extractor}+{DATE_FROM_CLUSTER_RULE}"
                    break
        dates.append(date)
        precisions.append(precision)
        extractors.append(extractor)
    return events.with_columns(
        pl.Series("event_date", dates, dtype=events.schema["event_date"]),
        pl.Series("date_precision", precisions, dtype=pl.Utf8),
        pl.Series("extractor", extractors, dtype=pl.Utf8),
    )

"""Clean page furniture and split a (possibly glued) raw text into stories.

Plain data in, plain data out; no Dagster. Every pattern comes from pipelines/rules/*.yaml (see rules.py).

Pipeline for one document:
1. split the raw text into non-blank lines with raw offsets (text.split_lines);
2. classify every line: separator ("Read More"), furniture (a named line rule), or content; then contextual
   rules: credits around "hide/toggle caption", the line after an "Image caption" marker, a line followed by a
   photo credit (its caption), repeats of furniture and consecutive repeated paragraphs;
3. segmentation: every headline-like content line gets a score from its context (after a separator, a topic
   tag, an outlet suffix "– The Guardian", a blank-line gap, Title Case, a caption under it); score >= threshold
   starts a new story;
4. per story: header zone (breadcrumb, topic tag, title line, tag line, byline, dated header, caption
   fragments), inline prefixes ("You're reading:", "date 2020-10-03", dateline "MINSK (Reuters) –"), site footer;
5. text = normalize_text(raw[raw_start:raw_end] minus the removed spans); title/outlet/dateline/date.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import dating
from .rules import CleanRules, load_rules
from .segment_story import _SENT_END, CAPTIONISH, StoryBuilder
from .text import Line, excise, normalize_line, normalize_text, split_lines

_CAPTION_MARKER = re.compile(r"(?i)(?:image|media|video) ?caption")
_INNER_SENTENCE = re.compile(r"[a-z]{2}[.!?][\"”’']?\s+[A-Z]")  # headlines are one sentence
_ELLIPSIS_END = re.compile(r"(?:\.\.\.|…)[\"”’']?$")
_STRUCTURED_CREDIT = re.compile(r"\S\s*[/|]\s*\S|\bvia\b")
_REPORTED_SPEECH = re.compile(r"\b(?:said|says|told|tells|claims?|claimed|according to|insists?|added|wrote)\b")
_CREDIT_VIA = re.compile(r"\S/\S.*\bvia\b|\bvia\s+(?:Getty|AP|Reuters|AFP|Storyful|Twitter|Instagram|Facebook|"
                         r"YouTube)\b")
_NON_LETTERS = re.compile(r"[\W\d_]+")
_WORD4 = re.compile(r"[^\W\d_][\w’'-]{3,}")
_SUFFIX_SPLIT = re.compile(r"^(?P<head>.*?\S)(?:\s*[–—|]\s*|\s+-\s*|\s*-\s+)(?P<suffix>[^–—|]{2,60})$")


@dataclass
class _Story:
    first: int                    # index into lines of the story's first line
    last: int                     # index into lines of its last line
    topic: int | None = None      # topic tag line
    title_line: int | None = None
    spans: list[tuple[int, int, str]] = field(default_factory=list)


class Segmenter(StoryBuilder):
    def __init__(self, rules: CleanRules | None = None):
        self.r = rules or load_rules()
        seg = self.r.seg
        self.h = seg["headline"]
        self.score = seg["score"]
        self.tc = seg["title_case"]
        self.tag = seg["tag_line"]
        self.topic_max = int(seg["topic_tag"]["max_words"])
        self.body_min_words = int(seg["body_min_words"])
        self.frag_max = int(seg["caption_fragment_max_words"])
        self.repeat_window = int(seg["repeat_window"])
        self.caption_max_words = int(seg["caption_max_words"])
        self.dateline = re.compile(seg["dateline"])
        self.date_exclude = re.compile(seg["date_exclude"])
        self.dating_rules = dating.load_rules()

    # ------------------------------------------------------------------ line predicates
    def headline_like(self, ln: Line, relaxed: bool = False) -> bool:
        """Could this line be a title? `relaxed` (first line of a document, followed by a blank line) also
        accepts a lower-case/symbol first character and a trailing ellipsis ("Rivals of the £400 Apple...")."""
        t = ln.text
        if ln.kind != "content" or ln.words > self.h["max_words"] or len(t) > self.h["max_chars"]:
            return False
        if len(_NON_LETTERS.sub("", t)) < self.h["min_letters"]:
            return False
        if self.r.subhead.match(t) or _INNER_SENTENCE.search(t):
            return False
        if self.r.headline_bad_end.search(t) and not (relaxed and _ELLIPSIS_END.search(t)):
            return False
        c0 = t[0]
        if relaxed:
            return c0 not in "-–—•*·>"
        if _CREDIT_VIA.search(t):  # "Twitter/Name via Storyful" is a picture credit, not a headline
            return False
        return c0.isupper() or c0.isdigit() or c0 in "‘'\"“"

    def title_case(self, t: str) -> bool:
        words = _WORD4.findall(t)
        if len(words) < self.tc["min_words"]:
            return False
        return sum(w[0].isupper() for w in words) / len(words) >= self.tc["min_ratio"]

    def topic_like(self, ln: Line) -> bool:
        return self.headline_like(ln) and ln.words <= self.topic_max and not _SENT_END.search(ln.text.rstrip("'’"))

    def tag_line(self, t: str) -> bool:
        items = [x.strip() for x in t.split(",")]
        if len(items) < self.tag["min_items"] or len(t.split()) > self.tag["max_words"]:
            return False
        return all(0 < len(x.split()) <= self.tag["max_item_words"] for x in items) and not _SENT_END.search(t)

    def is_body(self, ln: Line) -> bool:
        return ln.words >= self.body_min_words or bool(_SENT_END.search(ln.text))

    def outlet_of(self, suffix: str) -> str | None:
        s = suffix.strip().strip(".")
        for canonical, rx in self.r.outlets_known:
            if rx.fullmatch(s):
                return canonical
        if len(s.split()) <= 6 and self.r.generic_outlet.fullmatch(s):
            return s
        return None

    def split_title(self, t: str) -> tuple[str, str | None, bool]:
        """'Headline – The Guardian' -> ('Headline', 'The Guardian', True). Platforms (YouTube) are stripped
        but never returned as the outlet. The third value says whether any outlet suffix was found."""
        outlet, found = None, False
        while True:
            m = _SUFFIX_SPLIT.match(t)
            if not m:
                break
            o = self.outlet_of(m["suffix"])
            if o is None:
                break
            found = True
            if o not in self.r.platforms and outlet is None:
                outlet = o
            t = m["head"]
        return t, outlet, found

    # ------------------------------------------------------------------ classification
    def classify(self, lines: list[Line]) -> None:
        r = self.r
        for ln in lines:
            t = ln.text
            for p in r.separators:
                if p.regex.fullmatch(t):
                    ln.kind, ln.rule = "sep", p.name
                    break
            else:
                for p in r.line_rules:
                    if p.regex.fullmatch(t):
                        ln.kind, ln.rule = "furn", p.name
                        break
        n = len(lines)
        for _ in range(2):  # contextual rules feed each other (credit -> caption -> repeated caption)
            for k, ln in enumerate(lines):
                if ln.kind != "furn":
                    continue
                prev = lines[k - 1] if k > 0 else None
                nxt = lines[k + 1] if k + 1 < n else None
                if ln.rule == "caption_toggle":
                    # NPR layout: "<credit>" / "hide caption" / "toggle caption" / "<credit>"
                    low = ln.text.lower()
                    nb = prev if low == "hide caption" else nxt if low == "toggle caption" else None
                    if nb is not None and nb.kind == "content" and nb.words <= 10 and not _SENT_END.search(nb.text):
                        nb.kind, nb.rule = "furn", "photo_credit"
                elif ln.rule == "image_caption" and _CAPTION_MARKER.fullmatch(ln.text):
                    if nxt is not None and nxt.kind == "content" and nxt.words <= 60:
                        nxt.kind, nxt.rule = "furn", "photo_caption"
                elif (ln.rule == "photo_credit" and prev is not None and prev.kind == "content"
                      and self.caption_before_credit(prev, ln, nxt)):
                    # a line followed by a structured credit is that photo's caption, unless it opens the
                    # document or follows a separator (then it is a headline)
                    pp = lines[k - 2] if k >= 2 else None
                    if pp is not None and pp.kind != "sep":
                        prev.kind, prev.rule = "furn", "photo_caption"
            self._repeats(lines)

    def caption_before_credit(self, cand: Line, credit: Line, after: Line | None) -> bool:
        """Is `cand`, directly above the credit line `credit`, that photo's caption? Only when the credit is
        structured ("Name/Agency", "Name | Agency", or a credit above "hide caption"), the candidate is not
        quoted speech or reported speech, and it is caption-sized. A doubtful line stays in the story."""
        toggled = after is not None and after.kind == "furn" and after.rule == "caption_toggle"
        structured = toggled or bool(_STRUCTURED_CREDIT.search(credit.text))
        if not structured or not (4 <= cand.words <= self.caption_max_words):
            return False
        if toggled:  # "<caption>" / "<credit>" / "hide caption": the page itself marks it as a caption
            return True
        return not (cand.text[0] in "\"“‘'" or _REPORTED_SPEECH.search(cand.text))

    def _repeats(self, lines: list[Line]) -> None:
        w = self.repeat_window
        for k, ln in enumerate(lines):
            if ln.kind != "content" or ln.words < 3:
                continue
            consecutive = True
            seen = 0  # the window counts kept (content) lines only: removed lines do not separate repeats
            for j in range(k - 1, -1, -1):
                other = lines[j]
                if other.text == ln.text:
                    if other.kind == "furn":
                        ln.kind, ln.rule = "furn", other.rule
                    elif other.kind == "content" and consecutive:
                        ln.kind, ln.rule = "furn", "repeated_paragraph"
                    break
                if other.kind == "content":
                    consecutive = False
                    seen += 1
                    if seen >= w:
                        break

    # ------------------------------------------------------------------ segmentation
    def boundaries(self, lines: list[Line]) -> list[tuple[int, int | None, int]]:
        """[(first_line, topic_line|None, headline_line)] for every story start (headline_line == first_line
        when there is no topic tag; for the first story headline_line is its first content line)."""
        content = [k for k, ln in enumerate(lines) if ln.kind == "content"]
        if not content:
            return []
        sc = self.score
        starts = [(content[0], None, content[0])]
        story_has_body = False
        last_content = content[0]
        for k in content[1:]:
            ln = lines[k]
            prev = lines[k - 1]
            cur_first = starts[-1][2]
            if not story_has_body and k != cur_first:
                # the current story has only its headline so far: a second headline line cannot open a story
                story_has_body = not (self.headline_like(ln) and last_content == cur_first)
            if not self.headline_like(ln):
                last_content = k
                continue
            sep_before = prev.kind == "sep"
            topic = None
            first = k
            if (prev.kind == "content" and k >= 2 and lines[k - 2].kind == "sep" and self.topic_like(prev)
                    and prev.gap >= 1 or (prev.kind == "content" and k == 1 and self.topic_like(prev))):
                topic, first, sep_before = k - 1, k - 1, True
            _, outlet, found = self.split_title(ln.text)
            score = 0
            score += sc["after_separator"] if sep_before else 0
            score += sc["topic_tag"] if topic is not None else 0
            score += sc["outlet_suffix"] if outlet is not None else 0
            score += sc["blank_gap"] if lines[first].gap >= sc["gap_lines"] else 0
            score += sc["title_case"] if self.title_case(ln.text) else 0
            nxt = lines[k + 1] if k + 1 < len(lines) else None
            if nxt is not None and ((nxt.kind == "furn" and nxt.rule in CAPTIONISH) or
                                    (nxt.kind == "content" and self.tag_line(nxt.text))):
                score += sc["caption_after"]
            ok = score >= sc["threshold"] and story_has_body and nxt is not None
            if ok and not sep_before and score < sc["threshold"] + 1:
                # weak evidence only (no separator, score at the threshold): the previous story must look
                # finished (its last line ends a sentence or is furniture)
                pl = lines[first - 1]
                ok = pl.kind != "content" or bool(_SENT_END.search(pl.text))
            if ok and topic is not None and topic == last_content and starts[-1][2] == topic:
                ok = False
            if ok:
                starts.append((first, topic, k))
                story_has_body = False
            last_content = k
        return starts

    # ------------------------------------------------------------------ per story
    def _header_rule(self, t: str) -> str | None:
        for p in self.r.header_rules:
            if p.regex.fullmatch(t):
                return p.name
        return None

    def run(self, raw: str, title: str | None = None, published=None, url: str | None = None
            ) -> tuple[list[dict], list[dict]]:
        lines = split_lines(raw)
        self.classify(lines)
        starts = self.boundaries(lines)
        removed: list[tuple[int, int, str]] = [(ln.start, ln.end, ln.rule) for ln in lines if ln.kind != "content"]
        stories: list[dict] = []
        meta_title = normalize_line(title) if title else None
        meta_date = published
        for si, (first, topic, head) in enumerate(starts):
            nxt_first = starts[si + 1][0] if si + 1 < len(starts) else len(lines)
            last = nxt_first - 1
            while last > first and lines[last].kind == "sep":
                last -= 1
            story = self._story(raw, lines, first, last, topic, head, si == 0, meta_title, meta_date, url)
            if story is None:
                continue
            st, spans = story
            removed.extend(spans)
            st["story_index"] = len(stories) + 1
            stories.append(st)
        # a glued feed: undated stories bounded by their dated neighbours when the dates confirm the order
        datings = dating.date_feed([st.pop("_dating") for st in stories], self.dating_rules)
        for st, d in zip(stories, datings):
            st.update(d.as_columns())
        removed.sort()
        span_rows = [{"char_start": a, "char_end": b, "rule": rule, "text": raw[a:b]}
                     for a, b, rule in removed if b > a]
        return stories, span_rows


_DEFAULT: Segmenter | None = None


def _default() -> Segmenter:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Segmenter()
    return _DEFAULT


def clean_text(text: str, *, segmenter: Segmenter | None = None) -> str:
    """Furniture removal only (line rules, caption/credit context, repeats; no segmentation, no title or
    header handling): the normalised text of the lines that stay. Story texts are fixed points of it."""
    seg = segmenter or _default()
    lines = split_lines(text or "")
    seg.classify(lines)
    cut = [(ln.start, ln.end) for ln in lines if ln.kind != "content"]
    return normalize_text(excise(text or "", 0, len(text or ""), cut))


def segment_document(raw_text: str, *, title: str | None = None, published=None, url: str | None = None,
                     segmenter: Segmenter | None = None) -> tuple[list[dict], list[dict]]:
    """Split one document's raw text into cleaned stories and the audit of removed spans.

    Returns (stories, spans). story dict: story_index (1-based), title, outlet, dateline, published_date
    (datetime.date|None), published_date_source (metadata|explicit|inferred|none), published_precision
    (day|week|month|year|none), published_rule (clean/dating.py), raw_start, raw_end, text, n_words.
    span dict: char_start, char_end, rule, text (== raw_text[char_start:char_end]).
    `title`/`published` are the record's own metadata (applied to the first story / every story).
    """
    return (segmenter or _default()).run(raw_text or "", title=title, published=published, url=url)

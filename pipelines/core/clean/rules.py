"""Load the clean-stage rule files (pipelines/rules/*.yaml) once and compile every pattern."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"


@dataclass(frozen=True)
class NamedPattern:
    name: str
    regex: re.Pattern
    where: str | None = None


@dataclass
class CleanRules:
    separators: list[NamedPattern]
    line_rules: list[NamedPattern]
    header_rules: list[NamedPattern]
    prefix_rules: list[NamedPattern]
    footer_name: str
    footer_max_words: int
    footer_starts: list[re.Pattern]
    outlets_known: list[tuple[str, re.Pattern]]
    platforms: frozenset[str]
    generic_outlet: re.Pattern
    outlet_signatures: list[tuple[str, re.Pattern]]
    seg: dict[str, Any] = field(default_factory=dict)
    headline_bad_end: re.Pattern | None = None
    subhead: re.Pattern | None = None


def _load(name: str, rules_dir: Path) -> dict:
    with open(rules_dir / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _expand(pattern: str, macros: dict[str, str]) -> str:
    for key, value in macros.items():
        pattern = pattern.replace("{" + key + "}", value)
    return pattern


def _compile(spec: dict, macros: dict[str, str]) -> NamedPattern:
    flags = 0 if spec.get("case") else re.IGNORECASE
    return NamedPattern(spec["name"], re.compile(_expand(spec["pattern"], macros), flags), spec.get("where"))


@lru_cache(maxsize=4)
def load_rules(rules_dir: str | None = None) -> CleanRules:
    d = Path(rules_dir) if rules_dir else RULES_DIR
    bp = _load("boilerplate", d)
    out = _load("outlets", d)
    seg = _load("segmentation", d)
    # folded YAML scalars put spaces at line joins: drop whitespace around alternation bars
    macros = {k: re.sub(r"\s*\|\s*", "|", v.strip()) for k, v in (bp.get("macros") or {}).items()}
    known = []
    for canonical, alts in out["known"].items():
        known.append((canonical, re.compile("(?:" + "|".join(alts) + ")", re.IGNORECASE)))
    words = "|".join(re.escape(w) for w in out["generic_suffix_words"])
    generic = re.compile(rf"(?:The\s+)?(?:[A-Z][\w.&'’-]*\s+){{0,4}}(?:{words})")
    footer = bp["footer"]
    return CleanRules(
        separators=[_compile(s, macros) for s in bp["separators"]],
        line_rules=[_compile(s, macros) for s in bp["line_rules"]],
        header_rules=[_compile(s, macros) for s in bp["header_rules"]],
        prefix_rules=[_compile(s, macros) for s in bp["prefix_rules"]],
        footer_name=footer["name"],
        footer_max_words=int(footer["max_words"]),
        footer_starts=[re.compile(p, re.IGNORECASE) for p in footer["starts"]],
        outlets_known=known,
        platforms=frozenset(out.get("platforms") or ()),
        generic_outlet=generic,
        outlet_signatures=[(s["outlet"], re.compile(s["pattern"], re.IGNORECASE)) for s in out.get("signatures") or ()],
        seg=seg,
        headline_bad_end=re.compile(seg["headline"]["bad_endings"]),
        subhead=re.compile(seg["headline"]["subhead"]),
    )

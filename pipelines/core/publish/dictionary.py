"""Data dictionary generated from the pandera models in schemas/ (and the analyst views).

    python -m pipelines.core.publish.dictionary            # (re)write docs/data_dictionary.md
    python -m pipelines.core.publish.dictionary --check    # exit 1 when docs/data_dictionary.md is not current

Models are discovered generically: the public tables from `schemas.all_models()` (or `schemas.ALL_MODELS`), in
their publication order, then every other `pandera.polars.DataFrameModel` defined in a module of the `schemas`
package (intermediate frames). The output is deterministic (no timestamps), so CI can compare it byte for byte.
"""
from __future__ import annotations

import argparse
import difflib
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

import pandera.polars as pa

from pipelines.core.link.linker import load_rules
from pipelines.core.publish.views import ACLED_MAPPING, GDELT_MAPPING, VIEW_DOCS

REPO = Path(__file__).resolve().parents[3]
DEFAULT_PATH = REPO / "docs" / "data_dictionary.md"
COMMAND = "python -m pipelines.core.publish.dictionary"


def public_models() -> dict[str, type]:
    import schemas

    if hasattr(schemas, "ALL_MODELS"):
        return dict(schemas.ALL_MODELS)
    if hasattr(schemas, "all_models"):
        return dict(schemas.all_models())
    return {}


def other_models(exclude: set[type]) -> dict[str, type]:
    """{"module.Model": Model} for DataFrameModels in schemas/* that are not public tables."""
    import schemas

    out: dict[str, type] = {}
    for info in sorted(pkgutil.iter_modules(schemas.__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"schemas.{info.name}")
        for name, obj in sorted(vars(mod).items()):
            if (inspect.isclass(obj) and issubclass(obj, pa.DataFrameModel) and obj is not pa.DataFrameModel
                    and obj.__module__ == mod.__name__ and obj not in exclude):
                out[f"{mod.__name__}.{name}"] = obj
    return out


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _checks(col) -> str:
    parts = []
    if col.unique:
        parts.append("unique")
    for ch in col.checks:
        stats = ch.statistics or {}
        if ch.name == "isin":
            vals = stats.get("allowed_values") or []
            parts.append("in {" + ", ".join(map(str, vals)) + "}")
        elif stats:
            parts.append(f"{ch.name} " + ", ".join(f"{v}" for v in stats.values() if v is not None))
        else:
            parts.append(str(ch.name))
    return "; ".join(parts)


def model_section(title: str, model: type, level: str = "###") -> list[str]:
    schema = model.to_schema()
    doc = " ".join((schema.description or model.__doc__ or "").split())
    lines = [f"{level} `{title}`", "", f"Model: `{model.__module__}.{model.__name__}`. {doc}".rstrip(), "",
             "| column | type | null | checks | description |", "|---|---|---|---|---|"]
    for name, col in schema.columns.items():
        lines.append(f"| `{name}` | {_cell(col.dtype)} | {'yes' if col.nullable else 'no'} | {_cell(_checks(col))} | "
                     f"{_cell(col.description or '')} |")
    frame_checks = [c for c in (schema.checks or [])]
    if frame_checks:
        lines += ["", "Row checks: " + "; ".join(f"`{c.name}`" + (f" ({_cell(c.description)})" if getattr(c, "description", None) else "")
                                               for c in frame_checks) + "."]
    lines.append("")
    return lines


def render() -> str:
    pub = public_models()
    rules = load_rules()
    lines = [
        "# newsevents data dictionary",
        "",
        f"Generated from the pandera models in `schemas/` by `{COMMAND}`; CI runs it with `--check`. "
        "Do not edit by hand. The same descriptions are attached to the DuckDB tables and columns as "
        "`COMMENT ON` (`SELECT table_name, column_name, comment FROM duckdb_columns() WHERE database_name = current_database()`).",
        "",
        "## Tables",
        "",
    ]
    for table, model in pub.items():
        lines += model_section(table, model)
    lines += ["## Analyst views (newsevents.duckdb)", ""]
    for name, doc in VIEW_DOCS.items():
        lines += [f"- `{name}` — {doc}"]
    lines += ["", "### `v_gdelt_events` — mapping to GDELT 2.0 Event columns", "", "| GDELT column | newsevents source |",
              "|---|---|"]
    lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in GDELT_MAPPING.items()]
    lines += ["", "PLOVER type → QuadClass, default CAMEO root: " +
              ", ".join(f"{t} {v[0]}/{v[1]}" for t, v in sorted((rules.get("plover_quad") or {}).items())) + ".", ""]
    lines += ["### `v_acled_events` — mapping to ACLED columns", "", "| ACLED column | newsevents source |", "|---|---|"]
    lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in ACLED_MAPPING.items()]
    lines += ["", "PLOVER type → ACLED (disorder_type / event_type / sub_event_type): " +
              "; ".join(f"{t} → {' / '.join(v)}" for t, v in sorted((rules.get("acled_crosswalk") or {}).items())) + ".", ""]
    others = other_models(set(pub.values()))
    if others:
        lines += ["## Intermediate frames (not published)", ""]
        for title, model in others.items():
            lines += model_section(title, model)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write or check docs/data_dictionary.md from the pandera schemas.")
    ap.add_argument("--check", action="store_true", help="exit 1 if the file is missing or not current")
    ap.add_argument("--path", default=str(DEFAULT_PATH))
    args = ap.parse_args(argv)
    path = Path(args.path)
    text = render()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(), "on disk", "from schemas", lineterm="", n=0))
            print(f"{path} is not current: run `{COMMAND}`\n" + "\n".join(diff[:40]), file=sys.stderr)
            return 1
        print(f"{path} is current")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

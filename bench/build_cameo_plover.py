"""Build pipelines/rules/cameo_plover.csv from ../shared/peer/plover/CAMEO2PLOVER-2021.txt.

Reproduce: .venv/bin/python bench/build_cameo_plover.py
One row per CAMEO code: cameo_code, cameo_root, plover_type, plover_mode, plover_context, description, note.
Override (shared/README.md, PLOVER manual 2024): CAMEO 163 "Impose embargo, boycott, or sanctions" -> SANCTION
(the 2021 crosswalk says COERCE). Two-digit root lines ("03: AGREE") are kept as the root's default.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / ".." / "shared" / "peer" / "plover" / "CAMEO2PLOVER-2021.txt"
OUT = ROOT / "pipelines" / "rules" / "cameo_plover.csv"
OVERRIDES = {"163": ("SANCTION", "restrict", "SANCTION per PLOVER manual 2024 / shared README (crosswalk 2021: COERCE)")}
LINE = re.compile(r"^(\d{2,4}):\s*([A-Z]+)\s*(?:,([^,#]*))?(?:,([^#]*))?(?:#\s*(.*))?$")


def main() -> None:
    rows: dict[str, dict] = {}
    for raw in SRC.read_text(encoding="utf-8").splitlines():
        m = LINE.match(raw.strip())
        if not m:
            continue
        code, typ, mode, ctx, desc = m.groups()
        if len(code) == 2 and code in rows:
            continue  # "08: RETREAT" after "08: CONCEDE": keep first root default
        note = ""
        if code in OVERRIDES:
            typ, mode, note = OVERRIDES[code]
        rows.setdefault(code, {
            "cameo_code": code, "cameo_root": code[:2], "plover_type": typ,
            "plover_mode": (mode or "").strip(), "plover_context": (ctx or "").strip().replace(";", "|").replace(" ", ""),
            "description": (desc or "").strip(), "note": note,
        })
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(next(iter(rows.values())).keys()))
        w.writeheader()
        for code in sorted(rows, key=lambda c: (c[:2], len(c), c)):
            w.writerow(rows[code])
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()

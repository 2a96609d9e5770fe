"""Row-for-row comparison of two published warehouses (incremental vs rebuild, distributed vs single-process)."""
from __future__ import annotations

from pathlib import Path

import duckdb

# wall-clock columns: legitimately different between two runs of the same input
VOLATILE_COLUMNS = frozenset({"ingested_at"})


def compare_warehouses(a: Path, b: Path, ignore: frozenset[str] = VOLATILE_COLUMNS) -> dict[str, dict]:
    """{table: {equal, rows_a, rows_b, only_a, only_b}} for every base table of either newsevents.duckdb
    (multiset equality with EXCEPT ALL both ways, columns in `ignore` left out)."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{Path(a) / 'newsevents.duckdb'}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{Path(b) / 'newsevents.duckdb'}' AS b (READ_ONLY)")

        def tables(db: str) -> set[str]:
            return {r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog=? AND table_type='BASE TABLE'", [db]).fetchall()}

        def columns(db: str, t: str) -> list[str]:
            return [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_catalog=? AND table_name=? ORDER BY ordinal_position",
                [db, t]).fetchall()]

        out: dict[str, dict] = {}
        ta, tb = tables("a"), tables("b")
        for t in sorted(ta | tb):
            if t not in ta or t not in tb:
                out[t] = {"equal": False, "detail": f"only in {'a' if t in ta else 'b'}"}
                continue
            ca, cb = columns("a", t), columns("b", t)
            if ca != cb:
                out[t] = {"equal": False, "detail": f"columns differ: {ca} vs {cb}"}
                continue
            sel = ", ".join(f'"{c}"' for c in ca if c not in ignore)
            na = con.execute(f'SELECT count(*) FROM a."{t}"').fetchone()[0]
            nb = con.execute(f'SELECT count(*) FROM b."{t}"').fetchone()[0]
            only_a = con.execute(f'SELECT count(*) FROM (SELECT {sel} FROM a."{t}" EXCEPT ALL SELECT {sel} FROM b."{t}")').fetchone()[0]
            only_b = con.execute(f'SELECT count(*) FROM (SELECT {sel} FROM b."{t}" EXCEPT ALL SELECT {sel} FROM a."{t}")').fetchone()[0]
            out[t] = {"equal": only_a == 0 and only_b == 0, "rows_a": na, "rows_b": nb, "only_a": only_a, "only_b": only_b}
        return out
    finally:
        con.close()


def ordered_rows(warehouse: Path, table: str, ignore: frozenset[str] = VOLATILE_COLUMNS) -> list[tuple]:
    """All rows of a table, volatile columns left out, sorted by every column (for exact equality checks)."""
    con = duckdb.connect(str(Path(warehouse) / "newsevents.duckdb"), read_only=True)
    try:
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name=? ORDER BY ordinal_position", [table]).fetchall()]
        sel = ", ".join(f'"{c}"' for c in cols if c not in ignore)
        return con.execute(f'SELECT {sel} FROM "{table}" ORDER BY ALL').fetchall()
    finally:
        con.close()

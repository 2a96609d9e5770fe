"""`newsevents sql [--warehouse DIR] [-c SQL] [--csv] [--max-rows N]`: SQL over the published DuckDB database, read-only.

It uses the installed `duckdb` Python package (the very version that wrote the file, so the storage format always
matches; no DuckDB shell needs to be installed). `-c "SQL"` runs the statements and prints the last result; without
it, a small REPL: statements end with `;`, `.tables` lists the tables and views, `.quit` (or Ctrl-D) leaves.
The connection is read_only=True: a published database is never changed from here, and a run may replace it
meanwhile (this session keeps reading its snapshot).
"""
from __future__ import annotations

import contextlib
import csv
import shutil
import sys
from pathlib import Path

TABLES_SQL = ("SELECT table_name AS name, table_type AS kind, table_comment AS comment FROM information_schema.tables "
              "WHERE table_catalog = current_database() AND table_schema = 'main' ORDER BY kind, name")


def _print(rel, fmt: str, out, max_rows: int) -> None:
    if rel is None:  # a statement without a result
        return
    if fmt == "csv":  # every row
        w = csv.writer(out, lineterminator="\n")
        w.writerow(rel.columns)
        for row in rel.fetchall():
            w.writerow(row)
        return
    # duckdb's own box rendering (as its shell prints it): the terminal's width on a terminal, else no width limit
    width = shutil.get_terminal_size().columns if out.isatty() else 1_000_000
    with contextlib.redirect_stdout(out):
        rel.show(max_width=width, max_rows=max_rows)


def run_sql(con, sql: str, fmt: str = "box", out=None, max_rows: int = 100) -> None:
    _print(con.sql(sql), fmt, out or sys.stdout, max_rows)


def repl(con, fmt: str = "box", max_rows: int = 100) -> int:
    import readline  # noqa: F401  (line editing and history for input())

    print("newsevents sql: read-only DuckDB; end statements with ';', .tables lists tables and views, .quit leaves",
          file=sys.stderr)
    buf: list[str] = []
    while True:
        try:
            line = input("newsevents> " if not buf else "      ...> ")
        except EOFError:
            print(file=sys.stderr)
            return 0
        except KeyboardInterrupt:
            print(file=sys.stderr)
            buf = []
            continue
        stripped = line.strip()
        if not buf and stripped in (".quit", ".exit", r"\q"):
            return 0
        if not buf and stripped == ".tables":
            stripped, line = ";", TABLES_SQL + ";"
        if not stripped and not buf:
            continue
        buf.append(line)
        if not stripped.endswith(";"):
            continue
        sql, buf = "\n".join(buf), []
        try:
            run_sql(con, sql, fmt, max_rows=max_rows)
        except Exception as e:  # duckdb.Error and friends: show it, keep the session
            print(f"Error: {e}", file=sys.stderr)


def main(warehouse_dir: str | None, command: str | None, fmt: str = "box", max_rows: int = 100) -> int:
    import duckdb

    from pipelines.core.publish.database import open_readonly
    from pipelines.warehouse import Warehouse

    db = Warehouse(path=warehouse_dir).db_path
    if not Path(db).exists():
        print(f"newsevents sql: no database at {db} (run `newsevents run` first)", file=sys.stderr)
        return 2
    con = open_readonly(db)
    try:
        if command is not None:
            try:
                run_sql(con, command, fmt, max_rows=max_rows)
            except duckdb.Error as e:
                print(f"newsevents sql: {e}", file=sys.stderr)
                return 1
            return 0
        return repl(con, fmt, max_rows)
    finally:
        con.close()

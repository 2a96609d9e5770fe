"""The README matches the code: every command in its code blocks exists (make targets, `newsevents` subcommands
and options as the CLI parses them, venv executables, scripts and test files), every SQL query it shows runs on a
published warehouse, its Python snippets compile, and every repository file or folder it names exists."""
from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```", README, re.S | re.M)]
# made by `make install` / by the README's own commands, not files of the repository (warehouse/ paths are
# checked in a published warehouse instead)
GENERATED = (".venv/", "sanctions.csv")


def _inline() -> list[str]:
    """Backticked spans outside the fenced blocks."""
    text = re.sub(r"^```.*?^```", "", README, flags=re.S | re.M)
    return re.findall(r"`([^`\n]+)`", text)


def _shell_commands() -> list[list[str]]:
    """Each command of the bash blocks (comments and output redirections dropped) as argv."""
    out = []
    for lang, body in BLOCKS:
        if lang not in ("bash", "sh", "shell"):
            continue
        for line in body.replace("\\\n", " ").splitlines():
            argv = shlex.split(line, comments=True)
            if ">" in argv:
                argv = argv[:argv.index(">")]
            if argv:
                out.append(argv)
    return out


def _inline_commands() -> list[list[str]]:
    """Inline commands such as `.venv/bin/newsevents run [--input DIR|FILE] [--warehouse DIR]` or `python bench/x.py
    --flag`, with the usage brackets dropped and the first of `A|B` alternatives kept."""
    out = []
    for span in _inline():
        words = span.replace("[", " ").replace("]", " ").split()
        if len(words) < 2 or not re.match(r"^(\.venv/bin/)?(newsevents|python|pytest|make)$", words[0]):
            continue
        argv = [w.split("|")[0] for w in words if w not in ("...", "…")]
        out.append([PLACEHOLDERS.get(a, a) for a in argv])
    return out


PLACEHOLDERS = {"N": "1", "SECONDS": "60"}  # usage placeholders of numeric options (DIR, FILE, SQL stay strings)


def _make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", (REPO / "Makefile").read_text(), re.M))


def _check_newsevents(argv: list[str], monkeypatch) -> None:
    import pipelines.orchestration.cli as cli
    import pipelines.sql as sql

    called = []
    for mod, name in ((cli, "run"), (cli, "watch"), (sql, "main")):
        monkeypatch.setattr(mod, name, lambda *a, _n=name, **k: called.append(_n) or 0)
    try:
        code = cli.main(argv)
    except SystemExit as e:  # argparse: unknown subcommand or option
        pytest.fail(f"README command `newsevents {' '.join(argv)}` is refused by the CLI (exit {e.code})")
    assert code == 0 and called, argv


def _check_command(argv: list[str], monkeypatch) -> None:
    prog = argv[0]
    if prog == "make":
        missing = [t for t in argv[1:] if not t.startswith("-") and "=" not in t and t not in _make_targets()]
        assert not missing, f"README: `{' '.join(argv)}`: no such Makefile target {missing}"
    elif prog.endswith("newsevents"):
        _check_newsevents(argv[1:], monkeypatch)
    elif prog.startswith(".venv/bin/"):
        assert (Path(sys.executable).parent / Path(prog).name).exists(), f"README: `{prog}` is not installed"
    elif prog in ("python", "python3", "pytest") or prog.endswith(("/python", "/pytest")):
        args = argv[1:]
        if args[:2] == ["-m", "pytest"]:
            args = args[2:]
        paths = [a for a in args if not a.startswith("-") and re.search(r"\.py$|^tests/", a)]
        for p in paths:
            assert (REPO / p.split("::")[0]).exists(), f"README: `{' '.join(argv)}`: {p} does not exist"
        script = next((REPO / p for p in paths if p.endswith(".py") and not p.startswith("tests/")), None)
        if script is not None:  # the options shown are options of that script
            source = script.read_text(encoding="utf-8")
            for opt in (a.split("=")[0] for a in args if a.startswith("--")):
                assert f'"{opt}"' in source or f"'{opt}'" in source, f"README: {script.name} has no option {opt}"
    else:
        pytest.fail(f"README shows a command this test does not know how to check: {argv}")


def test_every_readme_command_exists(monkeypatch):
    commands = _shell_commands() + _inline_commands()
    progs = {c[0] for c in commands}
    assert {"make", ".venv/bin/newsevents"} <= progs and any(c[:2] == ["make", "run"] for c in commands)
    for argv in commands:
        _check_command(argv, monkeypatch)


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory) -> Path:
    """A warehouse published from an empty input folder: every table and view, no rows."""
    from pipelines.orchestration.cli import main

    base = tmp_path_factory.mktemp("readme")
    (base / "in").mkdir()
    with pytest.MonkeyPatch.context() as mp:  # the instance where the README says: WAREHOUSE/_dagster
        mp.delenv("DAGSTER_HOME", raising=False)
        assert main(["run", "--quiet", "--input", str(base / "in"), "--warehouse", str(base / "wh")]) == 0
    return base / "wh"


def _named_paths() -> list[str]:
    """Repository paths named in backticks or in Markdown links/images (globs allowed, URLs and outputs not)."""
    links = re.findall(r"\]\(([^)\s#]+)\)", README)
    spans = [w for s in _inline() for w in s.split() if "/" in w or re.search(r"\.(md|py|yaml|yml|toml|lock|svg)$", w)]
    out = []
    for p in links + spans:
        p = p.strip("`()'\"").rstrip(",.;:")
        if (not p or "://" in p or p.startswith(("/", "$", "-")) or p.startswith(GENERATED)
                or re.search(r"[<>{}=\[\]]|\.\.\.|…", p) or not re.match(r"^[\w./*-]+$", p)):
            continue
        out.append(p)
    return sorted(set(out))


def _exists(p: str, warehouse: Path) -> bool:
    """A path of the repository, or of ../shared (beside the repository, as the README says); `rules/...` and
    `assets/...` are also found under pipelines/ (the README names rule files by their folder). `warehouse/...`
    is looked up in a published warehouse, and a bare file name also among its reports (the README lists
    `warehouse/reports/timeline.svg`, `actors.svg`, ...)."""
    if p.startswith("warehouse/") and not (REPO / p).exists():
        return (warehouse / p.removeprefix("warehouse/")).exists()
    roots = [REPO, REPO / "pipelines"] + ([warehouse / "reports"] if "/" not in p else [])
    return any(list(r.glob(p)) if "*" in p else (r / p).exists() for r in roots)


def test_every_file_the_readme_names_exists(empty_warehouse):
    named = _named_paths()
    assert "docs/architecture.md" in named and len(named) > 20, named
    shared = [p for p in named if p.startswith("../shared/")]
    if not (REPO.parent / "shared").is_dir():
        named = [p for p in named if p not in shared]  # a clone without ../shared beside it: those are not ours
    missing = [p for p in named if not _exists(p, empty_warehouse)]
    assert missing == [], f"README names files that do not exist: {missing}"


def _sql_statements() -> list[str]:
    out = [body.strip() for lang, body in BLOCKS if lang == "sql"]
    for argv in _shell_commands():
        if "-c" in argv:
            out.append(argv[argv.index("-c") + 1])
    out += [m for m in re.findall(r"`(SELECT [^`]+)`", README)]
    return out


def test_readme_sql_runs_on_the_warehouse(empty_warehouse):
    statements = _sql_statements()
    assert len(statements) >= 6, statements
    con = duckdb.connect(str(empty_warehouse / "newsevents.duckdb"), read_only=True)
    try:
        for sql in statements:
            try:
                con.execute(sql).fetchall()
            except duckdb.Error as e:
                pytest.fail(f"README query fails on a published warehouse: {e}\n{sql}")
    finally:
        con.close()


def test_readme_python_snippets_compile_and_name_published_files(empty_warehouse):
    snippets = [body for lang, body in BLOCKS if lang == "python"]
    assert snippets
    for body in snippets:
        compile(body, "README.md", "exec")
        for p in re.findall(r"[\"'](warehouse/[^\"']+)[\"']", body):
            assert (empty_warehouse / p.removeprefix("warehouse/")).exists(), f"README snippet reads {p}: not published"

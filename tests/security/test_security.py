"""Security: no network at run time, input fields never become paths / SQL / code, the UI binds to loopback,
and dependencies are pinned with hashes."""
from __future__ import annotations

import ast
import json
import os
import re
import socket
from importlib import metadata
from pathlib import Path

import duckdb
import pytest

from tests.reliability.corpus import STORY

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"

SQLI = "x'); DROP TABLE documents; --"
CODE = "{{7*7}} ${jndi:ldap://127.0.0.1/a} $(touch PWNED_SHELL) `touch PWNED_TICK` __import__('os').system('touch PWNED_PY')"
HOSTILE_RECORDS = [
    {"title": SQLI, "maintext": STORY + " " + CODE, "url": "../../../../PWNED_URL", "doc_id": "../../PWNED_ID",
     "source_uri": "/etc/passwd", "date_publish": "2020-08-16'; DROP TABLE quarantine;--"},
    {"title": "../../parquet/documents/data", "maintext": STORY.replace("Tuesday", "Wednesday"),
     "url": "file:///etc/passwd", "source_domain": "'; COPY documents TO 'PWNED_COPY.csv'; --"},
]
EVIL_FILE = "evil'; DROP TABLE documents; --.txt"


class NetworkAttempt(AssertionError):
    pass


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """One in-process `newsevents run` on hostile input with every outbound network call made to raise."""
    from pipelines.orchestration.cli import main

    tmp = tmp_path_factory.mktemp("hostile")
    inp = tmp / "in"
    inp.mkdir()
    (inp / EVIL_FILE).write_text(STORY)
    (inp / "hostile.json").write_text(json.dumps(HOSTILE_RECORDS))
    small = sorted(SEEDS.glob("*.txt"), key=lambda p: p.stat().st_size)[:1]
    for s in small:
        (inp / s.name).write_bytes(s.read_bytes())
    wh = tmp / "wh"
    attempts: list[str] = []

    def refuse(what):
        def _raise(*args, **kwargs):
            attempts.append(f"{what}{args[1:2] if what.startswith('socket.') else args[:1]}")
            raise NetworkAttempt(f"network access at run time: {what} {args[:2]}")
        return _raise

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self, address, *a):
        if self.family == socket.AF_UNIX:
            return real_connect(self, address, *a)
        return refuse("socket.connect")(self, address)

    def connect_ex(self, address, *a):
        if self.family == socket.AF_UNIX:
            return real_connect_ex(self, address, *a)
        return refuse("socket.connect_ex")(self, address)

    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", connect)
    mp.setattr(socket.socket, "connect_ex", connect_ex)
    mp.setattr(socket.socket, "sendto", refuse("socket.sendto"))
    mp.setattr(socket, "create_connection", refuse("create_connection"))
    mp.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    mp.setenv("NEWSEVENTS_OBJECT_STORE_URL", "")
    cwd_before = set(os.listdir(os.getcwd()))
    try:
        # the guard itself works: a TCP connect and a name lookup are refused (and then forgotten)
        for probe in (lambda: socket.create_connection(("127.0.0.1", 9), timeout=1),
                      lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("127.0.0.1", 9)),
                      lambda: socket.getaddrinfo("example.org", 443)):
            with pytest.raises(NetworkAttempt):
                probe()
        assert len(attempts) == 3
        attempts.clear()
        code = main(["run", "--input", str(inp), "--warehouse", str(wh), "--quiet"])
    finally:
        mp.undo()
    return {"code": code, "attempts": attempts, "tmp": tmp, "wh": wh, "inp": inp, "cwd_before": cwd_before}


def test_run_makes_no_network_access(hostile_run):
    assert hostile_run["attempts"] == []
    assert hostile_run["code"] == 0


def test_input_fields_are_stored_verbatim_as_data(hostile_run):
    con = duckdb.connect(str(hostile_run["wh"] / "newsevents.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT doc_id, source_uri, title, url, raw_text FROM documents ORDER BY source_uri").fetchall()
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        con.close()
    assert {"documents", "quarantine"} <= tables  # nothing was dropped
    by_uri = {r[1]: r for r in rows}
    assert EVIL_FILE in by_uri and "hostile.json#1" in by_uri and "hostile.json#2" in by_uri
    h1 = by_uri["hostile.json#1"]
    assert h1[2] == SQLI and h1[3] == "../../../../PWNED_URL" and CODE in h1[4]  # kept as text, not executed
    assert by_uri["hostile.json#2"][2] == "../../parquet/documents/data"
    # ids are content hashes, never taken from the record, the file name or the record's own "doc_id"/"source_uri"
    assert all(re.fullmatch(r"doc_[0-9a-f]{16}", r[0]) for r in rows)
    assert "/etc/passwd" not in by_uri


def test_input_fields_never_become_files(hostile_run):
    planted = [p for r in (REPO, Path(os.getcwd()), Path("/tmp")) for p in r.glob("*PWNED*")]
    planted += [p for p in hostile_run["tmp"].rglob("*") if "PWNED" in p.name]
    assert planted == []
    new_in_cwd = set(os.listdir(os.getcwd())) - hostile_run["cwd_before"]
    assert not {n for n in new_in_cwd if "PWNED" in n or n.endswith(".csv")}
    # nothing in the warehouse is named after an input field
    names = {p.name for p in hostile_run["wh"].rglob("*")}
    assert not {n for n in names if "DROP" in n or "PWNED" in n or "passwd" in n}


FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_ATTRS = {("os", "system"), ("os", "popen"), ("pickle", "load"), ("pickle", "loads"), ("marshal", "loads"),
                   ("yaml", "unsafe_load"), ("yaml", "full_load")}


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        where = f"{path.relative_to(REPO)}:{node.lineno}"
        if isinstance(f, ast.Name) and f.id in FORBIDDEN_CALLS:
            out.append(f"{where} {f.id}()")
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in FORBIDDEN_ATTRS:
            out.append(f"{where} {f.value.id}.{f.attr}()")
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) == ("yaml", "load"):
            if not any(k.arg == "Loader" and "Safe" in ast.unparse(k.value) for k in node.keywords):
                out.append(f"{where} yaml.load without SafeLoader")
        for k in node.keywords:
            if k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True:
                out.append(f"{where} shell=True")
            if k.arg == "allow_pickle" and isinstance(k.value, ast.Constant) and k.value.value is True:
                out.append(f"{where} allow_pickle=True")
    return out


def test_pipeline_code_has_no_code_execution_sinks():
    """No eval/exec/pickle/unsafe YAML/shell in the shipped code: input text has no way to become code."""
    files = sorted((REPO / "pipelines").rglob("*.py")) + sorted((REPO / "schemas").rglob("*.py"))
    assert files
    bad = [v for f in files for v in _violations(f)]
    assert bad == []


def test_ui_is_documented_to_bind_to_loopback():
    from dagster_webserver.cli import DEFAULT_WEBSERVER_HOST

    assert DEFAULT_WEBSERVER_HOST == "127.0.0.1"  # `dagster dev` without -h also stays on loopback
    docs = [p for p in [REPO / "README.md", REPO / "Makefile", *sorted((REPO / "docs").glob("*.md"))] if p.exists()]
    assert any("127.0.0.1" in p.read_text() and "dagster dev" in p.read_text() for p in docs)
    for p in docs:
        text = p.read_text()
        assert "0.0.0.0" not in text, f"{p.name} tells the UI to bind to every interface"
        for m in re.finditer(r"dagster(?:-webserver| dev)[^\n`]*", text):
            cmd = m.group(0)
            if re.search(r"\s(-h|--host)\s", cmd):
                assert re.search(r"\s(-h|--host)\s+(127\.0\.0\.1|localhost|::1)\b", cmd), f"{p.name}: {cmd}"


def _lock() -> dict[str, tuple[str, list[str]]]:
    text = (REPO / "requirements.lock").read_text()
    out = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        m = re.match(r"([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)", block)
        if m:
            name = re.sub(r"\[.*\]", "", m.group(1)).lower().replace("_", "-")
            out[name] = (m.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return out


def test_dependencies_are_pinned_with_hashes():
    lock = _lock()
    assert len(lock) > 50
    unhashed = [n for n, (_, hashes) in lock.items() if not hashes]
    assert unhashed == []
    lines = [ln for ln in (REPO / "requirements.lock").read_text().splitlines() if ln and not ln.startswith((" ", "#"))]
    assert all("==" in ln for ln in lines), [ln for ln in lines if "==" not in ln]
    # every direct dependency of the package is in the lock
    import tomllib

    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[\[=<>!~ ;]", d, maxsplit=1)[0].lower().replace("_", "-") for d in deps}
    assert names - set(lock) == set()


def test_installed_versions_match_the_lock():
    mismatched = {}
    for name, (version, _) in _lock().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # e.g. a platform-specific wheel not needed here
        if installed != version:
            mismatched[name] = (version, installed)
    assert mismatched == {}

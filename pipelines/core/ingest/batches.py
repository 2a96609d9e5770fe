"""Ingest batches: which input files are processed together, and which batches must be (re)processed. Pure: no Dagster.

An ingest batch is a set of input files first seen together: at most `max_files` files and `max_bytes` bytes (a
single larger file is a batch on its own). The registry (WAREHOUSE/_batches/registry.parquet) records, per input
file, its path (relative to the input folder), size, mtime_ns and content sha256 when it was last seen, its batch
key, and the code version that last materialized its batch ("" = not materialized yet, or its last run failed).
The input may also be a single file: its listing is that one file, under its name.

`plan_batches(listing, registry, code_version=..., now=..., content_hash=...)` compares the listing with the
registry. Content hashes, not paths or timestamps, decide what is new or changed (with `content_hash`, e.g.
`content_hasher(root)`; a file is only hashed when it is new or its size/mtime differ from the registry's):
* a file whose size/mtime differ but whose bytes are the recorded ones (a copied folder, a `touch`) is unchanged:
  the registry takes its new size/mtime, nothing is re-ingested;
* a file at a new path whose bytes are those of a registry file that is no longer listed was moved/renamed: it
  keeps its batch (nothing re-ingested) and the registry records its new path, which is read from then on
  (the documents already staged keep the source_uri they were ingested under until their batch is next re-run);
* other new files (not in the registry) form new batches, in sorted path order, keys `b<UTC yyyymmddTHHMMSS>-<nnn>`
  (a second copy of a known file at another path, both listed, is a new file: dedup links the two documents);
* a batch is dirty when a member file's content changed or it disappeared, or when its recorded code version is
  not the current one (the backfill after a code/rules change, or a batch whose previous run did not finish);
* a batch is retired when none of its files is left;
* everything else is unchanged: nothing to do.
Files never move between batches, so a batch's documents (and their first-ingest time) stay in one partition.
"""
from __future__ import annotations

import hashlib
import os
import stat
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

import polars as pl

from pipelines.core.ingest.readers import DEFAULT_MAX_BYTES, Document, Rejected, _iter_files, read_file, safe_relpath
from pipelines.core.ingest.readers import _RULES as _INGEST_RULES

REGISTRY_SCHEMA = {"path": pl.Utf8, "size": pl.Int64, "mtime_ns": pl.Int64, "batch_key": pl.Utf8,
                   "code_version": pl.Utf8, "sha256": pl.Utf8}
NO_HASH = ""  # sha256 of an entry without content identity (directory entry, symlink, unreadable, or not hashed)
PENDING = ""  # code_version of a batch that has not been materialized (successfully) since it was planned
DIRECTORY_ENTRY = -1  # `size` of a listing entry that is a directory ingest cannot enter (symlinked / unreadable)
_BATCH_RULES = _INGEST_RULES.get("batches", {})
DEFAULT_BATCH_FILES = int(_BATCH_RULES.get("max_files", 1000))
DEFAULT_BATCH_BYTES = int(_BATCH_RULES.get("max_bytes", 64 * 1024 * 1024))


class InputFile(NamedTuple):
    path: str  # relative to the input folder, as stored in documents.source_uri (before any '#record')
    size: int
    mtime_ns: int


@dataclass
class BatchPlan:
    new: list[str] = field(default_factory=list)
    dirty: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # batch -> why it is (re)processed or retired
    moved: dict[str, str] = field(default_factory=dict)  # old path -> new path of files moved with unchanged bytes
    restamped: int = 0  # known files whose size/mtime changed but whose bytes did not (not re-ingested)
    registry: pl.DataFrame = field(default_factory=lambda: empty_registry())

    @property
    def to_run(self) -> list[str]:
        """Batches to materialize, in key order (new and dirty)."""
        return sorted(self.new + self.dirty)

    @property
    def live(self) -> list[str]:
        return live_batches(self.registry)

    def members(self, batch_key: str) -> list[str]:
        return batch_members(self.registry, batch_key)

    def summary(self) -> str:
        same = [f"{n} {what}" for n, what in ((len(self.moved), "moved"), (self.restamped, "re-stamped")) if n]
        return (f"{len(self.new)} new batch(es), {len(self.dirty)} to re-run, {len(self.retired)} retired, "
                f"{len(self.unchanged)} unchanged"
                + (f" ({', '.join(same)} file(s) with unchanged content)" if same else ""))


def empty_registry() -> pl.DataFrame:
    return pl.DataFrame(schema=REGISTRY_SCHEMA)


def normalize_registry(registry: pl.DataFrame) -> pl.DataFrame:
    """A registry as read from disk in REGISTRY_SCHEMA (one written before content hashes gets sha256 NO_HASH: the
    next plan hashes those files once)."""
    if "sha256" not in registry.columns:
        registry = registry.with_columns(pl.lit(NO_HASH).alias("sha256"))
    return registry.select([pl.col(c).cast(t) for c, t in REGISTRY_SCHEMA.items()])


def live_batches(registry: pl.DataFrame) -> list[str]:
    return sorted(set(registry["batch_key"].to_list())) if registry.height else []


def batch_members(registry: pl.DataFrame, batch_key: str) -> list[str]:
    return sorted(registry.filter(pl.col("batch_key") == batch_key)["path"].to_list())


def batch_fingerprint(registry: pl.DataFrame, batch_key: str) -> str:
    """Hash of a batch's members (path and content hash; size and mtime_ns for entries without one): changes
    whenever the batch has to be re-run for its files, not when a file is only re-stamped."""
    rows = (registry.filter(pl.col("batch_key") == batch_key).sort("path")
            .select("path", "size", "mtime_ns", "sha256").rows())
    rows = [(p, sha) if sha else (p, size, mtime) for p, size, mtime, sha in rows]
    return hashlib.sha256(repr(rows).encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _single_file(root: Path) -> bool:
    """The input is one file (not a folder): it is listed and read under its own name."""
    return not root.is_dir() and os.path.lexists(root)


def list_inputs(root: Path | str) -> list[InputFile]:
    """Every entry ingest accounts for below `root` (sorted, deterministic; directory symlinks not followed): files
    with (size, mtime_ns) of what they point to (of the link itself when broken), and the directories ingest
    cannot enter (symlinked / unreadable) with size DIRECTORY_ENTRY, so they land in a batch and in quarantine.
    `root` may be a single file: the listing is that file, its path its name."""
    root = Path(root)
    if _single_file(root):
        st = os.stat(root) if root.exists() else os.lstat(root)
        return [InputFile(safe_relpath(root, root.parent), int(st.st_size), int(st.st_mtime_ns))]
    out: list[InputFile] = []
    for item in _iter_files(root):
        if isinstance(item, Rejected):
            out.append(InputFile(item.source_uri, DIRECTORY_ENTRY, 0))
            continue
        p, rel = item
        try:
            st = os.stat(p)
        except OSError:
            try:
                st = os.lstat(p)
            except OSError:
                continue  # vanished while listing: the next plan sees the folder as it is then
        out.append(InputFile(rel, int(st.st_size), int(st.st_mtime_ns)))
    return sorted(out)


def read_batch(root: Path | str, members: Iterable[str], *,
               max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Document | Rejected]:
    """Documents and rejected inputs of the batch's member paths only (same rules as scan_folder). `root` may be a
    single input file (list_inputs): its member is its name."""
    root = Path(root)
    members = sorted(members)
    if _single_file(root):  # the file named on the command line is read as given (a symlink is the user's choice)
        for rel in members:
            yield from read_file(root if rel == safe_relpath(root, root.parent) else root.parent / rel, rel,
                                 max_bytes=max_bytes)
        return
    root_real = root.resolve()
    paths = _member_paths(root, members)
    for rel in members:
        p = paths[rel]
        if p.is_dir():  # a listing entry for a directory ingest could not enter
            if p.is_symlink():
                yield Rejected(rel, None, "symlinked_directory",
                               f"{rel}: directory symlink not followed (avoids loops and escaping the input folder)")
            else:
                try:
                    os.listdir(p)
                    why = "it could not be listed when the batch was planned"
                except OSError as e:
                    why = e.strerror or str(e)
                yield Rejected(rel, None, "unreadable_directory",
                               f"{rel}: cannot list directory ({why}); files inside it were not read")
            continue
        yield from read_file(p, rel, root_real=root_real, max_bytes=max_bytes)


def _member_paths(root: Path, members: Iterable[str]) -> dict[str, Path]:
    """rel -> path below the folder `root`. Names that are not UTF-8 are stored with \\xNN escapes (safe_relpath):
    their real path is found by listing the folder."""
    paths = {rel: root / rel for rel in members}
    unresolved = [rel for rel, p in paths.items() if not os.path.lexists(p)]
    if unresolved:
        real = {rel: p for p, rel in (it for it in _iter_files(root) if not isinstance(it, Rejected))}
        paths.update({rel: real[rel] for rel in unresolved if rel in real})
    return paths


def file_sha256(path: Path) -> str:
    """sha256 of a regular file's bytes (streamed), NO_HASH for anything else: a symlink (never read just to hash
    it: it may point outside the input), a FIFO/device (reading could block), or an unreadable file."""
    try:
        if path.is_symlink() or not stat.S_ISREG(os.stat(path).st_mode):
            return NO_HASH
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return NO_HASH


def content_hasher(root: Path | str) -> Callable[[str], str]:
    """rel path (as in the listing) -> the content sha256 of that input (file_sha256), for plan_batches."""
    root = Path(root)
    if _single_file(root):
        return lambda rel: file_sha256(root) if rel == safe_relpath(root, root.parent) else NO_HASH
    paths: dict[str, Path] = {}
    listed: list[bool] = []

    def sha(rel: str) -> str:
        p = paths.get(rel, root / rel)
        if not os.path.lexists(p) and not listed:  # a name stored with \\xNN escapes: list the folder once
            listed.append(True)
            paths.update({r: q for q, r in (it for it in _iter_files(root) if not isinstance(it, Rejected))})
            p = paths.get(rel, p)
        return file_sha256(p)

    return sha


def _chunks(files: list[InputFile], max_files: int, max_bytes: int) -> Iterator[list[InputFile]]:
    cur: list[InputFile] = []
    cur_bytes = 0
    for f in files:
        size = max(f.size, 0)
        if cur and (len(cur) >= max_files or cur_bytes + size > max_bytes):
            yield cur
            cur, cur_bytes = [], 0
        cur.append(f)
        cur_bytes += size
    if cur:
        yield cur


def _new_keys(now: datetime, existing: set[str], n: int) -> list[str]:
    prefix = f"b{now.strftime('%Y%m%dT%H%M%S')}-"
    used = [int(k[len(prefix):]) for k in existing if k.startswith(prefix) and k[len(prefix):].isdigit()]
    start = max(used) + 1 if used else 0
    return [f"{prefix}{i:03d}" for i in range(start, start + n)]


def plan_batches(listing: Iterable[InputFile | tuple], registry: pl.DataFrame | None, *, code_version: str,
                 now: datetime, max_files: int = DEFAULT_BATCH_FILES, max_bytes: int = DEFAULT_BATCH_BYTES,
                 content_hash: Callable[[str], str] | None = None) -> BatchPlan:
    """New / dirty / retired / unchanged batches and the registry after this plan (see the module doc).

    content_hash: listing path -> sha256 of its bytes (content_hasher(root)); None: no content check (every file's
    sha256 is NO_HASH and a size/mtime change counts as a change).

    `now` is the UTC time of the plan (naive or aware); rows of new and dirty batches get code_version PENDING until
    `mark_done` records a successful materialization."""
    if max_files < 1 or max_bytes < 1:
        raise ValueError("max_files and max_bytes must be >= 1")
    files = sorted({InputFile(*f) for f in listing})
    if len({f.path for f in files}) != len(files):
        raise ValueError("the listing has the same path twice")
    reg = normalize_registry(registry) if registry is not None and registry.height else empty_registry()
    current = {f.path: f for f in files}
    hashes: dict[str, str] = {}

    def sha(f: InputFile) -> str:
        if f.path not in hashes:
            hashes[f.path] = content_hash(f.path) if content_hash and f.size != DIRECTORY_ENTRY else NO_HASH
        return hashes[f.path]

    plan = BatchPlan()
    known = set(reg["path"].to_list())
    fresh, moved_to = _match_moves([f for f in files if f.path not in known], reg, current, sha)
    kept_rows: list[dict] = []
    for key in live_batches(reg):
        rows = reg.filter(pl.col("batch_key") == key).sort("path").to_dicts()
        left = [(r, current.get(r["path"]) or moved_to[r["path"]]) for r in rows
                if r["path"] in current or r["path"] in moved_to]
        if not left:
            plan.retired.append(key)
            plan.reasons[key] = f"all {len(rows)} file(s) removed"
            continue
        gone = len(rows) - len(left)
        changed, shas = [], []
        for r, f in left:
            same_stat = (f.size, f.mtime_ns) == (r["size"], r["mtime_ns"]) and f.path == r["path"]
            shas.append(r["sha256"] if same_stat and r["sha256"] else sha(f))
            if not same_stat and not (shas[-1] and shas[-1] == r["sha256"]):
                changed.append(f.path)
            elif not same_stat and f.path == r["path"]:
                plan.restamped += 1
            if f.path != r["path"]:
                plan.moved[r["path"]] = f.path
        stale = {r["code_version"] for r in rows} != {code_version}
        why = []
        if gone:
            why.append(f"{gone} file(s) removed")
        if changed:
            why.append(f"{len(changed)} file(s) changed")
        if stale:
            pending = {r["code_version"] for r in rows} == {PENDING}
            why.append("not materialized yet" if pending else "code version changed")
        if why:
            plan.dirty.append(key)
            plan.reasons[key] = ", ".join(why)
        else:
            plan.unchanged.append(key)
        version = code_version if not why else PENDING
        kept_rows += [_row(f, key, version, h) for (_, f), h in zip(left, shas)]
    groups = list(_chunks(fresh, max_files, max_bytes))
    for key, group in zip(_new_keys(now, set(reg["batch_key"].to_list()), len(groups)), groups):
        plan.new.append(key)
        plan.reasons[key] = f"{len(group)} new file(s)"
        kept_rows += [_row(f, key, PENDING, sha(f)) for f in group]
    plan.registry = (pl.DataFrame(kept_rows, schema=REGISTRY_SCHEMA, orient="row") if kept_rows
                     else empty_registry()).sort("batch_key", "path")
    return plan


def _row(f: InputFile, batch_key: str, code_version: str, sha256: str) -> dict:
    return {"path": f.path, "size": f.size, "mtime_ns": f.mtime_ns, "batch_key": batch_key,
            "code_version": code_version, "sha256": sha256}


def _match_moves(new_files: list[InputFile], reg: pl.DataFrame, current: dict[str, InputFile],
                 sha: Callable[[InputFile], str]) -> tuple[list[InputFile], dict[str, InputFile]]:
    """(files that are really new, {old path: file} for new paths holding the bytes of a registry file that is no
    longer listed). Only hashes new files when some registry file has disappeared."""
    gone = reg.filter(~pl.col("path").is_in(list(current)) & (pl.col("sha256") != NO_HASH)).sort("path")
    by_hash: dict[str, list[str]] = defaultdict(list)
    for path, h in gone.select("path", "sha256").rows():
        by_hash[h].append(path)
    if not by_hash:
        return new_files, {}
    fresh, moved_to = [], {}
    for f in new_files:
        h = sha(f)
        if h and by_hash.get(h):
            moved_to[by_hash[h].pop(0)] = f
        else:
            fresh.append(f)
    return fresh, moved_to


def mark_done(registry: pl.DataFrame, batch_key: str, code_version: str) -> pl.DataFrame:
    """The registry with `batch_key` recorded as materialized by `code_version`."""
    return registry.with_columns(
        pl.when(pl.col("batch_key") == batch_key).then(pl.lit(code_version)).otherwise(pl.col("code_version"))
        .alias("code_version"))


def reset(registry: pl.DataFrame, batch_keys: Iterable[str]) -> pl.DataFrame:
    """The registry with these batches marked PENDING (e.g. their staged output went missing)."""
    keys = list(batch_keys)
    return registry.with_columns(
        pl.when(pl.col("batch_key").is_in(keys)).then(pl.lit(PENDING)).otherwise(pl.col("code_version"))
        .alias("code_version"))


__all__ = ["BatchPlan", "DEFAULT_BATCH_BYTES", "DEFAULT_BATCH_FILES", "InputFile", "NO_HASH", "PENDING",
           "REGISTRY_SCHEMA",
           "batch_fingerprint", "batch_members", "content_hasher", "empty_registry", "file_sha256", "list_inputs",
           "live_batches", "mark_done", "normalize_registry", "plan_batches", "read_batch", "reset"]

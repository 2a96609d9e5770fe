"""The ingest batch planner (pure): new files -> new batches, changed/removed files and code changes -> dirty batches,
empty batches retired, unchanged input -> nothing to do; and reading a batch reads only its files."""
from __future__ import annotations

import os
from datetime import datetime

import polars as pl
import pytest

from pipelines.core.ingest import Document, Rejected, scan_folder
from pipelines.core.ingest.batches import (
    NO_HASH, PENDING, InputFile, batch_fingerprint, content_hasher, file_sha256, list_inputs, mark_done,
    normalize_registry, plan_batches, read_batch, reset,
)

T1, T2 = datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 1, 2, 3, 4, 6)


def files(*specs):
    return [InputFile(p, s, m) for p, s, m in specs]


def done(plan, version="v1"):
    reg = plan.registry
    for b in plan.to_run:
        reg = mark_done(reg, b, version)
    return reg


def test_new_files_are_chunked_in_path_order_with_deterministic_keys():
    listing = files(("c.txt", 10, 1), ("a.txt", 10, 1), ("b.txt", 10, 1), ("d/e.txt", 10, 1), ("f.txt", 10, 1))
    plan = plan_batches(listing, None, code_version="v1", now=T1, max_files=2)
    assert plan.new == ["b20260102T030405-000", "b20260102T030405-001", "b20260102T030405-002"]
    assert [plan.members(b) for b in plan.new] == [["a.txt", "b.txt"], ["c.txt", "d/e.txt"], ["f.txt"]]
    assert plan.dirty == plan.retired == plan.unchanged == []
    assert set(plan.registry["code_version"]) == {PENDING}
    # the same inputs and time give the same plan
    again = plan_batches(list(reversed(listing)), None, code_version="v1", now=T1, max_files=2)
    assert again.registry.equals(plan.registry)


def test_byte_limit_and_oversized_file_alone():
    listing = files(("a", 40, 1), ("b", 40, 1), ("c", 500, 1), ("d", 10, 1))
    plan = plan_batches(listing, None, code_version="v1", now=T1, max_files=10, max_bytes=100)
    assert [plan.members(b) for b in plan.new] == [["a", "b"], ["c"], ["d"]]


def test_unchanged_input_plans_nothing():
    listing = files(("a", 1, 1), ("b", 2, 2), ("c", 3, 3))
    first = plan_batches(listing, None, code_version="v1", now=T1, max_files=2)
    again = plan_batches(listing, done(first), code_version="v1", now=T2, max_files=2)
    assert again.to_run == [] and again.retired == [] and again.unchanged == first.new
    assert again.registry.equals(done(first))


def test_added_changed_removed_and_code_version():
    listing = files(("a", 1, 1), ("b", 2, 2), ("c", 3, 3))
    first = plan_batches(listing, None, code_version="v1", now=T1, max_files=2)
    b0, b1 = first.new
    reg = done(first)
    # a new file -> one new batch, older batches untouched; a key in the same second does not collide
    added = plan_batches([*listing, InputFile("z", 1, 1)], reg, code_version="v1", now=T1, max_files=2)
    assert added.new == ["b20260102T030405-002"] and added.dirty == [] and added.unchanged == [b0, b1]
    # a changed file -> its batch only
    changed = plan_batches(files(("a", 1, 1), ("b", 2, 99), ("c", 3, 3)), reg, code_version="v1", now=T2, max_files=2)
    assert changed.dirty == [b0] and changed.new == [] and "changed" in changed.reasons[b0]
    assert changed.registry.filter(pl.col("path") == "b")["mtime_ns"].item() == 99
    # a removed file -> its batch is re-run without it; a batch with no file left is retired
    removed = plan_batches(files(("a", 1, 1), ("b", 2, 2)), reg, code_version="v1", now=T2, max_files=2)
    assert removed.retired == [b1] and removed.dirty == [] and removed.live == [b0]
    removed = plan_batches(files(("b", 2, 2), ("c", 3, 3)), reg, code_version="v1", now=T2, max_files=2)
    assert removed.dirty == [b0] and removed.members(b0) == ["b"] and "removed" in removed.reasons[b0]
    # another code version -> every batch is re-run (the backfill), no new keys
    backfill = plan_batches(listing, reg, code_version="v2", now=T2, max_files=2)
    assert backfill.dirty == [b0, b1] and backfill.new == [] and "code version" in backfill.reasons[b0]
    # a batch whose run did not finish stays dirty until it is marked done
    assert plan_batches(listing, changed.registry, code_version="v1", now=T2, max_files=2).dirty == [b0]
    assert plan_batches(listing, reset(reg, [b1]), code_version="v1", now=T2, max_files=2).dirty == [b1]


def test_fingerprint_follows_the_members():
    listing = files(("a", 1, 1), ("b", 2, 2))
    reg = plan_batches(listing, None, code_version="v1", now=T1).registry
    b = reg["batch_key"][0]
    reg2 = plan_batches(files(("a", 1, 1), ("b", 2, 3)), mark_done(reg, b, "v1"), code_version="v1", now=T2).registry
    assert batch_fingerprint(reg, b) != batch_fingerprint(reg2, b)
    assert batch_fingerprint(reg, b) == batch_fingerprint(mark_done(reg, b, "v1"), b)


def test_limits_must_be_positive():
    with pytest.raises(ValueError):
        plan_batches([], None, code_version="v1", now=T1, max_files=0)


def test_listing_and_batch_reading_account_for_every_input(tmp_path):
    (tmp_path / "a.txt").write_text("Protesters marched in the capital on Sunday.")
    (tmp_path / "b.jsonl").write_text('{"maintext": "Troops were put on alert."}\n{oops\n')
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.png").write_bytes(b"x")
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt"), "wb") as fh:  # a file name that is not UTF-8
        fh.write(b"A Latin-1 file name, real text.")
    os.symlink(tmp_path / "sub", tmp_path / "linkdir")
    listing = list_inputs(tmp_path)
    paths = [f.path for f in listing]
    assert paths == sorted(paths) and "linkdir" in paths and "sub/c.png" in paths
    assert next(f for f in listing if f.path == "linkdir").size == -1
    plan = plan_batches(listing, None, code_version="v1", now=T1, max_files=2)
    whole = sorted((i.source_uri, type(i).__name__, getattr(i, "rule", None)) for i in scan_folder(tmp_path))
    by_batch = sorted((i.source_uri, type(i).__name__, getattr(i, "rule", None))
                      for b in plan.new for i in read_batch(tmp_path, plan.members(b)))
    assert by_batch == whole  # batches together read exactly what one scan of the folder reads
    one = list(read_batch(tmp_path, plan.members(plan.new[0])))
    assert {i.source_uri.split("#")[0] for i in one} == set(plan.members(plan.new[0]))
    kinds = {k for _, k, _ in whole}
    assert kinds == {Document.__name__, Rejected.__name__} and ("caf\\xe9.txt", "Document", None) in whole


def _copy_tree(src, dst):
    """A copy as `cp -r` makes it: same bytes, new mtimes."""
    dst.mkdir()
    for p in sorted(src.rglob("*")):
        q = dst / p.relative_to(src)
        if p.is_dir():
            q.mkdir()
        else:
            q.write_bytes(p.read_bytes())
            os.utime(q, ns=(p.stat().st_mtime_ns + 10**9, p.stat().st_mtime_ns + 10**9))


def _plan(root, registry, now=T2):
    return plan_batches(list_inputs(root), registry, code_version="v1", now=now, max_files=2,
                        content_hash=content_hasher(root))


def test_a_copied_or_moved_folder_plans_nothing_and_content_decides_changes(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for name, text in (("a.txt", "Alpha story."), ("b.txt", "Beta story."), ("sub/c.txt", "Gamma story.")):
        (src / name).write_text(text)
    first = _plan(src, None, now=T1)
    reg = done(first)
    assert set(reg["sha256"]) == {file_sha256(src / p) for p in ("a.txt", "b.txt", "sub/c.txt")}
    copy = tmp_path / "copy"
    _copy_tree(src, copy)
    again = _plan(copy, reg)
    assert again.to_run == [] and again.retired == [] and again.unchanged == first.new and again.restamped == 3
    assert again.registry["mtime_ns"].to_list() != reg["mtime_ns"].to_list()  # the new stamps are recorded
    assert batch_fingerprint(again.registry, first.new[0]) == batch_fingerprint(reg, first.new[0])
    # same size, other bytes -> changed (a size/mtime check alone would miss a same-second, same-size edit)
    (copy / "a.txt").write_text("Alpha storx.")
    edited = _plan(copy, again.registry)
    assert edited.dirty == [first.new[0]] and "1 file(s) changed" in edited.reasons[first.new[0]]
    # a renamed file keeps its batch and is recorded under its new path; a second copy at a new path is new
    moved = tmp_path / "moved"
    _copy_tree(src, moved)
    (moved / "sub" / "c.txt").rename(moved / "c-renamed.txt")
    (moved / "b-copy.txt").write_text("Beta story.")
    p = _plan(moved, reg)
    assert p.moved == {"sub/c.txt": "c-renamed.txt"} and p.dirty == [] and p.retired == []
    assert [p.members(b) for b in p.new] == [["b-copy.txt"]]
    assert p.members(first.new[1]) == ["c-renamed.txt"] and "1 moved" in p.summary()


def test_a_registry_without_hashes_is_hashed_once_and_kept(tmp_path):
    (tmp_path / "a.txt").write_text("Alpha story.")
    old = done(plan_batches(list_inputs(tmp_path), None, code_version="v1", now=T1)).drop("sha256")
    p = _plan(tmp_path, normalize_registry(old))
    assert p.to_run == [] and p.registry["sha256"].to_list() == [file_sha256(tmp_path / "a.txt")]


def test_a_single_file_is_an_input(tmp_path):
    f = tmp_path / "one.jsonl"
    f.write_text('{"maintext": "Troops were put on alert."}\n{"maintext": "Talks resumed."}\n')
    listing = list_inputs(f)
    assert [i.path for i in listing] == ["one.jsonl"]
    plan = _plan(f, None, now=T1)
    docs = list(read_batch(f, plan.members(plan.new[0])))
    assert [d.source_uri for d in docs] == ["one.jsonl#1", "one.jsonl#2"] and all(isinstance(d, Document) for d in docs)
    assert docs == [d for d in scan_folder(tmp_path) if d.source_uri.startswith("one.jsonl")]
    assert _plan(f, done(plan)).to_run == []


def test_special_files_and_symlinks_are_not_read_to_hash_them(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "real.txt").write_text("x")
    os.symlink(tmp_path / "real.txt", tmp_path / "link.txt")
    assert file_sha256(tmp_path / "pipe.txt") == file_sha256(tmp_path / "link.txt") == NO_HASH
    assert file_sha256(tmp_path / "real.txt") != NO_HASH and file_sha256(tmp_path / "gone.txt") == NO_HASH

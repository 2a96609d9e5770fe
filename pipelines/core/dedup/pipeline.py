"""dedup_stories(): signature -> bucket -> verify -> cluster, incremental against a persisted signature index.

Out-of-core: the input stories and the previous index are LazyFrames (Parquet scans) read slice by slice; only small
per-story columns (story_id, hashes, counts, dates, cluster columns) are held for the whole corpus. Texts are read
one chunk at a time to compute signatures, which are written chunk by chunk (to a Parquet file when a `workdir` is
given); LSH reads the MinHash column a few bands at a time; verification reads the shingle sets of candidate rows
only, a bounded batch of candidate pairs at a time (the candidates are held as one int64 key per pair; only the
verified edges are kept). The updated index is returned as a LazyFrame, to be streamed to disk by the caller.
Table access and the index columns are in tables.py, the run's rows and pair measures in universe.py.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import polars as pl

from .bucket import band_groups, band_keys, bucket_pair_keys, sorted_unique, split_pair_keys, with_rank
from .cluster import UnionFind, choose_canonical
from .config import DedupConfig, load_config
from .signature import compute_signatures, empty_signatures, scheme_id
from .tables import (  # noqa: F401 - re-exported: the package and tests import them from here
    CLUSTER_SCHEMA,
    DUPLICATE_COLUMNS,
    INDEX_SCHEMA,
    META,
    NEW_SIGNATURES_FILE,
    SIG_SCHEMA,
    IndexSchemeError,
    _check_index,
    _lazy,
    _SignatureSink,
    _Table,
    empty_index,
    signature_bytes,
    slice_rows,
)
from .universe import VERIFY_BATCH, _Universe
from .verify import VERSION, classify, measures, rule_name

CHAINED_RULE = "version:chained-through-verified-pairs"


@dataclass
class DedupResult:
    index: pl.LazyFrame          # story_signatures (lazy: stream it to disk); every story with signatures + cluster
    assignments: pl.DataFrame    # story_id, cluster_id, is_canonical (every story in the index)
    duplicates: pl.DataFrame     # one row per non-canonical story
    # LSH candidate pairs with their verified measures (relation null = rejected), sorted by row pair: only with
    # dedup_stories(keep_candidates=True) (a diagnostic, bench/dedup_bench.py), else empty (there can be millions)
    candidates: pl.DataFrame = None
    stats: dict = field(default_factory=dict)
    clusters: pl.DataFrame = None    # story_id + every cluster column, for every story in the index
    _parts: list = field(default_factory=list, repr=False)  # (_Table, story_id filter or None) making up the index
    scheme: str = ""

    def iter_index(self, size: int) -> Iterator[pl.DataFrame]:
        """The new index in eager chunks of at most `size` rows (same rows, same order as `index`). Each source is
        read in slices of at least its own slice size (each row read once), and each chunk is joined with the rows
        of the cluster columns at the same positions (clusters is in index order), not with the whole frame: the
        cost is linear in the stories, however small the chunks."""
        size = max(1, int(size))
        pos = 0
        for table, keep, read_size in self._parts:
            for _, chunk in table.slices(list(SIG_SCHEMA), max(size, read_size)):
                if keep is not None:
                    chunk = chunk.filter(pl.col("story_id").is_in(keep.implode()))
                for lo in range(0, chunk.height, size):
                    part = chunk.slice(lo, size)
                    yield self._finish(part, pos)
                    pos += part.height

    def write_index(self, path: str | Path, size: int) -> Path:
        """Write the new index to `path` chunk by chunk (row groups of `size` rows; temp file + atomic rename), so
        it is never held whole; returns the path (scan it to hand the index on lazily)."""
        for _ in self.writing_index(path, size):
            pass
        return Path(path)

    def writing_index(self, path: str | Path, size: int) -> Iterator[pl.DataFrame]:
        """iter_index(size) that also writes every chunk it yields to `path` (as write_index): a caller can check
        the chunks while the file is written, in one pass. The file is in place once the iterator is exhausted."""
        from pipelines.core.atomic import write_chunks

        return write_chunks(self.iter_index(size), Path(path), empty_index())

    def _finish(self, sig: pl.DataFrame, pos: int | None = None) -> pl.DataFrame:
        clusters = self.clusters
        if pos is not None:
            near = clusters.slice(pos, sig.height)
            if near["story_id"].equals(sig["story_id"]):
                clusters = near  # the usual case; otherwise the whole frame (same result, slower)
        return (sig.with_columns(pl.lit(self.scheme, pl.String).alias("scheme"))
                .join(clusters, on="story_id", how="left", maintain_order="left")
                .select(list(INDEX_SCHEMA)).cast(INDEX_SCHEMA))



def dedup_stories(stories: pl.DataFrame | pl.LazyFrame, index: pl.DataFrame | pl.LazyFrame | None = None,
                  config: DedupConfig | None = None, *, retire_missing: bool = False,
                  workdir: str | Path | None = None, doc_furniture: pl.DataFrame | None = None,
                  keep_candidates: bool = False, verify_batch: int = VERIFY_BATCH) -> DedupResult:
    """Cluster `stories` (story_id, text, published_date?, raw_start?, raw_end?, doc_id?) against the existing signature
    `index` (or None). Both may be LazyFrames (Parquet scans): they are read slice by slice (config.chunk_size).

    Stories whose story_id is already in the index are not recomputed. Returns the updated index (lazy), cluster
    assignments and duplicate rows for every story in the index; the partition into clusters and the canonical
    stories equal those of a full run over all stories at once (the canonical rule is a pure function of a
    cluster's members). `workdir`: where the new signatures are written (Parquet); None keeps them in memory.
    `doc_furniture` (doc_id, doc_furniture): characters the cleaner removed per source document, a canonical-rule
    tie-break (joined to each chunk by doc_id; stories of documents not in it get 0).

    retire_missing=True mirrors the input: index rows whose story is not in `stories` are dropped, and the clusters
    they belonged to are dissolved and re-clustered from their remaining members' stored signatures (a removed
    story may have been the bridge between two groups), so the result still equals a full run over `stories`.

    keep_candidates=True also returns every LSH candidate pair with its measures (DedupResult.candidates; memory
    grows with the number of candidates, a diagnostic for benches); verify_batch: candidate pairs measured at once
    (bounds memory; the result does not depend on it)."""
    cfg = config or load_config()
    scheme = scheme_id(cfg)
    size = max(1, cfg.chunk_size)
    old = _check_index(index, scheme)
    t = {"start": time.perf_counter()}

    # ---- 1. signature (new stories only), chunk by chunk from the lazy input
    src = _lazy(stories)
    names = src.collect_schema().names()
    in_cols = [c for c in ("story_id", "text", "published_date", "raw_start", "raw_end", "doc_id") if c in names]
    inp = _Table(src.select(in_cols))
    input_ids = inp.lf.select("story_id").collect()["story_id"].unique(maintain_order=True)
    # many tiny stories: slices of up to cfg.slice_bytes of text (at least chunk_size stories), see dedup.yaml
    in_size = slice_rows(inp.lf.slice(0, size).select(pl.col("text").str.len_bytes().mean()).collect().item(), cfg)
    sig_cfg = cfg.with_(chunk_size=in_size)
    cluster_cols = list(CLUSTER_SCHEMA)
    if old is not None:
        old_meta = old.lf.select(META + cluster_cols).collect()
    else:
        old_meta = empty_index().select(META + cluster_cols)
    present = np.ones(old_meta.height, bool)
    reuse = np.zeros(old_meta.height, bool)
    n_retired = 0
    if retire_missing and old_meta.height:
        present = old_meta["story_id"].is_in(input_ids.implode()).to_numpy()
        n_retired = int((~present).sum())
        if n_retired:
            dissolved = old_meta["cluster_id"].is_in(old_meta.filter(~pl.Series(present))["cluster_id"].implode())
            reuse = present & dissolved.to_numpy()
    old_pos = np.flatnonzero(present).astype(np.int64)

    seen = set(old_meta["story_id"].to_list())
    sink = _SignatureSink(Path(workdir) if workdir is not None else None)
    new_meta = [empty_signatures().select(META)]
    for _, chunk in inp.slices(in_cols, in_size):
        ids = chunk["story_id"].to_list()
        keep = []
        for sid in ids:
            keep.append(sid not in seen)
            seen.add(sid)
        chunk = chunk.filter(pl.Series(keep, dtype=pl.Boolean))
        if chunk.height:
            if doc_furniture is not None and "doc_id" in chunk.columns:
                chunk = chunk.join(doc_furniture.select("doc_id", "doc_furniture"), on="doc_id", how="left",
                                   maintain_order="left").with_columns(pl.col("doc_furniture").fill_null(0))
            sig = compute_signatures(chunk, sig_cfg)
            new_meta.append(sig.select(META))
            sink.add(sig)
            del sig
    new = sink.finish()
    new_meta = pl.concat(new_meta)
    n_reused = int(reuse.sum())
    t["signature"] = time.perf_counter()

    new_size = slice_rows(signature_bytes(new_meta, cfg), cfg)
    old_size = slice_rows(signature_bytes(old_meta, cfg), cfg)
    uni = _Universe(old, old_pos, new, new_size, old_size)
    n_old, n_new = len(old_pos), new.n
    U = pl.concat([old_meta.select(META)[old_pos], new_meta]).with_row_index("row").with_columns(
        pl.col("row").cast(pl.Int64))
    is_new = np.concatenate([reuse[old_pos], np.ones(n_new, bool)])
    U = U.with_columns(pl.Series("new", is_new))
    rank = U["story_id"].rank("ordinal").to_numpy().astype(np.int64)
    norm_hash = U["norm_hash"].to_numpy()
    sid_all = U["story_id"].to_numpy()

    # ---- exact groups: identical normalised text; only one member per group enters LSH, and only when it has
    # cfg.lsh_min_shingles shingles (shorter texts can only near-match an identical shingle set: dedup.yaml)
    content = U.filter(pl.col("n_shingles") > 0)
    grp = content.sort("story_id").group_by("norm_hash").agg(
        pl.col("row").first().alias("rep"),
        pl.col("row").filter(~pl.col("new")).first().alias("old_rep"),
        pl.col("row").filter(pl.col("new")).first().alias("new_rep"),
        pl.col("new").any().alias("any_new"), pl.len().alias("size"), pl.col("n_shingles").max().alias("n_sh"))
    lsh_grp = grp.filter(pl.col("n_sh") >= max(1, cfg.lsh_min_shingles))
    part_rows = np.sort(pl.concat([lsh_grp["old_rep"].drop_nulls(),
                                   lsh_grp.filter(pl.col("old_rep").is_null())["new_rep"].drop_nulls()])
                        .to_numpy().astype(np.int64))
    n_short = int(content.height - content.filter(pl.col("n_shingles") >= max(1, cfg.lsh_min_shingles)).height)
    ex = content.join(grp.filter(pl.col("any_new") & (pl.col("size") > 1)).select("norm_hash", "rep"),
                      on="norm_hash").filter(pl.col("row") != pl.col("rep"))
    exact_edges = np.stack([ex["row"].to_numpy(), ex["rep"].to_numpy()], axis=1).astype(np.int64) \
        if ex.height else np.zeros((0, 2), np.int64)

    # ---- 2. bucket (LSH) over the participants, a group of bands at a time. Candidate pairs are kept as sorted
    # unique int64 keys (bucket.pair_key: 8 bytes per pair), merged group by group
    cand = np.zeros(0, np.int64)
    if len(part_rows) and is_new[part_rows].any():
        for bands in band_groups(cfg):
            # per band a u64 key for every participant (read slice by slice); a sort keeps only the keys that
            # occur more than once (the key folds in the band number), so the bucket frame is tiny
            rows_l, keys_l = [], []
            for rows, mh in uni.iter_rows(part_rows, "minhash"):
                m = mh.list.to_array(cfg.num_perm).to_numpy().astype(np.uint32)
                keys_l.append(band_keys(m, cfg, bands).reshape(-1))
                rows_l.append(np.repeat(rows, len(bands)))
            keys_all, rows_all = np.concatenate(keys_l), np.concatenate(rows_l)
            del keys_l, rows_l
            order = np.argsort(keys_all, kind="stable")
            sk = keys_all[order]
            shared = np.zeros(len(sk), bool)
            if len(sk) > 1:
                eq = sk[1:] == sk[:-1]
                shared[1:] |= eq
                shared[:-1] |= eq
            pick = np.sort(order[shared])
            del order, sk, shared
            band_no = (np.asarray(bands, dtype=np.int16)[pick % len(bands)] if len(pick)
                       else np.zeros(0, np.int16))
            members = pl.DataFrame({"row": rows_all[pick].astype(np.int64), "band": band_no, "key": keys_all[pick]})
            del keys_all, rows_all, pick, band_no
            keys = bucket_pair_keys(with_rank(members, rank, is_new), cfg)  # sorted, unique
            del members
            cand = sorted_unique(np.concatenate([cand, keys]))
            del keys
    n_candidates = len(cand)
    t["bucket"] = time.perf_counter()

    # ---- 3. verify candidates on exact shingle sets (read for the candidate rows only), tile group by tile group
    # and at most verify_batch pairs at a time: only the verified edges are kept, not a frame of every candidate
    rdt = np.int32 if U.height < 2**31 else np.int64
    ca, cb = (x.astype(rdt) for x in split_pair_keys(cand))
    del cand
    edge_parts: list[np.ndarray] = []  # positions (into ca, cb) of the verified pairs
    verified: dict = {}
    kept: list[pl.DataFrame] = []      # keep_candidates: positions, measures and relation per batch
    for idx, inter, na, nb in uni.measure_batches(ca, cb, verify_batch):
        a, b = ca[idx], cb[idx]
        jac, cont, ratio = measures(inter, na, nb)
        rel = classify(norm_hash[a] == norm_hash[b], jac, cont, ratio, np.minimum(na, nb), cfg)
        ok = np.fromiter((r is not None for r in rel), bool, len(rel))
        edge_parts.append(idx[ok])
        for r in rel:
            if r is not None:
                verified[r] = verified.get(r, 0) + 1
        if keep_candidates:
            kept.append(pl.DataFrame({"i": idx, "jaccard": jac, "containment": cont, "ratio": ratio,
                                      "relation": pl.Series(rel, dtype=pl.String)}))
    ok_pos = np.sort(np.concatenate(edge_parts)) if edge_parts else np.zeros(0, np.int64)
    lsh_edges = np.stack([ca[ok_pos], cb[ok_pos]], axis=1).astype(np.int64).reshape(-1, 2)  # sorted by (a, b)
    del edge_parts, ok_pos
    candidates = pl.DataFrame(schema={"story_a": pl.String, "story_b": pl.String, "jaccard": pl.Float64,
                                      "containment": pl.Float64, "ratio": pl.Float64, "relation": pl.String})
    if kept:  # story ids gathered as Arrow strings (no Python string per pair)
        c = pl.concat(kept).sort("i")
        pos = c["i"].to_numpy()
        ids = U["story_id"]
        candidates = pl.DataFrame({"story_a": ids.gather(ca[pos]), "story_b": ids.gather(cb[pos]),
                                   "jaccard": c["jaccard"], "containment": c["containment"], "ratio": c["ratio"],
                                   "relation": c["relation"]}, schema=candidates.schema)
        del c, kept, pos
    del ca, cb
    t["verify"] = time.perf_counter()

    # ---- 4. cluster: union-find over tokens (a kept old cluster is one token: its canonical's row)
    # Vectorised: only the tokens of edges go through the (Python) union-find; every other token of a new row is
    # a component of its own, labelled by itself (a union-find root is its group's smallest token, so the labels
    # cannot collide)
    token = np.arange(U.height, dtype=np.int64)
    if n_old:
        own = np.arange(n_old, dtype=np.int64)
        canon_row = (pl.DataFrame({"cluster_id": old_meta["cluster_id"][old_pos]})
                     .join(pl.DataFrame({"cluster_id": U["story_id"][:n_old], "r": own}), on="cluster_id",
                           how="left", maintain_order="left")["r"].fill_null(-1).to_numpy())
        canon_row = np.where(canon_row < 0, own, canon_row)
        token[:n_old] = np.where(is_new[:n_old], own, canon_row)
    edges = np.concatenate([exact_edges, lsh_edges])
    uf = UnionFind()
    for a, b in token[edges].reshape(-1, 2).tolist():
        uf.union(int(a), int(b))
    edge_tokens = np.fromiter(uf.parent, np.int64, len(uf.parent))
    edge_roots = np.fromiter((uf.find(int(x)) for x in edge_tokens.tolist()), np.int64, len(edge_tokens))
    comp_map = pl.DataFrame({"token": np.unique(np.concatenate([token[is_new], edge_tokens]))})
    comp_map = comp_map.join(pl.DataFrame({"token": edge_tokens, "root": edge_roots}), on="token", how="left")
    comp_map = comp_map.select("token", pl.coalesce("root", "token").alias("comp"))
    affected = U.with_columns(pl.Series("token", token)).join(comp_map, on="token", how="inner",
                                                              maintain_order="left")
    sizes = affected.group_by("comp").agg(pl.len().alias("size"))
    affected = affected.join(sizes, on="comp")
    single = affected.filter(pl.col("size") == 1)
    multi = affected.filter(pl.col("size") > 1).sort("comp", "story_id")

    rows_out = [single.select(
        "story_id", pl.col("story_id").alias("cluster_id"), pl.lit(True).alias("is_canonical"))]
    canon_of: dict[int, str] = {}
    for comp, g in multi.group_by("comp", maintain_order=True):
        canon_of[comp[0]] = choose_canonical(
            g.select("story_id", "n_words", "published_date", "furniture", "doc_furniture").to_dicts(),
            cfg.canonical_min_gain)
    canon = pl.DataFrame({"comp": list(canon_of), "cluster_id": list(canon_of.values())},
                         schema={"comp": pl.Int64, "cluster_id": pl.String})
    multi = multi.join(canon, on="comp", how="left")
    multi = multi.with_columns((pl.col("story_id") == pl.col("cluster_id")).alias("is_canonical"))
    rows_out.append(multi.select("story_id", "cluster_id", "is_canonical"))

    # duplicates: each non-canonical story measured directly against its canonical
    dup = multi.filter(~pl.col("is_canonical"))
    dup_cols = pl.DataFrame(schema={"story_id": pl.String, **{k: v for k, v in CLUSTER_SCHEMA.items()
                                                             if k not in ("cluster_id", "is_canonical")}})
    if dup.height:
        pairs = dup.select("row", "cluster_id").join(
            U.select(pl.col("story_id").alias("cluster_id"), pl.col("row").alias("crow")), on="cluster_id"
        ).sort("row")
        a = pairs["row"].to_numpy().astype(np.int64)
        b = pairs["crow"].to_numpy().astype(np.int64)
        inter, na, nb = uni.measure(a, b)
        jac, cont, ratio = measures(inter, na, nb)
        same = norm_hash[a] == norm_hash[b]
        rel = classify(same, jac, cont, ratio, np.minimum(na, nb), cfg)
        relation = [r if r is not None else VERSION for r in rel]
        rules = [rule_name(r, cfg) if r is not None else CHAINED_RULE for r in rel]
        sim = np.where(same, 1.0, np.where(np.array(relation) == VERSION, cont, jac))
        dup_cols = pl.DataFrame({
            "story_id": sid_all[a].tolist(), "duplicate_of": sid_all[b].tolist(), "relation": relation,
            "similarity": np.clip(sim, 0.0, 1.0), "jaccard": np.where(same, 1.0, jac),
            "containment": np.where(same, 1.0, cont), "rule": rules}, schema=dup_cols.schema)
    upd = pl.concat(rows_out).join(dup_cols, on="story_id", how="left").select("story_id", *cluster_cols)
    t["cluster"] = time.perf_counter()

    # ---- cluster columns of every story (small) and the updated index (lazy: signatures are not read here)
    kept_old = old_meta[old_pos].select("story_id", *cluster_cols)
    kept_old = kept_old.filter(~pl.col("story_id").is_in(upd["story_id"].implode()))
    clusters = (pl.concat([kept_old.cast(CLUSTER_SCHEMA), upd.cast(CLUSTER_SCHEMA)])
                .join(U.select("story_id", "row"), on="story_id").sort("row").drop("row"))
    idx_parts: list = []
    lazy_parts = []
    if old is not None and n_old:
        keep_ids = None if n_old == old.n else old_meta["story_id"][old_pos]
        idx_parts.append((old, keep_ids, old_size))
        o = old.lf.select(list(SIG_SCHEMA))
        lazy_parts.append(o if keep_ids is None else o.filter(pl.col("story_id").is_in(keep_ids.implode())))
    if new.n:
        idx_parts.append((new, None, new_size))
        lazy_parts.append(new.lf.select(list(SIG_SCHEMA)))
    sig_lf = pl.concat(lazy_parts, how="vertical") if lazy_parts else empty_signatures().lazy()
    new_index = (sig_lf.with_columns(pl.lit(scheme, pl.String).alias("scheme"))
                 .join(clusters.lazy(), on="story_id", how="left", maintain_order="left")
                 .select(list(INDEX_SCHEMA)).cast(INDEX_SCHEMA))
    assignments = clusters.select("story_id", "cluster_id", "is_canonical")
    duplicates = clusters.filter(~pl.col("is_canonical")).select(DUPLICATE_COLUMNS).sort("story_id")
    t["end"] = time.perf_counter()
    stats = {
        "n_input": int(input_ids.len()), "n_new": n_new, "n_reclustered": n_reused,
        "n_retired": n_retired, "n_index_before": int(old_meta.height), "n_index_after": int(clusters.height),
        "n_lsh_participants": int(len(part_rows)), "n_below_lsh_min": n_short, "n_candidates": int(n_candidates),
        "slice_rows": {"input": in_size, "new": new_size, "old": old_size},
        "n_exact_edges": int(len(exact_edges)), "verified": verified,
        "n_clusters_multi": int(clusters.filter(~pl.col("is_canonical"))["cluster_id"].n_unique()),
        "n_duplicates": duplicates.height,
        "seconds": {k: round(t[k] - t[p], 4) for p, k in
                    [("start", "signature"), ("signature", "bucket"), ("bucket", "verify"), ("verify", "cluster"),
                     ("cluster", "end")]} | {"total": round(t["end"] - t["start"], 4)},
    }
    return DedupResult(new_index, assignments, duplicates, candidates, stats, clusters, idx_parts, scheme)

"""dedup_stories(): signature -> bucket -> verify -> cluster, incremental against a persisted signature index."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from .bucket import candidate_pairs
from .cluster import UnionFind, choose_canonical
from .config import DedupConfig, load_config
from .signature import compute_signatures, empty_signatures, scheme_id
from .verify import VERSION, ShingleStore, classify, intersections, measures, rule_name

CHAINED_RULE = "version:chained-through-verified-pairs"

CLUSTER_SCHEMA = {
    "cluster_id": pl.String, "is_canonical": pl.Boolean, "duplicate_of": pl.String, "relation": pl.String,
    "similarity": pl.Float64, "jaccard": pl.Float64, "containment": pl.Float64, "rule": pl.String,
}
INDEX_SCHEMA = {**empty_signatures().schema, "scheme": pl.String, **CLUSTER_SCHEMA}
DUPLICATE_COLUMNS = ["story_id", "duplicate_of", "relation", "similarity", "jaccard", "containment", "rule"]


class IndexSchemeError(ValueError):
    """The persisted signature index was built with other shingling/MinHash settings: rebuild it (full run)."""


@dataclass
class DedupResult:
    index: pl.DataFrame          # story_signatures: every story seen so far, with signatures and cluster columns
    assignments: pl.DataFrame    # story_id, cluster_id, is_canonical (every story in the index)
    duplicates: pl.DataFrame     # one row per non-canonical story
    candidates: pl.DataFrame = None  # LSH candidate pairs with their verified measures (relation null = rejected)
    stats: dict = field(default_factory=dict)


def empty_index() -> pl.DataFrame:
    return pl.DataFrame(schema=INDEX_SCHEMA)


def _check_index(index: pl.DataFrame | None, scheme: str) -> pl.DataFrame:
    if index is None or index.height == 0:
        return empty_index()
    missing = [c for c in INDEX_SCHEMA if c not in index.columns]
    if missing:
        raise IndexSchemeError(f"signature index lacks columns {missing}")
    schemes = index["scheme"].unique().to_list()
    if schemes != [scheme]:
        raise IndexSchemeError(f"signature index scheme {schemes} != current {scheme!r}; rebuild with a full run")
    return index.select(list(INDEX_SCHEMA)).cast(INDEX_SCHEMA)


def _store(parts: list[pl.Series], rows: np.ndarray) -> ShingleStore:
    """Shingle sets of the given global row numbers; rows number the concatenation of `parts` (old, new), which
    are gathered from separately so the index is never copied whole."""
    rows = np.unique(rows)
    subs, base = [], 0
    for part in parts:
        mine = rows[(rows >= base) & (rows < base + len(part))] - base
        subs.append(part.gather(mine))
        base += len(part)
    sub = pl.concat(subs)
    lens = sub.list.len().to_numpy().astype(np.int64)
    flat = sub.explode().drop_nulls().to_numpy().astype(np.uint64)
    offsets = np.concatenate(([0], np.cumsum(lens)))
    return ShingleStore(flat, offsets, {int(r): i for i, r in enumerate(rows.tolist())})


def dedup_stories(stories: pl.DataFrame, index: pl.DataFrame | None = None,
                  config: DedupConfig | None = None, *, retire_missing: bool = False) -> DedupResult:
    """Cluster `stories` (story_id, text, published_date?) against the existing signature `index` (or None).

    Stories whose story_id is already in the index are not recomputed. Returns the updated index, cluster
    assignments and duplicate rows for every story in the index; the partition into clusters equals that of a
    full run over all stories at once.

    retire_missing=True mirrors the input: index rows whose story is not in `stories` are dropped, and the clusters
    they belonged to are dissolved and re-clustered from their remaining members' stored signatures (a removed
    story may have been the bridge between two groups), so the result still equals a full run over `stories`."""
    cfg = config or load_config()
    scheme = scheme_id(cfg)
    old = _check_index(index, scheme)
    t = {"start": time.perf_counter()}

    # ---- 1. signature (new stories only)
    inc = set(old.filter(pl.col("is_canonical"))["story_id"].to_list())  # canonicals before this run
    stories = stories.unique("story_id", keep="first", maintain_order=True)
    n_retired = 0
    reuse = empty_signatures()
    if retire_missing and old.height:
        present = pl.col("story_id").is_in(stories["story_id"].implode())
        gone = old.filter(~present)
        n_retired = gone.height
        if n_retired:
            dissolved = pl.col("cluster_id").is_in(gone["cluster_id"].unique().implode())
            reuse = old.filter(present & dissolved).select(reuse.columns)
            old = old.filter(present & ~dissolved)
    new_in = stories.filter(~pl.col("story_id").is_in(old["story_id"].implode())
                            & ~pl.col("story_id").is_in(reuse["story_id"].implode()))
    sig = pl.concat([reuse, compute_signatures(new_in, cfg)])
    t["signature"] = time.perf_counter()

    n_old, n_new = old.height, sig.height
    core = ["story_id", "published_date", "norm_hash", "n_words", "n_shingles"]
    U = pl.concat([old.select(core), sig.select(core)]).with_row_index("row")
    is_new = np.concatenate([np.zeros(n_old, bool), np.ones(n_new, bool)])
    U = U.with_columns(pl.Series("new", is_new))
    shingles = [old["shingles"], sig["shingles"]]
    rank = U["story_id"].rank("ordinal").to_numpy().astype(np.int64)
    norm_hash = U["norm_hash"].to_numpy()

    # ---- exact groups: identical normalised text; only one member per group enters LSH
    content = U.filter(pl.col("n_shingles") > 0)
    grp = content.sort("story_id").group_by("norm_hash").agg(
        pl.col("row").first().alias("rep"),
        pl.col("row").filter(~pl.col("new")).first().alias("old_rep"),
        pl.col("row").filter(pl.col("new")).first().alias("new_rep"),
        pl.col("new").any().alias("any_new"), pl.len().alias("size"))
    parts = set(grp["old_rep"].drop_nulls().to_list()) | set(
        grp.filter(pl.col("old_rep").is_null())["new_rep"].drop_nulls().to_list())
    ex = content.join(grp.filter(pl.col("any_new") & (pl.col("size") > 1)).select("norm_hash", "rep"),
                      on="norm_hash").filter(pl.col("row") != pl.col("rep"))
    exact_edges = np.stack([ex["row"].to_numpy(), ex["rep"].to_numpy()], axis=1).astype(np.int64) \
        if ex.height else np.zeros((0, 2), np.int64)

    # ---- 2. bucket (LSH) over the participants
    part_rows = np.array(sorted(parts), dtype=np.int64)
    if len(part_rows):
        mh_old = old["minhash"].list.to_array(cfg.num_perm).to_numpy() if n_old else np.zeros((0, cfg.num_perm))
        mh_new = sig["minhash"].list.to_array(cfg.num_perm).to_numpy() if n_new else np.zeros((0, cfg.num_perm))
        mh = np.concatenate([mh_old, mh_new]).astype(np.uint32)[part_rows]
        local = candidate_pairs(mh, is_new[part_rows], rank[part_rows], cfg)
        cand = part_rows[local] if len(local) else np.zeros((0, 2), np.int64)
    else:
        cand = np.zeros((0, 2), np.int64)
    t["bucket"] = time.perf_counter()

    # ---- 3. verify candidates on exact shingle sets
    lsh_edges = np.zeros((0, 2), np.int64)
    verified = {}
    sid_all = U["story_id"].to_numpy()
    candidates = pl.DataFrame(schema={"story_a": pl.String, "story_b": pl.String, "jaccard": pl.Float64,
                                      "containment": pl.Float64, "ratio": pl.Float64, "relation": pl.String})
    if len(cand):
        st = _store(shingles, cand.reshape(-1))
        inter, na, nb = intersections(st, cand[:, 0], cand[:, 1])
        jac, cont, ratio = measures(inter, na, nb)
        rel = classify(norm_hash[cand[:, 0]] == norm_hash[cand[:, 1]], jac, cont, ratio, np.minimum(na, nb), cfg)
        ok = np.array([r is not None for r in rel], bool)
        lsh_edges = cand[ok]
        for r in rel:
            if r is not None:
                verified[r] = verified.get(r, 0) + 1
        candidates = pl.DataFrame({"story_a": sid_all[cand[:, 0]].tolist(), "story_b": sid_all[cand[:, 1]].tolist(),
                                   "jaccard": jac, "containment": cont, "ratio": ratio, "relation": rel},
                                  schema=candidates.schema)
    t["verify"] = time.perf_counter()

    # ---- 4. cluster: union-find over tokens (an old cluster is one token: its canonical's row)
    row_of = dict(zip(U["story_id"].to_list(), U["row"].to_list())) if n_old else {}
    token = np.arange(U.height, dtype=np.int64)
    if n_old:
        cl = old["cluster_id"].to_list()
        token[:n_old] = np.array([row_of.get(c, i) for i, c in enumerate(cl)], dtype=np.int64)
    uf = UnionFind()
    for r in np.flatnonzero(is_new).tolist():
        uf.find(int(token[r]))
    for a, b in np.concatenate([exact_edges, lsh_edges]).tolist():
        uf.union(int(token[a]), int(token[b]))
    comp_of_token = {tok: root for root, toks in uf.groups().items() for tok in toks}
    tok_series = pl.Series("token", token)
    affected = U.with_columns(tok_series).filter(pl.col("token").is_in(list(comp_of_token)))
    affected = affected.with_columns(
        pl.col("token").replace_strict(comp_of_token, return_dtype=pl.Int64).alias("comp"))
    sizes = affected.group_by("comp").agg(pl.len().alias("size"))
    affected = affected.join(sizes, on="comp")
    single = affected.filter(pl.col("size") == 1)
    multi = affected.filter(pl.col("size") > 1).sort("comp", "story_id")

    rows_out = [single.select(
        "story_id", pl.col("story_id").alias("cluster_id"), pl.lit(True).alias("is_canonical"))]
    canon_of: dict[int, str] = {}
    for comp, g in multi.group_by("comp", maintain_order=True):
        members = [dict(m, incumbent=m["story_id"] in inc) for m in g.select(
            "story_id", "n_words", "published_date").to_dicts()]
        canon_of[comp[0]] = choose_canonical(members, cfg.canonical_min_gain)
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
        st = _store(shingles, np.concatenate([a, b]))
        inter, na, nb = intersections(st, a, b)
        jac, cont, ratio = measures(inter, na, nb)
        same = norm_hash[a] == norm_hash[b]
        rel = classify(same, jac, cont, ratio, np.minimum(na, nb), cfg)
        sid = U["story_id"].to_numpy()
        relation = [r if r is not None else VERSION for r in rel]
        rules = [rule_name(r, cfg) if r is not None else CHAINED_RULE for r in rel]
        sim = np.where(same, 1.0, np.where(np.array(relation) == VERSION, cont, jac))
        dup_cols = pl.DataFrame({
            "story_id": sid[a].tolist(), "duplicate_of": sid[b].tolist(), "relation": relation,
            "similarity": np.clip(sim, 0.0, 1.0), "jaccard": np.where(same, 1.0, jac),
            "containment": np.where(same, 1.0, cont), "rule": rules}, schema=dup_cols.schema)
    upd = pl.concat(rows_out).join(dup_cols, on="story_id", how="left")
    t["cluster"] = time.perf_counter()

    # ---- updated index
    cluster_cols = list(CLUSTER_SCHEMA)

    def with_cluster_cols(frame: pl.DataFrame, keep_old: bool) -> pl.DataFrame:
        """Cluster columns from `upd` where a row was re-clustered; the big list columns are shared, not copied."""
        j = frame.select("story_id").join(upd.with_columns(pl.lit(True).alias("_hit")), on="story_id",
                                          how="left", maintain_order="left")
        cols = []
        for c in cluster_cols:
            s_new = j[c].cast(CLUSTER_SCHEMA[c])
            if keep_old:
                s_new = frame.select(pl.when(pl.lit(j["_hit"]).is_not_null()).then(pl.lit(s_new))
                                     .otherwise(pl.col(c)).alias(c)).to_series()
            cols.append(s_new.alias(c))
        return frame.drop([c for c in cluster_cols if c in frame.columns]).hstack(cols)

    kept = with_cluster_cols(old, keep_old=True) if old.height else old
    added = with_cluster_cols(sig.with_columns(pl.lit(scheme).alias("scheme")), keep_old=False)
    del sig, shingles
    # row order: the previous index, then new stories in input order (deterministic; no full-index sort copy)
    new_index = pl.concat([kept.select(list(INDEX_SCHEMA)).cast(INDEX_SCHEMA),
                           added.select(list(INDEX_SCHEMA)).cast(INDEX_SCHEMA)], how="vertical", rechunk=False)
    assignments = new_index.select("story_id", "cluster_id", "is_canonical")
    duplicates = new_index.filter(~pl.col("is_canonical")).select(DUPLICATE_COLUMNS).sort("story_id")
    t["end"] = time.perf_counter()
    stats = {
        "n_input": stories.height, "n_new": n_new - reuse.height, "n_reclustered": reuse.height,
        "n_retired": n_retired, "n_index_before": n_old, "n_index_after": new_index.height,
        "n_lsh_participants": int(len(part_rows)), "n_candidates": int(len(cand)),
        "n_exact_edges": int(len(exact_edges)), "verified": verified,
        "n_clusters_multi": int(new_index.filter(~pl.col("is_canonical"))["cluster_id"].n_unique()),
        "n_duplicates": duplicates.height,
        "seconds": {k: round(t[k] - t[p], 4) for p, k in
                    [("start", "signature"), ("signature", "bucket"), ("bucket", "verify"), ("verify", "cluster"),
                     ("cluster", "end")]} | {"total": round(t["end"] - t["start"], 4)},
    }
    return DedupResult(new_index, assignments, duplicates, candidates, stats)

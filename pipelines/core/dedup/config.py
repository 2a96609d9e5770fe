"""Dedup settings: loaded from pipelines/rules/dedup.yaml (data, not code)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import yaml

RULES_FILE = Path(__file__).resolve().parents[2] / "rules" / "dedup.yaml"


@dataclass(frozen=True)
class DedupConfig:
    shingle_words: int = 5
    num_perm: int = 128
    seed: int = 42
    bands: int = 64
    rows_per_band: int = 2
    max_bucket: int = 1000
    bucket_hubs: int = 8
    exact_rule: str = "exact:normalised-text-hash"
    near_rule: str = "near:jaccard>=0.80"
    near_jaccard: float = 0.80
    version_rule: str = "version:containment>=0.70"
    version_containment: float = 0.70
    version_min_shingles: int = 20
    version_min_ratio: float = 0.20
    canonical_min_gain: float = 0.05
    chunk_size: int = 4096
    lsh_min_shingles: int = 4
    slice_bytes: int = 4_000_000

    def __post_init__(self) -> None:
        if self.bands * self.rows_per_band > self.num_perm:
            raise ValueError("bands * rows_per_band must be <= num_perm")
        if self.shingle_words < 1 or self.num_perm < 1 or self.bands < 1 or self.rows_per_band < 1:
            raise ValueError("shingle_words, num_perm, bands, rows_per_band must be >= 1")

    def with_(self, **kw) -> "DedupConfig":
        return replace(self, **kw)


def load_config(path: str | Path | None = None) -> DedupConfig:
    data = yaml.safe_load(Path(path or RULES_FILE).read_text(encoding="utf-8")) or {}
    rules = data.get("rules", {})
    near, version, exact = rules.get("near", {}), rules.get("version", {}), rules.get("exact", {})
    d = DedupConfig()
    return DedupConfig(
        shingle_words=int(data.get("shingle_words", d.shingle_words)),
        num_perm=int(data.get("num_perm", d.num_perm)),
        seed=int(data.get("seed", d.seed)),
        bands=int(data.get("bands", d.bands)),
        rows_per_band=int(data.get("rows_per_band", d.rows_per_band)),
        max_bucket=int(data.get("max_bucket", d.max_bucket)),
        bucket_hubs=int(data.get("bucket_hubs", d.bucket_hubs)),
        exact_rule=str(exact.get("name", d.exact_rule)),
        near_rule=str(near.get("name", d.near_rule)),
        near_jaccard=float(near.get("jaccard", d.near_jaccard)),
        version_rule=str(version.get("name", d.version_rule)),
        version_containment=float(version.get("containment", d.version_containment)),
        version_min_shingles=int(version.get("min_shingles", d.version_min_shingles)),
        version_min_ratio=float(version.get("min_ratio", d.version_min_ratio)),
        canonical_min_gain=float(data.get("canonical_min_gain", d.canonical_min_gain)),
        chunk_size=int(data.get("chunk_size", d.chunk_size)),
        lsh_min_shingles=int(data.get("lsh_min_shingles", d.lsh_min_shingles)),
        slice_bytes=int(data.get("slice_bytes", d.slice_bytes)),
    )

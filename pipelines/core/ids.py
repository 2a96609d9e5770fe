"""Content-derived ids: stable across runs, machines and input order."""
from __future__ import annotations

import hashlib

_SEP = "\x1f"


def stable_id(prefix: str, *parts: object) -> str:
    """`prefix` + 16 hex chars of sha256 over the parts (joined by a unit separator; None -> "")."""
    text = _SEP.join("" if p is None else str(p) for p in parts)
    return f"{prefix}_{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

"""Loading shipped model files: one error type and one integrity check for every trained model in the repo.

Every model folder (under `pipelines/rules/models/<name>/`) holds a `card.md` (data, licences, training command,
seed, scores) and a `manifest.json` mapping each file it needs to its sha256. `verify_model_dir` checks both before
anything is loaded, so a missing or corrupt model file stops the run at start-up with a message naming the file —
the pipeline never falls back to rule-only output silently.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path


class ModelLoadError(RuntimeError):
    """A shipped model file is missing, unreadable or does not match its manifest hash."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_model_dir(model_dir: Path) -> dict:
    """Check `model_dir/manifest.json` and every file it lists; return the manifest. Raises ModelLoadError."""
    model_dir = Path(model_dir)
    manifest_path = model_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"model manifest missing: {manifest_path}") from None
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"model manifest unreadable: {manifest_path}: {exc}") from None
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise ModelLoadError(f"model manifest lists no files: {manifest_path}")
    for name, expected in files.items():
        path = model_dir / name
        if not path.is_file():
            raise ModelLoadError(f"model file missing: {path} (listed in {manifest_path})")
        actual = sha256_file(path)
        if actual != expected:
            raise ModelLoadError(
                f"model file corrupt: {path}: sha256 {actual[:12]}… does not match the manifest's {str(expected)[:12]}…"
            )
    return manifest


def write_manifest(model_dir: Path, names: list[str], **extra) -> dict:
    """Write `manifest.json` for the given files (used by the trainers in bench/)."""
    model_dir = Path(model_dir)
    manifest = {"files": {n: sha256_file(model_dir / n) for n in sorted(names)}, **extra}
    (model_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest

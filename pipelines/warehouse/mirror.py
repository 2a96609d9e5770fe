"""The object-store mirror: after each local publish, the published files are uploaded as one snapshot
(pipelines/core/publish/object_store.py). Unset URL: no mirror."""
from __future__ import annotations

import os
from pathlib import Path


def mirror_url(configured: str | None) -> str | None:
    return configured or os.environ.get("NEWSEVENTS_OBJECT_STORE_URL")


def mirror_publish(root: Path, url: str | None, endpoint: str | None) -> None:
    """Upload the warehouse just published to `url` (s3://bucket/prefix), when set. Call under the publish lock, so
    the mirror uploads a consistent set of files."""
    url = mirror_url(url)
    if not url:
        return
    from pipelines.core.publish.object_store import mirror_warehouse

    mirror_warehouse(root, url, endpoint=endpoint or os.environ.get("NEWSEVENTS_OBJECT_STORE_ENDPOINT"))

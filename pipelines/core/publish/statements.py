"""The SQL a publish runs after loading the tables: COMMENT ON statements for the published tables (from the Pandera
models) and the analyst views (only when every public table they read exists)."""
from __future__ import annotations

from pipelines.core.publish import views
from schemas import PUBLIC_TABLES, all_models


def publish_sql(columns: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """(comments, views) for the tables about to be published ({table: its columns})."""
    models = {t: m for t, m in all_models().items() if t in columns}
    comments = views.comment_statements(models, columns=columns)
    return comments, views.view_statements() if set(PUBLIC_TABLES) <= set(columns) else []

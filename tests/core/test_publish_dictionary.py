"""docs/data_dictionary.md is generated from the pandera schemas and must be current."""
from __future__ import annotations

import pandera.polars as pa

from pipelines.core.publish import dictionary


def test_checked_in_dictionary_matches_the_schemas():
    on_disk = dictionary.DEFAULT_PATH.read_text(encoding="utf-8")
    assert on_disk == dictionary.render(), (
        "docs/data_dictionary.md is stale: run `python -m pipelines.core.publish.dictionary`")


def test_every_model_column_and_description_is_documented():
    text = dictionary.render()
    models = dictionary.public_models()
    assert {"documents", "events", "event_clusters"} <= set(models)
    for table, model in {**models, **dictionary.other_models(set(models.values()))}.items():
        schema = model.to_schema()
        for name, col in schema.columns.items():
            assert f"| `{name}` |" in text, (table, name)
            if col.description:
                assert dictionary._cell(col.description) in text, (table, name)
    for view in ("v_events", "v_event_timeline", "v_sanctions", "v_gdelt_events", "v_acled_events"):
        assert f"`{view}`" in text


def test_check_mode_detects_a_stale_file(tmp_path, capsys):
    p = tmp_path / "dd.md"
    assert dictionary.main(["--check", "--path", str(p)]) == 1           # missing
    assert dictionary.main(["--path", str(p)]) == 0                      # written
    assert dictionary.main(["--check", "--path", str(p)]) == 0           # current
    p.write_text(p.read_text().replace("n_outlets", "n_sources"), encoding="utf-8")
    assert dictionary.main(["--check", "--path", str(p)]) == 1           # edited by hand
    assert "not current" in capsys.readouterr().err


def test_discovers_models_generically(monkeypatch):
    import schemas

    class Extra(pa.DataFrameModel):
        """A table that only exists in this test."""
        thing_id: str = pa.Field(description="Id of the thing.")

    monkeypatch.setattr(schemas, "ALL_MODELS", {"things": Extra}, raising=False)
    text = dictionary.render()
    assert "### `things`" in text and "Id of the thing." in text

import json

import pytest

from pipelines.core.models import ModelLoadError, verify_model_dir, write_manifest


def test_verify_accepts_matching_files(tmp_path):
    (tmp_path / "w.bin").write_bytes(b"weights")
    write_manifest(tmp_path, ["w.bin"], version="x")
    assert verify_model_dir(tmp_path)["version"] == "x"


def test_missing_file_names_the_file(tmp_path):
    (tmp_path / "w.bin").write_bytes(b"weights")
    write_manifest(tmp_path, ["w.bin"])
    (tmp_path / "w.bin").unlink()
    with pytest.raises(ModelLoadError, match="w.bin"):
        verify_model_dir(tmp_path)


def test_corrupt_file_names_the_file(tmp_path):
    (tmp_path / "w.bin").write_bytes(b"weights")
    write_manifest(tmp_path, ["w.bin"])
    (tmp_path / "w.bin").write_bytes(b"weightz")
    with pytest.raises(ModelLoadError, match="corrupt.*w.bin"):
        verify_model_dir(tmp_path)


def test_missing_manifest(tmp_path):
    with pytest.raises(ModelLoadError, match="manifest missing"):
        verify_model_dir(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"files": {}}))
    with pytest.raises(ModelLoadError, match="no files"):
        verify_model_dir(tmp_path)

"""The new-files sensor: off by default, fires once per change of the input folder."""
from dagster import DefaultSensorStatus, RunRequest, SkipReason, build_sensor_context

from pipelines.resources import InputFolder
from pipelines.sensors import build_new_files_sensor


def test_sensor_fires_on_change_only(tmp_path):
    sensor = build_new_files_sensor("newsevents")
    assert sensor.default_status == DefaultSensorStatus.STOPPED
    (tmp_path / "a.txt").write_text("one story")
    res = {"input_folder": InputFolder(path=str(tmp_path))}
    ctx = build_sensor_context(resources=res)
    first = sensor(ctx)
    assert isinstance(first, RunRequest)
    ctx2 = build_sensor_context(cursor=ctx.cursor, resources=res)
    assert isinstance(sensor(ctx2), SkipReason)
    (tmp_path / "b.json").write_text('{"maintext": "another"}')
    (tmp_path / "ignored.png").write_bytes(b"x")
    ctx3 = build_sensor_context(cursor=ctx.cursor, resources=res)
    again = sensor(ctx3)
    assert isinstance(again, RunRequest) and again.run_key != first.run_key
    assert again.tags["newsevents/input_files"] == "2"

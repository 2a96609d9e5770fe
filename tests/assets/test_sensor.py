"""The new_input_files sensor: off by default; new files -> partitions + one batch run each; the downstream run only
once every batch is materialized, and only once per state; nothing while a run holds the warehouse."""
import polars as pl
from dagster import DagsterInstance, DefaultSensorStatus, SensorResult, SkipReason, build_sensor_context

from pipelines.core.cache import batch_version
from pipelines.orchestration.jobs import BATCH_JOB_NAME, DOWNSTREAM_JOB_NAME, batch_job, downstream_job
from pipelines.orchestration.partitions import ingest_batch
from pipelines.orchestration.sensors import build_new_files_sensor
from pipelines.warehouse import InputFolder, Warehouse
from pipelines.warehouse.layout import PARTITIONED_STAGES


def _materialize(wh: Warehouse, batch: str) -> None:
    """What a successful newsevents_batch run leaves behind: the batch's stage files, the batch stamped as done."""
    for name in PARTITIONED_STAGES:
        wh.write_stage(name, pl.DataFrame({"x": [1]}), batch=batch)
    wh.mark_batch_done(batch, batch_version())


def test_sensor_requests_batches_then_downstream(tmp_path):
    sensor = build_new_files_sensor(batch_job(), downstream_job(), str(tmp_path / "wh"))
    assert sensor.default_status == DefaultSensorStatus.STOPPED
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.txt").write_text("one story")
    wh = Warehouse(path=str(tmp_path / "wh"))
    res = {"input_folder": InputFolder(path=str(inp))}
    instance = DagsterInstance.ephemeral()

    def tick(cursor=None):
        return sensor(build_sensor_context(instance=instance, cursor=cursor, resources=res))

    first = tick()
    assert isinstance(first, SensorResult)
    (req,) = first.run_requests
    batch = req.partition_key
    assert req.job_name == BATCH_JOB_NAME and batch.startswith("b")
    (add,) = first.dynamic_partitions_requests
    assert add.partitions_def_name == ingest_batch.name and list(add.partition_keys) == [batch]
    instance.add_dynamic_partitions(ingest_batch.name, [batch])
    # the batch has not run yet: the same request again (same run_key: Dagster will not launch it twice), no downstream
    again = tick()
    assert [(r.job_name, r.run_key) for r in again.run_requests] == [(BATCH_JOB_NAME, req.run_key)]
    _materialize(wh, batch)
    down = tick()
    assert [r.job_name for r in down.run_requests] == [DOWNSTREAM_JOB_NAME] and down.cursor
    quiet = tick(down.cursor)
    assert not quiet.run_requests and isinstance(quiet.skip_reason, SkipReason)
    # a new file -> a new batch only; once it is done -> a new downstream run
    (inp / "b.json").write_text('{"maintext": "another"}')
    new = tick(down.cursor)
    assert [r.job_name for r in new.run_requests] == [BATCH_JOB_NAME] and new.run_requests[0].partition_key != batch
    instance.add_dynamic_partitions(ingest_batch.name, [new.run_requests[0].partition_key])
    _materialize(wh, new.run_requests[0].partition_key)
    down2 = tick(down.cursor)
    assert [r.job_name for r in down2.run_requests] == [DOWNSTREAM_JOB_NAME] and down2.cursor != down.cursor
    # removing a batch's only file retires it: its partition is deleted, and the rest is published again
    (inp / "a.txt").unlink()
    gone = tick(down2.cursor)
    assert [r.job_name for r in gone.run_requests] == [DOWNSTREAM_JOB_NAME]
    assert [(d.partitions_def_name, list(d.partition_keys)) for d in gone.dynamic_partitions_requests
            if type(d).__name__.startswith("Delete")] == [(ingest_batch.name, [batch])]
    assert not wh.partition_path("documents", batch).exists()
    # while another process's run holds the warehouse, the sensor skips without waiting or touching it
    import subprocess
    import sys

    (inp / "c.txt").write_text("a third story")
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; fh = open(sys.argv[1], 'a+'); "
                               "fcntl.flock(fh, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
                               str(tmp_path / "wh" / ".run.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = wh.read_registry()
        busy = tick(down2.cursor)
        assert isinstance(busy, SkipReason) and "run is using" in busy.skip_message
        assert wh.read_registry().equals(before)
    finally:
        holder.kill()
        holder.wait()

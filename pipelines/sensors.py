"""A sensor that starts the pipeline job when files in the input folder change (off by default)."""
import hashlib
import os

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from pipelines.core.ingest import SUPPORTED
from pipelines.resources import InputFolder


def folder_fingerprint(root) -> tuple[str, int]:
    """Hash of (relative path, size, mtime_ns) of every supported file below root, and the file count."""
    h = hashlib.sha256()
    n = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for f in sorted(filenames):
            if os.path.splitext(f)[1].lower() not in SUPPORTED:
                continue
            p = os.path.join(dirpath, f)
            try:
                st = os.stat(p)
            except OSError:
                continue
            h.update(f"{os.path.relpath(p, root)}\x1f{st.st_size}\x1f{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
            n += 1
    return h.hexdigest()[:20], n


def build_new_files_sensor(job_name: str):
    @sensor(
        name="new_input_files",
        job_name=job_name,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.STOPPED,
        description="Starts the whole pipeline when files are added to, changed in or removed from the input folder. "
        "Off by default: turn it on in the UI (Automation). Unchanged files are not reprocessed.",
    )
    def new_input_files(context: SensorEvaluationContext, input_folder: InputFolder):
        root = input_folder.resolved_path()
        if not root.is_dir():
            return SkipReason(f"input folder {root} does not exist")
        fingerprint, n = folder_fingerprint(root)
        if fingerprint == context.cursor:
            return SkipReason(f"no change in {n} input files")
        context.update_cursor(fingerprint)
        return RunRequest(run_key=fingerprint, tags={"newsevents/input_files": str(n)})

    return new_input_files

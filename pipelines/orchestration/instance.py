"""The one Dagster instance (DAGSTER_HOME) that `newsevents run`/`watch` and `make ui` share, so the UI shows the
CLI's runs, materializations, partitions and check results.

Where: `--dagster-home DIR` (CLI), else $DAGSTER_HOME, else WAREHOUSE/_dagster (beside the data it describes: a
second warehouse gets its own instance). A missing dagster.yaml is written with telemetry off and the UI's
"join the community" dialog (nux) off; an existing one is left as it is.

`python -m pipelines.orchestration.instance [--warehouse DIR] [--plan]` prepares the folder and prints its path (used by `make ui`).
--plan also plans the input's ingest batches into the warehouse and registers them as the instance's `ingest_batch`
partitions (what `newsevents run` does before its runs), so the UI's "Materialize all" finds them on a fresh
warehouse too (a dynamic partition set nobody has filled leaves the UI nothing to launch).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HOME_DIRNAME = "_dagster"
DAGSTER_YAML = """\
# written by newsevents (pipelines/orchestration/instance.py): the instance shared by `newsevents run` and `make ui`
telemetry:
  enabled: false
nux:
  enabled: false
"""


def dagster_home(warehouse_root: Path | str, override: str | None = None) -> Path:
    """The DAGSTER_HOME for a warehouse (created, with a dagster.yaml when it has none)."""
    raw = override or os.environ.get("DAGSTER_HOME") or str(Path(warehouse_root) / HOME_DIRNAME)
    home = Path(raw).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "dagster.yaml"
    if not cfg.exists():
        cfg.write_text(DAGSTER_YAML)
    return home


def open_instance(warehouse_root: Path | str, override: str | None = None):
    """The persistent DagsterInstance of that home (use as a context manager: it is disposed at exit)."""
    from dagster import DagsterInstance

    return DagsterInstance.from_config(str(dagster_home(warehouse_root, override)))


def main(argv: list[str] | None = None) -> int:
    from pipelines.warehouse import Warehouse

    ap = argparse.ArgumentParser(prog="python -m pipelines.orchestration.instance", description=__doc__.split("\n\n")[0])
    ap.add_argument("--warehouse", default=None, help="warehouse folder (default: $NEWSEVENTS_WAREHOUSE or ./warehouse)")
    ap.add_argument("--dagster-home", default=None, help="explicit DAGSTER_HOME (default: $DAGSTER_HOME or WAREHOUSE/_dagster)")
    ap.add_argument("--plan", action="store_true", help="plan the input's ingest batches, add them as partitions")
    args = ap.parse_args(argv)
    warehouse = Warehouse(path=args.warehouse)
    if args.plan:
        from pipelines.orchestration.partitions import plan_and_apply
        from pipelines.warehouse import InputFolder

        if InputFolder().resolved_path().exists():
            with warehouse.holding_run_lock(), open_instance(warehouse.root, args.dagster_home) as instance:
                done = plan_and_apply(warehouse, InputFolder(), instance)
            print(f"ingest batches: {done.plan.summary()} ({len(done.plan.live)} live)", file=sys.stderr)
    print(dagster_home(warehouse.root, args.dagster_home))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

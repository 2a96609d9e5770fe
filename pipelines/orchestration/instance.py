"""The one Dagster instance (DAGSTER_HOME) that `newsevents run`/`watch` and `make ui` share, so the UI shows the
CLI's runs, materializations, partitions and check results.

Where: `--dagster-home DIR` (CLI), else $DAGSTER_HOME, else WAREHOUSE/_dagster (beside the data it describes: a
second warehouse gets its own instance). A missing dagster.yaml is written with telemetry off and the UI's
"join the community" dialog (nux) off; an existing one is left as it is.

`python -m pipelines.orchestration.instance [--warehouse DIR]` prepares the folder and prints its path (used by `make ui`).
"""
from __future__ import annotations

import argparse
import os
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
    args = ap.parse_args(argv)
    print(dagster_home(Warehouse(path=args.warehouse).root, args.dagster_home))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

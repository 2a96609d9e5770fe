"""pipelines.orchestration.runner.without_output_capture patches Dagster's private core_execute_in_process (see its
docstring for why no public API does this). This test fails when that private function, its keyword or its effect
change, so a dagster upgrade cannot silently bring back the per-run capture of every stage's frames."""
import inspect

import pytest
from dagster import Definitions, DagsterInvariantViolationError, asset, define_asset_job, materialize
from dagster._core.execution import execute_in_process as eip

from pipelines.orchestration.runner import without_output_capture


@asset
def numbers():
    return [1, 2, 3]


def test_private_core_execute_in_process_still_takes_output_capturing_enabled():
    params = inspect.signature(eip.core_execute_in_process).parameters
    assert "output_capturing_enabled" in params


def test_outputs_are_not_captured_inside_the_patch_and_are_outside():
    job = Definitions(assets=[numbers], jobs=[define_asset_job("j", selection=[numbers])]).resolve_job_def("j")
    captured = job.execute_in_process()
    assert captured.output_for_node("numbers") == [1, 2, 3]
    with without_output_capture():
        result = job.execute_in_process()
    assert result.success
    with pytest.raises(DagsterInvariantViolationError):
        result.output_for_node("numbers")
    assert materialize([numbers]).output_for_node("numbers") == [1, 2, 3]  # the patch is undone afterwards

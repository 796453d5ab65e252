"""The plugin's fixtures used in-process by our own suite (the plugin is loaded by its entry point here too):
names of a test's own, the mocked-case runner on its own stack, and the report text of a failed run."""

from __future__ import annotations

import pytest

from scones.testing.plugin import DeployedWorkflow, Execution, MockedCaseRunner, execution_report
from scones.testing.stack import LocalStackHandle

pytestmark = pytest.mark.integration

ITEM = {"s3_bucket": "any-bucket", "s3_key": "test/any.png"}


def test_scones_mocked_case__runs_a_shipped_case_on_the_sessions_state_machine(
    scones_mocked_case: MockedCaseRunner, scones_stack: LocalStackHandle
) -> None:
    """statemachine/mock-config.json's ReviewPath, re-keyed to the session's random project: the filter's
    LowConfidenceError is caught to the review path without calling a function. The mocked stack is a
    second one, so the main stack still answers as a stack without mocks."""
    result = scones_mocked_case("ReviewPath", ITEM)
    assert result.status == "SUCCEEDED", result.describe()
    assert result.output["outcome"] == "review"
    assert scones_mocked_case.workflow.clients.settings.endpoint_url != scones_stack.endpoint_url


def test_execution_report__names_the_failed_event_of_a_mocked_model_error(
    scones_mocked_case: MockedCaseRunner, scones_mocked_workflow: DeployedWorkflow
) -> None:
    """The report section the plugin adds to a failed test: ModelError's ModelInvocationError (mocked
    classify) is caught to the Fail state, so the execution FAILED and its history holds the TaskFailed."""
    result = scones_mocked_case("ModelError", ITEM)
    assert result.status == "FAILED", result.describe()
    execution = Execution(result.execution_arn, result.status, ITEM, workflow=scones_mocked_workflow)
    report = execution_report([execution])
    assert f"execution {result.execution_arn}: FAILED" in report
    assert "TaskFailed" in report and "ModelInvocationError" in report
    assert "function logs:" in report

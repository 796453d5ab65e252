"""The project's mocked whole-workflow cases (statemachine/mock-config.json) on a real stack started with
it (the plugin's mocked stack, as `scones up --mock-config` starts one), with the real workflow deployed
(tiny model) and each case run through ``scones.testing.mocked_cases.run_mocked_case``.

The reference is AWS's "Using mocked service integrations for testing in Step Functions Local": a
MockConfigFile names ``StateMachines`` -> ``TestCases`` (state name -> mocked response name) and
``MockedResponses`` (invocation index or range "0", "1-2" -> exactly one of ``Return`` or
``Throw{Error, Cause}``); an execution started with ``<state machine ARN>#<test case>`` takes each mocked
state's answer from it, in invocation order, "for retries as well"; a ``Return`` is the service API's
response (for ``lambda:invoke``: ``{"StatusCode": 200, "Payload": {...}}``) and a ``Throw`` fails the task
with that error, so Retry and Catch run as written. LocalStack documents the same file under
``SFN_MOCK_CONFIG`` ("Step Functions mocked service integrations"), and answers an unknown case with
``InvalidName`` (its provider's ``_get_local_mock_test_case``).

Real components: LocalStack really runs (host mode, our extension), the workflow is really deployed; only
the Task states' service answers come from the mock file, which is the feature under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scones import stack
from scones.cli import cli
from scones.config import LOCALSTACK_SFN_MOCK_CONFIG, SFN_MOCK_CONFIG, STATE_DIR, Config
from scones.stack.settings import StackSettings
from scones.testing.mocked_cases import (
    MOCK_CONFIG,
    MOCK_CONFIG_STATE_MACHINE,
    MockedCaseResult,
    UnknownMockedCaseError,
    mock_config_for,
    run_mocked_case,
)
from scones.testing.plugin import DeployedWorkflow
from scones.workflow import WorkflowSettings
from tests.helpers.roles import states_role

ITEM = {"s3_bucket": "scones-workflow", "s3_key": "test/bike_s_000658.png"}
# The three Lambda tasks every path starts with, in order.
TASKS = ["Serialize image data", "Classify image", "Filter low confidence"]


# --- `scones up --mock-config` (no stack needed) ----------------------------------------------------------


def test_stack_settings__pass_the_mock_config_to_localstack_as_an_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LocalStack reads ``SFN_MOCK_CONFIG`` (its config.py) from its own working directory: a path the user
    typed relative to theirs must arrive absolute."""
    (tmp_path / "mocks.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    settings = StackSettings.from_config(Config({}), sfn_mock_config=Path("mocks.json"))
    env = settings.localstack_environment({})
    assert env[LOCALSTACK_SFN_MOCK_CONFIG] == str(tmp_path.resolve() / "mocks.json")


def test_stack_settings__read_the_mock_config_from_its_variable_and_the_option_wins() -> None:
    from_env = StackSettings.from_config(Config({SFN_MOCK_CONFIG.name: str(MOCK_CONFIG)}))
    assert from_env.localstack_environment({})[LOCALSTACK_SFN_MOCK_CONFIG] == str(MOCK_CONFIG)
    other = MOCK_CONFIG.parent / "workflow.asl.json"
    explicit = StackSettings.from_config(Config({SFN_MOCK_CONFIG.name: "/nowhere"}), sfn_mock_config=other)
    assert explicit.sfn_mock_config == other


def test_stack_settings__without_a_mock_config_pass_none() -> None:
    """Not set, not passed on: the user's shell cannot leak an ``SFN_MOCK_CONFIG`` of its own either."""
    env = StackSettings.from_config(Config({})).localstack_environment({LOCALSTACK_SFN_MOCK_CONFIG: "/x"})
    assert LOCALSTACK_SFN_MOCK_CONFIG not in env


@pytest.mark.parametrize("how", ["option", "variable"])
def test_up__refuses_a_missing_mock_config_before_starting(tmp_path: Path, how: str) -> None:
    """LocalStack would start, log the missing file and answer every mocked case ``InvalidName``: `up` says
    so first, as a usage error (exit 2), and starts nothing."""
    missing = tmp_path / "absent.json"
    port = stack.free_port()
    args = ["up", "--port", str(port)] + (["--mock-config", str(missing)] if how == "option" else [])
    environ = {STATE_DIR.name: str(tmp_path / "state")}
    if how == "variable":
        environ[SFN_MOCK_CONFIG.name] = str(missing)
    result = CliRunner().invoke(cli, args, obj=Config(environ))
    assert result.exit_code == 2, result.output
    assert str(missing) in result.output and SFN_MOCK_CONFIG.name in result.output
    assert not (tmp_path / "state").exists()


# --- the shipped mock config ---------------------------------------------------------------------------


def test_mock_config__keys_the_state_machine_deploy_names_and_mocks_only_real_states() -> None:
    """LocalStack finds a case by the state machine's name: deploy's default (``<project>-workflow``)."""
    config = json.loads(MOCK_CONFIG.read_text())
    assert WorkflowSettings().state_machine_name == MOCK_CONFIG_STATE_MACHINE
    assert list(config["StateMachines"]) == [MOCK_CONFIG_STATE_MACHINE]
    definition = json.loads((MOCK_CONFIG.parent / "workflow.asl.json").read_text())
    for case, states in config["StateMachines"][MOCK_CONFIG_STATE_MACHINE]["TestCases"].items():
        for state, response in states.items():
            assert definition["States"][state]["Type"] == "Task", (case, state)
            assert response in config["MockedResponses"], (case, response)
    assert set(config["StateMachines"][MOCK_CONFIG_STATE_MACHINE]["TestCases"]) == {
        "HappyPath",
        "ReviewPath",
        "EndpointDownThenBack",
        "ModelError",
    }


def test_mock_config_for__rekeys_the_cases_for_another_project() -> None:
    config = mock_config_for(WorkflowSettings(project="shop").state_machine_name)
    assert list(config["StateMachines"]) == ["shop-workflow"]
    assert config["MockedResponses"] == json.loads(MOCK_CONFIG.read_text())["MockedResponses"]


# --- the cases on a real stack -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mocked_workflow(scones_mocked_workflow: DeployedWorkflow) -> tuple[Any, str]:
    """The plugin's mocked stack (``scones_mocked_workflow``): started with the shipped mock config re-keyed
    to the session's state machine, through the same ``StackSettings.sfn_mock_config`` that
    `scones up --mock-config` fills (the tests above check the option and variable reach it, and how it is
    passed to LocalStack), with the workflow deployed. One stack for these cases and the plugin's own."""
    return scones_mocked_workflow.clients.sfn, scones_mocked_workflow.state_machine_arn


@pytest.mark.integration
def test_happy_path__classified_without_a_retry(mocked_workflow: tuple[Any, str]) -> None:
    sfn, arn = mocked_workflow
    result = run_mocked_case(sfn, arn, "HappyPath", ITEM)
    assert result.status == "SUCCEEDED", result.describe()
    assert result.states_entered == [*TASKS, "Classified"]
    assert [result.attempts(s) for s in result.states_entered[:3]] == [1, 1, 1], result.describe()
    assert result.output == {**ITEM, "outcome": "classified", "inferences": [0.97, 0.03]}


@pytest.mark.integration
def test_review_path__low_confidence_is_caught_to_the_review_record(mocked_workflow: tuple[Any, str]) -> None:
    """``LowConfidenceError`` is caught by the filter's first Catcher (ResultPath ``$.error``) and goes to
    "Prepare review record"; the review record's ``aws-sdk:s3:putObject`` is mocked too (an SDK
    integration's ``Return`` is the API response: PutObject's ``ETag``)."""
    sfn, arn = mocked_workflow
    result = run_mocked_case(sfn, arn, "ReviewPath", ITEM, name="review-case")
    assert result.status == "SUCCEEDED", result.describe()
    assert result.states_entered == [
        *TASKS,
        "Prepare review record",
        "Record item for review",
        "Needs review",
    ]
    assert [error for error, _ in result.failures("Filter low confidence")] == ["LowConfidenceError"]
    assert result.retries("Filter low confidence") == 0  # no Retry names LowConfidenceError
    assert result.output["outcome"] == "review"
    assert result.output["inferences"] == [0.55, 0.45]
    assert result.output["review_key"].endswith("review-case.json")


@pytest.mark.integration
def test_endpoint_down_then_back__retried_once_then_classified(mocked_workflow: tuple[Any, str]) -> None:
    """The classify Task's second Retrier (``EndpointUnavailableError``, IntervalSeconds 1) retries; the
    mock's invocation "1" answers, so the item is classified after exactly one retry, never caught."""
    sfn, arn = mocked_workflow
    result = run_mocked_case(sfn, arn, "EndpointDownThenBack", ITEM)
    assert result.status == "SUCCEEDED", result.describe()
    assert result.states_entered == [*TASKS, "Classified"]
    assert result.attempts("Classify image") == 2, result.describe()
    assert [error for error, _ in result.failures("Classify image")] == ["EndpointUnavailableError"]
    assert result.elapsed_s >= 1.0  # the Retrier's IntervalSeconds really elapsed
    assert result.output["outcome"] == "classified"


@pytest.mark.integration
def test_model_error__caught_to_fail_with_its_error(mocked_workflow: tuple[Any, str]) -> None:
    """``ModelInvocationError`` (what classify raises for SageMaker's ``ModelError``) matches no Retrier,
    so the ``States.ALL`` Catcher sends it to the Fail state, whose ErrorPath/CausePath report it."""
    sfn, arn = mocked_workflow
    result = run_mocked_case(sfn, arn, "ModelError", ITEM)
    assert result.status == "FAILED", result.describe()
    assert result.states_entered == ["Serialize image data", "Classify image", "Classification failed"]
    assert result.retries("Classify image") == 0
    assert result.error == "ModelInvocationError"
    assert json.loads(result.cause or "{}")["errorType"] == "ModelInvocationError"


@pytest.mark.integration
def test_unknown_case__is_a_named_error(mocked_workflow: tuple[Any, str]) -> None:
    """A case the loaded file lacks is the same mistake as a case with no file loaded: ``InvalidName``
    naming it (LocalStack 2026.3.0 answered InternalError carrying a Python RuntimeError's text; our
    extension's stepfunctions/mock_cases.py). No Python text reaches the caller."""
    sfn, arn = mocked_workflow
    with pytest.raises(UnknownMockedCaseError, match="NoSuchCase") as raised:
        run_mocked_case(sfn, arn, "NoSuchCase", ITEM)
    assert "RuntimeError" not in str(raised.value) and "Traceback" not in str(raised.value)
    with pytest.raises(sfn.exceptions.InvalidName, match="Invalid mock test case name 'NoSuchCase'"):
        sfn.start_execution(stateMachineArn=f"{arn}#NoSuchCase", input="{}")


@pytest.mark.integration
def test_stack_without_a_mock_config__answers_invalid_name_as_a_named_error(localstack: Any) -> None:
    """The issue's symptom: a stack started without ``SFN_MOCK_CONFIG`` (the session's) answers
    ``InvalidName`` for any ``#case`` (LocalStack's ``_get_local_mock_test_case``); the helper names it."""
    sfn = localstack.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    arn = sfn.create_state_machine(
        name="mocked-cases-no-config",
        definition=json.dumps(definition),
        roleArn=states_role(localstack.client("iam"), "mocked-cases"),  # a Pass state: no permission needed
    )["stateMachineArn"]
    try:
        with pytest.raises(UnknownMockedCaseError, match="--mock-config"):
            run_mocked_case(sfn, arn, "HappyPath", ITEM)
    finally:
        sfn.delete_state_machine(stateMachineArn=arn)


@pytest.mark.integration
def test_mocked_case__p50_within_target(mocked_workflow: tuple[Any, str]) -> None:
    """Target (issue 14): a mocked whole-workflow case p50 ≤ 100 ms (benchmarks/bench_mocked_cases.py)."""
    sfn, arn = mocked_workflow
    results: list[MockedCaseResult] = [run_mocked_case(sfn, arn, "HappyPath", ITEM) for _ in range(15)]
    times = sorted(r.elapsed_s for r in results)
    assert all(r.status == "SUCCEEDED" for r in results)
    assert times[len(times) // 2] <= 0.1, times

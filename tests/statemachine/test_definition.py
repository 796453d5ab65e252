"""The ASL definition, checked statically (no network): placeholders, retries, catches, outcomes."""

from __future__ import annotations

import json
import re

import pytest

from scones.workflow.functions import FUNCTIONS
from scones.workflow.plan import ASL_PATH, build_plan, substitute
from scones.workflow.settings import WorkflowSettings

TEMPLATE = ASL_PATH.read_text()


@pytest.fixture(scope="module")
def definition() -> dict:
    plan = build_plan(WorkflowSettings(project="demo"), account="123456789012")
    return json.loads(plan.definition())


def test_template__no_environment_inside() -> None:
    assert not re.search(r"\d{12}", TEMPLATE), "no account ids"
    assert not re.search(r"(us|eu|ap)-[a-z]+-\d", TEMPLATE), "no regions"
    assert "http" not in TEMPLATE and "arn:aws:lambda" not in TEMPLATE


def test_substitute__all_placeholders_filled(definition: dict) -> None:
    text = json.dumps(definition)
    assert "${" not in text
    assert "arn:aws:lambda:us-east-1:123456789012:function:demo-classify" in text
    assert "States.Format('review/{}.json', $$.Execution.Name)" in text


def test_substitute__unknown_placeholder_is_an_error() -> None:
    with pytest.raises(KeyError, match=r"\$\{Nope\}"):
        substitute('{"a": "${Nope}"}', {})


def test_tasks__lambda_invoke_with_explicit_filtering_retry_and_catch(definition: dict) -> None:
    tasks = {n: s for n, s in definition["States"].items() if s["Type"] == "Task"}
    invokes = [s for s in tasks.values() if s["Resource"] == "arn:aws:states:::lambda:invoke"]
    # One Lambda task per registered function (scones.workflow.functions), plus the review record.
    assert len(invokes) == len(FUNCTIONS)
    assert len(tasks) == len(FUNCTIONS) + 1
    plan = build_plan(WorkflowSettings(project="demo"), account="123456789012")
    assert sorted(s["Parameters"]["FunctionName"] for s in invokes) == sorted(
        plan.function_arn(f) for f in plan.functions
    )
    for name, state in tasks.items():
        assert state["Retry"], name
        assert all(r["BackoffRate"] >= 2 and r["MaxAttempts"] >= 2 for r in state["Retry"]), name
        assert state["Catch"][-1]["ErrorEquals"] == ["States.ALL"], name
        assert state["Catch"][-1]["Next"] == "Classification failed", name
        if state["Resource"] == "arn:aws:states:::lambda:invoke":
            assert state["Parameters"]["Payload.$"] == "$"
            assert state["ResultSelector"] == {"body.$": "$.Payload.body"}
            assert state["OutputPath"] == "$.body"


def test_classify__retries_endpoint_unavailability(definition: dict) -> None:
    retried = {e for r in definition["States"]["Classify image"]["Retry"] for e in r["ErrorEquals"]}
    assert {"EndpointUnavailableError", "EndpointNotFoundError", "Lambda.ServiceException"} <= retried


def test_filter__low_confidence_goes_to_review(definition: dict) -> None:
    catch = definition["States"]["Filter low confidence"]["Catch"][0]
    assert catch == {
        "ErrorEquals": ["LowConfidenceError"],
        "ResultPath": "$.error",
        "Next": "Prepare review record",
    }
    record = definition["States"]["Record item for review"]
    assert record["Resource"] == "arn:aws:states:::aws-sdk:s3:putObject"
    assert record["Parameters"]["Bucket"] == "demo-workflow"


def test_outcomes__every_path_ends_in_one_of_three(definition: dict) -> None:
    states = definition["States"]
    terminal = {n for n, s in states.items() if s.get("End") or s["Type"] in ("Fail", "Succeed")}
    assert terminal == {"Classified", "Needs review", "Classification failed"}
    fail = states["Classification failed"]
    assert fail == {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}
    # every state is reachable and every Next exists
    seen, todo = set(), [definition["StartAt"]]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        todo += [state["Next"]] if "Next" in state else []
        todo += [c["Next"] for c in state.get("Catch", [])]
    assert seen == set(states)
    assert states["Classified"]["Parameters"]["outcome"] == "classified"
    assert states["Needs review"]["Parameters"]["outcome"] == "review"

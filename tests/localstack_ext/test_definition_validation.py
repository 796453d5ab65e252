"""A ``.$`` field that is neither a JSONPath nor an intrinsic function call is refused when the definition is
given, as AWS refuses it (issue #14 follow-up).

Before: LocalStack accepted ``"a.$": "$$$["`` at CreateStateMachine/TestState and the execution failed
with States.Runtime; ``"a.$": "States.Format("`` was kept as a literal ``a.$`` key. AWS answers
``InvalidDefinition`` "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the
field 'a.$' must be a valid JSONPath or a valid intrinsic function call at /States/P/Parameters'" (the
sentence as users quote it from CreateStateMachine, e.g. aws-cloudformation/cfn-lint#4085; #4643 quotes
it with the location, "... function call at /States/Pass/Assign": the template, not the key), and
ValidateStateMachineDefinition reports it as an ERROR diagnostic ``SCHEMA_VALIDATION_FAILED`` with the
location ``/States/<StateName>/<FieldName>`` (API reference, ValidateStateMachineDefinitionDiagnostic).
Real LocalStack (the session stack), boto3.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers.localstack import LocalStackHandle
from tests.helpers.roles import role_arn, states_role

pytestmark = pytest.mark.integration

ROLE = role_arn("sfn-definitions")  # Pass states only: the role needs no permission
SENTENCE = "The value for the field '{field}' must be a valid JSONPath or a valid intrinsic function call"


def machine(parameters: dict[str, Any]) -> str:
    return json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": parameters, "End": True}}}
    )


def refusal(field: str, location: str = "/States/P/Parameters") -> str:
    return (
        f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {SENTENCE.format(field=field)} "
        f"at {location}'"
    )


@pytest.fixture(scope="module")
def sfn(localstack: LocalStackHandle) -> Any:
    states_role(localstack.client("iam"), "sfn-definitions")
    return localstack.client("stepfunctions")


def invalid_definition(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidDefinition", error
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message: str = error["Message"]
    return message


@pytest.mark.parametrize("value", ["$$$[", "States.Format(", "States.Nope(1)", "not a path", "$.a[", "$$.["])
def test_create_state_machine_refuses_a_bad_dollar_field(sfn: Any, value: str) -> None:
    """An unparsable JSONPath, an unparsable or unknown intrinsic, plain text: InvalidDefinition, nothing
    created."""
    message = invalid_definition(
        sfn.create_state_machine, name="bad-path", definition=machine({"a.$": value}), roleArn=ROLE
    )
    assert message == refusal("a.$")
    names = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    assert "bad-path" not in names


def test_every_finding_is_listed_with_its_location(sfn: Any) -> None:
    """Nested templates and nested states: each refused key, in document order, where its template is."""
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "Parameters": {"x": {"deep.$": "$$$["}}, "Next": "M"},
            "M": {
                "Type": "Map",
                "ItemSelector": {"item.$": "$$.Map.Item.Value"},
                "ItemProcessor": {
                    "StartAt": "I",
                    "States": {
                        "I": {"Type": "Pass", "ResultSelector": {"r.$": "States.Format("}, "End": True}
                    },
                },
                "End": True,
            },
        },
    }
    message = invalid_definition(
        sfn.create_state_machine, name="bad-nested", definition=json.dumps(definition), roleArn=ROLE
    )
    assert message == (
        "Invalid State Machine Definition: '"
        f"SCHEMA_VALIDATION_FAILED: {SENTENCE.format(field='deep.$')} at /States/P/Parameters, "
        f"SCHEMA_VALIDATION_FAILED: {SENTENCE.format(field='r.$')} "
        "at /States/M/ItemProcessor/States/I/ResultSelector'"
    )


def test_update_state_machine_refuses_it_too(sfn: Any) -> None:
    arn = sfn.create_state_machine(name="upd-path", definition=machine({"a.$": "$.a"}), roleArn=ROLE)[
        "stateMachineArn"
    ]
    try:
        message = invalid_definition(
            sfn.update_state_machine, stateMachineArn=arn, definition=machine({"a.$": "$$$["})
        )
        assert message == refusal("a.$")
        assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == json.loads(
            machine({"a.$": "$.a"})
        )
    finally:
        sfn.delete_state_machine(stateMachineArn=arn)


def test_validate_state_machine_definition_reports_a_diagnostic(sfn: Any) -> None:
    response = sfn.validate_state_machine_definition(definition=machine({"a.$": "States.Format("}))
    assert response["result"] == "FAIL"
    assert response["diagnostics"] == [
        {
            "severity": "ERROR",
            "code": "SCHEMA_VALIDATION_FAILED",
            "message": SENTENCE.format(field="a.$"),
            "location": "/States/P/Parameters",
        }
    ]


def test_test_state_refuses_it(sfn: Any) -> None:
    """TestState with a single-state definition: the same InvalidDefinition (the location is the field
    in the state given)."""
    state = {"Type": "Pass", "End": True, "Parameters": {"a.$": "$$$["}}
    message = invalid_definition(sfn.test_state, definition=json.dumps(state), input="{}")
    assert message == refusal("a.$", location="/Parameters")


@pytest.mark.parametrize(
    "value",
    [
        "$",
        "$.a.b[0]",
        "$['key with space']",
        "$.items[?(@.price < 10)]",
        "$..name",
        "$$.Execution.Id",
        "$$",
        "States.Format('{} and {}', $.a, $$.Execution.Name)",
        "States.Array($.a, States.UUID())",
        "States.MathAdd($.n, 1)",
    ],
)
def test_valid_paths_and_intrinsics_still_pass(sfn: Any, value: str) -> None:
    """Only what AWS refuses is refused: JSONPaths (filters, recursive descent), Context paths,
    intrinsics with nested calls all run through TestState."""
    state = {"Type": "Pass", "End": True, "Parameters": {"a.$": value}}
    document = {"a": {"b": [1]}, "items": [{"price": 1}], "name": "n", "n": 1, "key with space": 2}
    response = sfn.test_state(definition=json.dumps(state), input=json.dumps(document))
    assert response["status"] == "SUCCEEDED", response
    assert sfn.validate_state_machine_definition(definition=machine({"a.$": value}))["result"] == "OK"


def test_variables_and_jsonata_states_are_not_checked_as_paths(sfn: Any) -> None:
    """A variable reference (``$name.field``) is a valid value; JSONata states have no ``.$`` fields."""
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"v": {"x": 1}}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"x.$": "$v.x"}, "Next": "C"},
            "C": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"k.$": "not checked"}, "End": True},
        },
    }
    response = sfn.validate_state_machine_definition(definition=json.dumps(definition))
    assert response["result"] == "OK", response


@pytest.mark.parametrize(
    ("field", "value"), [("OutputPath", "Test"), ("InputPath", "$.a["), ("OutputPath", "$$$[")]
)
def test_input_and_output_path_must_be_paths(sfn: Any, field: str, value: str) -> None:
    """AWS: "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value must be a valid JSONPath. at
    /States/Pass/OutputPath'" (CreateStateMachine, quoted in aws-cloudformation/cfn-lint#4078). LocalStack
    refused "Test" in its parser's words and accepted an unparsable path, which failed at run time."""
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", field: value, "End": True}}}
    message = invalid_definition(
        sfn.create_state_machine, name="bad-io-path", definition=json.dumps(definition), roleArn=ROLE
    )
    assert message == (
        "Invalid State Machine Definition: "
        f"'SCHEMA_VALIDATION_FAILED: Value must be a valid JSONPath. at /States/P/{field}'"
    )

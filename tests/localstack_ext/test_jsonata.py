"""JSONata states on the real stack, evaluated in-process (jsonata-python), with no Java download.

AWS references:

- "Transforming data with JSONata in Step Functions"
  (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html): ``{% %}`` expressions in
  ``Arguments``/``Output``/``Condition``/``Assign``; ``$states.input``; the functions Step Functions adds
  (``$partition``, ``$range`` with the end included, ``$hash`` with MD5/SHA-1/SHA-256/SHA-384/SHA-512,
  ``$random`` with an optional seed, ``$uuid`` version 4, ``$parse`` instead of ``$eval``).
- Amazon States Language, appendix A: "States.QueryEvaluationError: Query evaluation failed in a JSONata
  state, such as a JSONata type error, an incorrectly typed result, or an undefined result"; AWS's cause
  reads "The JSONata expression '<expr>' specified for the field '<field>' returned nothing
  (undefined)." (as AWS reports it in executions, e.g. umccr's data-sharing handler tests).
- ``EvaluationFailedEventDetails`` (API reference): the history event of "an evaluation failure ... when
  a JSONata expression throws an error", with ``location``, "the location of the field in the state".
- The field a cause names is a path in the state, ``/`` between keys: AWS's cause "The JSONata expression
  '$states.input.pushLocation' specified for the field 'Arguments/Input/pushLocation' returned nothing
  (undefined)." (a real execution quoted in umccr's data-sharing tests) and AWS's Step Functions power for
  Kiro ("specified for the field 'Arguments/ClusterId'"); array elements as ``[i]``.
- "All built-in JSONata functions and operators in the 2.0.6 specification are supported, with one
  exception: $eval is not available—use $parse instead" (transforming-data.html above).

Failed before: every execution here ended ``States.Runtime`` with ``PackageException(Installation of
java 21 failed.)`` (LocalStack 2026.3.0 evaluates JSONata in a JVM it downloads first).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.roles import role_arn, states_role

# The machines' Task states fail while evaluating their arguments, before any call: the role needs nothing.
ROLE = role_arn("sfn-jsonata")
THRESHOLD = 0.93
PYTHON_TEXT = re.compile(r"\b\w*(Error|Exception)\(|Traceback|PackageException|java", re.IGNORECASE)

# The workflow's "Filter low confidence" decision (lambdas/ filter: max(inferences) >= threshold) as
# JSONata: Assign the threshold, a Choice Condition on $states.input, Output objects built by JSONata.
FILTER = {
    "QueryLanguage": "JSONata",
    "StartAt": "Prepare",
    "States": {
        "Prepare": {
            "Type": "Pass",
            "Assign": {"threshold": THRESHOLD},
            "Output": "{% $states.input %}",
            "Next": "Confident?",
        },
        "Confident?": {
            "Type": "Choice",
            "Choices": [
                {"Condition": "{% $max($states.input.inferences) >= $threshold %}", "Next": "Classified"}
            ],
            "Default": "Needs review",
        },
        "Classified": {
            "Type": "Pass",
            "Output": {
                "outcome": "classified",
                "s3_bucket": "{% $states.input.s3_bucket %}",
                "s3_key": "{% $states.input.s3_key %}",
                "inferences": "{% $states.input.inferences %}",
            },
            "End": True,
        },
        "Needs review": {
            "Type": "Pass",
            "Output": "{% {'outcome': 'review', 's3_key': $states.input.s3_key, "
            "'confidence': $max($states.input.inferences), 'execution': $states.context.Execution.Name} %}",
            "End": True,
        },
    },
}


def single(output: Any) -> dict[str, Any]:
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Output": output, "End": True}},
    }


@pytest.fixture(scope="module")
def sfn(localstack: Any) -> Any:
    states_role(localstack.client("iam"), "sfn-jsonata")
    return localstack.client("stepfunctions", retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="module")
def run(sfn: Any) -> Callable[..., dict[str, Any]]:
    """Create an EXPRESS machine and run it synchronously (start_sync_execution)."""

    def execute(definition: dict[str, Any], payload: Any = None, name: str | None = None) -> dict[str, Any]:
        arn = sfn.create_state_machine(
            name=f"jsonata-{uuid.uuid4().hex[:8]}",
            definition=json.dumps(definition),
            roleArn=ROLE,
            type="EXPRESS",
        )["stateMachineArn"]
        kwargs = {"name": name} if name else {}
        return dict(sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps(payload or {}), **kwargs))

    return execute


def output_of(result: dict[str, Any]) -> Any:
    assert result["status"] == "SUCCEEDED", (result.get("error"), result.get("cause"))
    return json.loads(result["output"])


def test_filter__confident_inference_is_classified(run: Callable[..., dict[str, Any]]) -> None:
    """max(inferences) = 0.95 ≥ 0.93: the Choice Condition takes the classified branch and the Output
    template's expressions copy the input fields."""
    item = {"s3_bucket": "b", "s3_key": "test/bicycle_s_000513.png", "inferences": [0.95, 0.05]}
    assert output_of(run(FILTER, item)) == {"outcome": "classified", **item}


def test_filter__low_confidence_goes_to_review(run: Callable[..., dict[str, Any]]) -> None:
    """max(inferences) = 0.6 < 0.93: Default branch; a JSONata object constructor reads $states.input and
    $states.context (the execution's name)."""
    name = f"review-{uuid.uuid4().hex[:8]}"
    item = {"s3_bucket": "b", "s3_key": "k.png", "inferences": [0.6, 0.4]}
    assert output_of(run(FILTER, item, name=name)) == {
        "outcome": "review",
        "s3_key": "k.png",
        "confidence": 0.6,
        "execution": name,
    }


def test_strings_with_quotes_reach_the_expression_intact(run: Callable[..., dict[str, Any]]) -> None:
    """Input and variables are bound as values, not pasted into the expression as text (LocalStack quoted
    strings without escaping them, so a `"` in the input broke the expression)."""
    text = 'say "hi" \\ {% not an expression %}'
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"kept": "{% $states.input.text %}"}, "Next": "B"},
            "B": {
                "Type": "Pass",
                "Output": {"input": "{% $states.input.text %}", "var": "{% $kept %}"},
                "End": True,
            },
        },
    }
    assert output_of(run(machine, {"text": text})) == {"input": text, "var": text}


def test_step_functions_functions(run: Callable[..., dict[str, Any]]) -> None:
    """The functions Step Functions adds to JSONata, with the documented examples' results."""
    output = output_of(
        run(
            single(
                {
                    "partition": "{% $partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3) %}",
                    "partition_short": "{% $partition([1, 2, 3, 4, 5], 2) %}",
                    "range": "{% $range(0, 10, 2) %}",
                    "range_down": "{% $range(10, 0, -5) %}",
                    "hash": "{% $hash('scones', 'SHA-256') %}",
                    "md5": "{% $hash('scones', 'MD5') %}",
                    "seeded": "{% [$random(42), $random(42)] %}",
                    "random": "{% $random() %}",
                    "uuid": "{% $uuid() %}",
                    "parse": "{% $parse($states.input.doc) %}",
                }
            ),
            {"doc": '{"a": [1, null, "x"]}'},
        )
    )
    assert output["partition"] == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert output["partition_short"] == [[1, 2], [3, 4], [5]]
    assert output["range"] == [0, 2, 4, 6, 8, 10]
    assert output["range_down"] == [10, 5, 0]
    assert output["hash"] == hashlib.sha256(b"scones").hexdigest()
    assert output["md5"] == hashlib.md5(b"scones").hexdigest()
    assert output["seeded"][0] == output["seeded"][1] and 0 <= output["seeded"][0] < 1
    assert 0 <= output["random"] < 1
    assert uuid.UUID(output["uuid"]).version == 4
    assert output["parse"] == {"a": [1, None, "x"]}


def test_undefined_result_fails_with_query_evaluation_error(
    run: Callable[..., dict[str, Any]], sfn: Any
) -> None:
    """A field whose expression returns nothing fails the state with States.QueryEvaluationError and
    AWS's cause; no Python text."""
    result = run(single({"missing": "{% $states.input.nothing %}"}), {"a": 1})
    assert result["status"] == "FAILED"
    assert result["error"] == "States.QueryEvaluationError"
    assert result["cause"] == (
        "An error occurred while executing the state 'P' (entered at the event id #2). "
        "The JSONata expression '$states.input.nothing' specified for the field 'Output/missing' "
        "returned nothing (undefined)."
    )


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"Output": {"a": {"b": ["{% 1 %}", "{% $states.input.nothing %}"]}}}, "Output/a/b[1]"),
        ({"Output": ["{% $states.input.nothing %}"]}, "Output[0]"),
        ({"Assign": {"x": {"y": "{% $states.input.nothing %}"}}}, "Assign/x/y"),
        ({"Output": "{% $states.input.nothing %}"}, "Output"),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "f", "Payload": {"k": "{% $states.input.nothing %}"}},
            },
            "Arguments/Payload/k",
        ),
        (
            {
                "Type": "Map",
                "Items": "{% [1] %}",
                "ItemSelector": {"k": "{% $states.input.nothing %}"},
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
            },
            "ItemSelector/k",
        ),
    ],
    ids=["nested-array", "top-array", "assign", "whole-output", "task-arguments", "map-item-selector"],
)
def test_cause_names_the_field_path(
    run: Callable[..., dict[str, Any]], state: dict[str, Any], field: str
) -> None:
    """Before: the cause named the last key only (``b`` or ``y``); AWS names the path from the state's
    field."""
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "End": True, **state}},
    }
    result = run(machine, {"a": 1})
    assert (result["status"], result["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert f"specified for the field '{field}' returned nothing (undefined)." in result["cause"]


def test_eval_is_not_available(run: Callable[..., dict[str, Any]]) -> None:
    """Before: ``$eval`` evaluated its argument (jsonata-python has it). AWS removes it, so calling it is
    calling an unbound name: JSONata's T1006, a States.QueryEvaluationError; ``$parse`` is the replacement."""
    result = run(single({"v": "{% $eval('1 + 1') %}"}))
    assert (result["status"], result["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert result["cause"].endswith(
        "The JSONata expression '$eval('1 + 1')' specified for the field 'Output/v' threw an error during "
        "evaluation. T1006: Attempted to invoke a non-function"
    ), result["cause"]
    assert output_of(run(single({"v": "{% $parse('[1, 2]') %}"}))) == {"v": [1, 2]}


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("1 + 'a'", "T2002"),
        ("$range('0', 4, 1)", "T0410"),
        ("$hash('x', 'SHA-3')", "T0410"),
        ("$sum(", "S0203"),
    ],
    ids=["type-error", "range-argument", "hash-algorithm", "syntax"],
)
def test_expression_error_is_catchable_query_evaluation_error(
    run: Callable[..., dict[str, Any]], expression: str, code: str
) -> None:
    """A JSONata error (type, function argument, syntax at run time) fails the state with
    States.QueryEvaluationError, which a Catch on that name handles (here a Parallel's: Pass states have no
    Catch); the cause names the expression, the field and JSONata's code, never Python text."""
    failed = run(single(f"{{% {expression} %}}"))
    assert (failed["status"], failed["error"]) == ("FAILED", "States.QueryEvaluationError")
    branch = {
        "StartAt": "Bad",
        "States": {"Bad": {"Type": "Pass", "Output": f"{{% {expression} %}}", "End": True}},
    }
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "Try",
        "States": {
            "Try": {
                "Type": "Parallel",
                "Branches": [branch],
                "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "Output": "{% $states.input %}", "End": True},
        },
    }
    caught = output_of(run(machine))
    assert caught["Error"] == "States.QueryEvaluationError"
    assert f"The JSONata expression '{expression}' specified for the field 'Output' threw" in caught["Cause"]
    assert f"threw an error during evaluation. {code}: " in caught["Cause"]
    assert not PYTHON_TEXT.search(caught["Cause"]), caught["Cause"]


def test_jsonpath_state_reads_a_variable(run: Callable[..., dict[str, Any]]) -> None:
    """A JSONPath state's ``$variable`` path (also evaluated by JSONata in LocalStack) works offline."""
    machine = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"item": {"key": "k.png"}}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"key.$": "$item.key"}, "End": True},
        },
    }
    assert output_of(run(machine)) == {"key": "k.png"}


def test_no_java_is_downloaded_or_started(localstack: Any, run: Callable[..., dict[str, Any]]) -> None:
    """After JSONata executions (this test runs one itself), LocalStack installed no Java and no JSONata jars
    under its filesystem root, never logged an installation, and its process has no JVM loaded."""
    output_of(run(single("{% $sum([1, 2]) %}")))
    fs = Path(localstack.settings.state_dir) / "fs"
    installed = [p for p in fs.rglob("*") if re.search(r"java|jsonata|jdk|jre", p.name, re.IGNORECASE)]
    assert installed == []
    log = localstack.log_file.read_text(errors="replace")
    assert not re.search(r"Installing (java|JSONata)|Installation of java|PackageException", log)
    maps = Path(f"/proc/{localstack.state.pid}/maps")
    if maps.exists():
        assert "libjvm" not in maps.read_text()


def test_map_items_and_item_selector(run: Callable[..., dict[str, Any]]) -> None:
    """A JSONata Map: ``Items`` from an expression, ``ItemSelector`` reading ``$states.context.Map.Item``
    (AWS docs, Map state in JSONata: "Items", "ItemSelector", ``$states.context.Map.Item.Index/Value``)."""
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "Items": "{% $states.input.keys[$ != 'skip'] %}",
                "ItemSelector": {
                    "key": "{% $states.context.Map.Item.Value %}",
                    "index": "{% $states.context.Map.Item.Index %}",
                },
                "ItemProcessor": {
                    "StartAt": "Mark",
                    "States": {
                        "Mark": {
                            "Type": "Pass",
                            "Output": "{% $states.input.key & '#' & $states.input.index %}",
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }
    assert output_of(run(machine, {"keys": ["a", "skip", "b"]})) == ["a#0", "b#1"]


def test_choice_condition_is_named_by_its_rule(run: Callable[..., dict[str, Any]]) -> None:
    """A Choice stops at the first rule that matches; an undefined Condition in rule 1 is named
    ``Choices[1]/Condition`` (AWS's path for a rule's field, as for any other field)."""
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% false %}", "Next": "A"},
                    {"Condition": "{% $states.input.nothing %}", "Next": "A"},
                ],
                "Default": "A",
            },
            "A": {"Type": "Succeed"},
        },
    }
    result = run(machine, {"a": 1})
    assert (result["status"], result["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert "specified for the field 'Choices[1]/Condition' returned nothing (undefined)." in result["cause"]


def test_non_boolean_condition_is_a_query_evaluation_error(run: Callable[..., dict[str, Any]]) -> None:
    """Before: ``States.Runtime`` with the cause ``RuntimeError(Expected Condition to produce a boolean result
    ...)``, Python text. ASL appendix A: States.QueryEvaluationError covers "an incorrectly typed result"."""
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% 1 %}", "Next": "A"}], "Default": "A"},
            "A": {"Type": "Succeed"},
        },
    }
    result = run(machine)
    assert (result["status"], result["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert result["cause"].endswith(
        "The JSONata expression '1' specified for the field 'Choices[0]/Condition' returned a "
        "non-boolean result."
    ), result["cause"]
    assert not PYTHON_TEXT.search(result["cause"])


def test_catcher_output_is_named_by_its_catcher(sfn: Any) -> None:
    """A Catcher's own ``Output`` is named under it (``Catch[1]/Output/v``), here through TestState with a
    mocked error (the first catcher does not match it)."""
    state = {
        "QueryLanguage": "JSONata",
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "f", "Payload": {}},
        "Catch": [
            {"ErrorEquals": ["Other"], "Next": "N"},
            {"ErrorEquals": ["States.ALL"], "Output": {"v": "{% $states.input.nothing %}"}, "Next": "N"},
        ],
        "Next": "N",
    }
    machine = {"StartAt": "T", "States": {"T": state, "N": {"Type": "Succeed"}}}
    out = sfn.test_state(
        definition=json.dumps(machine),
        stateName="T",
        input="{}",
        mock={"errorOutput": {"error": "Boom", "cause": "c"}},
    )
    assert out["error"] == "States.QueryEvaluationError", out
    assert "specified for the field 'Catch[1]/Output/v' returned nothing (undefined)." in out["cause"], out


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"Type": "Wait", "Seconds": "{% $states.input.nothing %}"}, "Seconds"),
        ({"Type": "Wait", "Timestamp": "{% $states.input.nothing %}"}, "Timestamp"),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "f"},
                "TimeoutSeconds": "{% $states.input.nothing %}",
            },
            "TimeoutSeconds",
        ),
        ({"Type": "Pass", "Assign": {"x": [1, "{% $states.input.nothing %}"]}}, "Assign/x[1]"),
    ],
    ids=["wait-seconds", "wait-timestamp", "task-timeout", "assign-array"],
)
def test_other_fields_are_named_as_in_the_definition(sfn: Any, state: dict[str, Any], field: str) -> None:
    """Before: LocalStack's class names (``SecondsJSONata``, ``TimeoutSecondsJSONata``); the field is named
    as the definition writes it (through TestState: one state, no deployment)."""
    definition = {"QueryLanguage": "JSONata", "End": True, **state}
    out = sfn.test_state(definition=json.dumps(definition), input="{}", roleArn=ROLE)
    assert (out["status"], out["error"]) == ("FAILED", "States.QueryEvaluationError"), out
    assert f"specified for the field '{field}' returned nothing (undefined)." in out["cause"], out["cause"]

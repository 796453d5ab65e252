"""``scones run``: pure parts with no network, and the CLI's own checks."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from scones.cli import cli
from scones.config import Config
from scones.workflow.guards import MAX_STATE_BYTES, ExecutionInputTooLargeError, check_execution_input
from scones.workflow.run import ItemResult, RunReport, outcome_of, parse_manifest
from scones.workflow.settings import Target, settings_from


def test_parse_manifest__original_lst_format() -> None:
    text = "27\t0\tsafety_bike_s_000390.png\n316\t1\tmotorcycle_s_000001.png\n\nbad line\n5\t9\tx.png\n"
    assert parse_manifest(text, ("bicycle", "motorcycle")) == {
        "safety_bike_s_000390.png": "bicycle",
        "motorcycle_s_000001.png": "motorcycle",
    }


BIKES = ("bicycle", "motorcycle")


def _desc(status: str, **extra) -> dict:
    return {"status": status, "executionArn": "arn:aws:states:us-east-1:1:execution:m:e", **extra}


def test_outcome_of__classified_review_failed_timeout() -> None:
    classes = ("bicycle", "motorcycle")
    ok = outcome_of(
        _desc("SUCCEEDED", output=json.dumps({"outcome": "classified", "inferences": [0.1, 0.9]})), classes
    )
    assert (ok.outcome, ok.prediction, ok.confidence) == ("classified", "motorcycle", 0.9)
    review = outcome_of(
        _desc("SUCCEEDED", output=json.dumps({"outcome": "review", "inferences": [0.6, 0.4]})), classes
    )
    assert (review.outcome, review.prediction) == ("review", "bicycle")
    three = _desc("SUCCEEDED", output=json.dumps({"inferences": [0.1, 0.2, 0.7]}))
    assert outcome_of(three, ("a", "b", "c")).prediction == "c"
    assert outcome_of(three).prediction == "class 2"  # no known names: the output position
    failed = outcome_of(_desc("FAILED", error="ImageNotFoundError", cause="s3://b/k does not exist"))
    assert (failed.outcome, failed.error, failed.cause) == (
        "failed",
        "ImageNotFoundError",
        "s3://b/k does not exist",
    )
    assert outcome_of(_desc("TIMED_OUT")).outcome == "failed"
    assert outcome_of(_desc("RUNNING")).outcome == "timeout"


def test_report__review_is_not_an_infrastructure_error() -> None:
    items = [
        ItemResult("a", "bicycle", outcome="classified", inferences=[0.99, 0.01], classes=BIKES),
        ItemResult("b", "motorcycle", outcome="review", inferences=[0.6, 0.4], classes=BIKES),
        ItemResult("c", None, outcome="failed"),
    ]
    report = RunReport(items, 1.0)
    assert report.infrastructure_errors == 1
    assert report.accuracy == 0.5
    assert RunReport(items[:2], 1.0).infrastructure_errors == 0


def test_check_execution_input__limit() -> None:
    assert json.loads(check_execution_input({"s3_bucket": "b", "s3_key": "k"})) == {
        "s3_bucket": "b",
        "s3_key": "k",
    }
    with pytest.raises(ExecutionInputTooLargeError, match=f"at most {MAX_STATE_BYTES} bytes"):
        check_execution_input({"x": "a" * MAX_STATE_BYTES})


def test_settings_from__precedence_explicit_env_default() -> None:
    env = {"SCONES_TARGET": "aws", "SCONES_PROJECT": "fromenv", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}
    s = settings_from(Config(env), project="explicit")
    assert (s.target, s.project, s.endpoint_url) == (Target.AWS, "explicit", None)
    local = settings_from(Config({"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}))
    assert (local.target, local.endpoint_url, local.region) == (
        Target.LOCAL,
        "http://127.0.0.1:1",
        "us-east-1",
    )
    assert settings_from(Config()).endpoint_url == "http://127.0.0.1:4566"
    with pytest.raises(ValueError, match="project"):
        settings_from(Config(), project="Bad_Name")


def test_run_cli__needs_count_or_key() -> None:
    result = CliRunner().invoke(cli, ["run"])
    assert result.exit_code == 2 and "give --count N or --key KEY" in result.output


def test_run_cli__unreachable_stack_is_a_clear_error() -> None:
    result = CliRunner().invoke(
        cli, ["run", "--count", "1", "--endpoint-url", "http://127.0.0.1:9", "--target", "local"]
    )
    assert result.exit_code == 1, result.output
    assert "cannot reach http://127.0.0.1:9" in result.output and "scones up" in result.output

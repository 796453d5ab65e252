"""CloudWatch Logs filter patterns, as AWS documents them, on our stack: the parser/matcher alone (loaded from
its path: it is standard library only) and FilterLogEvents on a real LocalStack through boto3 and the AWS CLI.

What AWS does, and where it is written ("Filter pattern syntax for metric filters, subscription filters,
filter log events, and Live Tail", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):

- "Filter patterns are case sensitive. Enclose exact phrases and terms that include non-alphanumeric
  characters in double quotation marks." ``ERROR`` matches ``[ERROR 400] BAD REQUEST``; ``ERROR ARGUMENTS``
  matches events holding both terms; ``"INTERNAL SERVER ERROR"`` the exact phrase; ``?ERROR ?WARN`` either;
  ``ERROR -ARGUMENTS`` ERROR without ARGUMENTS.
- Regex between ``%``, e.g. ``%AUTHORIZED%``; "The ( and ) operators are not supported".
- JSON: ``{ $.eventType = "UpdateTrail" }``, ``{ $.sourceIPAddress != 123.123.* }``, ``{ $.bandwidth > 75 }``,
  ``{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }``, ``IS NULL``, ``IS TRUE``,
  ``NOT EXISTS``; ``&&`` binds tighter than ``||`` (the page's ``{ $.user.email = "John.Stiles@example.com" ||
  $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nomatch" }`` matches its example event, the same pattern
  with the ``||`` parenthesised does not).
- ``field = *`` matches when the field exists (aws-cdk's ``FilterPattern.exists``: "a readable convenience
  wrapper over 'field = *'", ``packages/aws-cdk-lib/aws-logs/lib/pattern.ts``).
- Space-delimited: ``[ip, user, username, timestamp, request = "*html*", status_code = 4*, bytes]`` on
  ``127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534``; ``...`` for any
  fields; text in ``[]`` and ``""`` is one field.
- An invalid pattern: ``InvalidParameterException`` (botocore's ``logs/2014-03-28/service-2.json`` lists it
  for FilterLogEvents, PutMetricFilter and PutSubscriptionFilter); "Invalid character(s) in term" is AWS's
  message for a term that needed quotes (reported against the real API in
  ministryofjustice/modernisation-platform-environments#5137).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ClientError

from scones.config import PROJECT_ROOT
from tests.helpers.aws_cli import run_aws_cli
from tests.helpers.localstack_venv import run_probe

FILTER_PATTERN = PROJECT_ROOT / "localstack_ext" / "scones_localstack" / "logs" / "filter_pattern.py"


def _load() -> ModuleType:
    name = "scones_localstack_filter_pattern"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FILTER_PATTERN)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses resolve their module by name
        spec.loader.exec_module(module)
    return sys.modules[name]


fp = _load()

# AWS's example events (the filter pattern page).
UNSTRUCTURED = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
    "[ERROR 500] INTERNAL SERVER ERROR",
    "[WARN 429] TOO MANY REQUESTS",
    "[SUCCESS 200] AUTHORIZED REQUEST",
]
JSON_EVENT = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "123.123.123.123",
        "bandwidth": 80,
        "latency": 20,
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "ThisFlag": True,
        "user": {"id": 1, "email": "John.Stiles@example.com"},
        "users": [{"id": 2, "email": "John.Doe@example.com"}],
        "coordinates": [[0, 1], [2, 3]],
        "actions": ["GET", "PUT", "DELETE"],
    }
)
ACCESS_LOG = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'


def matching(pattern: str, messages: list[str]) -> list[str]:
    matcher = fp.compile_pattern(pattern)
    return [message for message in messages if matcher(message)]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("", UNSTRUCTURED),
        ("ERROR", UNSTRUCTURED[:5]),
        ("error", []),  # case-sensitive
        ("ERROR ARGUMENTS", UNSTRUCTURED[2:4]),
        ('"INTERNAL SERVER ERROR"', UNSTRUCTURED[4:5]),
        ('"SERVER INTERNAL"', []),
        ("?WARN ?SUCCESS", UNSTRUCTURED[5:]),
        ('?"TOO MANY" ?419', [UNSTRUCTURED[2], UNSTRUCTURED[5]]),
        ("ERROR -ARGUMENTS", [UNSTRUCTURED[0], UNSTRUCTURED[1], UNSTRUCTURED[4]]),
        ("REQUEST -UNAUTHORIZED -BAD", UNSTRUCTURED[5:]),
        ("%AUTHORIZED%", [UNSTRUCTURED[1], UNSTRUCTURED[6]]),
        ("%^\\[WARN%", UNSTRUCTURED[5:6]),
    ],
)
def test_unstructured_terms(pattern: str, expected: list[str]) -> None:
    assert matching(pattern, UNSTRUCTURED) == expected


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ("{ $.eventType = UpdateTrail }", True),
        ('{ $.eventType = "Update*" }', True),
        ('{ $.eventType != "UpdateTrail" }', False),
        ("{ $.sourceIPAddress != 123.123.* }", False),
        ("{ $.sourceIPAddress = 123.123.* }", True),
        ('{ $.arrayKey[0] = "value" }', True),
        ("{ $.objectList[1].id = 2 }", True),
        ("{ $.bandwidth > 75 }", True),
        ("{ $.latency = * }", True),
        ('{ $.latency = "*" }', True),
        ("{ $.missing = * }", False),
        ("{ $.bandwidth = 8* }", True),
        ("{ $.latency < 50 }", True),
        ("{ $.bandwidth <= 79.5 }", False),
        ("{ $.bandwidth >= 80 && $.latency != 20 }", False),
        ("{ $.SomeObject IS NULL }", True),
        ("{ $.ThisFlag IS TRUE }", True),
        ("{ $.ThisFlag IS FALSE }", False),
        ("{ $.SomeOtherObject NOT EXISTS }", True),
        ("{ $.user EXISTS }", True),
        ('{ $.missing != "x" }', False),
        ("{ $.eventType = %Update[A-Z]% }", True),
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" '
            '&& $.actions[2] = "nomatch" }',
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") '
            '&& $.actions[2] = "nomatch" }',
            False,
        ),
    ],
)
def test_json_patterns(pattern: str, matches: bool) -> None:
    assert fp.matches(pattern, JSON_EVENT) is matches


def test_json_pattern__a_message_that_is_not_json_never_matches() -> None:
    assert matching('{ $.eventType = "UpdateTrail" }', ["UpdateTrail", "[1, 2]", ""]) == []


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ('[ip, user, username, timestamp, request = "*html*", status_code = 4*, bytes]', True),
        ("[ip, user, username, timestamp, request, status_code = 200, bytes]", False),
        ("[..., status_code = 404, bytes > 1000]", True),
        ("[ip, ..., bytes < 1000]", False),
        ("[ip, user, ..., status_code != 200 && status_code != 500, bytes]", True),
        ("[ip = %^127\\.%, ...]", True),
        ("[ip, user]", False),  # no ellipsis: the field count must match
    ],
)
def test_space_delimited_patterns(pattern: str, matches: bool) -> None:
    assert fp.matches(pattern, ACCESS_LOG) is matches


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("ERROR(401)", "Invalid character(s) in term 'ERROR(401)'"),
        ("{ $.a = 1", "Invalid filter pattern: unbalanced braces"),
        ("{ }", "Invalid filter pattern: empty expression"),
        ("{ a = 1 }", "Invalid filter pattern: invalid selector a"),
        ("{ $.* = 1 }", "Invalid filter pattern: invalid selector $.*"),
        ('{ $.a < "x" }', "Invalid filter pattern: < needs a number, got x"),
        ("{ $.a == 1 }", "Invalid filter pattern: unexpected '='"),
        ('"unterminated', "Invalid filter pattern: unterminated quoted string"),
        ("%(sub)pattern%", "Invalid regex pattern: %(sub)pattern%"),
        ("[a, , b]", "Invalid filter pattern: empty field"),
    ],
)
def test_invalid_patterns_are_refused_with_a_message(pattern: str, message: str) -> None:
    with pytest.raises(fp.InvalidFilterPatternError) as raised:
        fp.compile_pattern(pattern)
    assert str(raised.value) == message


PATCH_PROBE = """
import json, sys
from scones_localstack.logs import provider_patch
provider_patch.install()
provider_patch.install()  # idempotent
before = "localstack.services.logs.provider" in sys.modules
import localstack.services.logs.provider as provider
from localstack.aws.api.logs import InvalidParameterException
from moto.logs.models import LogsBackend
matches = provider.get_pattern_matcher("ERROR -ARGUMENTS")
try:
    provider.get_pattern_matcher("{ $.a = 1")
    invalid = None
except InvalidParameterException as error:
    invalid = [error.code, error.message, error.status_code]
print(json.dumps({
    "imported_before": before,
    "ours": provider.get_pattern_matcher is provider_patch.get_pattern_matcher,
    "matches": [matches("", {"message": m}) for m in ("[ERROR 400]", "ERROR ARGUMENTS", "INFO")],
    "invalid": invalid,
    "checked": [hasattr(getattr(LogsBackend, n), "_scones_filter_patterns") for n in ("put_metric_filter",
                                                                                       "put_subscription_filter")],
}))
"""


def test_provider_patch__applied_when_localstack_imports_the_logs_provider() -> None:
    """The hook does not import the logs provider (moto's backend) at start-up; LocalStack's own import of it
    gets our matcher, and invalid patterns become ``InvalidParameterException`` (LocalStack's venv)."""
    result = run_probe(PATCH_PROBE)
    assert result == {
        "imported_before": False,
        "ours": True,
        "matches": [True, False, False],
        "invalid": ["InvalidParameterException", "Invalid filter pattern: unbalanced braces", 400],
        "checked": [True, True],
    }


# --- on the stack ----------------------------------------------------------------------------------------

STACK_EVENTS = [*UNSTRUCTURED, JSON_EVENT, ACCESS_LOG]


@pytest.fixture(scope="module")
def log_group(localstack: Any) -> Iterator[str]:
    """One group, one stream, AWS's example events in order."""
    logs = localstack.client("logs")
    group = f"/scones/test/filter-pattern-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": message} for i, message in enumerate(STACK_EVENTS)]
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)
    yield group
    logs.delete_log_group(logGroupName=group)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("ERROR", UNSTRUCTURED[:5]),
        ("ERROR -ARGUMENTS", [UNSTRUCTURED[0], UNSTRUCTURED[1], UNSTRUCTURED[4]]),
        ('"INTERNAL SERVER ERROR"', UNSTRUCTURED[4:5]),
        ("?WARN ?SUCCESS", UNSTRUCTURED[5:]),
        ("{ $.bandwidth > 75 && $.eventType = Update* }", [JSON_EVENT]),
        ("[..., status_code = 4*, bytes]", [ACCESS_LOG]),
        ("", STACK_EVENTS),
    ],
)
def test_filter_log_events__boto3_gets_only_matching_events(
    localstack: Any, log_group: str, pattern: str, expected: list[str]
) -> None:
    logs = localstack.client("logs")
    response = logs.filter_log_events(logGroupName=log_group, filterPattern=pattern)
    assert [event["message"] for event in response["events"]] == expected


@pytest.mark.integration
def test_filter_log_events__invalid_pattern_is_invalid_parameter(localstack: Any, log_group: str) -> None:
    logs = localstack.client("logs")
    with pytest.raises(ClientError) as raised:
        logs.filter_log_events(logGroupName=log_group, filterPattern="{ $.bandwidth > }")
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"] == "Invalid filter pattern: unexpected end of pattern"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.integration
def test_put_metric_filter__invalid_pattern_is_refused_when_created(localstack: Any, log_group: str) -> None:
    """Refused at PutMetricFilter, as AWS does, so PutLogEvents never meets a broken pattern later."""
    logs = localstack.client("logs")
    transformation = {"metricName": "errors", "metricNamespace": "scones/test", "metricValue": "1"}
    with pytest.raises(ClientError) as raised:
        logs.put_metric_filter(
            logGroupName=log_group,
            filterName="broken",
            filterPattern="ERROR(401)",
            metricTransformations=[transformation],
        )
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert raised.value.response["Error"]["Message"] == "Invalid character(s) in term 'ERROR(401)'"


def _aws_cli(localstack: Any, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_aws_cli(localstack.endpoint_url, tmp_path, "logs", *args, "--output", "json")


@pytest.mark.integration
def test_aws_cli_filter_log_events__filter_pattern_error(
    localstack: Any, log_group: str, tmp_path: Path
) -> None:
    """The issue's command, ``aws logs filter-log-events --filter-pattern ERROR``: ERROR events only."""
    out = _aws_cli(
        localstack, tmp_path, "filter-log-events", "--log-group-name", log_group, "--filter-pattern", "ERROR"
    )
    assert out.returncode == 0, out.stderr
    assert [event["message"] for event in json.loads(out.stdout)["events"]] == UNSTRUCTURED[:5]


@pytest.mark.integration
def test_aws_cli_filter_log_events__invalid_pattern(localstack: Any, log_group: str, tmp_path: Path) -> None:
    out = _aws_cli(
        localstack,
        tmp_path,
        "filter-log-events",
        "--log-group-name",
        log_group,
        "--filter-pattern",
        "{ $.a = 1",
    )
    assert out.returncode != 0
    assert (
        "An error occurred (InvalidParameterException) when calling the FilterLogEvents operation: "
        "Invalid filter pattern: unbalanced braces"
    ) in out.stderr

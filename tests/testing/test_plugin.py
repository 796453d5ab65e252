"""The scones pytest plugin as a user meets it: a test file in their checkout, run by pytest, catching a
change to a Lambda, and telling why in the failure report.

Each case runs pytest in a subprocess (``pytester``) on a COPY of the checkout's ``scones/``, ``lambdas/``
and ``statemachine/`` (what a user's clone holds), so the deployed code is the copy's, edited as a user
would edit theirs. The plugin loads through its ``pytest11`` entry point, as in the user's ``.venv``; the
subprocess reuses this session's stack (``--scones-endpoint-url``), and deploys under a project of its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scones.config import PROJECT_ROOT
from scones.testing.plugin import REPORT_SECTION
from scones.testing.stack import LocalStackHandle

pytestmark = pytest.mark.integration
pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).with_name("test_example_workflow.py")
COPIED = ("scones", "lambdas", "statemachine")


@pytest.fixture
def checkout(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the checkout's code in pytester's folder, imported before the installed one."""
    for name in COPIED:
        shutil.copytree(
            PROJECT_ROOT / name, pytester.path / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    pytester.makepyfile(test_user=EXAMPLE.read_text())
    return pytester.path


def run_user_tests(pytester: pytest.Pytester, stack: LocalStackHandle) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--scones-endpoint-url={stack.endpoint_url}", "test_user.py", timeout=240
    )


def test_plugin__user_test_passes_then_catches_a_broken_lambda(
    pytester: pytest.Pytester, checkout: Path, localstack: LocalStackHandle
) -> None:
    """The issue's done-when: the 10-line test passes on the checkout as it is, then fails once a Lambda is
    changed (the filter's comparison flipped: a confident image goes to review), with no other edit."""
    passed = run_user_tests(pytester, localstack)
    passed.assert_outcomes(passed=1)

    logic = checkout / "lambdas" / "filter_confidence" / "logic.py"
    source = logic.read_text()
    assert 'if max(body["inferences"]) >= threshold:' in source
    logic.write_text(
        source.replace('max(body["inferences"]) >= threshold', 'max(body["inferences"]) < threshold')
    )
    caught = run_user_tests(pytester, localstack)
    caught.assert_outcomes(failed=1)
    caught.stdout.fnmatch_lines(["*assert 'review' == 'classified'*"])


def test_plugin__failure_report_shows_history_and_function_logs(
    pytester: pytest.Pytester, checkout: Path, localstack: LocalStackHandle
) -> None:
    """A Lambda that raises: the report names the execution and its status, the failed events with the
    function's error type (Step Functions' LambdaFunctionFailed / TaskFailed carry ``error`` = the
    exception's class name, AWS Lambda's ``errorType``), and the function's own log line from CloudWatch
    Logs (/aws/lambda/<function>, where Lambda sends a function's stdout); a function never invoked has no
    log group yet ("CloudWatch automatically creates a log group named /aws/lambda/<function name> for your
    function when it's first invoked":
    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html), which the report
    says in those words."""
    app = checkout / "lambdas" / "serialize_image" / "app.py"
    source = app.read_text()
    anchor = "    ref = parse_event(event)\n"
    assert anchor in source
    app.write_text(
        source.replace(
            anchor,
            '    print("about to break: marker-7f3a")\n    raise ValueError("broken on purpose")\n' + anchor,
        )
    )
    result = run_user_tests(pytester, localstack)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*- {REPORT_SECTION} -*",
            "execution arn:aws:states:*:execution:*: FAILED",
            "*history (* events; * failed):*",
            "*TaskFailed*error=ValueError*",
            "function logs:",
            "*/aws/lambda/*serialize*",
            "*about to break: marker-7f3a*",
            "*/aws/lambda/*classify: no log group (never invoked)",
        ]
    )

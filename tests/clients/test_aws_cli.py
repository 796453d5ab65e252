"""The AWS CLI (v1, the one in `.venv-localstack`) against the session stack, configured only by the lines
`scones up` prints: what a user pastes into a shell is what these tests run with.

Why: users drive the stack with the CLI as much as with boto3; these tests prove the printed exports are
enough for S3, Lambda, Step Functions (including `start-sync-execution`, whose `sync-` host prefix cannot
resolve offline unless `AWS_DISABLE_HOST_PREFIX_INJECTION=true`, botocore's documented switch for the
`disable_host_prefix_injection` setting) and SageMaker Runtime. Real components: the real CLI, a real
LocalStack; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from scones import stack
from tests.helpers import sagemaker_endpoints as sm_helpers
from tests.helpers.lambda_functions import create_function, unique_name, zip_files
from tests.helpers.localstack import LocalStackHandle
from tests.helpers.roles import states_role

pytestmark = pytest.mark.integration

AWS = stack.StackSettings().localstack_python.parent / "aws"
ECHO = "def handler(event, context):\n    return {'echo': event}\n"


def exports_env(endpoint_url: str, tmp: Path) -> dict[str, str]:
    """The environment a user has after pasting `scones up`'s exports, and nothing of theirs: no
    ~/.aws files, no instance metadata lookups (AWS_EC2_METADATA_DISABLED), no pager."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    for line in stack.shell_exports(endpoint_url):
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-credentials"),
        AWS_PAGER="",
    )
    return env


@pytest.fixture
def aws(localstack: LocalStackHandle, tmp_path: Path) -> Any:
    """Run `aws ARGS...` against the session stack; its stdout parsed as JSON when it is JSON."""
    if not AWS.exists():
        pytest.skip(f"the AWS CLI is not installed ({AWS}); `make setup` builds .venv-localstack")
    env = exports_env(localstack.endpoint_url, tmp_path)

    def run(*args: str) -> Any:
        result = subprocess.run(
            [str(AWS), *args, "--output", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=tmp_path,
        )
        assert result.returncode == 0, f"aws {' '.join(args)} failed:\n{result.stderr[-3000:]}"
        try:
            return json.loads(result.stdout)
        except json.JSONDecodeError:
            return result.stdout  # the `s3` commands print text

    return run


def test_exports__carry_what_the_cli_needs_offline() -> None:
    """The exports name the endpoint, test credentials, a region and disable host prefixes (else
    `start-sync-execution` goes to `sync-127.0.0.1`)."""
    names = {line.removeprefix("export ").partition("=")[0] for line in stack.shell_exports("http://x")}
    assert {
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "AWS_DISABLE_HOST_PREFIX_INJECTION",
    } <= names


def test_s3_cp_and_ls__round_trip_a_file(aws: Any, tmp_path: Path) -> None:
    bucket = unique_name("cli-bucket")
    source = tmp_path / "hello.txt"
    source.write_text("hello from the cli\n")
    aws("s3", "mb", f"s3://{bucket}")
    aws("s3", "cp", str(source), f"s3://{bucket}/dir/hello.txt")
    assert "hello.txt" in aws("s3", "ls", f"s3://{bucket}/dir/")
    objects = aws("s3api", "list-objects-v2", "--bucket", bucket)
    assert [o["Key"] for o in objects["Contents"]] == ["dir/hello.txt"]
    aws("s3", "cp", f"s3://{bucket}/dir/hello.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_text() == "hello from the cli\n"


def test_lambda_invoke__returns_the_functions_result(
    aws: Any, localstack: LocalStackHandle, tmp_path: Path
) -> None:
    name = create_function(
        localstack.client("lambda"), unique_name("cli-echo"), zip_files({"lambda_function.py": ECHO})
    )
    # CLI v1 reads --payload as text (v2 needs --cli-binary-format raw-in-base64-out for the same call).
    meta = aws("lambda", "invoke", "--function-name", name, "--payload", '{"x": 1}', "out.json")
    assert meta["StatusCode"] == 200 and "FunctionError" not in meta
    assert json.loads((tmp_path / "out.json").read_text()) == {"echo": {"x": 1}}


def _state_machine(localstack: LocalStackHandle, kind: str) -> str:
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    return localstack.client("stepfunctions").create_state_machine(
        name=unique_name(f"cli-{kind.lower()}"),
        definition=json.dumps(definition),
        roleArn=states_role(localstack.client("iam"), "sfn-cli"),  # a Pass state: no permission needed
        type=kind,
    )["stateMachineArn"]


def test_stepfunctions_start_and_describe_execution(aws: Any, localstack: LocalStackHandle) -> None:
    arn = _state_machine(localstack, "STANDARD")
    started = aws("stepfunctions", "start-execution", "--state-machine-arn", arn, "--input", '{"a": 1}')
    described: dict[str, Any] = {}
    for _ in range(100):
        described = aws("stepfunctions", "describe-execution", "--execution-arn", started["executionArn"])
        if described["status"] != "RUNNING":
            break
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"a": 1}


def test_stepfunctions_start_sync_execution__works_with_the_exports(
    aws: Any, localstack: LocalStackHandle
) -> None:
    """StartSyncExecution's model has `"endpoint": {"hostPrefix": "sync-"}` (botocore's stepfunctions
    service-2.json); with the exports' AWS_DISABLE_HOST_PREFIX_INJECTION=true the CLI calls 127.0.0.1."""
    arn = _state_machine(localstack, "EXPRESS")
    result = aws("stepfunctions", "start-sync-execution", "--state-machine-arn", arn, "--input", '{"b": 2}')
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"b": 2}


def test_sagemaker_runtime_invoke_endpoint__classifies_a_png(
    aws: Any, localstack: LocalStackHandle, tmp_path: Path
) -> None:
    name = unique_name("cli-endpoint")
    model = unique_name("cli-model")
    sm = localstack.client("sagemaker")
    sm_helpers.deploy_model(sm, localstack.client("s3"), tmp_path, model, [name], key=f"{model}/model.tar.gz")
    try:
        (tmp_path / "image.png").write_bytes(sm_helpers.png_bytes())
        meta = aws(
            "sagemaker-runtime",
            "invoke-endpoint",
            "--endpoint-name",
            name,
            "--content-type",
            "image/png",
            "--body",
            "fileb://image.png",
            "prediction.json",
        )
        assert meta["ContentType"] == "application/json"
        probabilities = json.loads((tmp_path / "prediction.json").read_text())
        assert len(probabilities) == 2 and abs(sum(probabilities) - 1) < 1e-3
    finally:
        aws("sagemaker", "delete-endpoint", "--endpoint-name", name)

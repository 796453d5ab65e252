"""``scones deploy --target aws`` against moto's server.

moto's ThreadedMotoServer (a real HTTP server on a free loopback port) stands in for real AWS, which cannot
be reached from here: it serves the control-plane calls deploy makes (S3, IAM, STS, Lambda, Step Functions,
SageMaker) so the aws code path — boto3's own credential chain and ``AWS_ENDPOINT_URL``, no LocalStack
specifics — is exercised end to end, including an idempotent re-deploy and the tags.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from scones.cli import cli
from scones.workflow import MissingCredentialsError, WorkflowSettings, deploy
from scones.workflow.functions import FUNCTIONS
from scones.workflow.settings import TAG_PROJECT, Target
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/scones-endpoint:1"


@pytest.fixture(scope="module")
def model_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("model")
    return pack_model_tar(build_tiny_artifact(root / "artifact"), root / "model.tar.gz")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_server: str) -> str:
    """The standard AWS variables, as a user with credentials would have them; the URL points at moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("SCONES_TARGET", "SCONES_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    return moto_server


def _settings(model_tar: Path, project: str, **extra) -> WorkflowSettings:
    return WorkflowSettings(
        target=Target.AWS,
        region="us-east-1",
        endpoint_url=None,
        project=project,
        model=model_tar,
        image_uri=IMAGE,
        **extra,
    )


def test_deploy__aws_creates_everything_tagged(aws_env: str, model_tar: Path) -> None:
    result = deploy(_settings(model_tar, "mototest"))
    assert any(c.startswith("created endpoint mototest-endpoint") for c in result.changes)
    sm, lam, sfn, iam, s3 = (
        boto3.client(s, region_name="us-east-1")
        for s in ("sagemaker", "lambda", "stepfunctions", "iam", "s3")
    )

    assert sm.describe_endpoint(EndpointName="mototest-endpoint")["EndpointStatus"] == "InService"
    config = sm.describe_endpoint_config(
        EndpointConfigName=sm.describe_endpoint(EndpointName="mototest-endpoint")["EndpointConfigName"]
    )
    assert config["DataCaptureConfig"]["DestinationS3Uri"] == "s3://mototest-workflow/data_capture"
    assert config["DataCaptureConfig"]["InitialSamplingPercentage"] == 100
    model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    assert model["PrimaryContainer"]["Image"] == IMAGE
    assert model["PrimaryContainer"]["ModelDataUrl"] == "s3://mototest-workflow/model/model.tar.gz"
    assert (
        s3.get_object(Bucket="mototest-workflow", Key="model/model.tar.gz")["Body"].read()
        == model_tar.read_bytes()
    )

    fn = lam.get_function(FunctionName="mototest-classify")
    assert fn["Configuration"]["Runtime"] == "python3.13"
    assert fn["Configuration"]["Handler"] == "classify.app.handler"
    assert fn["Configuration"]["Environment"]["Variables"] == {"ENDPOINT_NAME": "mototest-endpoint"}
    assert fn["Tags"][TAG_PROJECT] == "mototest"
    assert lam.get_function(FunctionName="mototest-filter-confidence")["Configuration"]["Environment"][
        "Variables"
    ] == {"THRESHOLD": "0.93"}

    machine = sfn.describe_state_machine(stateMachineArn=result.state_machine_arn)
    assert "${" not in machine["definition"]
    assert {"key": TAG_PROJECT, "value": "mototest"} in sfn.list_tags_for_resource(
        resourceArn=result.state_machine_arn
    )["tags"]

    policy = iam.get_role_policy(RoleName="mototest-classify-role", PolicyName="least-privilege")[
        "PolicyDocument"
    ]
    actions = {
        a
        for st in policy["Statement"]
        for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }
    assert "sagemaker:InvokeEndpoint" in actions and "s3:GetObject" not in actions
    assert {"Key": TAG_PROJECT, "Value": "mototest"} in iam.get_role(RoleName="mototest-classify-role")[
        "Role"
    ]["Tags"]
    assert {"Key": TAG_PROJECT, "Value": "mototest"} in s3.get_bucket_tagging(Bucket="mototest-workflow")[
        "TagSet"
    ]
    arn = sm.describe_endpoint(EndpointName="mototest-endpoint")["EndpointArn"]
    assert {"Key": TAG_PROJECT, "Value": "mototest"} in sm.list_tags(ResourceArn=arn)["Tags"]


def test_deploy__redeploy_is_idempotent_then_updates_what_changed(aws_env: str, model_tar: Path) -> None:
    first = deploy(_settings(model_tar, "idem"))
    assert first.changes
    again = deploy(_settings(model_tar, "idem"))
    assert again.changes == []
    changed = deploy(_settings(model_tar, "idem", threshold=0.999))
    assert changed.changes == ["updated configuration of function idem-filter-confidence"]
    lam = boto3.client("lambda", region_name="us-east-1")
    assert lam.get_function(FunctionName="idem-filter-confidence")["Configuration"]["Environment"][
        "Variables"
    ] == {"THRESHOLD": "0.999"}
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert len([n for n in names if n.startswith("idem-")]) == len(FUNCTIONS)


def test_deploy__aws_without_credentials_fails_early(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_tar: Path
) -> None:
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(MissingCredentialsError, match="target aws needs AWS credentials"):
        deploy(_settings(model_tar, "nocreds"))
    result = CliRunner().invoke(
        cli, ["deploy", "--target", "aws", "--image-uri", IMAGE, "--model", str(model_tar)]
    )
    assert result.exit_code == 1
    assert "target aws needs AWS credentials" in result.output
    assert "Traceback" not in result.output


def test_deploy_cli__dry_run_calls_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a call would fail
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(
        cli, ["deploy", "--dry-run", "--target", "aws", "--project", "dry", "--threshold", "0.9"]
    )
    assert result.exit_code == 0, result.output
    for text in (
        "deploy plan: target aws, project dry",
        "dry-workflow",
        "dry-classify-role",
        "classify.app.handler",
        "{'THRESHOLD': '0.9'}",
        "dry-endpoint",
        "capture 100 %",
        "{'scones:project': 'dry'}",
        "nothing was called",
    ):
        assert text in result.output


def test_deploy_cli__aws_needs_image_uri() -> None:
    result = CliRunner().invoke(cli, ["deploy", "--target", "aws"])
    assert result.exit_code == 2
    assert "--target aws needs --image-uri" in result.output


def test_deploy__missing_artifact_message(aws_env: str, tmp_path: Path) -> None:
    from scones.workflow import ArtifactMissingError

    with pytest.raises(ArtifactMissingError, match="pass --model PATH"):
        deploy(_settings(tmp_path / "nothing-here", "noart"))

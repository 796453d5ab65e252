"""Roles as AWS checks them at create time, and the SageMaker stand-in acting as the model's role (issue #16),
on a real LocalStack of this module's own with IAM enforcement on.

Nothing is mocked: LocalStack runs with our extension, IAM and STS are LocalStack's, the stand-in is a real
process reading the tiny model from LocalStack's S3. Only AWS itself is out of reach; its wording is quoted
from what AWS answers callers (cited per test), its behaviour from its documentation:
- IAM User Guide, "Roles terms and concepts": a role's trust policy names the principals that may assume it.
- Lambda Developer Guide, "Defining Lambda function permissions with an execution role": Lambda assumes the
  execution role, which must trust ``lambda.amazonaws.com``.
- SageMaker Developer Guide, "How to use SageMaker AI execution roles": SageMaker assumes the model's
  execution role (trusting ``sagemaker.amazonaws.com``) to download the model artifacts.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from scones.testing.stack import LocalStackHandle, start_stack
from tests.helpers.lambda_functions import create_function, poll, unique_name, zip_files
from tests.helpers.roles import allow, ensure_role, lambda_role, role_arn
from tests.helpers.sagemaker_endpoints import FAST_WAIT, create_config, png_bytes, standins
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

pytestmark = pytest.mark.integration

ECHO = "def handler(event, context):\n    return event\n"
MODEL_BUCKET = "role-checks-models"
# Lambda's answer for a role it cannot assume, missing or untrusting alike (as SDK callers report it from
# AWS: pdomala/LambdaCDDemo#1 "... (Service: AWSLambdaInternal; Status Code: 400; Error Code:
# InvalidParameterValueException ...)", serverless/serverless#4384 for a mistyped role ARN).
LAMBDA_REFUSAL = "The role defined for the function cannot be assumed by Lambda."
# SageMaker CreateModel's answer, as reported by callers of CreateModel on AWS (a ValidationException).
MODEL_REFUSAL = (
    'Could not access model data at {url}. Please ensure that the role "{role}" exists and that its trust '
    'relationship policy allows the action "sts:AssumeRole" for the service principal '
    '"sagemaker.amazonaws.com". Also ensure that the role has "s3:GetObject" permissions and that the object '
    "is located in us-east-1. If your Model uses multiple models or uncompressed models, please ensure that "
    'the role has "s3:ListBucket" permission.'
)
# Without model data (SageMaker's wording for a role it cannot assume, as reported from CreateTransformJob).
ASSUME_REFUSAL = (
    "Could not assume role {role}. Please ensure that the role exists and allows principal "
    "'sagemaker.amazonaws.com' to assume the role."
)
# The endpoint's FailureReason when the role cannot download the model (reported from AWS through
# CloudFormation: aws-samples/cvat-on-aws-china#3).
DOWNLOAD_FAILURE = (
    'Failed to download model data for container "container_1" from URL: "{url}". Please ensure that there '
    "is an object located at the URL and that the role passed to CreateModel has permissions to download the "
    "object."
)


@pytest.fixture(scope="module")
def enforced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackHandle]:
    """A stack of this module's own with enforcement on, whatever the default is."""
    handle = start_stack(tmp_path_factory.mktemp("role-checks"), iam_enforce=True)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def iam(enforced: LocalStackHandle) -> Any:
    return enforced.client("iam")


@pytest.fixture(scope="module")
def model_url(enforced: LocalStackHandle, tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("model")
    tar = pack_model_tar(build_tiny_artifact(tmp / "artifact"), tmp / "model.tar.gz")
    s3 = enforced.client("s3")
    s3.create_bucket(Bucket=MODEL_BUCKET)
    s3.upload_file(str(tar), MODEL_BUCKET, "tiny/model.tar.gz")
    return f"s3://{MODEL_BUCKET}/tiny/model.tar.gz"


def refusal(call: Any, **request: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**request)
    error = caught.value.response["Error"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Code"], error["Message"]


# -- Lambda ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["missing", "trusts-ec2"])
def test_create_function__role_lambda_cannot_assume_is_refused(
    enforced: LocalStackHandle, iam: Any, case: str
):
    """A role that does not exist, or whose trust policy names only ec2.amazonaws.com, cannot be assumed by
    Lambda: CreateFunction answers InvalidParameterValueException in AWS's words and creates nothing."""
    client = enforced.client("lambda")
    role = role_arn("no-such-role") if case == "missing" else ensure_role(iam, "trusts-ec2", "ec2")
    name = unique_name("refused")
    code, message = refusal(
        create_function, client=client, name=name, code=zip_files({"lambda_function.py": ECHO}), Role=role
    )
    assert (code, message) == ("InvalidParameterValueException", LAMBDA_REFUSAL)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName=name)


def test_create_function__a_role_trusting_lambda_is_accepted(enforced: LocalStackHandle, iam: Any):
    """The same request with a role that trusts lambda.amazonaws.com creates an Active function that runs."""
    client = enforced.client("lambda")
    role = lambda_role(iam, "role-checks-fn")
    name = create_function(
        client, unique_name("accepted"), zip_files({"lambda_function.py": ECHO}), Role=role
    )
    assert client.get_function(FunctionName=name)["Configuration"]["Role"] == role
    assert client.invoke(FunctionName=name, Payload=b'{"a": 1}')["Payload"].read() == b'{"a": 1}'


def test_update_function_configuration__untrusting_role_is_refused(enforced: LocalStackHandle, iam: Any):
    """UpdateFunctionConfiguration checks a new Role as CreateFunction does (LocalStack checked only its
    pattern); the function keeps its role."""
    client = enforced.client("lambda")
    good = lambda_role(iam, "role-checks-fn")
    name = create_function(client, unique_name("update"), zip_files({"lambda_function.py": ECHO}), Role=good)
    bad = ensure_role(iam, "trusts-ec2", "ec2")
    code, message = refusal(client.update_function_configuration, FunctionName=name, Role=bad)
    assert (code, message) == ("InvalidParameterValueException", LAMBDA_REFUSAL)
    assert client.get_function_configuration(FunctionName=name)["Role"] == good


RESERVED_REFUSAL = (
    "Lambda was unable to configure your environment variables because the environment variables you have "
    "provided contains reserved keys that are currently not supported for modification. Reserved keys used "
    "in this request: {keys}"
)


def test_reserved_variables__refused_so_the_role_cannot_be_replaced(enforced: LocalStackHandle, iam: Any):
    """Lambda reserves its defined runtime variables, the role's credentials among them ("Defined runtime
    environment variables": they "cannot be set in your function configuration"); AWS's answer, as callers
    report it, lists the reserved keys used. Without this a function's AWS_ACCESS_KEY_ID would replace its
    role's session by the all-powerful account root."""
    client = enforced.client("lambda")
    role = lambda_role(iam, "role-checks-fn")
    code = zip_files({"lambda_function.py": ECHO})
    variables = {"AWS_ACCESS_KEY_ID": "000000000000", "KEEP": "1", "AWS_REGION": "us-east-1"}
    refused = refusal(
        create_function,
        client=client,
        name=unique_name("reserved"),
        code=code,
        Role=role,
        Environment={"Variables": variables},
    )
    assert refused == (
        "InvalidParameterValueException",
        RESERVED_REFUSAL.format(keys="AWS_ACCESS_KEY_ID, AWS_REGION"),
    )
    name = create_function(client, unique_name("reserved"), code, Role=role)
    refused = refusal(
        client.update_function_configuration,
        FunctionName=name,
        Environment={"Variables": {"AWS_SESSION_TOKEN": "x"}},
    )
    assert refused == ("InvalidParameterValueException", RESERVED_REFUSAL.format(keys="AWS_SESSION_TOKEN"))


# -- SageMaker CreateModel ---------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["missing", "trusts-ec2"])
def test_create_model__role_sagemaker_cannot_assume_is_refused(
    enforced: LocalStackHandle, iam: Any, model_url: str, case: str
):
    """CreateModel with model data and a role SageMaker cannot assume: ValidationException naming the model
    data and the role, in AWS's words; no model is created."""
    sm = enforced.client("sagemaker")
    role = role_arn("no-such-role") if case == "missing" else ensure_role(iam, "trusts-ec2", "ec2")
    name = f"refused-{case}"
    container = {"Image": "local-endpoint", "ModelDataUrl": model_url}
    code, message = refusal(
        sm.create_model, ModelName=name, ExecutionRoleArn=role, PrimaryContainer=container
    )
    assert (code, message) == ("ValidationException", MODEL_REFUSAL.format(url=model_url, role=role))
    with pytest.raises(ClientError):
        sm.describe_model(ModelName=name)


def test_create_model__without_model_data_names_the_role(enforced: LocalStackHandle):
    """Without ModelDataUrl there is nothing to read: the refusal says the role could not be assumed."""
    role = role_arn("no-such-role")
    code, message = refusal(
        enforced.client("sagemaker").create_model,
        ModelName="refused-no-data",
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": "local-endpoint"},
    )
    assert (code, message) == ("ValidationException", ASSUME_REFUSAL.format(role=role))


# -- the stand-in as the model's role ----------------------------------------------------------------------
def deploy(sm: Any, name: str, role: str, url: str) -> dict[str, Any]:
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": "local-endpoint", "ModelDataUrl": url},
    )
    create_config(sm, name, name)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    with contextlib.suppress(WaiterError):
        sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST_WAIT)
    return dict(sm.describe_endpoint(EndpointName=name))


def test_standin_reads_the_model_as_the_models_role(enforced: LocalStackHandle, iam: Any, model_url: str):
    """A role allowed s3:GetObject on the model: the endpoint goes InService. That the stand-in then holds
    that role's session (STS ``assumed-role/<role>/SageMaker``), not the account-root key, shows in the deny
    log of test_capture_write_denied below; its environment cannot show it, since a stand-in handed its
    endpoint as a spare (sagemaker/spares.py) got its credentials on standard input, not in /proc."""
    role = ensure_role(
        iam, "role-checks-model", "sagemaker", [allow("s3:GetObject", f"arn:aws:s3:::{MODEL_BUCKET}/*")]
    )
    sm = enforced.client("sagemaker")
    described = deploy(sm, "as-role", role, model_url)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    assert enforced.state is not None
    started_with = standins(enforced.state.pid)["as-role"].environ()
    assert started_with.get("AWS_ACCESS_KEY_ID") != "000000000000"  # never the root key, handed or not
    sm.delete_endpoint(EndpointName="as-role")


def test_create_model__role_that_may_not_read_the_model_is_refused(
    enforced: LocalStackHandle, iam: Any, model_url: str
):
    """A role SageMaker may assume but without s3:GetObject on the model: CreateModel itself refuses it, as
    AWS does (callers report "Could not access model data at s3://..." from CreateModel for a role whose
    policy names another bucket), with the same message as for a role it cannot assume."""
    role = ensure_role(
        iam, "role-checks-no-read", "sagemaker", [allow("s3:GetObject", "arn:aws:s3:::other/*")]
    )
    sm = enforced.client("sagemaker")
    container = {"Image": "local-endpoint", "ModelDataUrl": model_url}
    code, message = refusal(
        sm.create_model, ModelName="no-read", ExecutionRoleArn=role, PrimaryContainer=container
    )
    assert (code, message) == ("ValidationException", MODEL_REFUSAL.format(url=model_url, role=role))


def test_model_read_denied_later__endpoint_failed_with_aws_reason(
    enforced: LocalStackHandle, iam: Any, model_url: str
):
    """The model's role loses s3:GetObject after CreateModel: the endpoint goes Failed with AWS's reason for
    a model it could not download, and no stand-in is left running."""
    readable = [allow("s3:GetObject", f"arn:aws:s3:::{MODEL_BUCKET}/*")]
    role = ensure_role(iam, "role-checks-revoked", "sagemaker", readable)
    sm = enforced.client("sagemaker")
    sm.create_model(
        ModelName="revoked", ExecutionRoleArn=role, PrimaryContainer={"Image": "x", "ModelDataUrl": model_url}
    )
    ensure_role(iam, "role-checks-revoked", "sagemaker", [allow("s3:GetObject", "arn:aws:s3:::other/*")])
    create_config(sm, "revoked", "revoked")
    sm.create_endpoint(EndpointName="revoked", EndpointConfigName="revoked")
    with contextlib.suppress(WaiterError):
        sm.get_waiter("endpoint_in_service").wait(EndpointName="revoked", WaiterConfig=FAST_WAIT)
    described = sm.describe_endpoint(EndpointName="revoked")
    assert described["EndpointStatus"] == "Failed"
    assert described["FailureReason"] == DOWNLOAD_FAILURE.format(url=model_url)
    assert enforced.state is not None
    assert "revoked" not in standins(enforced.state.pid)


def test_capture_write_denied__invocation_succeeds_record_dropped_and_logged(
    enforced: LocalStackHandle, iam: Any, model_url: str
):
    """The model's role may read the model but not write capture: InvokeEndpoint still answers 200 (AWS does
    not fail an invocation over capture: SageMaker Developer Guide, "Capture data from real-time endpoint",
    writes capture apart from the response), no capture object appears, and the denied s3:PutObject by the
    stand-in's session is in the stack's deny log."""
    capture = "role-checks-capture"
    s3 = enforced.client("s3")
    s3.create_bucket(Bucket=capture)
    role = ensure_role(
        iam, "role-checks-no-capture", "sagemaker", [allow("s3:GetObject", f"arn:aws:s3:::{MODEL_BUCKET}/*")]
    )
    sm = enforced.client("sagemaker")
    sm.create_model(
        ModelName="no-capture",
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": "x", "ModelDataUrl": model_url},
    )
    create_config(sm, "no-capture", "no-capture", capture=f"s3://{capture}/datacapture")
    sm.create_endpoint(EndpointName="no-capture", EndpointConfigName="no-capture")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="no-capture", WaiterConfig=FAST_WAIT)
    runtime = enforced.client("sagemaker-runtime", retries={"mode": "standard", "max_attempts": 1})
    answer = runtime.invoke_endpoint(EndpointName="no-capture", ContentType="image/png", Body=png_bytes())
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    sm.delete_endpoint(EndpointName="no-capture")  # the stand-in flushes its capture buffer on SIGTERM
    session = "arn:aws:sts::000000000000:assumed-role/role-checks-no-capture/SageMaker"
    denied = poll(
        lambda: [
            e for e in deny_log(enforced) if e["principal"] == session and e["action"] == "s3:PutObject"
        ],
        timeout=30,
    )
    assert denied[0]["resource"].startswith(f"arn:aws:s3:::{capture}/datacapture/no-capture/AllTraffic/")
    assert s3.list_objects_v2(Bucket=capture).get("KeyCount", 0) == 0


def deny_log(stack: LocalStackHandle) -> list[dict[str, Any]]:
    path = stack.settings.iam_deny_log
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

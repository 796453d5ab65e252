"""IAM enforcement at the gateway (issue #16): a stack started with SCONES_IAM_ENFORCE=1 evaluates every
request a role session makes to S3, Lambda, SageMaker Runtime, CloudWatch Logs and Step Functions
against the role's policies, and answers a denial as AWS does (scones_localstack/iam_gateway).

AWS references (cited per test):
- IAM User Guide, "Policy evaluation logic" and "Policy evaluation for requests within a single account":
  implicit deny by default, an explicit deny overrides any allow, an allow in an identity-based or a
  same-account resource-based policy is enough.
- IAM User Guide, "Troubleshooting access denied error messages": "User: <caller ARN> is not authorized to
  perform: <action> on resource: <ARN> because no identity-based policy allows the <action> action".
- S3 API reference, GetObject / HeadObject, "Permissions": without s3:ListBucket a missing key answers 403,
  not 404.
- "Troubleshoot access denied (403 Forbidden) errors in Amazon S3": S3 quotes the resource ARN.
- botocore's models for each service's error shape (S3 rest-xml 403 AccessDenied; Lambda and SageMaker
  Runtime rest-json 403 AccessDeniedException; Logs json 400 AccessDeniedException).
- Step Functions Developer Guide, "AWS SDK service integrations" (error names ``<Service>.<Exception>``)
  and "Handle transient Lambda service exceptions" (``Lambda.AWSLambdaException``).

Real roles through IAM (create_role with a trust policy, put_role_policy), sessions through STS AssumeRole
(the credentials a user's own code would get), a Lambda function's own execution role, a state machine's
role. The default ``test`` credentials stay the account's admin.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from click.testing import CliRunner

from scones import config as cfg
from scones.cli import cli
from scones.stack import iam_denials
from scones.stack.settings import StackSettings
from tests.helpers.lambda_functions import NO_RETRIES, RUNTIME, unique_name, wait_active, zip_files
from tests.helpers.localstack import LocalStackHandle, start_stack

pytestmark = pytest.mark.integration

ACCOUNT = "000000000000"
REGION = "us-east-1"
VERSION = "2012-10-17"
CLIENT_CONFIG = Config(retries=NO_RETRIES)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackHandle]:
    """One enforcing stack for this module."""
    handle = start_stack(tmp_path_factory.mktemp("iam"), iam_enforce=True)
    try:
        yield handle
    finally:
        handle.stop()


def admin(stack: LocalStackHandle, service: str) -> Any:
    return stack.client(service, retries=NO_RETRIES)


def trust(principal: dict[str, str]) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": VERSION, "Statement": [statement]})


def statement(effect: str, actions: str | list[str], resources: str | list[str]) -> dict[str, Any]:
    return {"Effect": effect, "Action": actions, "Resource": resources}


def make_role(
    stack: LocalStackHandle,
    statements: list[dict[str, Any]],
    principal: dict[str, str] | None = None,
    prefix: str = "iam-test",
) -> str:
    """A real role (trusting the account, or ``principal``) with ``statements`` as its inline policy."""
    iam = admin(stack, "iam")
    name = unique_name(prefix)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(principal or {"AWS": ACCOUNT}))
    if statements:
        put_policy(stack, name, statements)
    return name


def put_policy(stack: LocalStackHandle, role: str, statements: list[dict[str, Any]], name: str = "p") -> None:
    document = json.dumps({"Version": VERSION, "Statement": statements})
    admin(stack, "iam").put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)


def session(stack: LocalStackHandle, role: str, name: str = "tester") -> boto3.Session:
    """The role's session, as AssumeRole hands it to any caller."""
    creds = admin(stack, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName=name
    )
    c = creds["Credentials"]
    return boto3.Session(
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
        region_name=REGION,
    )


def as_role(stack: LocalStackHandle, role: str, service: str, name: str = "tester") -> Any:
    return session(stack, role, name).client(service, endpoint_url=stack.endpoint_url, config=CLIENT_CONFIG)


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = excinfo.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
    )


def session_arn(role: str, name: str = "tester") -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{name}"


@pytest.fixture(scope="module")
def bucket(stack: LocalStackHandle) -> str:
    name = f"iam-{uuid.uuid4().hex[:10]}"
    s3 = admin(stack, "s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="in/present.txt", Body=b"hello")
    return name


def deny_log(stack: LocalStackHandle) -> list[dict[str, Any]]:
    path = stack.settings.iam_deny_log
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --- S3 -------------------------------------------------------------------------------------------------


def test_s3_role_session_allowed_and_denied_with_aws_wording(stack: LocalStackHandle, bucket: str) -> None:
    """GetObject is allowed by the role's statement; PutObject and ListObjectsV2 are not, and answer
    403 AccessDenied with IAM's sentence, the resource ARN in quotes (S3's "Troubleshoot access denied
    (403 Forbidden) errors": ``... not authorized to perform: s3:PutObject on resource:
    "arn:aws:s3:::b/k" because no identity-based policy allows the s3:PutObject action``)."""
    role = make_role(stack, [statement("Allow", "s3:GetObject", f"arn:aws:s3:::{bucket}/*")])
    s3 = as_role(stack, role, "s3")
    assert s3.get_object(Bucket=bucket, Key="in/present.txt")["Body"].read() == b"hello"

    with pytest.raises(ClientError) as put:
        s3.put_object(Bucket=bucket, Key="out/x.txt", Body=b"x")
    assert error_of(put) == (
        403,
        "AccessDenied",
        f"User: {session_arn(role)} is not authorized to perform: s3:PutObject on resource: "
        f'"arn:aws:s3:::{bucket}/out/x.txt" because no identity-based policy allows the s3:PutObject action',
    )
    with pytest.raises(ClientError) as listing:
        s3.list_objects_v2(Bucket=bucket)
    status, code, message = error_of(listing)
    assert (status, code) == (403, "AccessDenied")
    assert f'perform: s3:ListBucket on resource: "arn:aws:s3:::{bucket}"' in message
    # nothing was written
    assert "Contents" not in admin(stack, "s3").list_objects_v2(Bucket=bucket, Prefix="out/")


def test_s3_wildcard_actions_allow_put_and_list(stack: LocalStackHandle, bucket: str) -> None:
    """``s3:*Object`` and ``s3:List*`` ("IAM JSON policy elements: Action": wildcards match action names)."""
    role = make_role(
        stack,
        [
            statement("Allow", "s3:*Object", f"arn:aws:s3:::{bucket}/scratch/*"),
            statement("Allow", "s3:List*", f"arn:aws:s3:::{bucket}"),
        ],
    )
    s3 = as_role(stack, role, "s3")
    s3.put_object(Bucket=bucket, Key="scratch/a.txt", Body=b"a")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="scratch/")["Contents"]]
    assert keys == ["scratch/a.txt"]


def test_explicit_deny_beats_allow(stack: LocalStackHandle, bucket: str) -> None:
    """ "Policy evaluation logic": an explicit deny in any policy overrides any allow; the message says
    "with an explicit deny in an identity-based policy"."""
    role = make_role(
        stack,
        [
            statement("Allow", "s3:*", "*"),
            statement("Deny", "s3:GetObject", f"arn:aws:s3:::{bucket}/in/*"),
        ],
    )
    with pytest.raises(ClientError) as excinfo:
        as_role(stack, role, "s3").get_object(Bucket=bucket, Key="in/present.txt")
    status, code, message = error_of(excinfo)
    assert (status, code) == (403, "AccessDenied")
    assert message.endswith("with an explicit deny in an identity-based policy")


def test_head_object_denied_is_a_bodyless_403(stack: LocalStackHandle, bucket: str) -> None:
    """HEAD answers carry no body (RFC 9110; S3's HeadObject "Errors" gives only the status): 403."""
    role = make_role(stack, [statement("Allow", "s3:ListBucket", f"arn:aws:s3:::{bucket}")])
    with pytest.raises(ClientError) as excinfo:
        as_role(stack, role, "s3").head_object(Bucket=bucket, Key="in/present.txt")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_missing_key_is_403_without_list_bucket_and_404_with_it(stack: LocalStackHandle, bucket: str) -> None:
    """GetObject / HeadObject API references, "Permissions": "If you have the s3:ListBucket permission on
    the bucket, Amazon S3 returns an HTTP status code 404 Not Found error. If you don't have the
    s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Forbidden error." The 403 names
    s3:ListBucket on the bucket."""
    reader = make_role(stack, [statement("Allow", "s3:GetObject", f"arn:aws:s3:::{bucket}/*")])
    s3 = as_role(stack, reader, "s3")
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=bucket, Key="in/absent.txt")
    assert error_of(missing) == (
        403,
        "AccessDenied",
        f"User: {session_arn(reader)} is not authorized to perform: s3:ListBucket on resource: "
        f'"arn:aws:s3:::{bucket}" because no identity-based policy allows the s3:ListBucket action',
    )
    with pytest.raises(ClientError) as head:
        s3.head_object(Bucket=bucket, Key="in/absent.txt")
    assert head.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    lister = make_role(
        stack,
        [
            statement("Allow", "s3:GetObject", f"arn:aws:s3:::{bucket}/*"),
            statement("Allow", "s3:ListBucket", f"arn:aws:s3:::{bucket}"),
        ],
    )
    with pytest.raises(ClientError) as not_found:
        as_role(stack, lister, "s3").get_object(Bucket=bucket, Key="in/absent.txt")
    assert error_of(not_found)[:2] == (404, "NoSuchKey")


def test_bucket_policy_grants_a_role_without_identity_policy(stack: LocalStackHandle) -> None:
    """ "Policy evaluation for requests within a single account": a same-account resource-based policy
    naming the role is enough on its own; a Deny there beats the identity policy's Allow."""
    role = make_role(stack, [statement("Allow", "s3:PutObject", "*")])
    name = f"iam-bp-{uuid.uuid4().hex[:8]}"
    s3_admin = admin(stack, "s3")
    s3_admin.create_bucket(Bucket=name)
    s3_admin.put_object(Bucket=name, Key="k", Body=b"v")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    policy = {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/*",
            },
            {
                "Effect": "Deny",
                "Principal": {"AWS": role_arn},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{name}/locked/*",
            },
        ],
    }
    s3_admin.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    s3 = as_role(stack, role, "s3")
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"v"
    s3.put_object(Bucket=name, Key="open/k", Body=b"v")
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=name, Key="locked/k", Body=b"v")
    status, code, message = error_of(excinfo)
    assert (status, code) == (403, "AccessDenied")
    assert message.endswith("with an explicit deny in a resource-based policy")


def test_default_credentials_are_the_unrestricted_admin(stack: LocalStackHandle, bucket: str) -> None:
    """The ``test`` key a user's own client sends is not a role session: not evaluated (issue #16: the
    account's admin), whatever exists in IAM."""
    s3 = admin(stack, "s3")
    s3.put_object(Bucket=bucket, Key="admin/x", Body=b"x")
    assert s3.list_objects_v2(Bucket=bucket, Prefix="admin/")["KeyCount"] == 1
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=bucket, Key="admin/absent")
    assert error_of(missing)[:2] == (404, "NoSuchKey")


def test_policy_changes_count_at_once(stack: LocalStackHandle, bucket: str) -> None:
    """The parsed policies are cached per role; PutRolePolicy, DeleteRolePolicy and AttachRolePolicy
    clear the cache, so the next request of the same session sees the change."""
    role = make_role(stack, [])
    s3 = as_role(stack, role, "s3")
    with pytest.raises(ClientError):
        s3.get_object(Bucket=bucket, Key="in/present.txt")
    put_policy(stack, role, [statement("Allow", "s3:GetObject", f"arn:aws:s3:::{bucket}/*")])
    assert s3.get_object(Bucket=bucket, Key="in/present.txt")["Body"].read() == b"hello"
    admin(stack, "iam").delete_role_policy(RoleName=role, PolicyName="p")
    with pytest.raises(ClientError) as denied:
        s3.get_object(Bucket=bucket, Key="in/present.txt")
    assert error_of(denied)[:2] == (403, "AccessDenied")
    # an AWS-managed policy attached to the role counts too
    admin(stack, "iam").attach_role_policy(
        RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )
    assert s3.get_object(Bucket=bucket, Key="in/present.txt")["Body"].read() == b"hello"


def test_customer_managed_policy_counts(stack: LocalStackHandle, bucket: str) -> None:
    """Managed policies are identity-based policies like inline ones ("Managed policies and inline
    policies"); the default version is the one in force."""
    iam = admin(stack, "iam")
    document = {"Version": VERSION, "Statement": [statement("Allow", "s3:GetObject", "*")]}
    arn = iam.create_policy(PolicyName=unique_name("managed"), PolicyDocument=json.dumps(document))["Policy"][
        "Arn"
    ]
    role = make_role(stack, [])
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert as_role(stack, role, "s3").get_object(Bucket=bucket, Key="in/present.txt")["Body"].read()


def test_a_deleted_roles_session_is_denied(stack: LocalStackHandle, bucket: str) -> None:
    """A session outliving its role: AWS would refuse the AssumeRole (the role does not exist), so no
    policy applies and everything it asks is denied."""
    role = make_role(stack, [statement("Allow", "s3:*", "*")])
    s3 = as_role(stack, role, "s3")
    assert s3.get_object(Bucket=bucket, Key="in/present.txt")
    iam = admin(stack, "iam")
    iam.delete_role_policy(RoleName=role, PolicyName="p")
    iam.delete_role(RoleName=role)
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="in/present.txt")
    assert error_of(excinfo)[:2] == (403, "AccessDenied")


# --- Lambda ---------------------------------------------------------------------------------------------

FUNCTION_SOURCE = """
import boto3, json

def handler(event, context):
    if event.get("action") == "invoke":
        try:
            out = boto3.client("lambda").invoke(FunctionName=event["function"], Payload=b"{}")
            return {"payload": json.loads(out["Payload"].read())}
        except Exception as e:
            return {"error": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}
    if event.get("action") == "get":
        s3 = boto3.client("s3")
        try:
            body = s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read().decode()
            return {"body": body}
        except Exception as e:
            return {"error": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}
    return {"echo": event}
"""


def make_function(stack: LocalStackHandle, statements: list[dict[str, Any]]) -> tuple[str, str]:
    """A function whose execution role (trusting Lambda) has ``statements``; (function name, role name)."""
    role = make_role(stack, statements, {"Service": "lambda.amazonaws.com"}, prefix="iam-fn-role")
    lam = admin(stack, "lambda")
    name = unique_name("iam-fn")
    lam.create_function(
        FunctionName=name,
        Runtime=RUNTIME,
        Role=f"arn:aws:iam::{ACCOUNT}:role/{role}",
        Handler="lambda_function.handler",
        Code={"ZipFile": zip_files({"lambda_function.py": FUNCTION_SOURCE})},
        Timeout=30,
    )
    wait_active(lam, name)
    return name, role


@pytest.fixture(scope="module")
def function(stack: LocalStackHandle, bucket: str) -> tuple[str, str]:
    return make_function(stack, [statement("Allow", "s3:GetObject", f"arn:aws:s3:::{bucket}/in/*")])


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def test_lambda_invoke_allowed_and_denied(stack: LocalStackHandle, function: tuple[str, str]) -> None:
    """Invoke is authorized as ``lambda:InvokeFunction`` on the function ARN (Service Authorization
    Reference); denied: 403 AccessDeniedException with IAM's sentence, the ARN unquoted."""
    name, _ = function
    allowed = make_role(stack, [statement("Allow", "lambda:InvokeFunction", function_arn(name))])
    out = as_role(stack, allowed, "lambda").invoke(FunctionName=name, Payload=b'{"x": 1}')
    assert json.loads(out["Payload"].read()) == {"echo": {"x": 1}}

    denied = make_role(stack, [statement("Allow", "lambda:InvokeFunction", function_arn("other"))])
    with pytest.raises(ClientError) as excinfo:
        as_role(stack, denied, "lambda").invoke(FunctionName=name, Payload=b"{}")
    assert error_of(excinfo) == (
        403,
        "AccessDeniedException",
        f"User: {session_arn(denied)} is not authorized to perform: lambda:InvokeFunction on resource: "
        f"{function_arn(name)} because no identity-based policy allows the lambda:InvokeFunction action",
    )


def test_lambda_resource_policy_grants_invoke(stack: LocalStackHandle, function: tuple[str, str]) -> None:
    """AddPermission naming the role as principal is a same-account resource-based policy: enough
    without any identity-based allow ("Using resource-based policies in Lambda")."""
    name, _ = make_function(stack, [])
    caller = make_role(stack, [])
    admin(stack, "lambda").add_permission(
        FunctionName=name,
        StatementId="caller",
        Action="lambda:InvokeFunction",
        Principal=f"arn:aws:iam::{ACCOUNT}:role/{caller}",
    )
    out = as_role(stack, caller, "lambda").invoke(FunctionName=name, Payload=b"{}")
    assert json.loads(out["Payload"].read()) == {"echo": {}}


def test_a_function_acts_as_its_execution_role(
    stack: LocalStackHandle, function: tuple[str, str], bucket: str
) -> None:
    """Lambda hands the function its execution role's session (session name = function name, as on
    AWS: "Lambda execution role"); its S3 calls are evaluated against that role."""
    name, role = function
    lam = admin(stack, "lambda")

    def run(key: str) -> dict[str, Any]:
        event = {"action": "get", "bucket": bucket, "key": key}
        return dict(
            json.loads(lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())["Payload"].read())
        )

    assert run("in/present.txt") == {"body": "hello"}
    admin(stack, "s3").put_object(Bucket=bucket, Key="secret/x", Body=b"s")
    out = run("secret/x")
    assert out["error"] == "AccessDenied"
    assert out["message"].startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{name} is not authorized"
    )


def test_a_function_invokes_another_only_when_its_role_allows(stack: LocalStackHandle) -> None:
    """Lambda -> Lambda with the execution role's session: denied without lambda:InvokeFunction on the
    callee (403 AccessDeniedException to the caller's code), allowed with it."""
    callee, _ = make_function(stack, [])
    denied, denied_role = make_function(stack, [])
    allowed, _ = make_function(stack, [statement("Allow", "lambda:InvokeFunction", function_arn(callee))])
    lam = admin(stack, "lambda")
    event = json.dumps({"action": "invoke", "function": callee}).encode()
    out = json.loads(lam.invoke(FunctionName=denied, Payload=event)["Payload"].read())
    assert out["error"] == "AccessDeniedException"
    assert out["message"].startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{denied_role}/{denied} is not authorized to perform: "
        f"lambda:InvokeFunction on resource: {function_arn(callee)}"
    )
    out = json.loads(lam.invoke(FunctionName=allowed, Payload=event)["Payload"].read())
    assert out == {"payload": {"echo": {}}}


def test_a_functions_denied_log_writes_are_quiet_but_logged(stack: LocalStackHandle) -> None:
    """AWS drops a function's log writes its role may not make without failing the invocation
    ("Lambda execution role": AWSLambdaBasicExecutionRole grants them); here too, and the deny log
    records them so the missing statement is visible."""
    name, role = make_function(stack, [])
    out = admin(stack, "lambda").invoke(FunctionName=name, Payload=b'{"x": 2}')
    assert json.loads(out["Payload"].read()) == {"echo": {"x": 2}}

    def logged() -> set[str]:
        return {e["action"] for e in deny_log(stack) if e["role"].endswith(f"role/{role}")}

    deadline = time.monotonic() + 15
    while not logged() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert logged() & {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}


def test_a_policy_the_engine_cannot_evaluate_denies_with_a_plain_message(
    stack: LocalStackHandle, bucket: str
) -> None:
    """An operator the engine does not know (LocalStack's IAM accepts an unknown operator with an empty
    block): the request is denied in S3's shape with a message that says so and points at the log, never
    allowed and never Python's exception text; the log has the traceback, the deny log the entry."""
    role = make_role(
        stack,
        [
            statement("Allow", "s3:*", "*"),
            {**statement("Deny", "s3:DeleteObject", "*"), "Condition": {"StringSomethingNew": {}}},
        ],
    )
    with pytest.raises(ClientError) as excinfo:
        as_role(stack, role, "s3", name="unknown-op").get_object(Bucket=bucket, Key="in/present.txt")
    status, code, message = error_of(excinfo)
    assert (status, code) == (403, "AccessDenied")
    assert "could not be evaluated" in message and "LocalStack log" in message
    assert "Error" not in message and "Traceback" not in message
    entries = [e for e in deny_log(stack) if e["principal"] == session_arn(role, "unknown-op")]
    assert entries and entries[-1]["reason"].startswith("evaluation failed")
    assert "UnsupportedConditionError" in stack.log_file.read_text(errors="replace")


# --- SageMaker Runtime, Logs -----------------------------------------------------------------------------


def test_invoke_endpoint_denied_shape(stack: LocalStackHandle) -> None:
    """InvokeEndpoint is ``sagemaker:InvokeEndpoint`` on ``endpoint/<name>``; SageMaker Runtime is
    rest-json: 403 AccessDeniedException. The gate runs before the endpoint is looked up."""
    role = make_role(
        stack, [statement("Allow", "sagemaker:InvokeEndpoint", "arn:aws:sagemaker:*:*:endpoint/other")]
    )
    with pytest.raises(ClientError) as excinfo:
        as_role(stack, role, "sagemaker-runtime").invoke_endpoint(EndpointName="scones-x", Body=b"{}")
    assert error_of(excinfo) == (
        403,
        "AccessDeniedException",
        f"User: {session_arn(role)} is not authorized to perform: sagemaker:InvokeEndpoint on resource: "
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/scones-x because no identity-based policy allows "
        "the sagemaker:InvokeEndpoint action",
    )


def test_logs_allowed_and_denied(stack: LocalStackHandle) -> None:
    """CloudWatch Logs (json 1.1): 400 AccessDeniedException; CreateLogStream acts on the stream ARN."""
    group = f"/iam/{uuid.uuid4().hex[:8]}"
    admin(stack, "logs").create_log_group(logGroupName=group)
    role = make_role(
        stack,
        [statement("Allow", "logs:CreateLogStream", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*")],
    )
    logs = as_role(stack, role, "logs")
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    with pytest.raises(ClientError) as excinfo:
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": int(time.time() * 1000), "message": "m"}],
        )
    status, code, message = error_of(excinfo)
    assert (status, code) == (400, "AccessDeniedException")
    assert (
        f"logs:PutLogEvents on resource: arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:s"
        in message
    )


def test_step_functions_api_denied_shape(stack: LocalStackHandle) -> None:
    """The Step Functions API is json 1.0: a denied call answers 400 AccessDeniedException; StartExecution
    is ``states:StartExecution`` on the state machine's ARN."""
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:not-mine"
    role = make_role(stack, [statement("Allow", "states:ListStateMachines", "*")])
    sfn = as_role(stack, role, "stepfunctions")
    sfn.list_state_machines()
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=arn, input="{}")
    assert error_of(excinfo) == (
        400,
        "AccessDeniedException",
        f"User: {session_arn(role)} is not authorized to perform: states:StartExecution on resource: {arn} "
        "because no identity-based policy allows the states:StartExecution action",
    )


# --- Step Functions ---------------------------------------------------------------------------------------


def run_machine(
    stack: LocalStackHandle, definition: dict[str, Any], statements: list[dict[str, Any]]
) -> dict[str, Any]:
    role = make_role(stack, statements, {"Service": "states.amazonaws.com"}, prefix="iam-sfn-role")
    sfn = admin(stack, "stepfunctions")
    arn = sfn.create_state_machine(
        name=unique_name("iam-sm"),
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.2)
    raise AssertionError("execution still running after 60 s")


def test_state_machine_role_denied_lambda_task(stack: LocalStackHandle, function: tuple[str, str]) -> None:
    """A Task runs as the state machine's role: without lambda:InvokeFunction the execution fails with
    ``Lambda.AWSLambdaException`` and the Java SDK's cause (message, then "(Service: AWSLambda; Status
    Code: 403; Error Code: AccessDeniedException; ...)")."""
    name, _ = function
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": name, "Payload": {}},
                "End": True,
            }
        },
    }
    failed = run_machine(stack, definition, [])
    assert failed["status"] == "FAILED"
    assert failed["error"] == "Lambda.AWSLambdaException"
    assert "is not authorized to perform: lambda:InvokeFunction" in failed["cause"]
    assert "(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException;" in failed["cause"]

    succeeded = run_machine(
        stack, definition, [statement("Allow", "lambda:InvokeFunction", function_arn(name))]
    )
    assert succeeded["status"] == "SUCCEEDED"


def test_state_machine_role_denied_s3_put(stack: LocalStackHandle, bucket: str) -> None:
    """``aws-sdk:s3:putObject`` denied: AWS names aws-sdk errors ``<Service>.<Exception>``, and S3's
    AccessDenied is not a modelled exception of the SDK Step Functions uses: ``S3.S3Exception`` (the name
    statemachine/workflow.asl.json retries)."""
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                "Parameters": {"Bucket": bucket, "Key": "sfn/x.json", "Body": "{}"},
                "End": True,
            }
        },
    }
    failed = run_machine(stack, definition, [])
    assert failed["status"] == "FAILED"
    assert failed["error"] == "S3.S3Exception"
    assert "is not authorized to perform: s3:PutObject" in failed["cause"]
    succeeded = run_machine(
        stack, definition, [statement("Allow", "s3:PutObject", f"arn:aws:s3:::{bucket}/sfn/*")]
    )
    assert succeeded["status"] == "SUCCEEDED"


# --- the deny log, and the switch off ---------------------------------------------------------------------


def test_every_denial_is_in_the_deny_log(stack: LocalStackHandle, bucket: str) -> None:
    """One JSON line per denial in the file SCONES_IAM_DENY_LOG names (the stack's state dir), with the
    session, its role, the action and the resource; and a WARNING line in LocalStack's log."""
    role = make_role(stack, [])
    with pytest.raises(ClientError):
        as_role(stack, role, "s3", name="logged").get_object(Bucket=bucket, Key="in/present.txt")
    entries = [e for e in deny_log(stack) if e["principal"] == session_arn(role, "logged")]
    assert len(entries) == 1
    (entry,) = entries
    assert entry["role"] == f"arn:aws:iam::{ACCOUNT}:role/{role}"
    assert (entry["action"], entry["resource"]) == ("s3:GetObject", f"arn:aws:s3:::{bucket}/in/present.txt")
    assert entry["reason"] == "ImplicitDeny: no identity-based policy allows it"
    assert (entry["service"], entry["operation"]) == ("s3", "GetObject")
    log = stack.log_file.read_text(errors="replace")
    assert (
        f"IAM denied {session_arn(role, 'logged')}: s3:GetObject on arn:aws:s3:::{bucket}/in/present.txt"
        in log
    )


def test_settings_pass_the_switch_and_the_deny_log(tmp_path: Path) -> None:
    """``scones up`` passes the switch explicitly ("1"/"0") and the deny log in the stack's state dir."""
    on = StackSettings(state_root=tmp_path, iam_enforce=True).localstack_environment({})
    off = StackSettings(state_root=tmp_path, iam_enforce=False).localstack_environment({})
    assert (on[cfg.IAM_ENFORCE.name], off[cfg.IAM_ENFORCE.name]) == ("1", "0")
    assert on[cfg.IAM_DENY_LOG] == str(tmp_path / f"stack-{cfg.PORT.default}" / "iam-denials.jsonl")


def test_status_says_enforcement_is_on_and_lists_the_denials(stack: LocalStackHandle, bucket: str) -> None:
    """`scones status` reads the switch from the running LocalStack process and lists the denials since
    the stack started: the count, then role, action and resource of the most recent ones."""
    role = make_role(stack, [], prefix="iam-status")
    with pytest.raises(ClientError):
        as_role(stack, role, "s3").put_object(Bucket=bucket, Key="status/x", Body=b"x")
    assert stack.state is not None
    assert iam_denials.enforcement(stack.state.pid) is True
    denials = iam_denials.read_denials(stack.settings.iam_deny_log, stack.state.started_at)
    assert denials[-1].role == f"arn:aws:iam::{ACCOUNT}:role/{role}"
    assert (denials[-1].action, denials[-1].resource) == ("s3:PutObject", f"arn:aws:s3:::{bucket}/status/x")

    env = {cfg.STATE_DIR.name: str(stack.settings.state_root)}
    result = CliRunner().invoke(cli, ["status", "--port", str(stack.port)], env=env)
    assert result.exit_code == 0, result.output
    assert f"IAM enforcement on port {stack.port}: on" in result.output
    assert f"{len(denials)} requests denied since the stack started" in result.output
    assert f"{role}  s3:PutObject  arn:aws:s3:::{bucket}/status/x" in result.output


def test_the_deny_log_reader_counts_from_the_start_and_skips_torn_lines(tmp_path: Path) -> None:
    """The file outlives restarts (the stack's state dir): only lines since ``since`` count, and a torn
    last line (a write cut short) is skipped, not an error."""
    path = tmp_path / "denials.jsonl"
    line = {"principal": "p", "role": "r", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}
    path.write_text(
        json.dumps({**line, "time": 10.0}) + "\n" + json.dumps({**line, "time": 20.0}) + "\n" + '{"time": 3'
    )
    assert [d.time for d in iam_denials.read_denials(path, since=15.0)] == [20.0]
    assert len(iam_denials.read_denials(path)) == 2
    assert iam_denials.read_denials(tmp_path / "absent") == []


def test_compose_passes_the_switch_with_the_same_default() -> None:
    """The compose LocalStack gets SCONES_IAM_ENFORCE from the shell running `docker compose up`, with
    the default ``scones up`` uses (scones.config.IAM_ENFORCE_DEFAULT); the image sets the same."""
    import yaml

    compose = yaml.safe_load((cfg.PROJECT_ROOT / "docker-compose.yml").read_text())
    default = "1" if cfg.IAM_ENFORCE_DEFAULT else "0"
    environment = compose["services"]["localstack"]["environment"]
    assert environment[cfg.IAM_ENFORCE.name] == f"${{{cfg.IAM_ENFORCE.name}:-{default}}}"
    dockerfile = (cfg.PROJECT_ROOT / "docker" / "localstack.Dockerfile").read_text()
    assert f"{cfg.IAM_ENFORCE.name}={default} " in dockerfile

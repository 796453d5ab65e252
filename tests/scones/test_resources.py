"""Resource kinds (scones.workflow.resources) and the session (scones.workflow.session), without a stack.

"Not found" is each service's own not-found answer and nothing else. The errors below are the ones AWS
sends; some (AccessDenied above all) neither LocalStack nor moto produce, so these tests answer the calls
with botocore's ``Stubber``, a mock of real AWS, on clients that point at a port where nothing listens:

- S3 HeadBucket: no body, so botocore reports the bare status as the code: ``404`` when the bucket does
  not exist, ``403`` when the caller may not see it (S3 API reference, HeadBucket: "a generic 404 Not Found
  or 403 Forbidden code"; botocore's s3 model lists ``NoSuchBucket``).
- IAM GetRole: ``NoSuchEntity`` (botocore's iam model, NoSuchEntityException).
- Lambda GetFunction / DeleteFunction: ``ResourceNotFoundException`` (botocore's lambda model).
- Step Functions DescribeStateMachine: ``StateMachineDoesNotExist`` (botocore's stepfunctions model).
- SageMaker DescribeModel / DescribeEndpointConfig / DescribeEndpoint: botocore's sagemaker model lists no
  error shape; the service answers ``ValidationException`` with ``Could not find model "arn:..."`` (and
  ``endpoint configuration`` / ``endpoint``), as reported in aws/amazon-sagemaker-examples#2339 and #2402.
  Any other ValidationException is not "absent".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from scones.workflow.cleanup import CleanupFailedError, cleanup
from scones.workflow.clients import Clients
from scones.workflow.deploy import deploy
from scones.workflow.errors import DeployError
from scones.workflow.plan import RoleSpec
from scones.workflow.resources import (
    KINDS,
    Buckets,
    EndpointConfigs,
    Endpoints,
    Functions,
    Missing,
    Models,
    Resource,
    ResourceKind,
    ResourceLookupError,
    Roles,
    StateMachines,
)
from scones.workflow.session import WorkflowSession
from scones.workflow.settings import TAG_PROJECT, Target, WorkflowSettings
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

NOWHERE = "http://127.0.0.1:9"  # nothing listens: an unstubbed call could not succeed
ACCOUNT = "123456789012"
MACHINE_ARN = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:demo-workflow"
IDENTITY = {"UserId": "AIDA", "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/dev"}


def _settings(project: str = "demo", **extra: Any) -> WorkflowSettings:
    return WorkflowSettings(target=Target.LOCAL, endpoint_url=NOWHERE, project=project, **extra)


@pytest.fixture
def session() -> WorkflowSession:
    return WorkflowSession(_settings())


@pytest.fixture
def stub(session: WorkflowSession) -> Iterator[Callable[[str], Stubber]]:
    """``stub("s3")`` → an active Stubber on the session's own client; every one is checked at the end."""
    stubbers: list[Stubber] = []

    def make(service: str) -> Stubber:
        attribute = {"lambda": "lambda_", "stepfunctions": "sfn"}.get(service, service)
        stubber = Stubber(getattr(session.clients, attribute))
        stubber.activate()
        stubbers.append(stubber)
        return stubber

    yield make
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
        stubber.deactivate()


# kind, service, operation, the service's not-found (code, HTTP status, message)
NOT_FOUND = [
    (Buckets, "s3", "head_bucket", ("404", 404, "Not Found")),
    (Roles, "iam", "get_role", ("NoSuchEntity", 404, "The role with name demo-x cannot be found.")),
    (Functions, "lambda", "get_function", ("ResourceNotFoundException", 404, "Function not found: demo-x")),
    (StateMachines, "stepfunctions", "describe_state_machine", ("StateMachineDoesNotExist", 400, "none")),
    (Models, "sagemaker", "describe_model", ("ValidationException", 400, 'Could not find model "arn:x".')),
    (
        EndpointConfigs,
        "sagemaker",
        "describe_endpoint_config",
        ("ValidationException", 400, 'Could not find endpoint configuration "arn:x".'),
    ),
    (
        Endpoints,
        "sagemaker",
        "describe_endpoint",
        ("ValidationException", 400, 'Could not find endpoint "arn:x".'),
    ),
]
NAMES: dict[type[ResourceKind[Any]], str] = {StateMachines: MACHINE_ARN}


@dataclass(frozen=True)
class LookUp:
    """One kind's look-up call and the service's not-found answer to it (code, HTTP status, message)."""

    kind: type[ResourceKind[Any]]
    service: str
    operation: str
    not_found: tuple[str, int, str]

    @property
    def name(self) -> str:
        return NAMES.get(self.kind, "demo-x")


@pytest.fixture(params=[LookUp(*case) for case in NOT_FOUND], ids=lambda case: case.kind.__name__)
def look_up(request: pytest.FixtureRequest) -> LookUp:
    return request.param  # type: ignore[no-any-return]


def test_find__the_services_not_found_means_absent(
    session: WorkflowSession, stub: Callable[[str], Stubber], look_up: LookUp
) -> None:
    code, status, message = look_up.not_found
    stub(look_up.service).add_client_error(look_up.operation, code, message, status)
    assert look_up.kind(session).find(look_up.name) is None


def test_find__access_denied_is_a_lookup_error_naming_the_resource(
    session: WorkflowSession, stub: Callable[[str], Stubber], look_up: LookUp
) -> None:
    """AWS-only: AccessDenied (S3's HeadBucket gives a bare 403) must not read as "absent"."""
    code = "403" if look_up.service == "s3" else "AccessDeniedException"
    stub(look_up.service).add_client_error(look_up.operation, code, "User: dev is not authorized", 403)
    with pytest.raises(
        ResourceLookupError, match=rf"cannot tell whether {look_up.kind.kind} demo-\S+ exists: {code}"
    ):
        look_up.kind(session).find(look_up.name)


def test_find__sagemaker_validation_other_than_could_not_find_is_not_absent(
    session: WorkflowSession, stub: Callable[[str], Stubber]
) -> None:
    stub("sagemaker").add_client_error(
        "describe_model", "ValidationException", "1 validation error detected: ModelName", 400
    )
    with pytest.raises(ResourceLookupError, match="model demo-x"):
        Models(session).find("demo-x")


def test_ensure__access_denied_on_find_never_attempts_a_create(
    session: WorkflowSession, stub: Callable[[str], Stubber]
) -> None:
    """AWS-only (Stubber): GetRole denied. The old deploy read any ClientError as "no such role" and went on
    to CreateRole; the Stubber would answer that unexpected call with its own error, not this one."""
    stub("iam").add_client_error("get_role", "AccessDenied", "not authorized to perform iam:GetRole", 403)
    role = RoleSpec("demo-classify-role", "lambda.amazonaws.com", {"Version": "2012-10-17", "Statement": []})
    with pytest.raises(ResourceLookupError, match="role demo-classify-role exists: AccessDenied"):
        Roles(session).ensure(role)


def test_deploy__access_denied_on_the_bucket_is_a_typed_error_not_a_create(tmp_path: Path) -> None:
    """AWS-only (Stubber): HeadBucket answers 403. deploy stops there with a ResourceLookupError (a
    WorkflowError the CLI prints) naming the bucket, before any CreateBucket."""
    model = pack_model_tar(build_tiny_artifact(tmp_path / "artifact"), tmp_path / "model.tar.gz")
    session = WorkflowSession(_settings(model=model))
    with Stubber(session.clients.sts) as sts, Stubber(session.clients.s3) as s3:
        sts.add_response("get_caller_identity", IDENTITY)
        s3.add_client_error("head_bucket", "403", "Forbidden", 403)
        with pytest.raises(ResourceLookupError, match="bucket demo-workflow exists: 403") as caught:
            deploy(session.settings, session)
        assert not isinstance(caught.value, DeployError)
        s3.assert_no_pending_responses()


def test_delete__gone_is_fine_anything_else_is_a_cleanup_error(
    session: WorkflowSession, stub: Callable[[str], Stubber]
) -> None:
    """AWS-only (Stubber): a function deleted meanwhile is not an error; a denied delete is, naming it."""
    lam, logs = stub("lambda"), Stubber(session.clients.client("logs"))
    functions = Functions(session)
    lam.add_client_error("delete_function", "ResourceNotFoundException", "Function not found", 404)
    # Functions.delete builds its own logs client; give it one that answers like AWS.
    session.clients.client = lambda service: logs.client  # type: ignore[method-assign]
    logs.add_client_error("delete_log_group", "ResourceNotFoundException", "no log group", 400)
    with logs:
        functions.delete(Resource("function", "demo-classify"))

    lam.add_response("list_functions", {"Functions": [{"FunctionName": "demo-x", "FunctionArn": "arn:fn"}]})
    lam.add_response("list_tags", {"Tags": {TAG_PROJECT: "demo"}})
    lam.add_client_error("delete_function", "AccessDeniedException", "not authorized", 403)
    only_functions = [k for k in KINDS if k is Functions]
    with (
        pytest.MonkeyPatch.context() as patch,
        pytest.raises(CleanupFailedError, match=r"cannot delete function demo-x: .*AccessDenied"),
    ):
        patch.setattr("scones.workflow.cleanup.KINDS", tuple(only_functions))
        cleanup(session, session.settings, log=lambda _: None)


def test_missing__matches_code_and_message_start() -> None:
    from botocore.exceptions import ClientError

    def error(code: str, message: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": message}}, "DescribeModel")

    sagemaker = Missing.of("ValidationException", message="Could not find")
    assert sagemaker.matches(error("ValidationException", 'Could not find model "x".'))
    assert not sagemaker.matches(error("ValidationException", "Value at 'modelName' failed"))
    assert not sagemaker.matches(error("AccessDeniedException", "Could not find"))
    assert Missing.of("NoSuchEntity").matches(error("NoSuchEntity", "anything"))


def test_kinds__deploy_order_and_cleanup_is_its_reverse() -> None:
    assert [k.kind for k in KINDS] == [
        "bucket",
        "role",
        "object",
        "function",
        "state-machine",
        "model",
        "endpoint-config",
        "endpoint",
    ]


def test_session__identity_and_plan_are_worked_out_once(session: WorkflowSession) -> None:
    """One GetCallerIdentity for the account, the partition and the plan, however often they are read;
    a session passed where clients go is that very session."""
    with Stubber(session.clients.sts) as sts:
        sts.add_response("get_caller_identity", {**IDENTITY, "Arn": f"arn:aws-cn:iam::{ACCOUNT}:user/dev"})
        plan = session.plan
        assert (session.account, session.partition) == (ACCOUNT, "aws-cn")
        assert session.plan is plan and plan.state_machine_arn.startswith("arn:aws-cn:states:")
        sts.assert_no_pending_responses()
    assert WorkflowSession.of(session.settings, session) is session
    wrapped = Clients(session.settings)
    assert WorkflowSession.of(session.settings, wrapped).clients is wrapped
    with pytest.raises(ValueError, match="other settings"):
        WorkflowSession.of(_settings(project="other"), session)


def test_tagged__an_untagged_bucket_is_skipped_an_unreadable_one_is_named(
    session: WorkflowSession, stub: Callable[[str], Stubber]
) -> None:
    """AWS-only (Stubber): GetBucketTagging answers NoSuchTagSet for a bucket without tags (not ours);
    AccessDenied says nothing about whose it is, so cleanup stops and names it instead of skipping it."""
    s3 = stub("s3")
    buckets = {"Buckets": [{"Name": "plain"}, {"Name": "ours"}, {"Name": "locked"}]}
    s3.add_response("list_buckets", buckets)
    s3.add_client_error("get_bucket_tagging", "NoSuchTagSet", "The TagSet does not exist", 404)
    s3.add_response("get_bucket_tagging", {"TagSet": [{"Key": TAG_PROJECT, "Value": "demo"}]})
    s3.add_client_error("get_bucket_tagging", "AccessDenied", "Access Denied", 403)
    found = Buckets(session).tagged()
    assert next(found) == Resource("bucket", "ours")
    with pytest.raises(ResourceLookupError, match=r"cannot read the tags of bucket locked: .*AccessDenied"):
        next(found)

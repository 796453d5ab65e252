"""The workflow's own policies, proven minimal and sufficient on the real stack with IAM enforcement on
(issue #16): the whole run, the review path and the error paths succeed as they should; removing one
statement the run depends on makes the same run fail with AWS's AccessDenied; removing a statement whose
absence AWS tolerates quietly (log writes, capture writes) leaves the run green and shows up in the deny
log instead.

Everything is real: LocalStack in host mode with enforcement switched on, the process Lambda executor
running the checkout's functions as their execution roles, Step Functions running Tasks as the state
machine's role, and the stand-in endpoint reading the model and writing capture as the model's role.

AWS's behaviour cited per test: IAM User Guide "Policy evaluation logic" (an implicit deny unless a policy
allows), "Troubleshooting access denied error messages" (the wording), the S3 GetObject API reference
("Permissions": 403 instead of 404 without s3:ListBucket), and the Step Functions developer guide "Handling
errors in Step Functions workflows" (a Lambda service error in a ``lambda:invoke`` Task is
``Lambda.AWSLambdaException``; an ``aws-sdk`` Task's errors are named ``<Service>.<ErrorCode>``).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from scones.testing.stack import LocalStackHandle, start_stack
from scones.workflow import WorkflowSettings, deploy, run_workflow
from scones.workflow.clients import Clients
from scones.workflow.plan import CAPTURE_PREFIX, Plan, build_plan
from scones.workflow.run import ItemResult
from scones.workflow.settings import Target
from tests.helpers.images import solid_png
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

pytestmark = pytest.mark.integration

# The tiny model (tests/helpers/tiny_model.py): red is a bicycle at 0.9997 (classified), grey ~0.51 (review).
IMAGES = {"red": (255, 0, 0), "grey": (128, 128, 128)}
CLASSIFIED, REVIEW, MISSING = "test/red.png", "test/grey.png", "test/not-there.png"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackHandle]:
    """A stack of this module's own with enforcement on, whatever the default is."""
    handle = start_stack(tmp_path_factory.mktemp("iam-stack"), iam_enforce=True)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def settings(stack: LocalStackHandle, tmp_path_factory: pytest.TempPathFactory) -> WorkflowSettings:
    root = tmp_path_factory.mktemp("iam-workflow")
    tar = pack_model_tar(build_tiny_artifact(root / "artifact"), root / "model.tar.gz")
    s = WorkflowSettings(target=Target.LOCAL, endpoint_url=stack.endpoint_url, project="iamrun", model=tar)
    deploy(s)
    s3 = Clients(s).s3
    for name, colour in IMAGES.items():
        s3.put_object(Bucket=s.bucket_name, Key=f"test/{name}.png", Body=solid_png(colour, mode="RGB"))
    return s


@pytest.fixture(scope="module")
def plan(settings: WorkflowSettings) -> Plan:
    return build_plan(settings, account="000000000000")


def run_one(settings: WorkflowSettings, key: str) -> ItemResult:
    (item,) = run_workflow(settings, keys=[key], timeout=90).items
    return item


def denials(stack: LocalStackHandle) -> list[dict[str, Any]]:
    """The deny log the stack keeps (JSON lines; what `scones status` lists), oldest first."""
    path = stack.settings.iam_deny_log
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def denied(entries: list[dict[str, Any]], role: str, action: str, resource_part: str = "") -> bool:
    """Whether ``entries`` hold a denial of ``action`` to ``role`` (name or ARN) on such a resource."""
    return any(
        d["action"] == action and d["role"].rsplit("/", 1)[-1] == role and resource_part in d["resource"]
        for d in entries
    )


@contextlib.contextmanager
def without_statement(
    settings: WorkflowSettings, role_name: str, action: str, resource_part: str = ""
) -> Iterator[dict[str, Any]]:
    """The role's inline policy minus the one statement granting ``action`` (on a resource containing
    ``resource_part``), restored afterwards."""
    iam = Clients(settings).iam
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    original = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(original, str):
        original = json.loads(original)

    def grants(statement: dict[str, Any]) -> bool:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        return action in actions and any(resource_part in r for r in resources)

    kept = [s for s in original["Statement"] if not grants(s)]
    removed = [s for s in original["Statement"] if grants(s)]
    assert len(removed) == 1, f"{role_name}: expected one statement granting {action}, found {removed}"
    # the statement may grant other actions too: keep those, drop only this one
    rest = [a for a in removed[0]["Action"] if a != action] if isinstance(removed[0]["Action"], list) else []
    if rest:
        kept.append({**removed[0], "Action": rest})
    iam.put_role_policy(
        RoleName=role_name, PolicyName=policy_name, PolicyDocument=json.dumps({**original, "Statement": kept})
    )
    try:
        yield removed[0]
    finally:
        iam.put_role_policy(RoleName=role_name, PolicyName=policy_name, PolicyDocument=json.dumps(original))


def _role(plan: Plan, package: str) -> str:
    return next(spec.role.name for spec in plan.functions if spec.package == package)


def test_the_whole_workflow_and_its_error_paths_pass_with_enforcement_on(
    stack: LocalStackHandle, settings: WorkflowSettings
) -> None:
    """Sufficient: with every call evaluated against the roles deploy created, a confident image is
    classified, an unsure one goes to review (the state machine's PutObject), and a missing image ends in the
    serialize function's own ImageNotFoundError (404, because its role may list the bucket), with nothing in
    the deny log."""
    before = len(denials(stack))
    classified, review, missing = (run_one(settings, k) for k in (CLASSIFIED, REVIEW, MISSING))
    assert (classified.status, classified.outcome) == ("SUCCEEDED", "classified"), classified
    assert (review.status, review.outcome) == ("SUCCEEDED", "review"), review
    assert missing.status == "FAILED" and missing.error == "ImageNotFoundError", missing
    assert denials(stack)[before:] == []


# (function package or "state machine", action, resource part, image key, what the failed execution says)
REQUIRED = [
    pytest.param("serialize_image", "s3:GetObject", "", CLASSIFIED, "s3:GetObject", id="serialize-read"),
    pytest.param("serialize_image", "s3:ListBucket", "", MISSING, "s3:ListBucket", id="serialize-list"),
    pytest.param(
        "classify",
        "sagemaker:InvokeEndpoint",
        "",
        CLASSIFIED,
        "sagemaker:InvokeEndpoint",
        id="classify-invoke",
    ),
    pytest.param(
        "state machine", "lambda:InvokeFunction", "", CLASSIFIED, "lambda:InvokeFunction", id="sfn-invoke"
    ),
    pytest.param("state machine", "s3:PutObject", "", REVIEW, "s3:PutObject", id="sfn-review-put"),
]


@pytest.mark.parametrize(("part", "action", "resource_part", "key", "named"), REQUIRED)
def test_removing_a_statement_the_run_depends_on_fails_it_with_access_denied(
    stack: LocalStackHandle,
    settings: WorkflowSettings,
    plan: Plan,
    part: str,
    action: str,
    resource_part: str,
    key: str,
    named: str,
) -> None:
    """Minimal: each statement the run's success depends on is needed. Without it the execution fails, and
    its cause carries AWS's "User: arn:aws:sts::<account>:assumed-role/<role>/<session> is not authorized to
    perform: <action> on resource: <arn>" (IAM User Guide, "Troubleshooting access denied error messages");
    the deny log names the role, action and resource."""
    role = plan.state_machine_role.name if part == "state machine" else _role(plan, part)
    before = len(denials(stack))
    with without_statement(settings, role, action, resource_part):
        item = run_one(settings, key)
    assert item.status == "FAILED", item
    assert f"is not authorized to perform: {named}" in (item.cause or ""), item
    assert f"assumed-role/{role}/" in (item.cause or ""), item
    new = denials(stack)[before:]
    assert denied(new, role, named), new


def _wait_for(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return check()


def test_log_writes_denied_leave_the_run_green_and_show_in_the_deny_log(
    stack: LocalStackHandle, settings: WorkflowSettings, plan: Plan
) -> None:
    """AWS tolerates a function role without log permissions quietly: the function runs, its logs are
    dropped (Lambda developer guide, "Sending Lambda function logs to CloudWatch Logs": the execution role
    needs logs:CreateLogStream and logs:PutLogEvents to send logs). The run stays green; the deny log shows
    what is missing."""
    role = _role(plan, "filter_confidence")
    before = len(denials(stack))
    with without_statement(settings, role, "logs:PutLogEvents"):
        item = run_one(settings, CLASSIFIED)
        assert (item.status, item.outcome) == ("SUCCEEDED", "classified"), item
        found = _wait_for(lambda: denied(denials(stack)[before:], role, "logs:PutLogEvents"))
        assert found, denials(stack)[before:]


def test_capture_writes_denied_leave_the_run_green_and_show_in_the_deny_log(
    stack: LocalStackHandle, settings: WorkflowSettings, plan: Plan
) -> None:
    """Data capture is best effort on AWS: a model role that may not write the capture prefix does not fail
    invocations (the SageMaker developer guide's data capture prerequisites name s3:PutObject on the capture
    destination for the execution role; nothing says invocations fail without it). The run stays green; the
    deny log shows the capture PutObject the model's role was refused."""
    role = plan.sagemaker_role.name
    before = len(denials(stack))
    with without_statement(settings, role, "s3:PutObject", CAPTURE_PREFIX):
        item = run_one(settings, CLASSIFIED)
        assert (item.status, item.outcome) == ("SUCCEEDED", "classified"), item
        assert _wait_for(
            lambda: denied(denials(stack)[before:], role, "s3:PutObject", CAPTURE_PREFIX), timeout=30.0
        ), denials(stack)[before:]

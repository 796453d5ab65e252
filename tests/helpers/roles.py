"""Real IAM roles for tests and benchmarks: a trust policy for one service principal and one inline policy
with exactly what the test needs.

Why: with IAM enforced (issue #16) the stack refuses a function or model whose role does not exist or does
not trust the service (as AWS does), and evaluates each role's policies on the requests made with it, so a
made-up role ARN no longer works. One owner for the role documents, so every test builds them the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

POLICY_VERSION = "2012-10-17"
ACCOUNT = "000000000000"

# What Lambda itself writes with a function's role (its log group, stream and events), as AWS's
# AWSLambdaBasicExecutionRole grants it. AWS drops these writes quietly when they are denied.
LAMBDA_LOGS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")


def principal(service: str) -> str:
    """``lambda`` -> ``lambda.amazonaws.com``; a full principal stays as it is."""
    return service if "." in service else f"{service}.amazonaws.com"


def trust_policy(service: str) -> dict[str, Any]:
    """The role's trust policy: ``service`` may call sts:AssumeRole on it ("Roles terms and concepts")."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": principal(service)}, "Action": "sts:AssumeRole"}
        ],
    }


def allow(actions: str | Sequence[str], resources: str | Sequence[str] = "*") -> dict[str, Any]:
    """One Allow statement."""
    return {
        "Effect": "Allow",
        "Action": [actions] if isinstance(actions, str) else list(actions),
        "Resource": [resources] if isinstance(resources, str) else list(resources),
    }


def role_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def function_arn(name: str = "*", region: str = "us-east-1", account: str = ACCOUNT) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def ensure_role(iam: Any, name: str, service: str, statements: Iterable[dict[str, Any]] = ()) -> str:
    """The role ``name`` trusting ``service``, with ``statements`` as its one inline policy (replaced when
    the role exists already, so the call is idempotent); returns its ARN."""
    trust = json.dumps(trust_policy(service))
    try:
        arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"])
    except iam.exceptions.EntityAlreadyExistsException:
        arn = str(iam.get_role(RoleName=name)["Role"]["Arn"])
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust)
    listed = list(statements)
    if listed:
        document = json.dumps({"Version": POLICY_VERSION, "Statement": listed})
        iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=document)
    else:
        for policy in iam.list_role_policies(RoleName=name).get("PolicyNames", []):
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
    return arn


def iam_client_like(client: Any) -> Any:
    """An IAM client for the stack another boto3 client talks to (same endpoint, region and keys)."""
    from scones import stack

    return stack.local_client("iam", client.meta.endpoint_url)


def lambda_role(iam: Any, name: str = "lambda-role", extra: Iterable[dict[str, Any]] = ()) -> str:
    """A function's execution role: its own log writes and ``extra``."""
    return ensure_role(iam, name, "lambda", [allow(LAMBDA_LOGS), *extra])


def states_role(iam: Any, name: str, statements: Iterable[dict[str, Any]] = ()) -> str:
    """A state machine's role: ``statements`` only (a machine without Task states needs none)."""
    return ensure_role(iam, name, "states", statements)


def invoke_functions(names: str | Sequence[str] = "*") -> dict[str, Any]:
    """lambda:InvokeFunction on the named functions (and their versions and aliases)."""
    listed = [names] if isinstance(names, str) else list(names)
    return allow(
        "lambda:InvokeFunction", [arn for n in listed for arn in (function_arn(n), function_arn(n) + ":*")]
    )

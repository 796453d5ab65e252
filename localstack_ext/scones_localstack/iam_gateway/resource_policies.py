"""Resource-based policies the gateway reads per request: S3 bucket policies and Lambda function policies
(``AddPermission``). Read live from LocalStack's stores on every request (a dictionary lookup), parsed
once per distinct document text, so a ``PutBucketPolicy`` or ``AddPermission`` counts at once.

AWS: "Policy evaluation for requests within a single account": an allow in either the identity-based or
the resource-based policy is enough; an explicit deny in either wins.
"""

from __future__ import annotations

import dataclasses
import functools
import json

from scones_localstack.iam import Policy

_STORE_REGION = "us-east-1"  # buckets are kept across regions in LocalStack's S3 store


@functools.lru_cache(maxsize=256)
def _parsed(document: str, name: str) -> Policy:
    return Policy.parse(document, name)


def bucket_policy(account: str, bucket: str) -> Policy | None:
    from localstack.services.s3.models import s3_stores

    entry = s3_stores[account][_STORE_REGION].buckets.get(bucket)
    text = getattr(entry, "policy", None) if entry is not None else None
    return _parsed(str(text), f"bucket policy of {bucket}") if text else None


def _function_parts(function_arn: str) -> tuple[str, str, str]:
    """``arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`` -> (region, name, qualifier)."""
    parts = function_arn.split(":")
    qualifier = parts[7] if len(parts) > 7 else "$LATEST"
    return parts[3], parts[6], qualifier


def function_policy(account: str, function_arn: str) -> Policy | None:
    from localstack.services.lambda_.invocation.models import lambda_stores

    if function_arn.count(":") < 6:
        return None
    region, name, qualifier = _function_parts(function_arn)
    function = lambda_stores[account][region].functions.get(name)
    if function is None:
        return None
    permission = function.permissions.get(qualifier)
    if permission is None or not permission.policy.Statement:
        return None
    text = json.dumps(dataclasses.asdict(permission.policy), sort_keys=True)
    return _parsed(text, f"function policy of {name}")


def resource_policy(service: str, account: str, resource: str) -> Policy | None:
    """The resource policy that applies to ``resource`` (an ARN), or None."""
    if service == "s3" and resource.startswith("arn:") and resource.count(":") >= 5:
        bucket = resource.split(":", 5)[5].split("/", 1)[0]
        return bucket_policy(account, bucket) if bucket else None
    if service == "lambda" and ":function:" in resource:
        return function_policy(account, resource)
    return None

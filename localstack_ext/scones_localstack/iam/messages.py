"""What a denied request answers: AWS's wording, in each service's own error shape.

The wording is IAM's ("Troubleshooting access denied error messages"): "User: <caller ARN> is not authorized
to perform: <action> on resource: <resource ARN> because no <type> policy allows the <action> action" for an
implicit deny, "... with an explicit deny in a(n) <type> policy" for an explicit one. Amazon S3 puts the
resource in double quotes ("Troubleshoot access denied (403 Forbidden) errors in Amazon S3": ``on
"resource-arn"``); Lambda, SageMaker Runtime and CloudWatch Logs do not (messages as their SDKs report them:
``... on resource: arn:aws:lambda:...:function:f because no identity-based policy allows the
lambda:InvokeFunction action``).

The shape follows the service's protocol in its botocore model: S3 is ``rest-xml`` (403, ``<Error><Code>
AccessDenied</Code>``, the model's ``AccessDenied`` shape); Lambda and SageMaker Runtime are ``rest-json``
(403, ``x-amzn-ErrorType: AccessDeniedException``); CloudWatch Logs, Step Functions and SageMaker are
``json`` (``__type: AccessDeniedException``, HTTP 400 as AWS's JSON-protocol services answer client errors).

Step Functions reports a Task whose role may not call the service as the task's failure: error
``Lambda.AWSLambdaException`` for Lambda ("Handle transient Lambda service exceptions" lists it) with the
Java SDK's cause text ``<message> (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException;
Request ID: <id>; Proxy: null)``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape

from .evaluation import Decision, Effect, PolicyType, RequestContext


class NotADenialError(ValueError):
    """A denial message was asked for a decision that allows the request."""


def not_authorized_message(
    request: RequestContext, decision: Decision, *, quote_resource: bool = False
) -> str:
    """IAM's access-denied sentence for ``request`` denied by ``decision``."""
    if decision.effect is Effect.ALLOW:
        raise NotADenialError(f"{request.action} on {request.resource} is allowed")
    resource = f'"{request.resource}"' if quote_resource else request.resource
    head = (
        f"User: {request.principal.arn} is not authorized to perform: {request.action} "
        f"on resource: {resource}"
    )
    if decision.effect is Effect.EXPLICIT_DENY:
        article = "an" if decision.policy_type is PolicyType.IDENTITY else "a"
        return f"{head} with an explicit deny in {article} {decision.policy_type.value} policy"
    return f"{head} because no {decision.policy_type.value} policy allows the {request.action} action"


@dataclass(frozen=True)
class ErrorShape:
    protocol: str  # botocore's metadata.protocol
    status: int
    code: str
    content_type: str
    quote_resource: bool = False


# keyed by botocore service name (what LocalStack's ServiceRequestContext.service.service_name holds)
SHAPES: dict[str, ErrorShape] = {
    "s3": ErrorShape("rest-xml", 403, "AccessDenied", "application/xml", quote_resource=True),
    "lambda": ErrorShape("rest-json", 403, "AccessDeniedException", "application/json"),
    "sagemaker-runtime": ErrorShape("rest-json", 403, "AccessDeniedException", "application/json"),
    "logs": ErrorShape("json", 400, "AccessDeniedException", "application/x-amz-json-1.1"),
    "sagemaker": ErrorShape("json", 400, "AccessDeniedException", "application/x-amz-json-1.1"),
    "stepfunctions": ErrorShape("json", 400, "AccessDeniedException", "application/x-amz-json-1.0"),
}


class UnknownServiceShapeError(KeyError):
    """No error shape is recorded for this service: add it to SHAPES (from its botocore model)."""


@dataclass(frozen=True)
class Denial:
    """An HTTP answer ready for the gateway: status, headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes
    code: str
    message: str


def denial(
    service: str,
    request: RequestContext,
    decision: Decision,
    *,
    request_id: str | None = None,
    head: bool = False,
) -> Denial:
    """The response ``service`` gives when ``decision`` denies ``request``. ``head``: a HEAD request (S3
    HeadObject), answered with the status and no body, as S3 does."""
    shape = _shape(service)
    message = not_authorized_message(request, decision, quote_resource=shape.quote_resource)
    return access_denied(service, message, request_id=request_id, head=head)


def _shape(service: str) -> ErrorShape:
    try:
        return SHAPES[service]
    except KeyError:
        raise UnknownServiceShapeError(service) from None


def access_denied(service: str, message: str, *, request_id: str | None = None, head: bool = False) -> Denial:
    """``service``'s access-denied response carrying ``message``: the one place that knows each protocol's
    error body (S3's XML with its request id twice, rest-json's header-named error, JSON 1.x's
    ``__type``)."""
    shape = _shape(service)
    rid = request_id or str(uuid.uuid4())
    headers = {"Content-Type": shape.content_type}
    if shape.protocol == "rest-xml":
        headers["x-amz-request-id"] = rid
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{shape.code}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{escape(rid)}</RequestId><HostId>{escape(rid)}</HostId></Error>"
        ).encode()
    elif shape.protocol == "rest-json":
        headers["x-amzn-RequestId"] = rid
        headers["x-amzn-ErrorType"] = shape.code
        body = json.dumps({"Message": message}).encode()
    else:
        headers["x-amzn-RequestId"] = rid
        body = json.dumps({"__type": shape.code, "message": message}).encode()
    if head:
        body = b""
    return Denial(shape.status, headers, body, shape.code, message)


def lambda_task_failure(request: RequestContext, decision: Decision, request_id: str) -> tuple[str, str]:
    """(error, cause) of a Step Functions Lambda Task whose role may not invoke the function.

    Only the Lambda integration is built: for ``aws-sdk:*`` integrations AWS names the error after the
    service and exception (the wiring must check the exact name before adding one)."""
    shape = SHAPES["lambda"]
    message = not_authorized_message(request, decision)
    cause = (
        f"{message} (Service: AWSLambda; Status Code: {shape.status}; Error Code: {shape.code}; "
        f"Request ID: {request_id}; Proxy: null)"
    )
    return "Lambda.AWSLambdaException", cause

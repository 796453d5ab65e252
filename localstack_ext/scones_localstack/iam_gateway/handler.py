"""The gateway handlers: evaluate a role session's request, answer a denial in the service's own shape.

``evaluate_request`` runs in LocalStack's ``serve_custom_service_request_handlers``, right after
``parse_service_request`` (localstack/aws/app.py), so the operation and its parameters are known and no
provider has run yet. ``answer_missing_object`` and ``forget_policies_after_iam_writes`` are response
handlers (``run_custom_response_handlers``), which run after LocalStack's exception handlers.

Evaluated: role sessions (identities.py) calling S3, Lambda, SageMaker Runtime, CloudWatch Logs or Step
Functions; each ``Target`` the operation needs (iam/actions.py) against the role's policies and the
resource's policy (resource_policies.py). A denial answers ``messages.denial`` (S3: 403 ``AccessDenied``
XML, HEAD without a body; Lambda, SageMaker Runtime: 403 ``AccessDeniedException``; Logs, Step Functions:
400 ``AccessDeniedException``) and is written to the deny log.

When evaluation itself fails (a bug, a condition operator the engine does not know in a user's policy),
the request is denied in the same shape with a plain message pointing at LocalStack's log, where the
traceback is: never allowed silently, since a harness must not pass what AWS would refuse, and never
with Python's exception text in the answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scones_localstack.iam import (
    Decision,
    Policy,
    RequestContext,
    Where,
    denial,
    evaluate,
    missing_object_denial,
    targets,
)
from scones_localstack.iam.messages import Denial, access_denied
from scones_localstack.iam_gateway import deny_log
from scones_localstack.iam_gateway.identities import ROLE_POLICIES, Session, access_key_id, session_for
from scones_localstack.iam_gateway.resource_policies import resource_policy

LOG = logging.getLogger("scones_localstack.iam")

ENFORCED_SERVICES = frozenset({"s3", "lambda", "sagemaker-runtime", "logs", "stepfunctions"})
EVALUATION_FAILED = (
    "The request could not be authorized: a policy that applies to it could not be evaluated. "
    "The LocalStack log names the policy and the reason."
)
_PENDING = "_scones_iam_missing_object"  # context attribute: an allowed GetObject/HeadObject to re-check
_IAM_READS = ("Get", "List", "Generate", "Simulate")


@dataclass(frozen=True)
class MissingObjectCheck:
    """What the 404 rule needs once S3 has answered: the caller's request and policies."""

    request: RequestContext
    policies: tuple[Policy, ...]
    bucket_policy: Policy | None


def _caller(context: Any) -> Session | None:
    request = context.request
    key = access_key_id(request.headers, request.args)
    if key is None:
        return None
    return session_for(key, context.account_id)


def _record(session: Session, service: str, operation: str, request: RequestContext, reason: str) -> None:
    deny_log.record(
        deny_log.DenyEntry(
            principal=session.arn,
            role=session.role_arn,
            action=request.action,
            resource=request.resource,
            reason=reason,
            service=service,
            operation=operation,
        )
    )


def _respond(chain: Any, answer: Denial) -> None:
    chain.respond(status_code=answer.status, payload=answer.body, headers=answer.headers)


def evaluation_failure(service: str, request_id: str | None, head: bool) -> Denial:
    """A denial in ``service``'s shape whose message says the policy could not be evaluated."""
    return access_denied(service, EVALUATION_FAILED, request_id=request_id, head=head)


def _decide(context: Any, session: Session, service: str, operation: str) -> Denial | None:
    """None when every target is allowed; else the answer for the first denied one (and the log line)."""
    where = Where(context.region, context.account_id, session.partition)
    params = context.service_request or {}
    policies = ROLE_POLICIES.get(session.account, session.role_name)
    head = context.request.method == "HEAD"
    for target in targets(service, operation, params, where):
        request = RequestContext.for_arn(session.arn, target.action, target.resource, region=context.region)
        resource = resource_policy(service, context.account_id, target.resource)
        decision: Decision = evaluate(request, policies, resource)
        if not decision.allowed:
            _record(session, service, operation, request, decision.describe())
            return denial(service, request, decision, request_id=context.request_id, head=head)
        if service == "s3" and operation in ("GetObject", "HeadObject"):
            setattr(context, _PENDING, MissingObjectCheck(request, policies, resource))
    return None


def evaluate_request(chain: Any, context: Any, response: Any) -> None:
    """Request handler: deny a role session's request its policies do not allow."""
    service_model, operation_model = context.service, context.operation
    if service_model is None or operation_model is None:
        return
    service = service_model.service_name
    if service not in ENFORCED_SERVICES:
        return
    session = _caller(context)
    if session is None:
        return
    operation = operation_model.name
    try:
        answer = _decide(context, session, service, operation)
    except Exception:
        LOG.exception("IAM: %s %s by %s could not be evaluated; denied", service, operation, session.arn)
        unknown = RequestContext.for_arn(session.arn, f"{service}:{operation}", "*")
        _record(session, service, operation, unknown, "evaluation failed (see the traceback above)")
        answer = evaluation_failure(service, context.request_id, context.request.method == "HEAD")
    if answer is not None:
        _respond(chain, answer)


def answer_missing_object(chain: Any, context: Any, response: Any) -> None:
    """Response handler: S3's 404 for a missing key becomes 403 for a caller without ``s3:ListBucket``
    (GetObject and HeadObject API references, "Permissions")."""
    check: MissingObjectCheck | None = context.get(_PENDING)
    if check is None or response.status_code != 404:
        return
    exception = context.service_exception
    if exception is not None and getattr(exception, "code", "") == "NoSuchBucket":
        return
    head = context.request.method == "HEAD"
    principal = check.request.principal
    session = Session(principal.arn, principal.account, principal.arn.split("/")[1])
    operation = context.operation.name
    try:
        found = missing_object_denial(check.request, check.policies, check.bucket_policy)
    except Exception:
        LOG.exception(
            "IAM: s3:ListBucket for a missing key by %s could not be evaluated; denied", principal.arn
        )
        _record(session, "s3", operation, check.request, "evaluation failed (see the traceback above)")
        answer = evaluation_failure("s3", context.request_id, head)
    else:
        if found is None:
            return
        listing, decision = found
        _record(session, "s3", operation, listing, decision.describe())
        answer = denial("s3", listing, decision, request_id=context.request_id, head=head)
    response.status_code = answer.status
    response.headers.update(answer.headers)
    response.data = answer.body


def forget_policies_after_iam_writes(chain: Any, context: Any, response: Any) -> None:
    """Response handler: any IAM operation that may change a policy (not Get/List...) and succeeded clears
    the parsed-policy cache, so the next request sees the change, as AWS's eventual consistency allows."""
    service_model, operation_model = context.service, context.operation
    if service_model is None or operation_model is None or service_model.service_name != "iam":
        return
    if operation_model.name.startswith(_IAM_READS) or response.status_code >= 400:
        return
    ROLE_POLICIES.clear()


def install() -> None:
    from localstack.aws import handlers

    if evaluate_request not in handlers.serve_custom_service_request_handlers.handlers:
        handlers.serve_custom_service_request_handlers.append(evaluate_request)
    for handler in (answer_missing_object, forget_policies_after_iam_writes):
        if handler not in handlers.run_custom_response_handlers.handlers:
            handlers.run_custom_response_handlers.append(handler)

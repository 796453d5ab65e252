"""IAM policy evaluation for the local stack: the engine issue #16's enforcement will call at the gateway.

Pure and standard library only (no LocalStack import), so it is cheap to import in LocalStack's process and
its tests load it by path from the project's interpreter. Not wired into the gateway yet: nothing here
changes how the stack answers until a later change calls it (docs/iam.md says what remains).

- ``evaluate(request, identity_policies, resource_policy)`` -> ``Decision`` (evaluation.py)
- policy parsing and statement matching (policy.py), wildcards and ARNs (patterns.py), conditions
  (conditions.py)
- AWS's denial wording and per-service error shapes (messages.py)
- S3's 403-instead-of-404 for a missing key without ``s3:ListBucket`` (s3_rules.py)
- which action on which ARN an API operation is authorized as (actions.py)
- whether a service may assume a role, from its trust policy (trust.py)

Who is evaluated is the caller's business: AWS exempts the account's root user, and the local stack's
default ``test`` credentials stand for that admin (issue #16), so the gateway evaluates role sessions only.
"""

from __future__ import annotations

from .actions import Target, Where, targets
from .conditions import UnsupportedConditionError
from .evaluation import Decision, Effect, PolicyType, RequestContext, evaluate
from .messages import Denial, denial, lambda_task_failure, not_authorized_message
from .policy import MalformedPolicyError, Policy, Principal, Statement
from .s3_rules import missing_object_denial
from .trust import LAMBDA_ROLE_NOT_ASSUMABLE, service_may_assume

__all__ = [
    "LAMBDA_ROLE_NOT_ASSUMABLE",
    "Decision",
    "Denial",
    "Effect",
    "MalformedPolicyError",
    "Policy",
    "PolicyType",
    "Principal",
    "RequestContext",
    "Statement",
    "Target",
    "UnsupportedConditionError",
    "Where",
    "denial",
    "evaluate",
    "lambda_task_failure",
    "missing_object_denial",
    "not_authorized_message",
    "service_may_assume",
    "targets",
]

"""Whether a service may assume a role: the role's trust policy evaluated as the resource policy of an
``sts:AssumeRole`` request from the service principal.

AWS: a role's trust policy is "a resource-based policy attached to the role" naming who may assume it
("Roles terms and concepts"). Lambda's CreateFunction refuses an execution role that
``lambda.amazonaws.com`` cannot assume with ``InvalidParameterValueException`` and the message below
(as SDK callers report it, retrying while a new role propagates); SageMaker's CreateModel refuses one that
``sagemaker.amazonaws.com`` cannot assume. Issue #16 asks the local stack to refuse the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .evaluation import RequestContext, evaluate
from .policy import Policy, Principal

LAMBDA_ROLE_NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."


def service_may_assume(trust_policy: Policy | str | Mapping[str, Any], service: str, role_arn: str) -> bool:
    """True when the trust policy allows ``service`` (``lambda.amazonaws.com``) ``sts:AssumeRole``."""
    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    principal = Principal(arn=service, account=account, service=service)
    request = RequestContext(principal, "sts:AssumeRole", role_arn)
    return evaluate(request, [], trust_policy).allowed

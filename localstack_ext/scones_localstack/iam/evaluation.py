"""``evaluate``: one request against the caller's identity-based policies and the resource's policy.

AWS references: "Policy evaluation logic", "How AWS enforcement code logic evaluates requests to allow or
deny access" and "Policy evaluation for requests within a single account":

- "By default, all requests are implicitly denied" (the account's root user aside: that is the caller's
  business, see the module ``__init__``);
- "An explicit deny in any of the policies overrides the allow";
- "If either the identity-based policy or the resource-based policy within the same account allows the
  request and the other doesn't, the request is still allowed" - same-account resource policies are a
  union with the identity-based ones.

Scope: same-account requests by IAM roles, role sessions, users and service principals; identity-based
policies (inline and managed alike: both are lists of statements attached to the identity) and one
resource-based policy. Not modelled: SCPs/RCPs, permissions boundaries, session policies, cross-account
requests (which need both sides), ACLs, VPC endpoint policies - see docs/iam.md.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .conditions import ContextValue, normalize_context
from .policy import Policy, Principal, Statement, as_policies


class Effect(enum.Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


class PolicyType(enum.Enum):
    """The words AWS's access-denied messages use for the policy type ("Access denied error messages")."""

    IDENTITY = "identity-based"
    RESOURCE = "resource-based"


@dataclass(frozen=True)
class RequestContext:
    """What AWS calls the request context: principal, action, resource and condition keys.

    ``action`` is ``service:Operation`` as policies name it (``s3:GetObject``, ``lambda:InvokeFunction``);
    ``resource`` the ARN the action applies to (``arn:aws:s3:::bucket/key``, ``*`` for actions without a
    resource type). ``keys`` are extra condition keys (``s3:prefix``, ``aws:SourceArn`` ...); the global
    keys derivable from the principal and the clock are added by ``condition_keys``.
    """

    principal: Principal
    action: str
    resource: str
    keys: Mapping[str, ContextValue] = field(default_factory=dict)
    region: str | None = None
    secure_transport: bool = False  # the local gateway is plain HTTP unless told otherwise

    @classmethod
    def for_arn(cls, principal_arn: str, action: str, resource: str, **kwargs: Any) -> RequestContext:
        return cls(Principal.from_arn(principal_arn), action, resource, **kwargs)

    def condition_keys(self, now: datetime | None = None) -> dict[str, tuple[str, ...]]:
        """Global condition keys ("AWS global condition context keys") this request carries, then
        ``keys`` on top. ``aws:PrincipalArn`` is the role's ARN for a role session, as AWS documents."""
        moment = now or datetime.now(tz=UTC)
        principal = self.principal
        derived: dict[str, ContextValue] = {
            "aws:PrincipalAccount": principal.account,
            "aws:PrincipalArn": principal.role_arn or principal.arn,
            "aws:CurrentTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(moment.timestamp())),
            "aws:SecureTransport": "true" if self.secure_transport else "false",
        }
        if principal.service is not None:
            derived["aws:PrincipalServiceName"] = principal.service
        elif principal.role_arn is not None and principal.arn != principal.role_arn:
            derived["aws:PrincipalType"] = "AssumedRole"
        elif ":user/" in principal.arn:
            derived["aws:PrincipalType"] = "User"
            derived["aws:username"] = principal.arn.rsplit("/", 1)[1]
        if self.region is not None:
            derived["aws:RequestedRegion"] = self.region
        return normalize_context({**derived, **self.keys})


@dataclass(frozen=True)
class Decision:
    """The outcome, and what decided it: the statement that allowed or explicitly denied (None for an
    implicit deny), the policy it is in, and that policy's type (for the denial message and the deny log)."""

    effect: Effect
    policy_type: PolicyType
    policy: str | None = None
    statement: Statement | None = None

    @property
    def allowed(self) -> bool:
        return self.effect is Effect.ALLOW

    def describe(self) -> str:
        """One line for a log: ``ExplicitDeny by statement 'Sid' (#1) of role/x/inline``."""
        if self.statement is None:
            return f"{self.effect.value}: no {self.policy_type.value} policy allows it"
        which = (
            f"{self.statement.sid!r} (#{self.statement.index})"
            if self.statement.sid
            else (f"#{self.statement.index}")
        )
        return f"{self.effect.value} by statement {which} of {self.policy} ({self.policy_type.value})"


def evaluate(
    request: RequestContext,
    identity_policies: Iterable[Policy | str | Mapping[str, Any]],
    resource_policy: Policy | str | Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> Decision:
    """Allow, explicit deny or implicit deny for ``request`` (same account).

    Every applicable statement is considered: the first explicit deny (identity-based policies before the
    resource policy: AWS names one policy type in its message when several deny) decides; else the first
    allow; else the implicit deny.
    """
    identities = as_policies(identity_policies, "identity-based policy")
    resources = as_policies([resource_policy] if resource_policy is not None else [], "resource-based policy")
    # the global keys cost a clock read and a dict: only built when some statement reads them
    uses_context = any(p.uses_context for p in (*identities, *resources))
    context = request.condition_keys(now) if uses_context else {}
    allowed: Decision | None = None
    for policies, kind, principal in (
        (identities, PolicyType.IDENTITY, None),
        (resources, PolicyType.RESOURCE, request.principal),
    ):
        for policy in policies:
            for statement in policy.statements:
                if statement.effect == "Allow" and allowed is not None:
                    continue  # one allow is enough; only a deny can still change the outcome
                if not statement.applies(request.action, request.resource, context, principal):
                    continue
                if statement.effect == "Deny":
                    return Decision(Effect.EXPLICIT_DENY, kind, policy.name, statement)
                allowed = Decision(Effect.ALLOW, kind, policy.name, statement)
    return allowed or Decision(Effect.IMPLICIT_DENY, PolicyType.IDENTITY)

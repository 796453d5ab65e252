"""A policy document parsed once into statements that answer "does this statement apply to the request?".

AWS references: "IAM JSON policy element reference" (``Version``, ``Statement``, ``Sid``, ``Effect``,
``Principal``/``NotPrincipal``, ``Action``/``NotAction``, ``Resource``/``NotResource``, ``Condition``).
A statement applies when its action element, its resource element, its principal element (resource-based
policies only) and its condition all match. ``NotAction``/``NotResource`` match everything *except* the
listed entries ("IAM JSON policy elements: NotAction", "...: NotResource"). A ``Resource`` entry may use
policy variables (``${aws:username}``); an entry whose variable the request lacks matches nothing.

Parsing is separate from evaluation so the gateway can parse a role's policies once (when they change) and
evaluate them per request without re-reading JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .conditions import conditions_hold, substitute, validate
from .patterns import action_matches, resource_matches


class MalformedPolicyError(ValueError):
    """The document is not a policy IAM would accept: no statements, an unknown effect, both ``Action`` and
    ``NotAction``, a statement with neither ... (the cases IAM's own validation refuses)."""


@dataclass(frozen=True)
class Principal:
    """Who a request comes from, as resource-based policies name it.

    ``arn`` is the caller's ARN as AWS reports it in errors (for a role session
    ``arn:aws:sts::<account>:assumed-role/<role>/<session>``); ``role_arn`` the role's own ARN
    (``arn:aws:iam::<account>:role/<role>``) for a session; ``service`` an AWS service principal such as
    ``states.amazonaws.com`` when a service calls on its own behalf.
    """

    arn: str
    account: str
    role_arn: str | None = None
    service: str | None = None

    @classmethod
    def from_arn(cls, arn: str) -> Principal:
        """Account and role ARN read from an IAM or STS ARN (assumed-role sessions map to their role)."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            raise ValueError(f"not an IAM or STS ARN: {arn!r}")
        partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
        role_arn = None
        if service == "sts" and resource.startswith("assumed-role/"):
            role_name = resource.split("/")[1]
            role_arn = f"arn:{partition}:iam::{account}:role/{role_name}"
        elif service == "iam" and resource.startswith("role/"):
            role_arn = arn
        return cls(arn=arn, account=account, role_arn=role_arn)


def _entries(statement: Mapping[str, Any], name: str) -> tuple[str, ...]:
    raw = statement.get(name)
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and all(isinstance(v, str) for v in raw):
        return tuple(raw)
    raise MalformedPolicyError(f"{name} must be a string or a list of strings, not {raw!r}")


def _resources(statement: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """``Resource``/``NotResource`` entries: ``"*"`` or whole ARNs (six colon-separated parts), as IAM's
    policy validation requires ("Resource ... must be in ARN format or \"*\"")."""
    entries = _entries(statement, name)
    for entry in entries:
        if entry != "*" and (not entry.startswith("arn:") or len(entry.split(":", 5)) != 6):
            raise MalformedPolicyError(f'{name} {entry!r} must be in ARN format or "*"')
    return entries


def _principal_entries(raw: object) -> dict[str, tuple[str, ...]]:
    """``"*"`` or ``{"AWS": ..., "Service": ..., "Federated": ..., "CanonicalUser": ...}`` as lists."""
    if raw is None:
        return {}
    if raw == "*":
        return {"AWS": ("*",)}
    if not isinstance(raw, Mapping):
        raise MalformedPolicyError(f'Principal must be "*" or an object, not {raw!r}')
    out: dict[str, tuple[str, ...]] = {}
    for kind, value in raw.items():
        values = (value,) if isinstance(value, str) else tuple(value)
        out[kind] = tuple(str(v) for v in values)
    return out


def _account_principal(entry: str) -> str | None:
    """The account ID an ``AWS`` principal entry names as a whole account (``123456789012`` or
    ``arn:aws:iam::123456789012:root``), else None."""
    if entry.isdigit() and len(entry) == 12:
        return entry
    parts = entry.split(":")
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[5] == "root":
        return parts[4]
    return None


@dataclass(frozen=True)
class Statement:
    effect: str  # "Allow" | "Deny"
    sid: str | None
    index: int
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...]
    not_resources: tuple[str, ...] | None
    principals: dict[str, tuple[str, ...]] | None  # None: identity-based statement (no principal element)
    not_principals: dict[str, tuple[str, ...]] | None
    condition: Mapping[str, Any] | None
    variables: bool = True  # policy variables are recognised (Version 2012-10-17)

    @classmethod
    def parse(cls, raw: Mapping[str, Any], index: int, *, variables: bool = True) -> Statement:
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise MalformedPolicyError(f"statement {index}: Effect must be Allow or Deny, not {effect!r}")
        if ("Action" in raw) == ("NotAction" in raw):
            raise MalformedPolicyError(f"statement {index}: exactly one of Action and NotAction")
        if "Resource" in raw and "NotResource" in raw:
            raise MalformedPolicyError(f"statement {index}: Resource and NotResource together")
        if "Principal" in raw and "NotPrincipal" in raw:
            raise MalformedPolicyError(f"statement {index}: Principal and NotPrincipal together")
        condition = raw.get("Condition")
        if condition is not None and not isinstance(condition, Mapping):
            raise MalformedPolicyError(f"statement {index}: Condition must be an object")
        validate(condition)
        return cls(
            effect=effect,
            sid=raw.get("Sid"),
            index=index,
            actions=_entries(raw, "Action"),
            not_actions=_entries(raw, "NotAction") if "NotAction" in raw else None,
            # a trust policy has no Resource: it applies to the role it is attached to
            resources=_resources(raw, "Resource") if "Resource" in raw or "NotResource" in raw else ("*",),
            not_resources=_resources(raw, "NotResource") if "NotResource" in raw else None,
            principals=_principal_entries(raw["Principal"]) if "Principal" in raw else None,
            not_principals=_principal_entries(raw["NotPrincipal"]) if "NotPrincipal" in raw else None,
            condition=condition,
            variables=variables,
        )

    @property
    def uses_context(self) -> bool:
        """Whether deciding this statement reads condition keys (a condition, or a policy variable)."""
        resources = (*self.resources, *(self.not_resources or ()))
        return bool(self.condition) or (self.variables and any("${" in r for r in resources))

    def matches_action(self, action: str) -> bool:
        if self.not_actions is not None:
            return not any(action_matches(p, action) for p in self.not_actions)
        return any(action_matches(p, action) for p in self.actions)

    def matches_resource(self, resource: str, context: Mapping[str, tuple[str, ...]]) -> bool:
        def hit(patterns: tuple[str, ...]) -> bool:
            for pattern in patterns:
                resolved = substitute(pattern, context) if self.variables else pattern
                if resolved is not None and resource_matches(resolved, resource):
                    return True
            return False

        if self.not_resources is not None:
            return not hit(self.not_resources)
        return hit(self.resources)

    def matches_principal(self, principal: Principal) -> bool:
        """Resource-based statements only. A role (or its session) matches its role ARN or its session ARN;
        a whole-account entry does *not* match a role session by itself: AWS's "AWS account principals"
        delegates the decision to the account's identity-based policies, so it grants nothing here."""
        if self.not_principals is not None:
            return not _principal_in(self.not_principals, principal)
        if self.principals is None:
            return False  # a resource-based statement names its principal; without one it grants nobody
        return _principal_in(self.principals, principal)

    def applies(
        self, action: str, resource: str, context: Mapping[str, tuple[str, ...]], principal: Principal | None
    ) -> bool:
        if not self.matches_action(action) or not self.matches_resource(resource, context):
            return False
        if principal is not None and not self.matches_principal(principal):
            return False
        return conditions_hold(self.condition, context, variables=self.variables)


def _principal_in(entries: Mapping[str, tuple[str, ...]], principal: Principal) -> bool:
    for entry in entries.get("AWS", ()):
        if entry == "*":
            return True
        if _account_principal(entry) is not None:
            continue  # delegation to identity-based policies (see Statement.matches_principal)
        if entry in (principal.arn, principal.role_arn):
            return True
    return principal.service is not None and principal.service in entries.get("Service", ())


@dataclass(frozen=True)
class Policy:
    """A parsed policy document; ``name`` says where it came from (``role/inline-name``, a managed policy's
    ARN, ``bucket policy``) so a denial can name the statement."""

    name: str
    statements: tuple[Statement, ...] = field(default=())

    @classmethod
    def parse(cls, document: str | Mapping[str, Any], name: str = "policy") -> Policy:
        raw: Any = json.loads(document) if isinstance(document, str) else document
        if not isinstance(raw, Mapping) or "Statement" not in raw:
            raise MalformedPolicyError(f"{name}: a policy document is an object with a Statement")
        statements = raw["Statement"]
        if isinstance(statements, Mapping):
            statements = [statements]
        if not isinstance(statements, list):
            raise MalformedPolicyError(f"{name}: Statement must be an object or a list")
        # "IAM JSON policy elements: Version": without "2012-10-17", ${aws:username} and the like are not
        # recognised as variables and are treated as literal strings
        variables = raw.get("Version") == "2012-10-17"
        return cls(
            name=name,
            statements=tuple(Statement.parse(s, i, variables=variables) for i, s in enumerate(statements)),
        )

    @property
    def uses_context(self) -> bool:
        return any(statement.uses_context for statement in self.statements)


def as_policies(documents: Iterable[Policy | str | Mapping[str, Any]], kind: str) -> tuple[Policy, ...]:
    """Parsed policies from parsed ones or raw documents (raw ones named ``<kind> #<n>``)."""
    return tuple(
        d if isinstance(d, Policy) else Policy.parse(d, f"{kind} #{n}") for n, d in enumerate(documents)
    )

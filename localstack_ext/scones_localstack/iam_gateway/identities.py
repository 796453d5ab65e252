"""Who a request comes from, and the policies that apply to them.

AWS evaluates every request against its caller's policies; the local stack evaluates role sessions only.
A request's access key id (SigV4 ``Authorization`` header, or ``X-Amz-Credential`` of a presigned URL)
is looked up in LocalStack's STS store, where ``AssumeRole`` keeps the temporary credentials it hands out
(the session ARN with them). Keys not found there - the default ``test`` key a user's own client sends,
LocalStack's internal calls, an IAM user's keys - are not evaluated: they stand for the account's admin
(issue #16). Role sessions come from a Lambda function's environment (its execution role), Step Functions
Tasks (the state machine's role) and anyone's own ``AssumeRole``.

A session's role is read from LocalStack's IAM store: inline policies and attached managed policies
(customer-managed ones from the store, AWS-managed ones from LocalStack's copy of AWS's documents), parsed
once per role and cached until an IAM write succeeds (handler.py clears the cache). A session whose role
has since been deleted gets no policy at all, so everything it asks is denied: AWS would have refused the
AssumeRole in the first place.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from scones_localstack.iam import Policy

_SIGV4_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_ASSUMED_ROLE = re.compile(r"^arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")
_STORE_REGION = "us-east-1"  # STS credentials and IAM roles are kept across regions in LocalStack's stores
# STS's temporary keys: ASIA as on AWS, LSIA unless LocalStack's PARITY_AWS_ACCESS_KEY_ID is set (see
# generate_temp_access_key_id in LocalStack's IAM utils)
_TEMPORARY_KEY_PREFIXES = ("ASIA", "LSIA")


@dataclass(frozen=True)
class Session:
    """A role session: its ARN as AWS names it in errors, and its role."""

    arn: str
    account: str
    role_name: str
    partition: str = "aws"

    @property
    def role_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{self.role_name}"


def access_key_id(headers: Mapping[str, str], args: Mapping[str, str]) -> str | None:
    """The access key id a request was signed with: a presigned URL's ``X-Amz-Credential`` first (LocalStack
    injects a placeholder ``Authorization`` header into unsigned requests), else the SigV4 or SigV2 header."""
    credential = args.get("X-Amz-Credential")
    if credential:
        return credential.split("/", 1)[0]
    if key := args.get("AWSAccessKeyId"):
        return key
    auth = headers.get("Authorization") or ""
    if auth.startswith("AWS4-"):
        match = _SIGV4_CREDENTIAL.search(auth)
        return match.group(1) if match else None
    if auth.startswith("AWS "):
        return auth[4:].split(":", 1)[0] or None
    return None


_SESSIONS: dict[str, Session] = {}  # key -> its session: what STS issued a key for never changes
_SESSIONS_KEPT = 4096


def session_for(key: str, account: str) -> Session | None:
    """The role session ``key`` belongs to, or None for a key STS did not issue for a role."""
    if not key.startswith(_TEMPORARY_KEY_PREFIXES):
        return None  # long-term keys (`test`, IAM users' AKIA/LKIA keys): no store lookup on every request
    known = _SESSIONS.get(key)
    if known is not None:
        return known
    found = _lookup_session(key, account)
    if found is not None:
        if len(_SESSIONS) >= _SESSIONS_KEPT:
            _SESSIONS.clear()
        _SESSIONS[key] = found
    return found


def _lookup_session(key: str, account: str) -> Session | None:
    from localstack.services.sts.models import sts_stores

    # CrossAccountAttribute: one dict for every account and region
    credentials = sts_stores[account][_STORE_REGION].credentials.get(key)
    if credentials is None:
        return None
    match = _ASSUMED_ROLE.match(credentials.arn)
    if match is None:
        return None  # GetSessionToken / federation tokens: not a role session
    partition, session_account, role_name, _ = match.groups()
    return Session(credentials.arn, session_account, role_name, partition)


def _document_text(document: Any) -> str | Mapping[str, Any]:
    """LocalStack keeps documents URL-quoted (``quote(json)``); AWS-managed ones as parsed JSON."""
    if isinstance(document, Mapping):
        return document
    text = str(document)
    return text if text.lstrip().startswith("{") else unquote(text)


@functools.cache
def _aws_managed_documents() -> dict[str, Any]:
    """AWS-managed policies by ARN, from the copy LocalStack's IAM provider serves (loaded once, lazily:
    only when a role has one attached)."""
    import localstack.services.iam as iam_package

    path = Path(iam_package.__file__).parent / "resources" / "aws_managed_policies.json"
    data: dict[str, dict[str, Any]] = json.loads(path.read_text())
    return {f"arn:aws:iam::aws:policy{p['Path']}{name}": p["Document"] for name, p in data.items()}


def _managed_document(store: Any, arn: str) -> str | Mapping[str, Any] | None:
    entity = store.MANAGED_POLICIES.get(arn)
    if entity is not None:
        version = entity.versions.get(entity.policy.get("DefaultVersionId"))
        return None if version is None else _document_text(version.get("Document"))
    # AWS-managed: arn:<partition>:iam::aws:policy/...; the dataset is keyed by the aws partition
    normalized = re.sub(r"^arn:[^:]+:", "arn:aws:", arn)
    document = _aws_managed_documents().get(normalized)
    return None if document is None else _document_text(document)


def load_role_policies(account: str, role_name: str) -> tuple[Policy, ...]:
    """The role's inline and attached managed policies, parsed; () when the role no longer exists.
    A document the engine cannot parse raises (the caller denies and logs it)."""
    from localstack.services.iam.models import iam_stores

    store = iam_stores[account][_STORE_REGION]
    entity = store.ROLES.get(role_name)
    if entity is None:
        return ()
    policies = [
        Policy.parse(_document_text(document), f"role/{role_name}/{name}")
        for name, document in list(entity.inline_policies.items())
    ]
    for arn in list(entity.attached_policy_arns):
        document = _managed_document(store, arn)
        if document is not None:
            policies.append(Policy.parse(document, arn))
    return tuple(policies)


class RolePolicies:
    """Parsed policies per role, kept until ``clear`` (any successful IAM write)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_role: dict[tuple[str, str], tuple[Policy, ...]] = {}
        self._generation = 0

    def get(self, account: str, role_name: str) -> tuple[Policy, ...]:
        key = (account, role_name)
        with self._lock:
            cached = self._by_role.get(key)
            generation = self._generation
        if cached is not None:
            return cached
        policies = load_role_policies(account, role_name)
        with self._lock:
            if generation == self._generation:  # no IAM write meanwhile: the result is current
                self._by_role[key] = policies
        return policies

    def clear(self) -> None:
        with self._lock:
            self._by_role.clear()
            self._generation += 1


ROLE_POLICIES = RolePolicies()

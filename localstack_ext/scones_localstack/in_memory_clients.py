"""Lighter botocore requests for LocalStack's in-process internal calls: no SigV4 arithmetic, one
User-Agent string per client.

Why: with ``IN_MEMORY_CLIENT=1`` LocalStack's service-to-service calls (Step Functions -> Lambda,
Lambda -> CloudWatch Logs, execution events -> EventBridge) never leave the process, yet botocore still
computes a SigV4 signature for each (5 % of LocalStack's CPU on our workflow) and builds the User-Agent
string twice per request (another 5 %).

- Signature: nothing checks it. LocalStack reads only the access key id (which names the account) and
  the credential scope (region) from the header, so in-process requests get a header with exactly
  those and a zero signature. Only standard ``v4`` requests are affected: S3 (``s3v4``, payload
  hashing), presigned URLs and bearer tokens keep botocore's signer.
- User-Agent: computed once when the client is built and sent unchanged (botocore would only add
  per-request feature codes, which nothing in LocalStack reads).

Only internal clients aimed at LocalStack's own gateway are touched, and nothing changes unless
LocalStack runs with ``IN_MEMORY_CLIENT``.
"""

from __future__ import annotations

import datetime
from typing import Any

SIGNATURE_VERSION = "scones-in-memory-v4"
_MARK = "_scones_in_memory_clients"


class HeaderOnlySigV4:
    """A botocore signer: SigV4's Authorization shape with the credential scope and no signature."""

    REQUIRES_REGION = True
    REQUIRES_TOKEN = False

    def __init__(self, credentials: Any, service_name: str, region_name: str) -> None:
        self.credentials = credentials
        self.service_name = service_name
        self.region_name = region_name

    def add_auth(self, request: Any) -> None:
        if self.credentials is None:
            from botocore.exceptions import NoCredentialsError

            raise NoCredentialsError()
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        for name in ("X-Amz-Date", "X-Amz-Security-Token", "Authorization"):
            if name in request.headers:
                del request.headers[name]
        request.headers["X-Amz-Date"] = stamp
        if self.credentials.token:
            request.headers["X-Amz-Security-Token"] = self.credentials.token
        scope = f"{stamp[:8]}/{self.region_name}/{self.service_name}/aws4_request"
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.credentials.access_key}/{scope}, "
            f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}"
        )


def choose_header_only(signature_version: Any = None, **_: Any) -> str | None:
    """botocore ``choose-signer`` handler: plain ``v4`` only; anything else keeps its signer."""
    return SIGNATURE_VERSION if signature_version == "v4" else None


class FixedUserAgent:
    """Stands in for botocore's ``UserAgentString`` on one client: the string it built, every time."""

    def __init__(self, text: str) -> None:
        self.text = text

    def to_string(self) -> str:
        return self.text

    def rebuild_and_replace_user_agent_handler(self, operation_name: str, request: Any, **_: Any) -> None:
        """Nothing to rebuild: the header already carries ``text``."""


def fix_user_agent(client: Any) -> None:
    creator = getattr(client, "_user_agent_creator", None)
    if creator is None or isinstance(creator, FixedUserAgent):
        return  # another botocore layout: leave the client as it is
    service_id = client.meta.service_model.service_id.hyphenize()
    client.meta.events.unregister(
        f"request-created.{service_id}", creator.rebuild_and_replace_user_agent_handler
    )
    client._user_agent_creator = FixedUserAgent(creator.to_string())


def register(client: Any, internal_url: str | None) -> Any:
    """Opt one internal client in, if its requests go to LocalStack's own (short-circuited) gateway."""
    if internal_url and internal_url in (client.meta.endpoint_url or ""):
        client.meta.events.register("choose-signer", choose_header_only)
        fix_user_agent(client)
    return client


def install() -> None:
    """Register the signer and opt in every internal client LocalStack builds from now on. Idempotent."""
    import botocore.auth
    from localstack import config
    from localstack.aws.connect import InternalClientFactory, get_service_endpoint

    if not config.IN_MEMORY_CLIENT or getattr(InternalClientFactory._get_client_post_hook, _MARK, False):
        return
    botocore.auth.AUTH_TYPE_MAPS[SIGNATURE_VERSION] = HeaderOnlySigV4
    original = InternalClientFactory._get_client_post_hook

    def post_hook(self: Any, client: Any) -> Any:
        return register(original(self, client), get_service_endpoint())

    setattr(post_hook, _MARK, True)
    InternalClientFactory._get_client_post_hook = post_hook  # type: ignore[method-assign]

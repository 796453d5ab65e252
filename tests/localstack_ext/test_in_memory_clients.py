"""Header-only signatures for LocalStack's in-process internal calls carry what LocalStack reads.

Runs in LocalStack's own interpreter (its venv, Python 3.13): the functions that read the header are
LocalStack's, and the signer plugs into the botocore LocalStack ships. Every workflow and executor test
sends LocalStack's internal calls through the signer for real; this one pins the header's contents.
"""

from __future__ import annotations

import pytest

from tests.helpers.localstack_venv import run_probe

PROBE = """
import json
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from localstack.utils.aws.request_context import (
    extract_access_key_id_from_auth_header,
    extract_region_from_auth_header,
)
from scones_localstack import in_memory_clients as s

url = "http://localhost.localstack.cloud:4566/2015-03-31/functions/f/invocations"
request = AWSRequest(method="POST", url=url, headers={"Authorization": "stale", "X-Amz-Date": "stale"})
creds = Credentials("ASIAEXAMPLEKEY000001", "secret", "session-token").get_frozen_credentials()
s.HeaderOnlySigV4(creds, "lambda", "eu-west-1").add_auth(request)
headers = dict(request.headers.items())
no_token = AWSRequest(method="POST", url="http://x/")
plain = Credentials("AKIDPLAIN", "secret").get_frozen_credentials()
s.HeaderOnlySigV4(plain, "logs", "us-east-1").add_auth(no_token)
try:
    s.HeaderOnlySigV4(None, "logs", "us-east-1").add_auth(AWSRequest(method="POST", url="http://x/"))
    missing = "signed"
except Exception as exc:
    missing = type(exc).__name__
print(json.dumps({
    "access key": extract_access_key_id_from_auth_header(headers),
    "region": extract_region_from_auth_header(headers),
    "token": headers.get("X-Amz-Security-Token"),
    "one date header": list(request.headers.keys()).count("X-Amz-Date"),
    "no token header without a token": "X-Amz-Security-Token" not in no_token.headers,
    "no credentials": missing,
    "v4 chosen": s.choose_header_only(signature_version="v4"),
    "others kept": [s.choose_header_only(signature_version=v) for v in ("s3v4", "v4-query", "bearer", None)],
}))
"""


def test_header_carries_key_scope_and_token_and_only_v4_opts_in() -> None:
    assert run_probe(PROBE) == {
        "access key": "ASIAEXAMPLEKEY000001",
        "region": "eu-west-1",
        "token": "session-token",
        "one date header": 1,
        "no token header without a token": True,
        "no credentials": "NoCredentialsError",
        "v4 chosen": "scones-in-memory-v4",
        "others kept": [None, None, None, None],
    }


INSTALL_PROBE = """
import json
import botocore.auth
from localstack.aws.connect import InternalClientFactory
from scones_localstack import in_memory_clients as s
s.install()
s.install()
hook = InternalClientFactory._get_client_post_hook
print(json.dumps({
    "patched": getattr(hook, s._MARK, False),
    "registered": s.SIGNATURE_VERSION in botocore.auth.AUTH_TYPE_MAPS,
}))
"""


@pytest.mark.parametrize("in_memory", ["1", "0"])
def test_install_only_when_calls_stay_in_process(in_memory: str) -> None:
    seen = run_probe(INSTALL_PROBE, env={"IN_MEMORY_CLIENT": in_memory, "PATH": "/usr/bin:/bin"})
    enabled = in_memory == "1"
    assert seen == {"patched": enabled, "registered": enabled}


CLIENT_PROBE = """
import json
import boto3
import botocore.auth
from botocore.awsrequest import AWSResponse
from botocore.useragent import UserAgentString
from scones_localstack import in_memory_clients as s

botocore.auth.AUTH_TYPE_MAPS[s.SIGNATURE_VERSION] = s.HeaderOnlySigV4
INTERNAL = "http://localhost.localstack.cloud:4566"
session = boto3.session.Session(
    aws_access_key_id="AKIDINTERNAL", aws_secret_access_key="x", region_name="us-east-1"
)

class Body:
    def stream(self, **_):
        yield b"{}"
    def read(self, *_):
        return b"{}"

def probe(endpoint_url):
    client = session.client("logs", endpoint_url=endpoint_url)
    s.register(client, INTERNAL)
    sent = []
    def capture(request, **_):
        sent.append(dict(request.headers.items()))
        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, Body())
    client.meta.events.register_first("before-send.*.*", capture)
    built = []
    original = UserAgentString.to_string
    UserAgentString.to_string = lambda self: built.append(1) or original(self)
    try:
        client.describe_log_groups()
        client.describe_log_groups()
    finally:
        UserAgentString.to_string = original
    as_text = lambda v: v.decode() if isinstance(v, bytes) else v
    return {
        "user agents": len({as_text(h["User-Agent"]) for h in sent}),
        "user agent builds per request": len(built) / 2,
        "user agent": as_text(sent[0]["User-Agent"]).split(" ")[0],
        "zero signature": as_text(sent[0]["Authorization"]).endswith("Signature=" + "0" * 64),
    }

print(json.dumps({"internal": probe(INTERNAL), "elsewhere": probe("http://127.0.0.1:9")}))
"""


def test_internal_clients_send_a_fixed_user_agent_and_header_only_signature() -> None:
    seen = run_probe(CLIENT_PROBE)
    assert seen["internal"]["user agents"] == 1
    assert seen["internal"]["user agent builds per request"] == 0  # built once, with the client
    assert seen["elsewhere"]["user agent builds per request"] == 2  # botocore's usual two
    assert seen["internal"]["user agent"].startswith("Boto3/")
    assert seen["internal"]["zero signature"] is True
    assert seen["elsewhere"]["zero signature"] is False  # a client aimed elsewhere keeps SigV4

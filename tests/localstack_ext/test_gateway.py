"""The gateway of a real stack (started as `scones up` starts it): where the stack listens, and what the
gateway does with a request that stops arriving (scones_localstack/gateway.py).

Listening: `scones up` configures GATEWAY_LISTEN=127.0.0.1:<port>; upstream LocalStack's twisted server
bound 0.0.0.0 regardless, and our process Lambda executor runs any code a CreateFunction sends, so every
listening socket of the stack's whole process tree (LocalStack, function processes, endpoint stand-ins)
must be on the configured host.

Request-read timeout: S3 answers a request whose body stops arriving (the classic case: Content-Length
promises more than is sent) with HTTP 400, code `RequestTimeout`, "Your socket connection to the server was
not read from or written to within the timeout period. Idle connections will be closed." and closes the
connection (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html, "List of error codes";
cause explained by the SDK team in https://github.com/aws/aws-sdk-js/issues/281). botocore retries that
code as transient (botocore/retries/standard.py `TransientRetryableChecker._TRANSIENT_ERROR_CODES`;
botocore/data/_retry.json, s3 `timeouts` policy). The timeout counts silence, like S3's: a slow upload
that keeps sending completes.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import psutil
import pytest
from botocore.awsrequest import HTTPHeaders
from botocore.parsers import create_parser

from tests.helpers.lambda_functions import NO_RETRIES, create_function, handler_zip, unique_name
from tests.helpers.localstack import LocalStackHandle, start_stack
from tests.helpers.localstack_venv import run_probe
from tests.helpers.sagemaker_endpoints import deploy_model, standins

pytestmark = pytest.mark.integration

BODY_TIMEOUT_S = 1.0
# Upper bound for a socket read: far above the gateway's timeout, far below "hangs until the client gives up".
READ_LIMIT_S = 20.0


@pytest.fixture(scope="module")
def gateway_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackHandle]:
    """One stack for this module, with a short request-read timeout (the setting under test)."""
    handle = start_stack(tmp_path_factory.mktemp("gateway"), gateway_body_timeout_s=BODY_TIMEOUT_S)
    try:
        yield handle
    finally:
        handle.stop()


def listening_sockets(root_pid: int) -> list[tuple[int, str, str, int]]:
    """(pid, name, ip, port) of every listening TCP socket (IPv4, IPv6) of the process and its descendants."""
    root = psutil.Process(root_pid)
    found = []
    for proc in [root, *root.children(recursive=True)]:
        try:
            conns = proc.net_connections(kind="inet")
            name = proc.name()
        except psutil.NoSuchProcess:
            continue
        for conn in conns:
            if conn.status == psutil.CONN_LISTEN:
                found.append((proc.pid, name, conn.laddr.ip, conn.laddr.port))
    return found


def test_listen__whole_process_tree_on_configured_host_only(
    gateway_stack: LocalStackHandle, tmp_path: Path
) -> None:
    """After a function has run (its process and executor shim stay warm) and an endpoint is in service
    (its stand-in process), nothing in the stack's process tree listens beyond 127.0.0.1."""
    lam = gateway_stack.client("lambda", retries=NO_RETRIES)
    name = create_function(lam, unique_name("listen-probe"), handler_zip("probe.py"), Timeout=10)
    assert lam.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200

    deploy_model(
        gateway_stack.client("sagemaker"),
        gateway_stack.client("s3"),
        tmp_path,
        "listen-tiny",
        ["listen-tiny"],
    )
    standin_pids = {proc.pid for proc in standins(gateway_stack.state.pid).values()}

    sockets = listening_sockets(gateway_stack.state.pid)
    host = gateway_stack.settings.host
    assert host == "127.0.0.1"
    beyond = [entry for entry in sockets if entry[2] != host]
    assert beyond == [], f"listening beyond {host}: {beyond}"
    # the tree was really covered: the gateway, the stand-in and at least one more process listen
    assert (gateway_stack.state.pid, host, gateway_stack.port) in {
        (p, ip, port) for p, _, ip, port in sockets
    }
    assert standin_pids & {pid for pid, *_ in sockets}, sockets
    assert len({pid for pid, *_ in sockets}) >= 3, sockets


def send_and_read(port: int, head: bytes, body_part: bytes) -> bytes:
    """Sends the head and part of the body, then reads until the server closes (or READ_LIMIT_S passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=READ_LIMIT_S) as sock:
        sock.sendall(head + body_part)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                pytest.fail(f"the gateway neither answered nor closed within {READ_LIMIT_S} s: {received!r}")
            if not chunk:
                return received
            received += chunk


def parse_response(raw: bytes) -> tuple[int, HTTPHeaders, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = HTTPHeaders()
    for line in header_lines:
        key, _, value = line.partition(":")
        headers[key.strip()] = value.strip()
    return int(status_line.split()[1]), headers, body


# protocol: (service, operation, request line, headers) of one operation per botocore protocol served here.
PROTOCOL_REQUESTS = {
    "rest-xml": (
        "s3",
        "PutObject",
        "PUT /gateway-timeout/key HTTP/1.1",
        {"Content-Type": "application/octet-stream"},
    ),
    "json": (
        "stepfunctions",
        "StartExecution",
        "POST / HTTP/1.1",
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.StartExecution"},
    ),
    "query": (
        "sts",
        "GetCallerIdentity",
        "POST / HTTP/1.1",
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    ),
    "rest-json": (
        "lambda",
        "CreateFunction",
        "POST /2015-03-31/functions HTTP/1.1",
        {"Content-Type": "application/json"},
    ),
}


@pytest.mark.parametrize("protocol", sorted(PROTOCOL_REQUESTS))
def test_body_timeout__short_body_answered_request_timeout_and_closed(
    gateway_stack: LocalStackHandle, protocol: str
) -> None:
    """Content-Length 1000, 10 bytes sent, then silence: the gateway answers 400 RequestTimeout in the
    request's protocol (botocore's own parser reads the code) and closes the connection."""
    service, operation, request_line, extra = PROTOCOL_REQUESTS[protocol]
    headers = {"Host": f"127.0.0.1:{gateway_stack.port}", **extra, "Content-Length": "1000"}
    head = (request_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()

    raw = send_and_read(gateway_stack.port, head, b"0123456789")

    status, response_headers, body = parse_response(raw)
    assert status == 400
    assert response_headers["Connection"] == "close"
    assert int(response_headers["Content-Length"]) == len(body)
    model = botocore.session.get_session().get_service_model(service)
    assert model.protocol == protocol
    output_shape = model.operation_model(operation).output_shape
    assert output_shape is not None
    parsed = create_parser(protocol).parse(
        {"status_code": status, "headers": response_headers, "body": body}, output_shape
    )
    assert parsed["Error"]["Code"] == "RequestTimeout"
    assert parsed["Error"]["Message"].startswith(
        "Your socket connection to the server was not read from or written to within the timeout period."
    )


def test_body_timeout__stalled_headers_answered_and_closed(gateway_stack: LocalStackHandle) -> None:
    """A request that stops in the middle of its headers is a stalled request as well."""
    raw = send_and_read(gateway_stack.port, b"GET /_localstack/health HTTP/1.1\r\nHost: 127", b"")
    status, _, body = parse_response(raw)
    assert status == 400 and b"<Code>RequestTimeout</Code>" in body


def test_body_timeout__slow_but_complete_upload_succeeds(gateway_stack: LocalStackHandle) -> None:
    """An upload that pauses shorter than the timeout between parts, for longer than the timeout in total,
    is stored whole: the timeout counts silence, not the length of the request."""
    s3 = gateway_stack.client("s3")
    s3.create_bucket(Bucket="gateway-slow")
    parts = [bytes([65 + i]) * 1024 for i in range(6)]
    conn = http.client.HTTPConnection("127.0.0.1", gateway_stack.port, timeout=READ_LIMIT_S)
    conn.putrequest("PUT", "/gateway-slow/slow-object")
    conn.putheader("Content-Length", str(sum(map(len, parts))))
    conn.putheader("Content-Type", "application/octet-stream")
    conn.endheaders()
    for part in parts:
        conn.send(part)
        time.sleep(BODY_TIMEOUT_S / 2)
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 200
    assert s3.get_object(Bucket="gateway-slow", Key="slow-object")["Body"].read() == b"".join(parts)


def test_body_timeout__idle_keep_alive_connection_is_not_a_stalled_request(
    gateway_stack: LocalStackHandle,
) -> None:
    """Between two requests a kept-alive connection is idle, not stalled: the second request, sent after
    more than the timeout, is answered normally on the same connection."""
    conn = http.client.HTTPConnection("127.0.0.1", gateway_stack.port, timeout=READ_LIMIT_S)
    conn.request("GET", "/_localstack/health")
    first = conn.getresponse()
    json.loads(first.read())
    local_port = conn.sock.getsockname()[1]
    time.sleep(BODY_TIMEOUT_S * 2)
    conn.request("GET", "/_localstack/health")
    second = conn.getresponse()
    json.loads(second.read())
    assert (first.status, second.status) == (200, 200)
    assert conn.sock.getsockname()[1] == local_port, "the connection was replaced"
    conn.close()


def test_settings__body_timeout_reaches_localstack(gateway_stack: LocalStackHandle) -> None:
    """The scones setting is passed through the LocalStack environment allow-list."""
    env: dict[str, Any] = psutil.Process(gateway_stack.state.pid).environ()
    assert float(env["SCONES_GATEWAY_BODY_TIMEOUT_S"]) == BODY_TIMEOUT_S


SETTINGS_PROBE = """
import json
from scones_localstack.gateway import ENV_BODY_TIMEOUT, GatewaySettings
values = ["", "2.5", "0", "-1", "abc", "nan"]
print(json.dumps([GatewaySettings.from_env({ENV_BODY_TIMEOUT: v}).body_timeout_s for v in values]))
"""


def test_settings__body_timeout_parsing() -> None:
    """Unset: 5 s; a number of seconds; 0 turns the timeout off; anything else falls back to 5 s (logged),
    since the same hook installs the loopback bind, which must never be skipped over a typo."""
    assert run_probe(SETTINGS_PROBE) == [5.0, 2.5, None, 5.0, 5.0, 5.0]

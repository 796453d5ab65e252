"""The shim's two HTTP legs on raw sockets: the invoke server and the (startup) callback client.

``http.server`` + ``http.client`` pull in ``email`` and friends, which costs the cold start tens of
milliseconds on every new environment; the protocol spoken here is tiny (POST with Content-Length,
HTTP/1.1 keep-alive, LocalStack on one side and its executor endpoint on the other), so sockets do.
Standard library only, Python >= 3.8: runs in the function's interpreter.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import typing
from collections.abc import Callable

_MAX_HEADER_BYTES = 65536


class HttpProtocolError(Exception):
    """The peer sent something that is not the small HTTP/1.1 subset spoken here."""


def _read_message(sock: socket.socket, buffer: bytearray) -> tuple[bytes, dict[str, str], bytes] | None:
    """One HTTP message (start line, lower-cased headers, body) from ``sock``; None on a clean close."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            if buffer:
                raise HttpProtocolError("connection closed inside a message head")
            return None
        buffer += chunk
        if len(buffer) > _MAX_HEADER_BYTES and b"\r\n\r\n" not in buffer:
            raise HttpProtocolError("message head too large")
    head_end = buffer.index(b"\r\n\r\n")
    lines = bytes(buffer[:head_end]).split(b"\r\n")
    del buffer[: head_end + 4]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    while len(buffer) < length:
        chunk = sock.recv(max(65536, length - len(buffer)))
        if not chunk:
            raise HttpProtocolError("connection closed inside a message body")
        buffer += chunk
    body = bytes(buffer[:length])
    del buffer[:length]
    return lines[0], headers, body


def _connect_options(sock: socket.socket) -> None:
    # small request/response pairs: without it Nagle + delayed ACK stall replies by ~40 ms
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


Reply = typing.Callable[[bool, str, bytes], None]  # typing's: subscriptable on Python 3.8


def invoke_reply(is_error: bool, logs: str, payload: bytes) -> bytes:
    """The answer to ``POST /invoke``: the invocation's logs, then its payload, in one body.

    ``X-Scones-Outcome`` says whether the payload is the handler's response or an error document;
    ``X-Scones-Logs-Length`` where the logs end (in bytes).
    """
    log_bytes = logs.encode("utf-8", errors="replace")
    outcome = b"error" if is_error else b"response"
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nX-Scones-Outcome: "
        + outcome
        + b"\r\nX-Scones-Logs-Length: "
        + str(len(log_bytes)).encode()
        + b"\r\nContent-Length: "
        + str(len(log_bytes) + len(payload)).encode()
        + b"\r\n\r\n"
        + log_bytes
        + payload
    )


class InvokeServer:
    """Listens on 127.0.0.1:<free port>; ``POST /invoke`` hands the body on with a ``reply`` callable
    that answers the same request once the invocation is done (see ``invoke_reply``).

    Answering on the invoke's own connection saves LocalStack two requests through its gateway per
    invocation (logs and result used to come back as callbacks). A handler that exits the process
    closes the connection unanswered; LocalStack's executor then reports the runtime's exit.
    """

    def __init__(self, on_invoke: Callable[[bytes, Reply], None]) -> None:
        self._on_invoke = on_invoke
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, name="ls-invoke-server", daemon=True).start()

    def _accept(self) -> None:
        while True:
            conn, _ = self._listener.accept()
            _connect_options(conn)
            threading.Thread(target=self._serve, args=(conn,), name="ls-invoke-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = bytearray()

        def reply(is_error: bool, logs: str, payload: bytes) -> None:
            with contextlib.suppress(OSError):  # LocalStack gave up on it (timeout, shutdown)
                conn.sendall(invoke_reply(is_error, logs, payload))

        try:
            while True:
                message = _read_message(conn, buffer)
                if message is None:
                    return
                start, _, body = message
                parts = start.split(b" ")
                if len(parts) >= 2 and parts[0] == b"POST" and parts[1] == b"/invoke":
                    self._on_invoke(body, reply)
                else:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nNot Found")
        except (OSError, HttpProtocolError, ValueError):
            return
        finally:
            conn.close()


class CallbackClient:
    """POSTs to LocalStack's executor endpoint over one kept-alive connection; no proxies, ever."""

    def __init__(self, base_url: str) -> None:
        rest = base_url.split("://", 1)[-1]
        hostport, _, path = rest.partition("/")
        host, _, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "80")
        self._address = (host.strip("[]") or "127.0.0.1", int(port or 80))
        self._host_header = hostport
        self._prefix = "/" + path.rstrip("/") if path else ""
        self._sock: socket.socket | None = None
        self._buffer = bytearray()

    def post(self, path: str, body: bytes, content_type: str = "application/json") -> int:
        head = (
            f"POST {self._prefix}{path} HTTP/1.1\r\nHost: {self._host_header}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode("latin-1")
        for attempt in (1, 2):
            try:
                if self._sock is None:
                    self._sock = socket.create_connection(self._address, timeout=30)
                    _connect_options(self._sock)
                    self._buffer = bytearray()
                self._sock.sendall(head + body)
                message = _read_message(self._sock, self._buffer)
                if message is None:
                    raise HttpProtocolError("connection closed before the response")
                status = int(message[0].split(b" ")[1])
                if message[1].get("connection", "").lower() == "close":
                    self.close()
                return status
            except (OSError, HttpProtocolError, ValueError, IndexError):
                self.close()
                if attempt == 2:
                    raise
        return 0  # unreachable

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

"""LocalStack's executor endpoint, adapted to runtimes that are host processes.

Differences from the stock ``ExecutorEndpoint`` (which the Docker executor uses unchanged):

* the ready callback carries ``{"interop_port": N}``: the shim binds port 0, so sixteen environments
  starting at once never race for ports;
* ``shutdown()`` is idempotent (stop can come from keepalive, a timeout kill and LocalStack's shutdown);
* an invoke's logs and result come back as the answer to the invoke request itself, over one
  kept-alive connection, instead of as two callbacks through LocalStack's gateway (each callback cost
  LocalStack about as much CPU as an AWS request: six per execution of our workflow); only the
  startup status (ready, or the init error) still arrives as a callback.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import threading
from concurrent.futures import Future
from http import HTTPStatus

from localstack.http import Response
from localstack.services.lambda_.invocation.executor_endpoint import (
    ExecutorEndpoint,
    InvokeSendError,
    StatusErrorException,
    executor_router,
)
from localstack.services.lambda_.invocation.lambda_models import InvocationResult
from werkzeug import Request

LOG = logging.getLogger(__name__)


class ProcessExecutorEndpoint(ExecutorEndpoint):
    # LocalStack's __init__ takes `int | None` (ours is None until the process listens) but annotates
    # the attribute int.
    container_port: int | None  # type: ignore[assignment]
    startup_future: Future[bool] | None
    invocation_future: Future[InvocationResult] | None

    def __init__(self, executor_id: str) -> None:
        super().__init__(executor_id, container_address="127.0.0.1", container_port=None)
        self.request_id: str | None = None
        self._registered = False
        self._lock = threading.Lock()
        self._conn: http.client.HTTPConnection | None = None

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """(Re)registers the callback routes and arms a new startup Future (also used on restart)."""
        with self._lock:
            self.container_port = None
            self._close_connection()
            executor_router().register_endpoint(self.executor_id, self)
            self._registered = True
            self.startup_future = Future()

    def shutdown(self) -> None:
        with self._lock:
            if self._registered:
                self._registered = False
                with contextlib.suppress(KeyError):
                    executor_router().unregister_endpoint(self.executor_id)
            if self.startup_future is not None:
                self.startup_future.cancel()
            if self.invocation_future is not None:
                self.invocation_future.cancel()
            self._close_connection()

    def fail_startup(self, payload: bytes) -> bool:
        """Resolves a pending startup with an error (the runtime died before it said ready)."""
        future = self.startup_future
        if future is None or future.done():
            return False
        try:
            future.set_exception(StatusErrorException("Environment startup failed", payload=payload))
        except Exception:  # resolved concurrently
            return False
        return True

    def fail_invocation(self, request_id: str, payload: bytes, logs: str) -> bool:
        """Resolves the pending invoke with an error built by the executor (runtime crash)."""
        future = self.invocation_future
        if future is None or future.done() or request_id != self.request_id:
            return False
        try:
            future.set_result(InvocationResult(request_id, payload, is_error=True, logs=logs))
        except Exception:
            return False
        return True

    # --- callbacks from the shim -------------------------------------------------------------------
    def status_ready(self, request: Request, executor_id: str) -> Response:
        future = self.startup_future
        if future is None or future.done():
            return Response(status=HTTPStatus.ACCEPTED)
        try:
            port = int(json.loads(request.data or b"{}").get("interop_port") or 0)
        except (ValueError, AttributeError):
            port = 0
        if not port:
            return self._reject_startup(b'{"errorMessage": "runtime reported ready without an interop_port"}')
        self.container_port = port
        with contextlib.suppress(Exception):  # resolved concurrently (crash or stop)
            future.set_result(True)
        return Response(status=HTTPStatus.ACCEPTED)

    def status_error(self, request: Request, executor_id: str) -> Response:
        LOG.debug("Execution environment %s failed to start: %s", executor_id, request.data)
        return self._reject_startup(request.data)

    def _reject_startup(self, payload: bytes) -> Response:
        if not self.fail_startup(payload):
            return Response(status=HTTPStatus.BAD_REQUEST)
        return Response(status=HTTPStatus.ACCEPTED)

    # --- invoke ------------------------------------------------------------------------------------
    def send_invoke(self, payload: dict[str, str], timeout: float) -> Future[InvocationResult]:
        """Posts the invoke and reads its logs and result from the answer, waiting up to ``timeout``.

        The Future comes back resolved, or pending when no answer came: the invoke timed out, or the
        runtime exited mid-invoke (the executor's timeout and exit handling resolve it then). A failed
        send is retried once on a fresh connection; nothing is re-sent once the shim may have it.
        """
        future: Future[InvocationResult] = Future()
        request_id = payload["invoke-id"]
        self.request_id = request_id
        self.invocation_future = future
        body = json.dumps(payload).encode("utf-8")
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request("POST", "/invoke", body=body, headers={"Content-Type": "application/json"})
                break
            except (http.client.HTTPException, OSError) as exc:
                self._close_connection()
                if attempt == 2:
                    raise InvokeSendError(
                        f"Error sending invocation to runtime {self.executor_id}: {exc}"
                    ) from exc
        try:
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            response = conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError):  # timed out, or the runtime went away
            self._close_connection()
            return future
        if response.status != 200:
            self._close_connection()
            raise InvokeSendError(f"Runtime {self.executor_id} rejected the invocation: {response.status}")
        logs_length = int(response.getheader("X-Scones-Logs-Length") or 0)
        result = InvocationResult(
            request_id,
            data[logs_length:],
            is_error=response.getheader("X-Scones-Outcome") == "error",
            logs=data[:logs_length].decode("utf-8", errors="replace"),
        )
        with contextlib.suppress(Exception):  # already resolved by the exit handling: keep that
            future.set_result(result)
        return future

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if not self.container_port:
                raise InvokeSendError(f"Runtime {self.executor_id} has no interop port (not started)")
            self._conn = http.client.HTTPConnection("127.0.0.1", self.container_port, timeout=10)
        return self._conn

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

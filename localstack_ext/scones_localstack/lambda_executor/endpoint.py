"""LocalStack's executor endpoint, adapted to runtimes that are host processes.

Differences from the stock ``ExecutorEndpoint`` (which the Docker executor uses unchanged):

* the ready callback carries ``{"interop_port": N}``: the shim binds port 0, so sixteen environments
  starting at once never race for ports;
* ``shutdown()`` is idempotent (stop can come from keepalive, a timeout kill and LocalStack's shutdown);
* callbacks that arrive after their invoke was resolved (timeout, crash, stop) get a 202 and are
  dropped, instead of a 500 from ``set_result`` on a finished Future;
* invokes go over one kept-alive connection and wait only as long as the caller says.
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
    container_port: int | None
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

    def invocation_logs(self, request: Request, invoke_id: str) -> Response:
        if invoke_id == self.request_id:
            return super().invocation_logs(request, invoke_id)
        return Response(status=HTTPStatus.ACCEPTED)

    def invocation_response(self, request: Request, req_id: str) -> Response:
        return self._resolve(req_id, request.data, is_error=False)

    def invocation_error(self, request: Request, req_id: str) -> Response:
        return self._resolve(req_id, request.data, is_error=True)

    def _resolve(self, req_id: str, payload: bytes, is_error: bool) -> Response:
        future = self.invocation_future
        if future is not None and not future.done() and req_id == self.request_id:
            try:
                future.set_result(InvocationResult(req_id, payload, is_error=is_error, logs=self.logs))
            except Exception:
                LOG.debug("Late result for %s dropped", req_id)
        return Response(status=HTTPStatus.ACCEPTED)

    # --- invoke ------------------------------------------------------------------------------------
    def send_invoke(self, payload: dict[str, str]) -> Future[InvocationResult]:
        """Posts the invoke to the shim; the result arrives later through the callbacks."""
        future: Future[InvocationResult] = Future()
        self.request_id = payload["invoke-id"]
        self.logs = None
        self.invocation_future = future
        body = json.dumps(payload).encode("utf-8")
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request("POST", "/invoke", body=body, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
            except (http.client.HTTPException, OSError) as exc:
                self._close_connection()
                if attempt == 2:
                    raise InvokeSendError(
                        f"Error sending invocation to runtime {self.executor_id}: {exc}"
                    ) from exc
                continue
            if response.status != 200:
                raise InvokeSendError(
                    f"Runtime {self.executor_id} rejected the invocation: {response.status}"
                )
            return future
        raise AssertionError("unreachable")

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

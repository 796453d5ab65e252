"""The runtime side of the process executor: one of these runs per execution environment.

Started by LocalStack as ``<function python> -u shim.py`` with the cwd at the function's code and an
environment built from scratch. It plays the part of the Go init + awslambdaric in AWS's image:
imports the handler, reports ready (with the port it listens on) or the init error to LocalStack's
executor endpoint, then runs invokes posted to ``/invoke`` one at a time on the main thread and answers
each of those requests with the invocation's logs and result. Standard library only, Python >= 3.8: it
runs in the FUNCTION's interpreter. Timeouts are enforced by the executor (it kills this process), not here.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import math
import os
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any

from shim_http import CallbackClient, InvokeServer, Reply
from shim_marshal import (
    FaultError,
    ensure_ascii_for,
    error_from_exception,
    format_error_log,
    marshal_response,
    to_json,
    unmarshal_request,
)

PROCESS_STARTED = time.perf_counter()
RUNTIME_FILE = str(Path(__file__).resolve())
# Variables meant for this shim only: popped so the handler sees what it would see on AWS.
INTERNAL_ENV = (
    "LOCALSTACK_RUNTIME_ID",
    "LOCALSTACK_RUNTIME_ENDPOINT",
    "LOCALSTACK_FUNCTION_ACCOUNT_ID",
    "LOCALSTACK_INIT_LOG_LEVEL",
    "LOCALSTACK_POST_INVOKE_WAIT_MS",
    "LOCALSTACK_MAX_PAYLOAD_SIZE",
    "LOCALSTACK_USER",
    "LOCALSTACK_INTEROP_PORT",
    "LOCALSTACK_PARENT_PID",
    "LOCALSTACK_LAYER_PATHS",
    "AWS_LAMBDA_MAX_CONCURRENCY",
)
UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. However, "
    "in rare cases, a Lambda runtime update can cause unexpected function behavior. For functions using "
    "managed runtimes, runtime updates can be triggered by a function change, or can be applied "
    "automatically. To determine if the runtime has been updated, check the runtime version in the "
    "INIT_START log entry. If this error correlates with a change in the runtime version, you may be able "
    "to mitigate this error by temporarily rolling back to the previous runtime version. For more "
    "information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\n"
)
_SYNC_PREFIX = b"\0LS_SYNC_"


class OutputCapture:
    """Routes fd 1 and 2 through a pipe: tee'd to LocalStack, and collected per invoke.

    Working on file descriptors catches print, logging, C extensions and child processes alike.
    ``sync()`` writes a numbered sentinel and waits until the reader has passed it, so everything
    written before is in the buffer when the logs are posted.
    """

    def __init__(self) -> None:
        self._tee_fd = os.dup(1)
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 1)
        os.dup2(write_fd, 2)
        os.close(write_fd)
        self._read_fd = read_fd
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._seen = 0
        self._seen_cond = threading.Condition(self._lock)
        self._counter = 0
        threading.Thread(target=self._pump, name="ls-capture", daemon=True).start()

    def _emit(self, data: bytes) -> None:
        if not data:
            return
        view = memoryview(data)
        while view:
            written = os.write(self._tee_fd, view)
            view = view[written:]
        with self._lock:
            self._chunks.append(data)

    def _pump(self) -> None:
        pending = b""
        while True:
            data = os.read(self._read_fd, 65536)
            if not data:
                self._emit(pending)
                return
            pending += data
            while True:
                start = pending.find(_SYNC_PREFIX)
                if start < 0:
                    keep = _partial_suffix(pending, _SYNC_PREFIX)
                    self._emit(pending[: len(pending) - keep])
                    pending = pending[len(pending) - keep :]
                    break
                end = pending.find(b"\0", start + len(_SYNC_PREFIX))
                if end < 0:
                    self._emit(pending[:start])
                    pending = pending[start:]
                    break
                self._emit(pending[:start])
                number = int(pending[start + len(_SYNC_PREFIX) : end])
                pending = pending[end + 1 :]
                with self._lock:
                    self._seen = max(self._seen, number)
                    self._seen_cond.notify_all()

    def sync(self, timeout: float = 2.0) -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a handler may have closed or replaced them
                stream.flush()
        self._counter += 1
        number = self._counter
        os.write(1, _SYNC_PREFIX + str(number).encode() + b"\0")
        with self._lock:
            self._seen_cond.wait_for(lambda: self._seen >= number, timeout)

    def append(self, text: str) -> None:
        """Adds runtime lines (START/END/REPORT) to the collected logs only, as the Go init does."""
        with self._lock:
            self._chunks.append(text.encode("utf-8"))

    def drain(self) -> str:
        with self._lock:
            data, self._chunks = b"".join(self._chunks), []
        return data.decode("utf-8", errors="replace")


def _partial_suffix(data: bytes, marker: bytes) -> int:
    for size in range(min(len(marker) - 1, len(data)), 0, -1):
        if data.endswith(marker[:size]):
            return size
    return 0


class LambdaContext:
    """The ``context`` argument, with awslambdaric's attributes."""

    def __init__(self, request_id: str, invoked_arn: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.client_context = None
        self.identity = None
        self.tenant_id = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)

    def log(self, msg: str) -> None:
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id}, function_name={self.function_name}, "
            f"function_version={self.function_version}])"
        )


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _RequestIdFilter.request_id
        return True


def setup_logging() -> None:
    """awslambdaric's text log format on the root logger, honouring AWS_LAMBDA_LOG_LEVEL."""
    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.terminator = ""
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = (os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "").upper()
    if level in logging._nameToLevel:
        root.setLevel(level)


def load_handler(handler: str) -> Any:
    """Imports ``module.function`` with awslambdaric's faults for each way it can fail."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as exc:
        raise FaultError("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {exc}") from None
    if modname.split(".")[0] in sys.builtin_module_names:
        raise FaultError(
            "Runtime.BuiltInModuleConflict", f"Cannot use built-in module {modname} as a handler module"
        )
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as exc:
        raise FaultError("Runtime.ImportModuleError", f"Unable to import module '{modname}': {exc}") from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise FaultError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {exc}", trace
        ) from None
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultError(
            "Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'"
        ) from None


def python_paths(task_root: str, layer_roots: list[str]) -> list[str]:
    """sys.path head as on AWS: code, then layers (a later layer shadows an earlier one, as in /opt)."""
    version = "python{}.{}".format(*sys.version_info[:2])
    ordered = list(reversed(layer_roots))
    return (
        [task_root]
        + [str(Path(root, "python", "lib", version, "site-packages")) for root in ordered]
        + [str(Path(root, "python")) for root in ordered]
    )


def exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    sys.stderr.write(str(exc.code) + "\n")
    return 1


class Runtime:
    def __init__(self) -> None:
        env = os.environ
        self.runtime_id = env.get("LOCALSTACK_RUNTIME_ID", "")
        self.callbacks = CallbackClient(env.get("LOCALSTACK_RUNTIME_ENDPOINT", ""))
        self.parent_pid = int(env.get("LOCALSTACK_PARENT_PID") or 0)
        layers = [p for p in env.get("LOCALSTACK_LAYER_PATHS", "").split(os.pathsep) if p]
        for name in INTERNAL_ENV:
            env.pop(name, None)
        self.task_root = env.get("LAMBDA_TASK_ROOT") or str(Path.cwd())
        self.timeout_s = float(env.get("AWS_LAMBDA_FUNCTION_TIMEOUT") or 3)
        self.version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.ensure_ascii = ensure_ascii_for(env.get("AWS_EXECUTION_ENV"))
        sys.path[0:1] = python_paths(self.task_root, layers)
        self.invokes: queue.Queue[tuple[dict[str, Any], Reply]] = queue.Queue()
        self.capture = OutputCapture()
        self.init_ms: float | None = None

    def watch_parent(self) -> None:
        """Exit when LocalStack is gone (even SIGKILLed): no orphan function processes."""
        while True:
            time.sleep(0.5)
            if os.getppid() != self.parent_pid:
                os._exit(1)

    def serve(self) -> int:
        """Starts the invoke server; invokes are queued for the main thread."""
        server = InvokeServer(lambda body, reply: self.invokes.put((json.loads(body), reply)))
        return int(server.port)

    def init(self) -> Any:
        setup_logging()
        try:
            handler = load_handler(os.environ.get("_HANDLER", ""))
        except Exception as exc:
            error = error_from_exception(exc, "", RUNTIME_FILE)
            sys.stdout.write(format_error_log(error))
            self.capture.sync()
            self.callbacks.post(f"/status/{self.runtime_id}/error", to_json(error, True).encode())
            os._exit(1)
        port = self.serve()
        self.capture.sync()
        self.init_ms = (time.perf_counter() - PROCESS_STARTED) * 1000
        self.callbacks.post(f"/status/{self.runtime_id}/ready", json.dumps({"interop_port": port}).encode())
        return handler

    def run_one(self, handler: Any, invoke: dict[str, Any], reply: Reply) -> None:
        request_id = invoke.get("invoke-id") or ""
        _RequestIdFilter.request_id = request_id
        trace_id = invoke.get("trace-id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        self.capture.append(f"START RequestId: {request_id} Version: {self.version}\n")
        started = time.perf_counter()
        context = LambdaContext(
            request_id, invoke.get("invoked-function-arn", ""), time.monotonic() + self.timeout_s
        )
        error: dict[str, Any] | None = None
        body = b""
        try:
            event = unmarshal_request(invoke.get("payload") or "{}")
            body = marshal_response(handler(event, context), self.ensure_ascii)
        except SystemExit as exc:
            rc = exit_code(exc)
            self.capture.sync()
            os._exit(rc)
        except Exception as exc:
            error = error_from_exception(exc, request_id, RUNTIME_FILE)
            sys.stdout.write(UNHANDLED_WARNING)
            sys.stdout.write(format_error_log(error))
        duration_ms = min((time.perf_counter() - started) * 1000, self.timeout_s * 1000)
        self.capture.sync()
        self.capture.append(self.report(request_id, duration_ms))
        logs = self.capture.drain()
        if error is not None:
            reply(True, logs, to_json(error, self.ensure_ascii).encode())
        else:
            reply(False, logs, body)

    def report(self, request_id: str, duration_ms: float) -> str:
        used_mb = max_memory_mb() or self.memory
        line = f"END RequestId: {request_id}\nREPORT RequestId: {request_id}\t"
        line += f"Duration: {duration_ms:.2f} ms\t"
        line += f"Billed Duration: {math.ceil(duration_ms)} ms\t"
        line += f"Memory Size: {self.memory} MB\tMax Memory Used: {used_mb} MB\t"
        if self.init_ms is not None:
            line += f"Init Duration: {self.init_ms:.2f} ms\t"
            self.init_ms = None
        return line + "\n"

    def main(self) -> None:
        if self.parent_pid:  # 0 in the sandbox: its supervisor (outside the pid namespace) watches
            threading.Thread(target=self.watch_parent, name="ls-parent-watchdog", daemon=True).start()
        handler = self.init()
        while True:
            self.run_one(handler, *self.invokes.get())


def max_memory_mb() -> int | None:
    """Peak RSS of this process. ru_maxrss is not used on Linux: it survives execve, so it would
    report LocalStack's peak (the process was forked from it)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024)


if __name__ == "__main__":
    Runtime().main()

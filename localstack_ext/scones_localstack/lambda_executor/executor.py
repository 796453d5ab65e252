"""``LAMBDA_RUNTIME_EXECUTOR=process``: each Lambda execution environment is a host process.

LocalStack's Lambda service drives executors through the ``RuntimeExecutor`` contract (one instance
per execution environment); the Docker executor runs the Go init in a container, this one runs
``shim.py`` under the function runtime's interpreter and speaks the same executor-endpoint protocol.
Timeouts are enforced here, because a kill from outside always works (even on a handler stuck in C)
and leaves no window where the environment looks ready while its process is still dying.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import shutil
import threading
import time
import weakref
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from pathlib import Path

from localstack import config
from localstack.aws.api.lambda_ import PackageType
from localstack.runtime.shutdown import ON_AFTER_SERVICE_SHUTDOWN_HANDLERS
from localstack.services.lambda_.invocation.executor_endpoint import StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import RuntimeExecutor

from scones_localstack.lambda_executor.endpoint import ProcessExecutorEndpoint
from scones_localstack.lambda_executor.environment import function_environment
from scones_localstack.lambda_executor.interpreter import (
    InterpreterResolver,
    UnsupportedRuntimeError,
    runtime_version,
)
from scones_localstack.lambda_executor.process import RuntimeProcess
from scones_localstack.lambda_executor.sandbox import get_mode, launcher_argv
from scones_localstack.lambda_executor.settings import get_settings
from scones_localstack.lambda_executor.zygote import ZygoteUnavailableError, stop_all, zygote_for

LOG = logging.getLogger(__name__)
SHIM_DIR = Path(__file__).resolve().parent
SHIM = SHIM_DIR / "shim.py"
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}
_LIVE: weakref.WeakSet[ProcessRuntimeExecutor] = weakref.WeakSet()


@functools.cache
def resolver() -> InterpreterResolver:
    return InterpreterResolver(get_settings())


def exit_message(returncode: int | None) -> str:
    """The Go init's wording for a runtime that exited (rapid's ``Runtime.ExitError`` messages)."""
    if returncode is None or returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode < 0:
        return f"Runtime exited with error: signal: {_signal_name(-returncode)}"
    return f"Runtime exited with error: exit status {returncode}"


def _signal_name(number: int) -> str:
    names = {9: "killed", 15: "terminated", 11: "segmentation fault", 6: "aborted", 2: "interrupt"}
    return names.get(number, f"signal {number}")


def exit_error(request_id: str | None, returncode: int | None) -> bytes:
    message = exit_message(returncode)
    if request_id:
        message = f"RequestId: {request_id} Error: {message}"
    return json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}).encode()


def timeout_error(request_id: str, timeout_s: int) -> bytes:
    """AWS's answer to an invoke that ran past the function's timeout (docs: troubleshooting-invocation,
    "Sandbox.Timedout"; LocalStack's Go init words it the same): Step Functions reads ``errorType``."""
    message = f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"
    return json.dumps({"errorMessage": message, "errorType": "Sandbox.Timedout"}).encode()


def runtime_logs(
    request_id: str, version: str, output: str, duration_ms: float, memory: int, status: str | None = None
) -> str:
    """START + output + END + REPORT, for results the shim could not report itself. ``status`` ends the
    REPORT line as on AWS (``Status: timeout``)."""
    ending = f"Status: {status}" if status else ""
    return (
        f"START RequestId: {request_id} Version: {version}\n{output}"
        f"END RequestId: {request_id}\n"
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {math.ceil(duration_ms)} ms\t"
        f"Memory Size: {memory} MB\tMax Memory Used: {memory} MB\t{ending}\n"
    )


def stop_leftovers() -> None:
    """Runs after LocalStack stopped its services: stops environments LocalStack lost track of.

    Deleting a function queues its environments' stop on the Lambda service's task pool; a shutdown
    right after cancels that queue, so those environments are never stopped and their keepalive
    timers (non-daemon threads) keep LocalStack from exiting. Stop the processes, cancel the timers.
    """
    for executor in list(_LIVE):
        with contextlib.suppress(Exception):
            executor.stop()
    for thread in threading.enumerate():
        owner = getattr(getattr(thread, "function", None), "__self__", None)
        if isinstance(thread, threading.Timer) and isinstance(
            getattr(owner, "runtime_executor", None), ProcessRuntimeExecutor
        ):
            thread.cancel()


ON_AFTER_SERVICE_SHUTDOWN_HANDLERS.register(stop_leftovers)
ON_AFTER_SERVICE_SHUTDOWN_HANDLERS.register(stop_all)


class ProcessRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.executor_endpoint = ProcessExecutorEndpoint(id)
        root = get_settings().sandbox_root or Path(config.dirs.tmp) / "lambda-process"
        self.sandbox = root / id
        self._env: dict[str, str] | None = None
        self._code_dir = Path()
        self._layer_dirs: list[str] = []
        self._process: RuntimeProcess | None = None
        self._lock = threading.RLock()
        self._stopped = False
        self._invoke_offset = 0
        self._invoke_started = time.perf_counter()
        _LIVE.add(self)

    # --- version preparation (create / update / publish) -------------------------------------------
    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        config_ = function_version.config
        if config_.package_type != PackageType.Zip:
            raise UnsupportedRuntimeError(
                f"process executor does not support PackageType {config_.package_type} (only Zip)"
            )
        runtime = config_.runtime or ""
        runtime_version(runtime)  # raises for non-Python runtimes
        get_mode()  # LAMBDA_PROCESS_SANDBOX=namespaces where they are unavailable: the function fails
        resolver().resolve(runtime)
        if config_.code:
            config_.code.prepare_for_execution()
        for layer in config_.layers:
            if layer.code:
                layer.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        """Nothing to undo: the provider deletes the unzipped code itself."""

    @classmethod
    def validate_environment(cls) -> bool:
        settings = get_settings()
        LOG.info(
            "process Lambda executor: interpreters %s, default %s",
            dict(settings.python_mapping) or "none mapped",
            settings.default_python or "none",
        )
        with contextlib.suppress(ValueError):  # =namespaces without them: said when a function is created
            get_mode()
        return True

    # --- addresses ---------------------------------------------------------------------------------
    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        if config.HOSTNAME_FROM_LAMBDA:
            return str(config.HOSTNAME_FROM_LAMBDA)
        host = config.GATEWAY_LISTEN[0].host
        return "127.0.0.1" if host in _WILDCARD_HOSTS else host

    def get_runtime_endpoint(self) -> str:
        port = config.GATEWAY_LISTEN[0].port
        return (
            f"http://{self.get_endpoint_from_executor()}:{port}{self.executor_endpoint.get_endpoint_prefix()}"
        )

    # --- lifecycle ---------------------------------------------------------------------------------
    def start(self, env_vars: dict[str, str]) -> None:
        fv = self.function_version
        interpreter = resolver().resolve(fv.config.runtime or "")
        code = fv.config.code
        if code is None:
            raise UnsupportedRuntimeError("process executor needs a Zip code package")
        self._env = function_environment(
            localstack_env=env_vars,
            function_env=fv.config.environment,
            extra_env=get_settings().extra_env,
            runtime=fv.config.runtime or "",
            interpreter_bin=interpreter.bin_dir,
            code_dir=Path(code.get_unzipped_code_location()),
            runtime_dir=SHIM_DIR,
            sandbox=self.sandbox,
            layer_dirs=[
                Path(layer.code.get_unzipped_code_location()) for layer in fv.config.layers if layer.code
            ],
            parent_pid=os.getpid(),
            runtime_api=f"{self.get_endpoint_from_executor()}:{config.GATEWAY_LISTEN[0].port}",
            isolated=get_mode().isolated,
        )
        self._code_dir = Path(code.get_unzipped_code_location())
        self._layer_dirs = [
            str(layer.code.get_unzipped_code_location()) for layer in fv.config.layers if layer.code
        ]
        with self._lock:
            self._spawn(interpreter.path)
        self.executor_endpoint.wait_for_startup()

    def _spawn(self, python: str) -> None:
        assert self._env is not None
        isolated = get_mode().isolated
        for sub in ("tmp", "root") if isolated else ("home", "tmp"):
            (self.sandbox / sub).mkdir(parents=True, exist_ok=True)
        self.executor_endpoint.start()
        argv = launcher_argv(python, self._sandbox_spec()) if isolated else [python, "-u", str(SHIM)]
        zygote = zygote_for(python) if isolated and get_settings().zygote else None
        if zygote is not None and zygote.can_serve(self._code_dir):
            spec, env, cwd = self._sandbox_spec(), self._env, self._code_dir
            try:
                self._process = RuntimeProcess(
                    argv, cwd, env, self._on_exit, fork=lambda: zygote.fork(spec, env, cwd)
                )
            except ZygoteUnavailableError as exc:
                LOG.debug("Lambda zygote could not fork environment %s, exec instead: %s", self.id, exc)
                self._process = RuntimeProcess(argv, self._code_dir, self._env, self._on_exit)
        else:
            self._process = RuntimeProcess(argv, self._code_dir, self._env, self._on_exit)
        LOG.debug("Started Lambda runtime process %s for environment %s", self._process.pid, self.id)

    def _sandbox_spec(self) -> dict[str, object]:
        """What shim_sandbox.py mounts: host paths of this environment's code, /tmp and runtime."""
        storage = self.function_version.config.ephemeral_storage
        return {
            "root": str(self.sandbox / "root"),
            "tmp": str(self.sandbox / "tmp"),
            "code": str(self._code_dir),
            "runtime": str(SHIM_DIR),
            "layers": self._layer_dirs,
            "hide": sorted({"/root", "/home", str(Path("~").expanduser())}),
            "tmp_bytes": (storage.size if storage else 512) * 1024 * 1024,
        }

    def _on_exit(self, process: RuntimeProcess) -> None:
        """The runtime died on its own: fail whatever was waiting on it (startup or the invoke)."""
        with self._lock:
            if process is not self._process or self._stopped:
                return
        endpoint = self.executor_endpoint
        if endpoint.fail_startup(exit_error(None, process.returncode)):
            return
        request_id = endpoint.request_id
        if request_id and endpoint.invocation_future is not None and not endpoint.invocation_future.done():
            output = process.output_since(self._invoke_offset)
            duration = (time.perf_counter() - self._invoke_started) * 1000
            logs = runtime_logs(
                request_id,
                self.function_version.id.qualifier,
                output,
                duration,
                self.function_version.config.memory_size,
            )
            endpoint.fail_invocation(request_id, exit_error(request_id, process.returncode), logs)

    def stop(self) -> None:
        _LIVE.discard(self)
        with self._lock:
            self._stopped = True
            process, self._process = self._process, None
        if process is not None:
            process.stop()
        try:
            self.executor_endpoint.shutdown()
        except Exception as exc:  # already unregistered, etc.
            LOG.debug("Error shutting down executor endpoint %s: %s", self.id, exc)
        shutil.rmtree(self.sandbox, ignore_errors=True)

    # --- invoke ------------------------------------------------------------------------------------
    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        with self._lock:
            process = self._process
            restart = process is None or not process.alive()
            if restart and self._stopped:
                raise StatusErrorException(
                    "Environment stopped",
                    payload=exit_error(request_id, process.returncode if process else None),
                )
            if restart:
                self._spawn(resolver().resolve(self.function_version.config.runtime or "").path)
                process = self._process
        if restart:
            try:
                self.executor_endpoint.wait_for_startup()
            except StatusErrorException as exc:
                output = process.output() if process else ""
                return InvocationResult(request_id, exc.payload, is_error=True, logs=output)
        assert process is not None
        timeout_s = self.function_version.config.timeout
        self._invoke_offset = process.offset()
        self._invoke_started = time.perf_counter()
        wait_s = timeout_s + get_settings().timeout_grace_s
        future = self.executor_endpoint.send_invoke(payload, timeout=wait_s)
        try:
            return future.result(timeout=max(0.0, wait_s - (time.perf_counter() - self._invoke_started)))
        except FutureTimeoutError:
            return self._timed_out(process, request_id, timeout_s, future)

    def _timed_out(
        self, process: RuntimeProcess, request_id: str, timeout_s: int, future: Future[InvocationResult]
    ) -> InvocationResult:
        """AWS resets the sandbox after a timeout: kill now, the next invoke re-inits."""
        future.cancel()
        process.kill()
        output = process.output_since(self._invoke_offset)
        fv = self.function_version
        logs = runtime_logs(
            request_id, fv.id.qualifier, output, timeout_s * 1000, fv.config.memory_size, status="timeout"
        )
        return InvocationResult(request_id, timeout_error(request_id, timeout_s), is_error=True, logs=logs)

    def get_logs(self) -> str:
        process = self._process
        return process.output() if process else ""

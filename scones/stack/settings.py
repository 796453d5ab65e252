"""Typed settings for the local stack, read from the environment once at the edge (CLI, fixtures)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Project root: the checkout that holds the venvs built by tools/setup.py.
PROJECT_ROOT = Path(__file__).resolve().parents[2]

ENV_PORT = "SCONES_PORT"  # gateway port of the stack `up`/`down`/`status` address (default 4566)
ENV_HOST = "SCONES_HOST"  # gateway bind address (default 127.0.0.1)
ENV_STATE_DIR = "SCONES_STATE_DIR"  # where run state lives (default <project>/.scones)
ENV_STARTUP_TIMEOUT = "SCONES_STARTUP_TIMEOUT"  # seconds to wait for a healthy gateway (default 60)
ENV_LAMBDA_KEEPALIVE_MS = "SCONES_LAMBDA_KEEPALIVE_MS"  # idle function process lifetime (LocalStack default)
# Seconds of silence after which the gateway answers an unfinished request 400 RequestTimeout (default 5,
# 0 = never); read by LocalStack (scones_localstack/gateway.py), so passed through as is.
ENV_GATEWAY_BODY_TIMEOUT = "SCONES_GATEWAY_BODY_TIMEOUT_S"
ENV_LAMBDA_SANDBOX = "SCONES_LAMBDA_SANDBOX"  # auto | namespaces | off (docs/sandbox.md; default auto)
# Where LocalStack's Lambda executor records the function sandbox it chose, for `status`.
SANDBOX_STATE_FILE = "lambda-sandbox.json"

# Settings of our LocalStack extension a user may set in the shell that runs `scones up`: passed as they are.
PASSED_TO_LOCALSTACK = ("SCONES_SFN_EXECUTION_RETENTION", "SCONES_ENDPOINT_BODY_TIMEOUT_S")

DEFAULT_PORT = 4566
DEFAULT_HOST = "127.0.0.1"
# What the workflow needs. sagemaker + sagemaker-runtime come from our extension (both must be listed).
DEFAULT_SERVICES = (
    "s3",
    "lambda",
    "stepfunctions",
    "iam",
    "sts",
    "logs",
    "events",
    "sagemaker",
    "sagemaker-runtime",
)
# The function runtime the process executor serves; deploy and tests create functions with it.
LAMBDA_RUNTIME = "python3.13"


@dataclass(frozen=True)
class StackSettings:
    """Everything needed to start, find and stop one local stack; one instance per port."""

    port: int = DEFAULT_PORT
    host: str = DEFAULT_HOST
    project_root: Path = PROJECT_ROOT
    state_root: Path = field(default_factory=lambda: PROJECT_ROOT / ".scones")
    services: tuple[str, ...] = DEFAULT_SERVICES
    startup_timeout: float = 60.0
    lambda_keepalive_ms: int | None = None
    gateway_body_timeout_s: float | None = None
    lambda_sandbox: str | None = None

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        port: int | None = None,
        host: str | None = None,
        startup_timeout: float | None = None,
    ) -> StackSettings:
        """Explicit arguments win over environment variables, which win over defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "port": int(env.get(ENV_PORT, DEFAULT_PORT)),
            "host": env.get(ENV_HOST, DEFAULT_HOST),
            "startup_timeout": float(env.get(ENV_STARTUP_TIMEOUT, 60.0)),
        }
        if env.get(ENV_STATE_DIR):
            values["state_root"] = Path(env[ENV_STATE_DIR])
        if env.get(ENV_LAMBDA_KEEPALIVE_MS):
            values["lambda_keepalive_ms"] = int(env[ENV_LAMBDA_KEEPALIVE_MS])
        if env.get(ENV_GATEWAY_BODY_TIMEOUT):
            values["gateway_body_timeout_s"] = float(env[ENV_GATEWAY_BODY_TIMEOUT])
        if env.get(ENV_LAMBDA_SANDBOX):
            values["lambda_sandbox"] = env[ENV_LAMBDA_SANDBOX]
        explicit = {"port": port, "host": host, "startup_timeout": startup_timeout}
        values.update({k: v for k, v in explicit.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state_dir(self) -> Path:
        return self.state_root / f"stack-{self.port}"

    @property
    def localstack_python(self) -> Path:
        return self.project_root / ".venv-localstack" / "bin" / "python"

    @property
    def lambda_python(self) -> Path:
        return self.project_root / ".venv-lambda" / "bin" / "python"

    @property
    def endpoint_python(self) -> Path:
        return self.project_root / ".venv-endpoint" / "bin" / "python"

    def localstack_environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """LocalStack's process environment: the host's basics, none of its AWS settings, our config."""
        keep: tuple[str, ...] = ("PATH", "HOME", "LANG", "LC_ALL", "USER", "LOGNAME", "SHELL", "TERM")
        # Our extension's settings, read in LocalStack (stepfunctions/settings.py, sagemaker/settings.py).
        keep += PASSED_TO_LOCALSTACK
        env = {k: v for k, v in base.items() if k in keep}
        fs = self.state_dir / "fs"
        env.update(
            {
                "GATEWAY_LISTEN": f"{self.host}:{self.port}",
                "SERVICES": ",".join(self.services),
                # Without it, shutdown hangs on an analytics DNS lookup (offline) and never stops services.
                "DISABLE_EVENTS": "1",
                "DNS_ADDRESS": "0",
                "SKIP_SSL_CERT_DOWNLOAD": "1",
                # This sandbox looks like a container to LocalStack; we always run it as a host process.
                "OVERRIDE_IN_DOCKER": "0",
                # Per-stack dirs so two stacks never share (and wipe) each other's code caches.
                "FILESYSTEM_ROOT": str(fs),
                "TMPDIR": str(self.state_dir / "tmp"),
                "LAMBDA_RUNTIME_EXECUTOR": "process",
                "LAMBDA_PROCESS_PYTHON_MAPPING": json.dumps({LAMBDA_RUNTIME: str(self.lambda_python)}),
                "LAMBDA_PROCESS_SANDBOX_STATE_FILE": str(self.state_dir / SANDBOX_STATE_FILE),
                "SCONES_ENDPOINT_CMD": f"{self.endpoint_python} -m local_endpoint serve",
                "SCONES_PROJECT_ROOT": str(self.project_root),
                "PYTHONUNBUFFERED": "1",
                # LocalStack's own service-to-service calls (Step Functions -> Lambda, Lambda -> Logs,
                # execution events) go straight into its request handlers instead of over HTTP
                # loopback: a documented LocalStack option, about a fifth off a workflow execution.
                "IN_MEMORY_CLIENT": "1",
            }
        )
        if self.lambda_keepalive_ms is not None:
            env["LAMBDA_KEEPALIVE_MS"] = str(self.lambda_keepalive_ms)
        if self.gateway_body_timeout_s is not None:
            env[ENV_GATEWAY_BODY_TIMEOUT] = str(self.gateway_body_timeout_s)
        if self.lambda_sandbox is not None:
            env["LAMBDA_PROCESS_SANDBOX"] = self.lambda_sandbox
        return env

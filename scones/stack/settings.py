"""Typed settings for the local stack, resolved once at the edge (CLI, fixtures) through ``scones.config``.

``scones.config`` names the variables (the ones read here and the ones set for LocalStack) and their
defaults; this module turns them into ``StackSettings`` and LocalStack's process environment.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scones import config as cfg
from scones.config import LAMBDA_RUNTIME, PASSED_TO_LOCALSTACK, PROJECT_ROOT, Config

# Where LocalStack's Lambda executor records the function sandbox it chose, for `status`.
SANDBOX_STATE_FILE = "lambda-sandbox.json"
# Where IAM enforcement records denied requests (JSON lines), for `status`.
IAM_DENY_LOG_FILE = "iam-denials.jsonl"

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


@dataclass(frozen=True)
class StackSettings:
    """Everything needed to start, find and stop one local stack; one instance per port."""

    port: int = cfg.PORT.default
    host: str = cfg.HOST.default
    project_root: Path = PROJECT_ROOT
    state_root: Path = cfg.STATE_DIR.default
    services: tuple[str, ...] = DEFAULT_SERVICES
    startup_timeout: float = cfg.STARTUP_TIMEOUT.default
    lambda_keepalive_ms: int | None = None
    gateway_body_timeout_s: float | None = None
    lambda_sandbox: str | None = None
    # A Step Functions Local MockConfigFile: executions started as `<state machine ARN>#<test case>` use it.
    sfn_mock_config: Path | None = None
    # IAM policies evaluated for role sessions (docs/iam.md); passed to LocalStack either way.
    iam_enforce: bool = cfg.IAM_ENFORCE_DEFAULT

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        port: int | None = None,
        host: str | None = None,
        startup_timeout: float | None = None,
        sfn_mock_config: Path | None = None,
    ) -> StackSettings:
        """Explicit arguments win over environment variables, which win over defaults."""
        return cls(
            port=config.get(cfg.PORT, port),
            host=config.get(cfg.HOST, host),
            state_root=config.get(cfg.STATE_DIR),
            startup_timeout=config.get(cfg.STARTUP_TIMEOUT, startup_timeout),
            lambda_keepalive_ms=config.get(cfg.LAMBDA_KEEPALIVE_MS),
            gateway_body_timeout_s=config.get(cfg.GATEWAY_BODY_TIMEOUT_S),
            lambda_sandbox=config.get(cfg.LAMBDA_SANDBOX),
            sfn_mock_config=_absolute(config.get(cfg.SFN_MOCK_CONFIG, sfn_mock_config)),
            iam_enforce=config.get(cfg.IAM_ENFORCE),
        )

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state_dir(self) -> Path:
        return self.state_root / f"stack-{self.port}"

    @property
    def iam_deny_log(self) -> Path:
        return self.state_dir / IAM_DENY_LOG_FILE

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
                cfg.LAMBDA_PROCESS_PYTHON_MAPPING: json.dumps({LAMBDA_RUNTIME: str(self.lambda_python)}),
                cfg.LAMBDA_PROCESS_SANDBOX_STATE_FILE: str(self.state_dir / SANDBOX_STATE_FILE),
                cfg.ENDPOINT_CMD: f"{self.endpoint_python} -m local_endpoint serve",
                cfg.PROJECT_ROOT_VARIABLE: str(self.project_root),
                cfg.IAM_ENFORCE.name: "1" if self.iam_enforce else "0",
                cfg.IAM_DENY_LOG: str(self.iam_deny_log),
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
            env[cfg.GATEWAY_BODY_TIMEOUT_S.name] = str(self.gateway_body_timeout_s)
        if self.lambda_sandbox is not None:
            env[cfg.LAMBDA_PROCESS_SANDBOX] = self.lambda_sandbox
        if self.sfn_mock_config is not None:
            # Absolute: LocalStack runs with its own working directory and re-reads the file when it changes.
            env[cfg.LOCALSTACK_SFN_MOCK_CONFIG] = str(self.sfn_mock_config.resolve())
        return env


def _absolute(path: Path | None) -> Path | None:
    """Resolved against the caller's working directory (where the user typed it), not LocalStack's."""
    return None if path is None else path.expanduser().resolve()

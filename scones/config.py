"""Every environment variable scones reads or sets for another process, its default, and its old names.

Why one module: a variable named in three places drifts (the model folder once had three names, the
threshold two), and a name that crosses a process boundary must be spelled the same on both sides. So the
harness names each variable here, once, with its default; ``Config`` resolves it the one way every
settings object uses: explicit argument (a CLI option) → environment variable → default.

The CLI builds one ``Config`` from ``os.environ`` at its edge (``scones.cli``) and hands it to every
command; tests build one from a dict. Nothing below the CLI reads ``os.environ`` (boto3 still honours the
standard ``AWS_*`` variables for the aws target).

Other sides of the boundaries name what they read themselves, in code that ships alone: LocalStack's
extension in ``localstack_ext/scones_localstack/config.py``, the endpoint in ``local_endpoint/settings.py``,
the filter Lambda in ``lambdas/filter_confidence/logic.py``; ``tests/test_config_agreement.py`` checks
that each pair agrees.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from local_endpoint.artifact import DEFAULT_THRESHOLD

T = TypeVar("T")

# The checkout that holds the venvs tools/setup.py builds, the Lambdas' sources and the ASL.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The Lambda runtime the workflow's functions use and LocalStack's process executor serves.
LAMBDA_RUNTIME = "python3.13"


class ConfigError(ValueError):
    """An environment variable holds a value scones cannot use; the message names the variable."""


class DeprecatedVariableWarning(FutureWarning):
    """An old variable name was used. A FutureWarning, so Python shows it by default: it is for users."""


@dataclass(frozen=True)
class Variable(Generic[T]):
    """One environment variable scones reads: its name, how its text becomes a value, and its default."""

    name: str
    default: T
    parse: Callable[[str], T]
    help: str = field(default="", compare=False)


def _probability(raw: str) -> float:
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError("must be within [0, 1]")
    return value


def _lower(raw: str) -> str:
    return raw.lower()


def _switch(raw: str) -> bool:
    """``1``/``0`` (also true/false, yes/no, on/off), as the extension's iam/switch.py reads it."""
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be 1 or 0")


# --- read by deploy, run, evaluate, cleanup (scones/workflow/settings.py) --------------------------------
DEFAULT_REGION = "us-east-1"
DEFAULT_MODEL = PROJECT_ROOT / "artifacts" / "model"
TARGET: Variable[str] = Variable("SCONES_TARGET", "local", _lower, "where to act: local (LocalStack) or aws")
REGION: Variable[str | None] = Variable(
    "SCONES_REGION", None, str, f"AWS region (local: {DEFAULT_REGION}; aws: AWS_REGION, AWS_DEFAULT_REGION)"
)
ENDPOINT_URL: Variable[str | None] = Variable(
    "SCONES_ENDPOINT_URL", None, str, "the stack's gateway URL (LocalStack), as the AWS CLI's --endpoint-url"
)
PROJECT: Variable[str] = Variable("SCONES_PROJECT", "scones", str, "name prefix and scones:project tag")
BUCKET: Variable[str | None] = Variable("SCONES_BUCKET", None, str, "S3 bucket (default <project>-workflow)")
MODEL: Variable[Path] = Variable(
    "SCONES_MODEL",
    DEFAULT_MODEL,
    Path,
    "model artifact folder (or model.tar.gz): deploy, evaluate, monitor, train",
)
IMAGE_URI: Variable[str | None] = Variable("SCONES_IMAGE_URI", None, str, "endpoint image (aws target)")
THRESHOLD: Variable[float] = Variable(
    "SCONES_THRESHOLD", DEFAULT_THRESHOLD, _probability, "confidence threshold: deploy, evaluate, monitor"
)
INSTANCE_TYPE: Variable[str] = Variable("SCONES_INSTANCE_TYPE", "ml.m5.large", str, "endpoint instance type")
# AWS's own names, read where scones must decide before boto3 does (the local target's gateway, the region).
AWS_ENDPOINT_URL: Variable[str | None] = Variable("AWS_ENDPOINT_URL", None, str, "boto3's endpoint switch")
AWS_REGION: Variable[str | None] = Variable("AWS_REGION", None, str, "AWS SDKs' region")
AWS_DEFAULT_REGION: Variable[str | None] = Variable("AWS_DEFAULT_REGION", None, str, "AWS CLI's region")

# --- read by up, down, status (scones/stack/settings.py) -------------------------------------------------
PORT: Variable[int] = Variable("SCONES_PORT", 4566, int, "gateway port of the local stack")
HOST: Variable[str] = Variable("SCONES_HOST", "127.0.0.1", str, "gateway bind address")
STATE_DIR: Variable[Path] = Variable(
    "SCONES_STATE_DIR", PROJECT_ROOT / ".scones", Path, "where run state lives"
)
STARTUP_TIMEOUT: Variable[float] = Variable(
    "SCONES_STARTUP_TIMEOUT", 60.0, float, "seconds to wait for a healthy gateway"
)
LAMBDA_KEEPALIVE_MS: Variable[int | None] = Variable(
    "SCONES_LAMBDA_KEEPALIVE_MS", None, int, "idle function process lifetime (LocalStack's default)"
)
# Read here and passed to LocalStack under the same name (the extension's gateway.py reads it).
GATEWAY_BODY_TIMEOUT_S: Variable[float | None] = Variable(
    "SCONES_GATEWAY_BODY_TIMEOUT_S", None, float, "seconds of silence before 400 RequestTimeout (0: never)"
)
LAMBDA_SANDBOX: Variable[str | None] = Variable(
    "SCONES_LAMBDA_SANDBOX", None, str, "function sandbox: auto | namespaces | off (docs/sandbox.md)"
)
SFN_MOCK_CONFIG: Variable[Path | None] = Variable(
    "SCONES_SFN_MOCK_CONFIG", None, Path, "Step Functions mock config file (passed as SFN_MOCK_CONFIG)"
)
# IAM enforcement (issue #16, docs/iam.md): role sessions' requests evaluated against their policies. The
# one default, passed to LocalStack explicitly by `scones up` and the test stacks ("1"/"0").
IAM_ENFORCE_DEFAULT = True
IAM_ENFORCE: Variable[bool] = Variable(
    "SCONES_IAM_ENFORCE", IAM_ENFORCE_DEFAULT, _switch, "1: role sessions' policies enforced; 0: allow all"
)
# The local target's default gateway: the stack's default address.
DEFAULT_LOCAL_ENDPOINT = f"http://{HOST.default}:{PORT.default}"

# --- read by monitor (scones/commands/report.py) ---------------------------------------------------------
CAPTURE_SOURCE: Variable[str | None] = Variable(
    "SCONES_CAPTURE_SOURCE", None, str, "s3://bucket/prefix or a folder of capture files"
)
REPORT_DIR: Variable[Path] = Variable(
    "SCONES_REPORT_DIR", PROJECT_ROOT / ".scones" / "report", Path, "where monitor writes its report"
)

# --- read by stage, train, demo (scones/commands/training.py, scones/commands/demo.py) -------------------
DATA_DIR: Variable[Path] = Variable(
    "SCONES_DATA_DIR", PROJECT_ROOT / "data" / "cifar100-vehicles", Path, "staged folder"
)
CIFAR_ARCHIVE: Variable[Path | None] = Variable(
    "SCONES_CIFAR_ARCHIVE", None, Path, "local CIFAR-100 python archive (offline; md5 not verified)"
)
CIFAR_CACHE: Variable[Path | None] = Variable(
    "SCONES_CIFAR_CACHE", None, Path, "where the official archive is downloaded"
)
DATA_BUCKET: Variable[str | None] = Variable("SCONES_DATA_BUCKET", None, str, "S3 bucket `stage` uploads to")
DATA_PREFIX: Variable[str] = Variable("SCONES_DATA_PREFIX", "", str, "key prefix inside the data bucket")


@dataclass(frozen=True)
class DeprecatedName:
    """An old name that still works, for one release, in the one command that read it, with a warning."""

    old: str
    new: Variable[Any]
    command: str  # the subcommand that read the old name (`scones <command>`)


DEPRECATED: tuple[DeprecatedName, ...] = (
    DeprecatedName("SCONES_ARTIFACT_DIR", MODEL, "evaluate"),
    # SCONES_MODEL_DIR stays, unchanged, the endpoint server's variable (local_endpoint/settings.py).
    DeprecatedName("SCONES_MODEL_DIR", MODEL, "train"),
    # THRESHOLD stays the filter Lambda's variable (LAMBDA_THRESHOLD below).
    DeprecatedName("THRESHOLD", THRESHOLD, "monitor"),
)

# --- set for LocalStack (scones/stack/settings.py); its extension reads them (scones_localstack/config.py)
LAMBDA_PROCESS_PYTHON_MAPPING = "LAMBDA_PROCESS_PYTHON_MAPPING"  # {runtime: interpreter} for the executor
LAMBDA_PROCESS_SANDBOX_STATE_FILE = "LAMBDA_PROCESS_SANDBOX_STATE_FILE"  # the sandbox it chose, for status
LAMBDA_PROCESS_SANDBOX = "LAMBDA_PROCESS_SANDBOX"  # from SCONES_LAMBDA_SANDBOX
ENDPOINT_CMD = "SCONES_ENDPOINT_CMD"  # the command that starts one stand-in endpoint
PROJECT_ROOT_VARIABLE = "SCONES_PROJECT_ROOT"  # PYTHONPATH and working directory of the stand-ins
IAM_DENY_LOG = "SCONES_IAM_DENY_LOG"  # JSON lines of denied requests, for `scones status`
# LocalStack's own option (mocked test cases, Step Functions Local's format), from SCONES_SFN_MOCK_CONFIG.
LOCALSTACK_SFN_MOCK_CONFIG = "SFN_MOCK_CONFIG"
# The extension's settings a user may set in the shell that runs `scones up`: passed on as they are.
SFN_EXECUTION_RETENTION = "SCONES_SFN_EXECUTION_RETENTION"
ENDPOINT_BODY_TIMEOUT_S = "SCONES_ENDPOINT_BODY_TIMEOUT_S"
ENDPOINT_SPARES = "SCONES_ENDPOINT_SPARES"
PASSED_TO_LOCALSTACK = (SFN_EXECUTION_RETENTION, ENDPOINT_BODY_TIMEOUT_S, ENDPOINT_SPARES)

# --- set in the workflow's Lambda functions by deploy (their own packages read them) --------------------
LAMBDA_THRESHOLD = "THRESHOLD"  # lambdas/filter_confidence
LAMBDA_ENDPOINT_NAME = "ENDPOINT_NAME"  # lambdas/classify


def _present(value: str | None) -> str | None:
    """An empty or blank variable counts as not set (a shell's `VAR=` must not mean "the empty name")."""
    if value is None or not value.strip():
        return None
    return value.strip()


@dataclass(frozen=True)
class Config:
    """The environment, read once, and the one way to resolve a variable: explicit → environment → default."""

    environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Config:
        """A snapshot of ``environ`` (the process's own when not given): later changes do not leak in."""
        return cls(dict(os.environ if environ is None else environ))

    def raw(self, variable: Variable[Any], *, command: str | None = None) -> str | None:
        """The variable's text, else (in ``command``) a deprecated name's, which warns; None when unset."""
        value = _present(self.environ.get(variable.name))
        for old in DEPRECATED:
            if old.new.name != variable.name or old.command != command:
                continue
            old_value = _present(self.environ.get(old.old))
            if old_value is None:
                continue
            if value is None:
                _warn(f"{old.old} is deprecated for `scones {command}`: set {old.new.name} instead")
                value = old_value
            else:
                _warn(f"{old.old} is deprecated and ignored: {old.new.name} is set and wins")
        return value

    def is_set(self, variable: Variable[Any], *, command: str | None = None) -> bool:
        return self.raw(variable, command=command) is not None

    def get(self, variable: Variable[T], explicit: T | None = None, *, command: str | None = None) -> T:
        """``explicit`` when given (not None), else the environment's value parsed, else the default."""
        if explicit is not None:
            return explicit
        raw = self.raw(variable, command=command)
        if raw is None:
            return variable.default
        try:
            return variable.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{variable.name}={raw!r}: {exc}") from exc


def _warn(message: str) -> None:
    warnings.warn(message, DeprecatedVariableWarning, stacklevel=4)

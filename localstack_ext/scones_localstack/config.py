"""Every environment variable the extension reads in LocalStack's process, or sets for a process it starts.

Why one module: these names cross process boundaries. ``scones up`` (``scones/config.py``, the harness's
side) sets most of the ones read here on LocalStack's process, and the stand-in endpoint
(``local_endpoint/settings.py``) reads the ones set here for it. Each side names them once;
``tests/test_config_agreement.py`` checks that the sides agree. Standard library only: this runs in
LocalStack's venv, and the test loads it by file path from the project's.

The per-area settings modules (``lambda_executor/settings.py``, ``sagemaker/settings.py``,
``stepfunctions/settings.py``, ``gateway.py``) import the names from here and parse the values.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from pathlib import Path

# <project>/localstack_ext/scones_localstack/config.py -> <project>: the checkout, when the extension is
# installed in editable mode; `scones up` also says it explicitly (ENDPOINT_PROJECT_ROOT below).
PROJECT_ROOT = Path(__file__).resolve().parents[2]

_READ: set[str] = set()


def _reads(name: str) -> str:
    """Name a variable read in LocalStack's process (listed in READ)."""
    _READ.add(name)
    return name


# --- read by the process Lambda executor (lambda_executor/settings.py) -------------------------------------
# JSON object mapping a Lambda runtime to an interpreter path, e.g. {"python3.13": "/venv/bin/python"}.
LAMBDA_PROCESS_PYTHON_MAPPING = _reads("LAMBDA_PROCESS_PYTHON_MAPPING")
# Interpreter used for any python runtime missing from the mapping.
LAMBDA_PROCESS_PYTHON = _reads("LAMBDA_PROCESS_PYTHON")
# Root of the per-environment host dirs (/tmp; HOME and TMPDIR in the fallback);
# default <LocalStack tmp dir>/lambda-process.
LAMBDA_PROCESS_SANDBOX_DIR = _reads("LAMBDA_PROCESS_SANDBOX_DIR")
# JSON object of extra variables for every function, applied before the function's own variables.
LAMBDA_PROCESS_EXTRA_ENV = _reads("LAMBDA_PROCESS_EXTRA_ENV")
# Seconds LocalStack waits past a function's timeout before it kills the process (default 0.5).
LAMBDA_PROCESS_TIMEOUT_GRACE_S = _reads("LAMBDA_PROCESS_TIMEOUT_GRACE_S")
# Function sandbox: auto (namespaces where the kernel allows, else the TMPDIR fallback, said in the
# log and `scones status`), namespaces (required: functions fail to create without it), off (fallback).
LAMBDA_PROCESS_SANDBOX = _reads("LAMBDA_PROCESS_SANDBOX")
# 1 (default): in the namespace sandbox, cold starts fork from a warm interpreter per runtime that has
# imported the runtime and boto3 (shim_zygote.py); 0: each environment execs its interpreter.
LAMBDA_PROCESS_ZYGOTE = _reads("LAMBDA_PROCESS_ZYGOTE")
# File where the executor records the sandbox mode it chose (JSON), for `scones status`.
LAMBDA_PROCESS_SANDBOX_STATE_FILE = _reads("LAMBDA_PROCESS_SANDBOX_STATE_FILE")

# --- read by the SageMaker provider (sagemaker/settings.py) ------------------------------------------------
# The command that starts one stand-in endpoint process (shell words). Default: the project's endpoint venv.
ENDPOINT_CMD = _reads("SCONES_ENDPOINT_CMD")
# Seconds a stand-in gets to answer GET /ping with 200 (a variant's
# ContainerStartupHealthCheckTimeoutInSeconds wins).
ENDPOINT_STARTUP_TIMEOUT = _reads("SCONES_ENDPOINT_STARTUP_TIMEOUT")
# Seconds an invocation may take before the runtime answers ModelError (SageMaker: 60 s).
ENDPOINT_INVOKE_TIMEOUT = _reads("SCONES_ENDPOINT_INVOKE_TIMEOUT")
# How many times the supervisor restarts a stand-in that died while in service before marking it Failed.
ENDPOINT_MAX_RESTARTS = _reads("SCONES_ENDPOINT_MAX_RESTARTS")
# Seconds an invoke waits for a restarting stand-in before answering ServiceUnavailable.
ENDPOINT_RESTART_WAIT = _reads("SCONES_ENDPOINT_RESTART_WAIT")
# Seconds a request body may take to arrive (408 RequestTimeoutException after). The stand-ins inherit
# LocalStack's environment, so the same variable sets their own body timeout (local_endpoint/settings.py).
ENDPOINT_BODY_TIMEOUT = _reads("SCONES_ENDPOINT_BODY_TIMEOUT_S")
# The project root (PYTHONPATH and working directory of the stand-in); `scones up` sets it.
ENDPOINT_PROJECT_ROOT = _reads("SCONES_PROJECT_ROOT")
# Stand-ins kept started and imported for the next endpoint (sagemaker/spares.py): 1 (default) or 0.
ENDPOINT_SPARES = _reads("SCONES_ENDPOINT_SPARES")

# --- read by the Step Functions hooks (stepfunctions/settings.py) ------------------------------------------
# Finished executions kept per account and region before the oldest is forgotten (0 or less: all).
SFN_EXECUTION_RETENTION = _reads("SCONES_SFN_EXECUTION_RETENTION")

# --- read by the gateway patch (gateway.py) ----------------------------------------------------------------
# Seconds of silence after which an unfinished request gets 400 RequestTimeout (default 5, 0: never).
GATEWAY_BODY_TIMEOUT = _reads("SCONES_GATEWAY_BODY_TIMEOUT_S")

# --- read by IAM enforcement (iam/switch.py) ----------------------------------------------------------------
# 1: role sessions' requests are evaluated against their policies (issue #16); 0: LocalStack's permissive
# behaviour. The extension's default is iam/switch.py's DEFAULT_ENFORCE.
IAM_ENFORCE = _reads("SCONES_IAM_ENFORCE")
# File (JSON lines) where every denied request is recorded for `scones status`; default: the log only.
IAM_DENY_LOG = _reads("SCONES_IAM_DENY_LOG")

READ: frozenset[str] = frozenset(_READ)

# --- set for each stand-in endpoint process (sagemaker/processes.py); local_endpoint/settings.py reads them


@dataclass(frozen=True)
class StandinVariables:
    """The names, one field each, so that the environment built for a stand-in is checked by mypy."""

    endpoint_name: str = "SCONES_ENDPOINT_NAME"
    variant: str = "SCONES_ENDPOINT_VARIANT"
    model_data_url: str = "SCONES_MODEL_DATA_URL"
    capture_config: str = "SCONES_DATA_CAPTURE_CONFIG"
    host: str = "SCONES_ENDPOINT_HOST"
    port: str = "SCONES_ENDPOINT_PORT"
    account_id: str = "SCONES_ACCOUNT_ID"
    parent_pid: str = "SCONES_PARENT_PID"


STANDIN = StandinVariables()
SET_FOR_ENDPOINT: frozenset[str] = frozenset(astuple(STANDIN))
# Set on a spare stand-in only ("stdin"): it reads the environment above from standard input when handed an
# endpoint (local_endpoint/handoff.py).
STANDIN_HANDOFF = "SCONES_ENDPOINT_HANDOFF"
STANDIN_HANDOFF_STDIN = "stdin"

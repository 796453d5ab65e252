"""Step Functions settings of our extension, read from LocalStack's environment once at import.

``SCONES_SFN_EXECUTION_RETENTION``: how many finished executions (their record and history) LocalStack
keeps per account and region before the oldest finished one is forgotten (see retention). scones passes
it through to LocalStack (``PASSED_TO_LOCALSTACK`` in ``scones/config.py``). ``0`` or less keeps every
execution, as LocalStack itself does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from scones_localstack.config import SFN_EXECUTION_RETENTION as ENV_EXECUTION_RETENTION

# Enough for `scones run`, which describes each execution moments after it ends, and for a person looking
# at the last runs; small enough that a soak of any length stays within tens of MB (a kept execution of
# our workflow is its input, history and output: tens of KB).
DEFAULT_EXECUTION_RETENTION = 1000


def execution_retention(environ: Mapping[str, str] | None = None) -> int:
    """The retention from the environment; a value that is not an integer is an error, not a default."""
    raw = (os.environ if environ is None else environ).get(ENV_EXECUTION_RETENTION, "").strip()
    if not raw:
        return DEFAULT_EXECUTION_RETENTION
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{ENV_EXECUTION_RETENTION} must be an integer, got {raw!r}") from None


EXECUTION_RETENTION = execution_retention()

"""Whether IAM enforcement is on: one place that reads ``SCONES_IAM_ENFORCE`` in LocalStack's process.

Every part that behaves differently under enforcement (the gateway's policy evaluation, the role checks
at CreateFunction and CreateModel, the stand-in acting as the model's role) asks ``iam_enforced()``, so
the switch cannot be half on. Standard library only, like the rest of this package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from scones_localstack.config import IAM_ENFORCE

# On, as issue #16 asks ("on by default wherever the stack runs"): a local verdict should predict AWS's.
# scones passes its own setting explicitly, so this default matters for a bare LocalStack.
DEFAULT_ENFORCE = True

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def iam_enforced(environ: Mapping[str, str] | None = None) -> bool:
    """The switch from the environment; a value that is neither on nor off is an error, not a default."""
    raw = (os.environ if environ is None else environ).get(IAM_ENFORCE, "").strip().lower()
    if not raw:
        return DEFAULT_ENFORCE
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"{IAM_ENFORCE} must be 1 or 0, got {raw!r}")

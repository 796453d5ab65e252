"""The deny log: every denied request, one WARNING line in LocalStack's log and one JSON line in the file
``SCONES_IAM_DENY_LOG`` names (when set), so ``scones status`` can list which statement is missing.

Why a file as well as the log: denials AWS tolerates quietly (a Lambda's log writes without
``logs:PutLogEvents``, capture writes) fail nothing, so the only place a user sees them is here.
The file is bounded: past ``MAX_BYTES`` it is moved to ``<file>.1`` (one old generation kept).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from scones_localstack.config import IAM_DENY_LOG

LOG = logging.getLogger("scones_localstack.iam")
MAX_BYTES = 1 << 20
_lock = threading.Lock()


@dataclass(frozen=True)
class DenyEntry:
    """One denied request: who (the session and its role), what (action, resource), and why."""

    principal: str
    role: str
    action: str
    resource: str
    reason: str
    service: str
    operation: str
    time: float = 0.0


def deny_log_path() -> Path | None:
    raw = os.environ.get(IAM_DENY_LOG, "").strip()
    return Path(raw) if raw else None


def record(entry: DenyEntry, path: Path | None = None) -> None:
    """Log ``entry`` and append it to the deny-log file; a file that cannot be written is logged, never
    raised (the denial itself has already been decided)."""
    if not entry.time:
        entry = DenyEntry(**{**asdict(entry), "time": time.time()})
    LOG.warning(
        "IAM denied %s: %s on %s (role %s): %s",
        entry.principal,
        entry.action,
        entry.resource,
        entry.role,
        entry.reason,
    )
    target = path if path is not None else deny_log_path()
    if target is None:
        return
    line = json.dumps(asdict(entry), sort_keys=True) + "\n"
    try:
        with _lock:
            if target.exists() and target.stat().st_size > MAX_BYTES:
                target.replace(target.with_name(target.name + ".1"))
            with target.open("a", encoding="utf-8") as out:
                out.write(line)
    except OSError as error:
        LOG.warning("IAM deny log %s not written: %s", target, error)

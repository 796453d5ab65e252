"""What ``scones status`` says about IAM enforcement: whether the running stack enforces, and the requests
it denied (the deny log LocalStack's extension writes, docs/iam.md).

Read from the stack itself, not from the shell running ``status``: the switch from the LocalStack process's
environment (what ``scones up`` passed it), the denials from the JSON-lines file in the stack's state dir,
counted from the stack's start (the file outlives restarts; the extension bounds its size).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import psutil

from scones import config as cfg

# How many of the most recent denials `status` lists (the count of all of them is always stated).
SHOWN = 10


@dataclass(frozen=True)
class Denial:
    """One denied request: the session, its role, what it asked, and the reason the engine gave."""

    time: float
    principal: str
    role: str
    action: str
    resource: str
    reason: str


def enforcement(pid: int) -> bool | None:
    """The switch the LocalStack process ``pid`` was started with; None when its environment cannot be
    read (another user's process) or holds a value the switch refuses."""
    try:
        raw = psutil.Process(pid).environ().get(cfg.IAM_ENFORCE.name)
    except psutil.Error:
        return None
    if raw is None:
        return cfg.IAM_ENFORCE_DEFAULT  # a stack started before scones passed the switch
    try:
        return cfg.IAM_ENFORCE.parse(raw)
    except ValueError:
        return None


def read_denials(path: Path, since: float = 0.0) -> list[Denial]:
    """The denials recorded in ``path`` at or after ``since`` (epoch seconds), oldest first; lines that are
    not a denial (a torn last line) are skipped."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        try:
            raw = json.loads(line)
            entry = Denial(
                float(raw["time"]),
                str(raw["principal"]),
                str(raw["role"]),
                str(raw["action"]),
                str(raw["resource"]),
                str(raw.get("reason", "")),
            )
        except (ValueError, KeyError, TypeError):
            continue
        if entry.time >= since:
            found.append(entry)
    return found

"""Delete everything `deploy` created, found by its project tag, and prove nothing tagged is left.

Why by tag and not by name: names are derived from the project, but a user may have renamed or
half-deployed things; the tag is what deploy puts on every resource it creates (bucket, roles,
functions, state machine, SageMaker model / endpoint config / endpoint), on both targets alike.
The order is deploy's backwards (scones.workflow.resources.KINDS): an endpoint before its config and
model, functions before their roles, the bucket (emptied, capture files included) last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from scones.workflow.clients import Clients
from scones.workflow.errors import (
    CleanupFailedError,
    CleanupIncompleteError,
    ResourceLookupError,
)
from scones.workflow.resources import KINDS, Resource, ResourceKind, StateMachines
from scones.workflow.session import WorkflowSession
from scones.workflow.settings import TAG_PROJECT, WorkflowSettings

__all__ = [
    "CleanupFailedError",
    "CleanupIncompleteError",
    "CleanupReport",
    "Resource",
    "cleanup",
    "find_tagged",
]


@dataclass
class CleanupReport:
    removed: list[Resource] = field(default_factory=list)
    left: list[Resource] = field(default_factory=list)


def _kinds(session: WorkflowSession) -> dict[str, ResourceKind[Any]]:
    """One instance per kind, in deletion order (deploy's order backwards)."""
    return {kind.kind: kind(session) for kind in reversed(KINDS)}


def find_tagged(clients: Clients | WorkflowSession, settings: WorkflowSettings) -> list[Resource]:
    """Every resource carrying this project's tag, in deletion order."""
    found: list[Resource] = []
    for kind in _kinds(WorkflowSession.of(settings, clients)).values():
        try:
            found.extend(kind.tagged())
        except (ClientError, BotoCoreError) as exc:
            raise ResourceLookupError(f"cannot list the {kind.kind}s tagged {TAG_PROJECT}: {exc}") from exc
    return found


def cleanup(
    clients: Clients | WorkflowSession,
    settings: WorkflowSettings,
    *,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
) -> CleanupReport:
    """Delete every tagged resource (idempotent), then verify none is left; raise if some are."""
    session = WorkflowSession.of(settings, clients)
    session.check_credentials()
    kinds = _kinds(session)
    report = CleanupReport()
    for resource in find_tagged(session, settings):
        log(f"{'would remove' if dry_run else 'removing'} {resource.kind} {resource.name}")
        if not dry_run:
            try:
                kinds[resource.kind].delete(resource)
            except (ClientError, BotoCoreError) as exc:
                raise CleanupFailedError(f"cannot delete {resource.kind} {resource.name}: {exc}") from exc
        report.removed.append(resource)
    if dry_run:
        return report
    # Deleted state machines may linger as DELETING for a moment on AWS; they are not "left".
    machines = StateMachines(session)
    report.left = [
        r for r in find_tagged(session, settings) if r.kind != machines.kind or machines.active(r.arn)
    ]
    if report.left:
        names = ", ".join(f"{r.kind} {r.name}" for r in report.left)
        raise CleanupIncompleteError(f"still tagged {TAG_PROJECT}={settings.project} after cleanup: {names}")
    return report

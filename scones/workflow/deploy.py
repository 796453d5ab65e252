"""Idempotent create-or-update of everything the workflow needs, with the same calls for both targets.

Order (scones.workflow.resources.KINDS): bucket → roles → model upload → functions → state machine →
SageMaker model, endpoint config, endpoint (waits until InService). Re-running with nothing changed makes
no change: unchanged function code is detected by ``CodeSha256``; SageMaker models and configs are
immutable, so they are named by content hash and the endpoint is only updated when its config name differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local_endpoint import artifact
from scones.config import DEFAULT_MODEL
from scones.workflow.clients import Clients
from scones.workflow.errors import ArtifactMissingError, DeployError, WorkflowError
from scones.workflow.plan import Plan
from scones.workflow.resources import (
    Buckets,
    EndpointConfigs,
    Endpoints,
    Functions,
    ModelArchives,
    Models,
    ResourceKind,
    Roles,
    StateMachines,
    endpoint_specs,
)
from scones.workflow.session import WorkflowSession
from scones.workflow.settings import WorkflowSettings

DEFAULT_ARTIFACT = DEFAULT_MODEL


@dataclass
class DeployResult:
    plan: Plan
    endpoint_name: str
    state_machine_arn: str
    bucket: str
    changes: list[str] = field(default_factory=list)  # human-readable "created/updated X" lines


def model_archive(source: Path | None) -> bytes:
    """model.tar.gz bytes from a tarball, a folder holding one, or an artifact folder (packed flat).

    Packing belongs to the artifact contract (local_endpoint.artifact): deterministic, so deploying the same
    folder twice uploads the same bytes and the content-hashed SageMaker model stays the same.
    """
    path = source or DEFAULT_ARTIFACT
    if path.is_file() or (path / artifact.ARCHIVE_FILE).is_file() or artifact.is_artifact_dir(path):
        return artifact.archive_bytes(path)
    raise ArtifactMissingError(
        f"no model artifact at {path}: train one (`scones train`) or pass --model PATH "
        "(a model.tar.gz or a folder with model.onnx and metadata.json)"
    )


def deploy_steps(
    session: WorkflowSession, archive: bytes, changed: Callable[[str], None]
) -> list[tuple[ResourceKind[Any], Any]]:
    """(kind, spec) pairs in creation order: what deploy ensures, one resource each."""
    plan = session.plan
    upload = ModelArchives(session, changed)
    model, config, endpoint = endpoint_specs(plan, archive, upload.url)
    roles, functions = Roles(session, changed), Functions(session, changed)
    return [
        (Buckets(session, changed), session.settings.bucket_name),
        *((roles, role) for role in plan.all_roles),
        (upload, archive),
        *((functions, spec) for spec in plan.functions),
        (StateMachines(session, changed), plan.state_machine_arn),
        (Models(session, changed), model),
        (EndpointConfigs(session, changed), config),
        (Endpoints(session, changed), endpoint),
    ]


def deploy(
    settings: WorkflowSettings,
    clients: Clients | WorkflowSession | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> DeployResult:
    """Create or update every resource; raises a ``WorkflowError`` subclass naming what failed.

    ``clients`` may be a ``WorkflowSession`` shared with other calls (its account and plan are reused).
    """
    session = WorkflowSession.of(settings, clients)
    session.check_credentials()
    archive = model_archive(settings.model)
    changes: list[str] = []

    def changed(line: str) -> None:
        changes.append(line)
        log(line)

    plan = session.plan
    for kind, spec in deploy_steps(session, archive, changed):
        try:
            kind.ensure(spec)
        except WorkflowError:
            raise
        except (ClientError, BotoCoreError) as exc:
            raise DeployError(f"deploy failed at {kind.kind} {kind.name_of(spec)}: {exc}") from exc
    return DeployResult(plan, settings.endpoint_name, plan.state_machine_arn, settings.bucket_name, changes)

"""Idempotent create-or-update of everything the workflow needs, with the same calls for both targets.

Order (scones.workflow.resources.KINDS), in two stages of two lanes each, side by side since neither lane
needs the other: bucket → model upload beside the roles; then functions → state machine beside SageMaker
model → endpoint config → endpoint (waits until InService; minutes on AWS, the slowest step locally too).
Re-running with nothing changed makes no change: unchanged function code is detected by ``CodeSha256``;
SageMaker models and configs are immutable, so they are named by content hash and the endpoint is only
updated when its config name differs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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


Step = tuple[ResourceKind[Any], Any]  # (kind, spec): one resource to ensure


def deploy_stages(
    session: WorkflowSession, archive: bytes, changed: Callable[[int], Callable[[str], None]]
) -> list[list[list[Step]]]:
    """Stages in order; a stage's lanes run side by side, each lane's steps in order. ``changed(lane)``
    gives the callback for the kinds of lane number ``lane`` (numbered across stages)."""
    plan = session.plan
    storage = changed(0)
    upload = ModelArchives(session, storage)
    model, config, endpoint = endpoint_specs(plan, archive, upload.url)
    roles = Roles(session, changed(1))
    functions, sagemaker = Functions(session, changed(2)), changed(3)
    return [
        [
            [(Buckets(session, storage), session.settings.bucket_name), (upload, archive)],
            [(roles, role) for role in plan.all_roles],
        ],
        [
            [
                *((functions, spec) for spec in plan.functions),
                (StateMachines(session, functions.changed), plan.state_machine_arn),
            ],
            [
                (Models(session, sagemaker), model),
                (EndpointConfigs(session, sagemaker), config),
                (Endpoints(session, sagemaker), endpoint),
            ],
        ],
    ]


def _ensure_lane(lane: list[Step]) -> None:
    for kind, spec in lane:
        try:
            kind.ensure(spec)
        except WorkflowError:
            raise
        except (ClientError, BotoCoreError) as exc:
            raise DeployError(f"deploy failed at {kind.kind} {kind.name_of(spec)}: {exc}") from exc


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
    lanes: dict[int, list[str]] = {}
    lock = threading.Lock()

    def changed(lane: int) -> Callable[[str], None]:
        lines = lanes.setdefault(lane, [])

        def record(line: str) -> None:
            with lock:  # lanes report from two threads: whole lines, one at a time
                lines.append(line)
                log(line)

        return record

    plan = session.plan
    for stage in deploy_stages(session, archive, changed):
        with ThreadPoolExecutor(max_workers=len(stage), thread_name_prefix="deploy") as pool:
            outcomes = [pool.submit(_ensure_lane, lane) for lane in stage]
        # Every lane has finished (a failed lane does not stop the other: an endpoint already being
        # created on AWS goes on either way); the first lane's error is the one raised.
        for outcome in outcomes:
            outcome.result()
    changes = [line for lane in sorted(lanes) for line in lanes[lane]]  # in lane order, not time order
    return DeployResult(plan, settings.endpoint_name, plan.state_machine_arn, settings.bucket_name, changes)

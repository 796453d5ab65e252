"""Run the whole test split through the deployed workflow and check it against offline evaluation.

The workflow's answers (probabilities in each execution's output, and its outcome) are compared image
by image with the artifact evaluated offline on the very bytes the workflow read from S3. Equal
metrics are not enough: a per-image difference is reported, because it means the deployed path
computes something else than what was evaluated.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from local_endpoint import artifact
from local_endpoint.errors import ArtifactError
from scones.evaluation.metrics import ImageResult, Metrics, compare, metrics_of, offline_outcome
from scones.evaluation.offline import offline_probabilities
from scones.workflow.clients import Clients
from scones.workflow.errors import RunError
from scones.workflow.run import ItemResult, load_labels, run_workflow
from scones.workflow.session import WorkflowSession
from scones.workflow.settings import WorkflowSettings


@dataclass(frozen=True)
class EvaluationReport:
    workflow: Metrics
    offline: Metrics
    problems: list[str]
    seconds: float


def list_test_keys(clients: Clients, bucket: str, prefix: str = "test/") -> list[str]:
    keys = [
        obj["Key"]
        for page in clients.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for obj in page.get("Contents", [])
        if obj["Key"].lower().endswith((".png", ".jpg", ".jpeg"))
    ]
    if not keys:
        raise RunError(f"no test images under s3://{bucket}/{prefix}: stage them first (`scones stage`)")
    return sorted(keys)


def _download(clients: Clients, bucket: str, keys: list[str]) -> dict[str, bytes]:
    def one(key: str) -> tuple[str, bytes]:
        return key, clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(one, keys))


def _label_index(name: str | None, classes: Sequence[str]) -> int | None:
    """A true class name as an index into the model's output (the artifact's class order)."""
    return classes.index(name) if name in classes else None


def evaluate_workflow(
    settings: WorkflowSettings,
    artifact_dir: Path,
    *,
    limit: int | None = None,
    concurrency: int = 8,
    timeout: float = 600.0,
    clients: Clients | WorkflowSession | None = None,
    on_start: Callable[[int], None] = lambda _: None,
    on_done: Callable[[ItemResult], None] = lambda _: None,
) -> EvaluationReport:
    """Every staged test image through the workflow, then the same images offline; metrics + drift."""
    began = time.monotonic()
    session = WorkflowSession.of(settings, clients)  # one account look-up and plan, shared with run
    clients = session.clients
    bucket = settings.bucket_name
    try:
        classes = artifact.load_metadata(artifact_dir).classes
    except ArtifactError as exc:
        raise RunError(f"cannot evaluate the artifact at {artifact_dir}: {exc}") from exc
    keys = list_test_keys(clients, bucket)[:limit]
    labels = load_labels(clients, bucket, classes)
    on_start(len(keys))
    run = run_workflow(
        settings, keys=keys, timeout=timeout, concurrency=concurrency, clients=session, on_done=on_done
    )
    workflow = {
        item.key: ImageResult(
            item.key, _label_index(item.label, classes), tuple(item.inferences), item.outcome
        )
        for item in run.items
    }
    probabilities = offline_probabilities(artifact_dir, _download(clients, bucket, keys))
    offline = {
        key: ImageResult(
            key,
            _label_index(labels.get(key.rsplit("/", 1)[-1]), classes),
            probs,
            offline_outcome(probs, settings.threshold),
        )
        for key, probs in probabilities.items()
    }
    results = list(workflow.values())
    return EvaluationReport(
        workflow=metrics_of(results, settings.threshold),
        offline=metrics_of(list(offline.values()), settings.threshold),
        problems=compare(workflow, offline),
        seconds=time.monotonic() - began,
    )

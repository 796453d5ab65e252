"""``scones run``: start one execution per image, wait with bounded polling (one status poll per interval
for all of them, see watch), and classify each outcome.

Outcomes: ``classified`` and ``review`` (the state machine's own outputs), ``failed`` (FAILED/TIMED_OUT/
ABORTED, with the error and cause), ``timeout`` (still running when our deadline passed). ``failed`` and
``timeout`` are infrastructure problems; low confidence is not.

Class names come from the artifact contract (local_endpoint.artifact), never from a list here: predictions
are named by the deployed model's own metadata (read from its model.tar.gz in the bucket), labels by the
staged ``classes.json`` next to ``test.lst`` (the model's classes when the staging wrote none).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from local_endpoint import artifact
from local_endpoint.errors import ArtifactError
from scones.workflow.clients import Clients
from scones.workflow.errors import RunError
from scones.workflow.guards import check_execution_input
from scones.workflow.plan import MODEL_KEY
from scones.workflow.resources import Missing, StateMachines
from scones.workflow.session import WorkflowSession
from scones.workflow.settings import WorkflowSettings
from scones.workflow.watch import ExecutionWatcher

TEST_PREFIX = "test/"
# GetObject on a key (or bucket) that is not there: botocore's s3 model names NoSuchKey; S3 answers
# NoSuchBucket for the bucket. Without s3:ListBucket AWS answers AccessDenied instead: that is an error.
NO_SUCH_KEY = Missing.of("NoSuchKey", "NoSuchBucket")
DONE = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


# The outcomes of one execution, in the order tables and summaries list them: the state machine's two
# (its output's "outcome") and ours for an execution that failed or did not finish in time.
OUTCOMES = ("classified", "review", "failed", "timeout")


@dataclass
class ItemResult:
    key: str
    label: str | None = None
    execution_arn: str = ""
    status: str = "PENDING"
    outcome: str = "pending"
    inferences: list[float] = field(default_factory=list)
    error: str | None = None
    cause: str | None = None
    seconds: float = 0.0
    classes: tuple[str, ...] = ()  # the deployed model's class names, in output order

    @property
    def prediction(self) -> str | None:
        if not self.inferences:
            return None
        best = max(range(len(self.inferences)), key=self.inferences.__getitem__)
        return artifact.class_name(best, self.classes)

    @property
    def confidence(self) -> float | None:
        return max(self.inferences) if self.inferences else None


@dataclass
class RunReport:
    items: list[ItemResult]
    seconds: float

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)

    @property
    def infrastructure_errors(self) -> int:
        return self.count("failed") + self.count("timeout")

    @property
    def accuracy(self) -> float | None:
        judged = [i for i in self.items if i.label is not None and i.prediction is not None]
        return sum(i.label == i.prediction for i in judged) / len(judged) if judged else None


def parse_manifest(text: str, classes: Sequence[str]) -> dict[str, str]:
    """``test.lst`` lines ``<row>\\t<label index>\\t<filename>`` → {filename: name in ``classes``}."""
    labels: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[1].strip().isdigit() and int(parts[1]) < len(classes):
            labels[parts[2].strip()] = classes[int(parts[1])]
    return labels


def outcome_of(description: dict[str, Any], classes: Sequence[str] = ()) -> ItemResult:
    """Read one DescribeExecution answer into a result (key filled by the caller)."""
    item = ItemResult(
        key="",
        status=description["status"],
        execution_arn=description["executionArn"],
        classes=tuple(classes),
    )
    if item.status == "SUCCEEDED":
        output = json.loads(description.get("output") or "{}")
        item.outcome = output.get("outcome", "unknown")
        item.inferences = [float(p) for p in output.get("inferences", [])]
    elif item.status in DONE:
        item.outcome = "failed"
        item.error, item.cause = description.get("error"), description.get("cause")
    else:
        item.outcome = "timeout"
    return item


def choose_keys(clients: Clients, bucket: str, count: int, seed: int | None) -> list[str]:
    paginator = clients.s3.get_paginator("list_objects_v2")
    keys = [
        obj["Key"]
        for page in paginator.paginate(Bucket=bucket, Prefix=TEST_PREFIX)
        for obj in page.get("Contents", [])
        if obj["Key"].lower().endswith((".png", ".jpg", ".jpeg"))
    ]
    if not keys:
        raise RunError(f"no test images under s3://{bucket}/{TEST_PREFIX}: stage them first (`scones stage`)")
    return random.Random(seed).sample(sorted(keys), min(count, len(keys)))


def _optional_object(clients: Clients, bucket: str, key: str) -> Any | None:
    """The object's body stream, or None when the key (or bucket) is not there; other errors: RunError."""
    try:
        return clients.s3.get_object(Bucket=bucket, Key=key)["Body"]
    except ClientError as exc:
        if NO_SUCH_KEY.matches(exc):
            return None
        raise RunError(f"cannot read s3://{bucket}/{key}: {exc}") from exc


def deployed_classes(clients: Clients, bucket: str) -> tuple[str, ...]:
    """Class names of the model deploy uploaded (its metadata.json, the archive's first member); () if
    there is none to read, and predictions are then named by index."""
    body = _optional_object(clients, bucket, MODEL_KEY)
    if body is None:
        return ()
    try:
        return artifact.metadata_from_archive(body, origin=f"s3://{bucket}/{MODEL_KEY}").classes
    except ArtifactError:
        return ()
    finally:
        body.close()


def staged_classes(clients: Clients, bucket: str) -> tuple[str, ...] | None:
    """The staged ``classes.json`` uploaded with the test split, or None when staging wrote none."""
    stream = _optional_object(clients, bucket, artifact.CLASSES_FILE)
    if stream is None:
        return None
    body = stream.read()
    try:
        return artifact.classes_from_json(body, origin=f"s3://{bucket}/{artifact.CLASSES_FILE}")
    except ArtifactError as exc:
        raise RunError(str(exc)) from exc


def load_labels(clients: Clients, bucket: str, model_classes: Sequence[str]) -> dict[str, str]:
    """{file name: true class name} from ``test.lst``, its indices named by the staged classes.json (the
    original project's folder has none: its labels are in the model's order)."""
    stream = _optional_object(clients, bucket, "test.lst")
    if stream is None:
        return {}
    body = stream.read()
    classes = staged_classes(clients, bucket) or tuple(model_classes)
    return parse_manifest(body.decode("utf-8", errors="replace"), classes)


def run_workflow(
    settings: WorkflowSettings,
    keys: Sequence[str] = (),
    count: int = 0,
    seed: int | None = None,
    timeout: float = 120.0,
    concurrency: int = 8,
    clients: Clients | WorkflowSession | None = None,
    on_done: Callable[[ItemResult], None] = lambda _: None,
) -> RunReport:
    """One execution per key (or ``count`` random staged keys). ``clients`` may be a ``WorkflowSession``
    shared with other calls (evaluate passes its own), so the account and plan are worked out once."""
    session = WorkflowSession.of(settings, clients)
    session.check_credentials()
    clients = session.clients
    bucket = settings.bucket_name
    plan = session.plan
    sfn = clients.sfn
    if StateMachines(session).find(plan.state_machine_arn) is None:
        raise RunError(f"state machine {settings.state_machine_name} not found: run `scones deploy` first")
    chosen = list(keys) or choose_keys(clients, bucket, count, seed)
    classes = deployed_classes(clients, bucket)
    labels = load_labels(clients, bucket, classes)
    started = time.monotonic()
    batch = uuid.uuid4().hex[:8]

    def one(index_key: tuple[int, str]) -> ItemResult:
        index, key = index_key
        began = time.monotonic()
        arn = sfn.start_execution(
            stateMachineArn=plan.state_machine_arn,
            name=f"run-{batch}-{index}",
            input=check_execution_input({"s3_bucket": bucket, "s3_key": key}),
        )["executionArn"]
        item = outcome_of(watcher.wait(arn, deadline=started + timeout), classes)
        item.key, item.label = key, labels.get(key.rsplit("/", 1)[-1])
        item.seconds = time.monotonic() - began
        on_done(item)
        return item

    with (
        ExecutionWatcher(sfn, plan.state_machine_arn, settings.poll_interval) as watcher,
        ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool,
    ):
        items = list(pool.map(one, enumerate(chosen)))
    return RunReport(items=items, seconds=time.monotonic() - started)

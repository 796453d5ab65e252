"""A three-class model through deploy → run → evaluate → monitor on the real local stack, labelled right.

Training a real three-class model is too slow for a test, so the model is the tiny ONNX classifier of
tests/helpers/tiny_model.py with three outputs (red, blue and green images each pick their own class) and the
staged data is what ``scones stage --fine-labels`` writes: PNGs, ``test.lst`` with label indices and
``classes.json``. The staged class order deliberately differs from the model's: labels are named by the
staged ``classes.json``, predictions by the deployed artifact's metadata, and nothing may assume the original
two classes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scones.evaluation import evaluate_workflow
from scones.monitor import Capture, build_report, classes_from_metadata, open_source, read_capture
from scones.workflow import WorkflowSettings, deploy, run_workflow
from scones.workflow.clients import Clients
from scones.workflow.plan import CAPTURE_PREFIX
from scones.workflow.settings import Target
from tests.helpers.images import solid_png
from tests.helpers.tiny_model import THREE_CLASS_COLOURS, build_tiny_artifact

pytestmark = pytest.mark.integration

MODEL_CLASSES = ("car", "tram", "bus")  # output order: red → car, blue → tram, green → bus
STAGED_CLASSES = ("bus", "car", "tram")  # the staging's label order (classes.json), not the model's
EXPECTED = {f"{name}-{shade}.png": name for name in MODEL_CLASSES for shade in (0, 1)}


@dataclass(frozen=True)
class Deployed:
    settings: WorkflowSettings
    clients: Clients
    artifact: Path


@pytest.fixture(scope="module")
def deployed(localstack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    folder = build_tiny_artifact(tmp_path_factory.mktemp("three") / "artifact", classes=MODEL_CLASSES)
    settings = WorkflowSettings(
        target=Target.LOCAL, endpoint_url=localstack.endpoint_url, project="threeclass", model=folder
    )
    deploy(settings)
    clients = Clients(settings)
    s3, bucket = clients.s3, settings.bucket_name
    manifest = []
    for row, (name, truth) in enumerate(sorted(EXPECTED.items())):
        colour = THREE_CLASS_COLOURS[MODEL_CLASSES.index(truth)]
        r, g, b = (max(0, c - 20 * int(name[-5])) for c in colour)  # each file a shade of its class colour
        s3.put_object(Bucket=bucket, Key=f"test/{name}", Body=solid_png((r, g, b), mode="RGB"))
        manifest.append(f"{row}\t{STAGED_CLASSES.index(truth)}\t{name}\n")
    s3.put_object(Bucket=bucket, Key="test.lst", Body="".join(manifest).encode())
    s3.put_object(Bucket=bucket, Key="classes.json", Body=json.dumps(STAGED_CLASSES).encode())
    yield Deployed(settings, clients, folder)


def test_three_classes__run_names_labels_and_predictions(deployed: Deployed) -> None:
    report = run_workflow(deployed.settings, keys=[f"test/{n}" for n in sorted(EXPECTED)], timeout=60)
    got = {
        item.key.removeprefix("test/"): (item.label, item.prediction, item.outcome) for item in report.items
    }
    assert got == {name: (truth, truth, "classified") for name, truth in EXPECTED.items()}
    assert report.accuracy == 1.0


def test_three_classes__evaluate_agrees_with_offline_and_scores_every_class(deployed: Deployed) -> None:
    report = evaluate_workflow(deployed.settings, deployed.artifact, clients=deployed.clients, timeout=60)
    assert report.problems == []
    assert report.workflow.images == report.offline.images == len(EXPECTED)
    assert report.workflow.accuracy == report.offline.accuracy == 1.0
    assert report.workflow.coverage == 1.0 and report.workflow.failures == 0


def test_three_classes__monitor_counts_each_class_by_name(deployed: Deployed, tmp_path: Path) -> None:
    run_workflow(deployed.settings, keys=[f"test/{n}" for n in sorted(EXPECTED)], timeout=60)
    source = f"s3://{deployed.settings.bucket_name}/{CAPTURE_PREFIX}"
    capture = _wait_for_records(lambda: read_capture(open_source(source, deployed.clients.s3)), len(EXPECTED))
    classes = classes_from_metadata(deployed.artifact)
    assert classes == MODEL_CLASSES
    report = build_report(capture, tmp_path, source=source, classes=classes)
    counts = report.summary.class_counts
    assert set(counts) == set(MODEL_CLASSES)
    assert counts["car"] == counts["tram"] == counts["bus"] > 0
    assert "class 2" not in report.html.read_text()


def _wait_for_records(read: Callable[[], Capture], at_least: int, timeout: float = 20.0) -> Capture:
    """Read until at least ``at_least`` records are there and a read 1.5 s later finds no more (the
    endpoint flushes its capture buffer every second): every execution so far is then in the capture."""
    deadline = time.monotonic() + timeout
    capture = read()
    while time.monotonic() < deadline:
        time.sleep(1.5)
        later = read()
        if len(later.records) >= at_least and len(later.records) == len(capture.records):
            return later
        capture = later
    return capture

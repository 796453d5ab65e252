"""A three-class model through (stage → train →) deploy → run → evaluate → monitor on the real local stack,
labelled right.

Two models. The first is the tiny ONNX classifier of tests/helpers/tiny_model.py with three outputs (red,
blue and green images each pick their own class, so every prediction is known), with staged data as
``scones stage --fine-labels`` writes it: PNGs, ``test.lst`` with label indices and ``classes.json``. The
second is trained: ``scones stage`` reads a generated archive in CIFAR-100's format with three classes
(../shared holds only two), ``scones train --tiny`` fine-tunes on it (about 10 s on 2 cores) and the same
chain runs on its artifact. The staged class order deliberately differs from the archive's (and, for the
first model, from the model's): labels are named by the staged ``classes.json``, predictions by the deployed
artifact's metadata, and nothing may assume the original two classes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local_endpoint.artifact import load_metadata
from scones.evaluation import evaluate_workflow
from scones.monitor import Capture, build_report, classes_from_metadata, open_source, read_capture
from scones.workflow import WorkflowSettings, deploy, run_workflow
from scones.workflow.clients import Clients
from scones.workflow.plan import CAPTURE_PREFIX
from scones.workflow.settings import Target
from tests.helpers.cifar_archive import write_cifar_archive
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


# --- the same chain from a trained model: stage → train → deploy → run → evaluate → monitor -------------
# Fine labels of the generated archive (CIFAR-100's own numbers for these names), each a colour with noise.
GENERATED = {
    13: ("bus", (220, 40, 40)),
    58: ("pickup_truck", (40, 40, 220)),
    81: ("streetcar", (40, 220, 40)),
}
FINE_LABELS = (81, 13, 58)  # the staged label order: deliberately not the archive's
TRAINED_CLASSES = tuple(GENERATED[fine][0] for fine in FINE_LABELS)


def _scones(*args: str, env: dict[str, str]) -> str:
    """The CLI as a user runs it (its own process), failing the test with its output when it fails."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "scones"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"scones {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def trained(localstack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    """``scones stage`` a generated three-class archive, ``scones train --tiny`` on it, deploy the result
    (threshold 0: every prediction is classified, so run and evaluate see each one by name) and upload the
    staged folder with ``scones stage --from-folder``."""
    work = tmp_path_factory.mktemp("three-trained")
    archive = write_cifar_archive(work / "cifar-100-python.tar.gz", GENERATED)
    staged, artifact_dir = work / "staged", work / "model"
    env = {
        **os.environ,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    fine_labels = ",".join(map(str, FINE_LABELS))
    _scones("stage", "--archive", str(archive), "--fine-labels", fine_labels, "--out", str(staged), env=env)
    train = ["train", "--tiny", "--data-dir", str(staged), "--out", str(artifact_dir)]
    _scones(*train, "--checkpoint", str(work / "checkpoint.pt"), env=env)
    settings = WorkflowSettings(
        target=Target.LOCAL,
        endpoint_url=localstack.endpoint_url,
        project="threetrained",
        model=artifact_dir,
        threshold=0.0,
    )
    deploy(settings)
    upload = ["stage", "--from-folder", str(staged), "--bucket", settings.bucket_name]
    _scones(*upload, "--endpoint-url", localstack.endpoint_url, env=env)
    yield Deployed(settings, Clients(settings), artifact_dir)


def _truth(key: str) -> str:
    """The generated file name carries its fine label: test_<fine>_<n>.png."""
    return GENERATED[int(key.rsplit("/", 1)[-1].split("_")[1])][0]


def test_trained_three_classes__the_artifact_names_the_staged_classes(trained: Deployed) -> None:
    assert load_metadata(trained.artifact).classes == TRAINED_CLASSES
    assert classes_from_metadata(trained.artifact) == TRAINED_CLASSES


def test_trained_three_classes__run_labels_and_predicts_by_name(trained: Deployed) -> None:
    report = run_workflow(trained.settings, count=12, seed=0, timeout=120)
    assert len(report.items) == 12 and report.infrastructure_errors == 0
    for item in report.items:
        assert item.label == _truth(item.key), item
        assert item.prediction in TRAINED_CLASSES and item.outcome == "classified", item
    assert {item.label for item in report.items} == set(TRAINED_CLASSES)


def test_trained_three_classes__evaluate_equals_offline(trained: Deployed) -> None:
    report = evaluate_workflow(trained.settings, trained.artifact, clients=trained.clients, timeout=120)
    assert report.problems == []
    assert report.workflow.images == report.offline.images == 12
    assert report.workflow.accuracy == report.offline.accuracy


def test_trained_three_classes__monitor_names_every_predicted_class(
    trained: Deployed, tmp_path: Path
) -> None:
    run = run_workflow(trained.settings, count=12, seed=1, timeout=120)
    source = f"s3://{trained.settings.bucket_name}/{CAPTURE_PREFIX}"
    capture = _wait_for_records(lambda: read_capture(open_source(source, trained.clients.s3)), 12)
    report = build_report(capture, tmp_path, source=source, classes=classes_from_metadata(trained.artifact))
    counts = report.summary.class_counts
    assert set(counts) <= set(TRAINED_CLASSES)
    assert set(counts) >= {item.prediction for item in run.items}
    assert "class 2" not in report.html.read_text()

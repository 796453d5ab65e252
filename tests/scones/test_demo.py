"""The demo path in its reduced form (tiny training, a short evaluation), so `make demo` cannot rot.

Real everything: staging from the CIFAR-format archive, training, LocalStack with our extensions, deploy,
executions, the endpoint's capture, evaluation against offline, the HTML report, cleanup and down.
"""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest
from rich.console import Console

from local_endpoint.artifact import DEFAULT_THRESHOLD
from scones.demo import DemoSettings, choose_threshold, run_demo
from tests.helpers.sagemaker_endpoints import standin_identity
from tests.helpers.shared_data import require_shared


@pytest.mark.parametrize(
    ("recommended", "deployed", "source"),
    [
        (0.5, 0.93, "original project"),  # the full run: every prediction would be accepted
        (0.929, 0.93, "original project"),
        (0.93, 0.93, "recommended"),  # a tie keeps the recommendation (same value either way)
        (0.97, 0.97, "recommended"),
        (None, 0.93, "original project"),  # an artifact that states no threshold
    ],
)
def test_choose_threshold__the_higher_of_recommendation_and_original(
    recommended: float | None, deployed: float, source: str
) -> None:
    choice = choose_threshold(recommended)
    assert (choice.value, choice.source, choice.recommended) == (deployed, source, recommended)
    assert choice.floor == DEFAULT_THRESHOLD == 0.93


def test_choose_threshold__floor_is_a_parameter() -> None:
    assert choose_threshold(0.8, floor=0.7).value == 0.8
    assert choose_threshold(0.6, floor=0.7).value == 0.7


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.shared
def test_demo__tiny_end_to_end(tmp_path: Path) -> None:
    archive = require_shared("cifar-100-python-vehicles.tar.gz")
    settings = DemoSettings(
        archive=archive,
        data_dir=tmp_path / "data",
        artifact_dir=tmp_path / "artifacts" / "model",
        report_dir=tmp_path / "artifacts" / "report",
        state_root=tmp_path / "state",
        project="demo-test",
        tiny=True,
        batch=6,
        evaluate_limit=24,
    )
    with (tmp_path / "demo.log").open("w") as log_file:
        result = run_demo(settings, Console(file=log_file, width=120))

    assert list(result.steps) == [
        "stage",
        "train",
        "up",
        "deploy",
        "upload",
        "run",
        "evaluate",
        "monitor",
        "cleanup",
        "down",
    ]
    assert sum(result.run_counts.values()) == 6
    assert result.run_counts["failed"] == result.run_counts["timeout"] == 0
    evaluation = result.evaluation
    assert evaluation is not None
    assert evaluation.problems == []
    assert evaluation.workflow == evaluation.offline
    assert evaluation.workflow.images == 24
    # Capture at 100 %: one record per classify invocation (the run batch plus the evaluation).
    assert result.capture_records == 6 + 24
    assert result.report_html is not None and result.report_html.exists()
    assert "<img" in result.report_html.read_text()
    assert result.removed >= 10  # endpoint, config, model, machine, 3 functions, roles, bucket
    metadata = json.loads((settings.artifact_dir / "metadata.json").read_text())
    assert metadata["classes"] == ["bicycle", "motorcycle"]
    # The deployed threshold is never below the original project's, whatever the tiny model recommends.
    assert result.threshold == choose_threshold(metadata["threshold"])
    assert result.threshold.value >= 0.93
    log = (tmp_path / "demo.log").read_text()
    assert f"threshold {result.threshold.value} ({result.threshold.source})" in log
    # down: nothing of the stack is left running (LocalStack, function processes, endpoint stand-ins, and
    # a spare stand-in, whose TMPDIR is under the stack's state like every stand-in's).
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        try:
            cwd = proc.info["cwd"] or ""
            tmpdir = proc.environ().get("TMPDIR", "")
            endpoint = (standin_identity(proc) or ("", 0))[0]
        except psutil.Error:
            continue
        assert not cwd.startswith(str(settings.state_root)), proc.info["cmdline"]
        assert not tmpdir.startswith(str(settings.state_root)), proc.info["cmdline"]
        assert not endpoint.startswith("demo-test"), proc.info["cmdline"]

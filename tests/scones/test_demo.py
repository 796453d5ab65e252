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

from scones.demo import DemoSettings, run_demo
from tests.helpers.shared_data import require_shared

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.shared]


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
    console = Console(file=(tmp_path / "demo.log").open("w"), width=120)
    result = run_demo(settings, console)

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
    # down: nothing of the stack is left running (LocalStack, function processes, endpoint stand-ins).
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        try:
            cwd = proc.info["cwd"] or ""
            endpoint = proc.environ().get("SCONES_ENDPOINT_NAME", "")
        except psutil.Error:
            continue
        assert not cwd.startswith(str(settings.state_root)), proc.info["cmdline"]
        assert not endpoint.startswith("demo-test"), proc.info["cmdline"]

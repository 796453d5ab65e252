"""``scones deploy`` against the real local stack: re-deploying an unchanged model *folder* changes nothing.

A folder without a model.tar.gz is packed at deploy time; SageMaker models and endpoint configs are named by
the archive's content hash, so the packing must give the same bytes every time (no gzip timestamp, no file
mtimes) or every deploy creates a new model, a new config and an endpoint update.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from scones.workflow import WorkflowSettings, deploy
from scones.workflow.settings import Target
from tests.helpers.tiny_model import build_tiny_artifact

pytestmark = pytest.mark.integration


def test_deploy__same_model_folder_twice_reports_no_change(localstack, tmp_path: Path) -> None:
    folder = build_tiny_artifact(tmp_path / "artifact")
    assert not (folder / "model.tar.gz").exists()
    settings = WorkflowSettings(
        target=Target.LOCAL, endpoint_url=localstack.endpoint_url, project="deploytwice", model=folder
    )
    first = deploy(settings)
    assert any(line.startswith("created model ") for line in first.changes)
    # A later second (gzip headers and tar members carry whole-second times) and touched files: the
    # artifact's content is what names the model, not when it was packed or written.
    time.sleep(1.1)
    for path in folder.iterdir():
        os.utime(path)
    second = deploy(settings)
    assert second.changes == []
    assert second.endpoint_name == first.endpoint_name

"""Fixtures for the training tests: one staging of the CIFAR-format archive from ../shared and one tiny
training run (CLI, end to end) per session, shared by the tests that inspect their outputs."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers.shared_data import require_shared
from tests.helpers.training_run import TinyRun


@pytest.fixture(scope="session")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """../shared's CIFAR-format archive staged once (local archive path, no md5 check)."""
    from training.stage import UnverifiedArchiveWarning, stage_to_folder

    archive = require_shared("cifar-100-python-vehicles.tar.gz")
    out = tmp_path_factory.mktemp("staged")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedArchiveWarning)
        stage_to_folder(out, archive=archive)
    return out


@pytest.fixture(scope="session")
def tiny_run(staged: Path, tmp_path_factory: pytest.TempPathFactory) -> TinyRun:
    """`scones train --tiny` on the staged folder: 48 images, 64 px, 1 epoch, all three stages."""
    from scones.cli import cli

    root = tmp_path_factory.mktemp("tiny")
    artifact, checkpoint = root / "model", root / "checkpoint.pt"
    args = [
        "train",
        "--tiny",
        "--data-dir",
        str(staged),
        "--out",
        str(artifact),
        "--checkpoint",
        str(checkpoint),
        "--created-by",
        "tests",
    ]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return TinyRun(staged, artifact, checkpoint, result.output)

"""`scones stage` / `scones train` reject bad input with click's usage errors, before any work is done."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from scones.cli import cli


def test_stage__one_fine_label_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["stage", "--out", str(tmp_path), "--fine-labels", "8"])
    assert result.exit_code == 2
    assert "at least two distinct CIFAR-100 fine labels" in result.output


def test_stage__non_integer_fine_labels_are_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["stage", "--out", str(tmp_path), "--fine-labels", "8,bike"])
    assert result.exit_code == 2
    assert "expected comma-separated integers" in result.output


def test_stage__a_folder_that_is_not_staged_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["stage", "--from-folder", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not a staged folder: train.lst is missing" in result.output


def test_train__unknown_stage_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", "--data-dir", str(tmp_path), "--stages", "train,deploy"])
    assert result.exit_code == 2
    assert "unknown stage(s) ['deploy']" in result.output


def test_train__missing_staged_data_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "train",
            "--tiny",
            "--data-dir",
            str(tmp_path),
            "--out",
            str(tmp_path / "m"),
            "--checkpoint",
            str(tmp_path / "c.pt"),
        ],
    )
    assert result.exit_code == 1
    assert "run `scones stage` first" in result.output


def test_train__help_lists_the_tiny_and_stage_options() -> None:
    result = CliRunner().invoke(cli, ["train", "--help"])
    assert result.exit_code == 0
    assert "--tiny" in result.output and "--stages" in result.output

"""A tiny end-to-end run (`scones train --tiny`: 48 images, 64 px, 1 epoch) exports an artifact that ONNX
Runtime loads, with a dynamic batch, PyTorch parity on every test image used, and the contract's metadata."""

from __future__ import annotations

import json
import tarfile

import numpy as np
import onnxruntime as ort
import pytest
import torch

from tests.helpers.training_run import TinyRun
from training.data import MetadataTransform, load_split
from training.exceptions import CheckpointError, ParityError
from training.export import check_parity
from training.pipeline import run_export
from training.train import load_checkpoint

pytestmark = pytest.mark.shared  # every test inspects the tiny run trained on ../shared's archive


def test_tiny_run__artifact_matches_the_contract(tiny_run: TinyRun) -> None:
    meta = tiny_run.metadata
    assert meta["format_version"] == 1
    assert meta["classes"] == ["bicycle", "motorcycle"]
    assert meta["input"] | {"mean": None, "std": None} == {
        "name": "input",
        "height": 64,
        "width": 64,
        "channel_order": "RGB",
        "layout": "NCHW",
        "resize": "bilinear",
        "scale": 255.0,
        "mean": None,
        "std": None,
    }
    assert meta["output"] == {"name": "logits", "kind": "logits"}
    assert meta["temperature"] > 0 and 0.5 <= meta["threshold"] <= 0.99
    assert meta["created_by"] == "tests"
    assert {"test", "threshold_table_test", "onnx_parity_max_abs_diff"} <= set(meta["metrics"])
    assert 0.93 in [row["threshold"] for row in meta["metrics"]["threshold_table_test"]]
    card = (tiny_run.artifact_dir / "model_card.md").read_text()
    assert "accuracy" in card and "| 0.93 |" in card
    assert '"test_accuracy"' in tiny_run.output


def test_tiny_run__tarball_holds_the_three_files_at_its_root(tiny_run: TinyRun) -> None:
    with tarfile.open(tiny_run.artifact_dir / "model.tar.gz") as tar:
        assert sorted(tar.getnames()) == ["metadata.json", "model.onnx", "model_card.md"]
        assert json.load(tar.extractfile("metadata.json")) == tiny_run.metadata  # type: ignore[arg-type]


def test_tiny_run__onnx_runtime_loads_it_with_a_dynamic_batch(tiny_run: TinyRun) -> None:
    session = ort.InferenceSession(
        str(tiny_run.artifact_dir / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    assert [i.name for i in session.get_inputs()] == ["input"]
    assert [o.name for o in session.get_outputs()] == ["logits"]
    for n in (1, 5):
        (logits,) = session.run(["logits"], {"input": np.zeros((n, 3, 64, 64), np.float32)})
        assert logits.shape == (n, 2)


def test_tiny_run__parity_with_pytorch_on_the_evaluated_test_images(tiny_run: TinyRun) -> None:
    model, ckpt = load_checkpoint(tiny_run.checkpoint)
    test = load_split(tiny_run.data_dir, "test", limit=ckpt["train_config"]["limit"])
    inputs = MetadataTransform(ckpt["input"]).batch(test.images)
    diff = check_parity(model, tiny_run.artifact_dir / "model.onnx", inputs, tiny_run.metadata["temperature"])
    assert diff <= 1e-4
    assert tiny_run.metadata["metrics"]["onnx_parity_images"] == len(test)


def test_check_parity__raises_when_the_onnx_model_differs(tiny_run: TinyRun) -> None:
    model, ckpt = load_checkpoint(tiny_run.checkpoint)
    with torch.no_grad():
        model._fc.bias += torch.tensor([3.0, -3.0])  # type: ignore[operator]
    inputs = MetadataTransform(ckpt["input"]).batch(load_split(tiny_run.data_dir, "test", limit=8).images)
    with pytest.raises(ParityError, match="differ from PyTorch"):
        check_parity(model, tiny_run.artifact_dir / "model.onnx", inputs, 1.0)


def test_checkpoint__is_self_describing(tiny_run: TinyRun) -> None:
    _, ckpt = load_checkpoint(tiny_run.checkpoint)
    assert ckpt["model_config"]["backbone"] == "efficientnet_lite0"
    assert ckpt["classes"] == ["bicycle", "motorcycle"]
    assert ckpt["input"] == tiny_run.metadata["input"]
    assert ckpt["metrics"]["temperature"] == tiny_run.metadata["temperature"]
    assert ckpt["train_config"]["seed"] == 0 and len(ckpt["val_index"]) > 0


def test_export__without_evaluation_raises(tiny_run: TinyRun, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ckpt = torch.load(tiny_run.checkpoint, weights_only=False)
    ckpt["metrics"] = {}
    bare = tmp_path / "bare.pt"
    torch.save(ckpt, bare)
    with pytest.raises(CheckpointError, match="run the 'evaluate' stage first"):
        run_export(tiny_run.data_dir, bare, tmp_path / "out")

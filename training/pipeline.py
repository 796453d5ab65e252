"""The train → evaluate → export stages, each resumable from the self-describing checkpoint."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from training.data import MetadataTransform, load_split
from training.evaluate import evaluate
from training.exceptions import CheckpointError
from training.export import build_metadata, check_parity, export_onnx, write_artifact
from training.train import TrainConfig, checkpoint_dict, load_checkpoint, train, validation_split

STAGES = ("train", "evaluate", "export")


@dataclass(frozen=True)
class PipelineResult:
    checkpoint: Path
    artifact_dir: Path | None
    metrics: dict[str, Any]


def run_train(data_dir: Path, config: TrainConfig, checkpoint: Path) -> dict[str, Any]:
    result = train(data_dir, config)
    ckpt = checkpoint_dict(result, data_dir)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, checkpoint)
    return ckpt


def run_evaluate(data_dir: Path, checkpoint: Path) -> dict[str, Any]:
    model, ckpt = load_checkpoint(checkpoint)
    transform = MetadataTransform(ckpt["input"])
    val = validation_split(data_dir, ckpt)
    test = load_split(data_dir, "test", limit=ckpt["train_config"].get("limit"))
    metrics = evaluate(model, val, test, transform, ckpt["classes"])
    metrics["train_seconds"] = ckpt["train_seconds"]
    metrics["history"] = ckpt["history"]
    ckpt["metrics"] = metrics
    torch.save(ckpt, checkpoint)
    return metrics


def run_export(
    data_dir: Path, checkpoint: Path, artifact_dir: Path, created_by: str = "training"
) -> dict[str, Any]:
    model, ckpt = load_checkpoint(checkpoint)
    metrics = dict(ckpt["metrics"])
    if "temperature" not in metrics:
        raise CheckpointError(f"{checkpoint} has no evaluation metrics; run the 'evaluate' stage first")
    spec = ckpt["input"]
    artifact_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = export_onnx(model, artifact_dir / "model.onnx", spec["height"], spec["width"])
    test = load_split(data_dir, "test", limit=ckpt["train_config"].get("limit"))
    inputs = MetadataTransform(spec).batch(test.images)
    metrics["onnx_parity_max_abs_diff"] = check_parity(model, onnx_path, inputs, metrics["temperature"])
    metrics["onnx_parity_images"] = len(test)
    metadata = build_metadata(
        ckpt["classes"],
        spec,
        metrics["temperature"],
        metrics["threshold"],
        metrics,
        created_by,
        ckpt["model_config"],
    )
    write_artifact(artifact_dir, onnx_path, metadata)
    return metrics


def run(
    data_dir: Path,
    config: TrainConfig,
    checkpoint: Path,
    artifact_dir: Path,
    stages: Sequence[str] = STAGES,
    created_by: str = "training",
) -> PipelineResult:
    """Run ``stages`` in order; later stages read what earlier ones saved in ``checkpoint``."""
    started = time.perf_counter()
    metrics: dict[str, Any] = {}
    if "train" in stages:
        run_train(data_dir, config, checkpoint)
    if "evaluate" in stages:
        metrics = run_evaluate(data_dir, checkpoint)
    if "export" in stages:
        metrics = run_export(data_dir, checkpoint, artifact_dir, created_by)
    metrics["pipeline_seconds"] = time.perf_counter() - started
    return PipelineResult(checkpoint, artifact_dir if "export" in stages else None, metrics)

"""ONNX export and the model artifact of docs/contracts.md §1 (its contract: local_endpoint.artifact).

``model.onnx`` (input "input" float32 [N,3,H,W] with dynamic N, output "logits"), ``metadata.json``
(preprocessing, classes, temperature, threshold, metrics), ``model_card.md``, and ``model.tar.gz`` with
those three files at the archive root (SageMaker's ModelDataUrl layout).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.jit import TracerWarning  # type: ignore[attr-defined]

from local_endpoint import artifact
from local_endpoint.artifact import ModelMetadata
from training.exceptions import ParityError

OPSET = 17
PARITY_TOLERANCE = 1e-4


def export_onnx(model: nn.Module, path: Path, height: int, width: int) -> Path:
    """TorchScript-based exporter (the dynamo one needs onnxscript, which is not a dependency)."""
    model.eval()
    dummy = torch.zeros(2, 3, height, width)
    with warnings.catch_warnings():
        # The tracer's notes on fixed H/W (intended: only the batch is dynamic) and its own deprecations.
        warnings.simplefilter("ignore", TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message="Constant folding", category=UserWarning)
        _export(model, dummy, path)
    return path


def _export(model: nn.Module, dummy: torch.Tensor, path: Path) -> None:
    torch.onnx.export(
        model,
        (dummy,),
        str(path),
        dynamo=False,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=OPSET,
    )


def onnx_logits(path: Path, inputs: np.ndarray, batch: int = 64) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = [session.run(["logits"], {"input": inputs[i : i + batch]})[0] for i in range(0, len(inputs), batch)]
    return np.concatenate(out)


def check_parity(
    model: nn.Module,
    path: Path,
    inputs: torch.Tensor,
    temperature: float,
    tolerance: float = PARITY_TOLERANCE,
) -> float:
    """Max |p_torch - p_onnx| over ``inputs`` (calibrated probabilities); ParityError above ``tolerance``."""
    with torch.no_grad():
        torch_probs = torch.softmax(model(inputs) / temperature, dim=1).numpy()
    ort_logits = torch.from_numpy(onnx_logits(path, inputs.numpy()))
    ort_probs = torch.softmax(ort_logits / temperature, dim=1).numpy()
    diff = float(np.abs(torch_probs - ort_probs).max())
    if diff > tolerance:
        raise ParityError(f"ONNX Runtime probabilities differ from PyTorch by {diff:.2e} (> {tolerance:.0e})")
    return diff


def build_metadata(
    classes: Sequence[str],
    input_block: dict[str, Any],
    temperature: float,
    threshold: float,
    metrics: dict[str, Any],
    created_by: str,
    model_config: dict[str, Any],
) -> ModelMetadata:
    """The artifact's metadata, checked by the contract's own type (the endpoint loads it the same way)."""
    return ModelMetadata.create(
        classes=classes,
        input_block=input_block,
        temperature=temperature,
        threshold=threshold,
        metrics=metrics,
        created_by=created_by,
        extra={"model": model_config},
    )


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def model_card(metadata: ModelMetadata) -> str:
    m = metadata.metrics
    backbone = (metadata.raw.get("model") or {}).get("backbone")
    lines = [
        "# Scones Unlimited vehicle classifier",
        "",
        f"Classes: {', '.join(metadata.classes)}. Backbone: {backbone} (ImageNet-pretrained, "
        f"fine-tuned on CIFAR-100 fine labels). Input {metadata.width}x{metadata.height} RGB, "
        f"{metadata.resize} resize, mean {list(metadata.mean)}, std {list(metadata.std)}.",
        "",
    ]
    test = m.get("test")
    if test:
        lines += [
            "## Test split (never used for tuning)",
            "",
            "| metric | value |",
            "|---|---|",
            f"| images | {test['n']} |",
            f"| accuracy | {_pct(test['accuracy'])} |",
            *(f"| accuracy: {k} | {_pct(v)} |" for k, v in test["per_class_accuracy"].items()),
            f"| ECE (T={metadata.temperature:.3f}) | {test['ece']:.4f} |",
            f"| ECE (uncalibrated) | {m['test_uncalibrated']['ece']:.4f} |",
            f"| recommended threshold (from validation) | {metadata.threshold} |",
            f"| coverage at it | {_pct(m['coverage_at_threshold'])} |",
            f"| accuracy of accepted at it | {_pct(m['accuracy_at_threshold'])} |",
            f"| training time (CPU) | {m.get('train_seconds', 0):.0f} s |",
            f"| ONNX Runtime max abs prob diff | {m.get('onnx_parity_max_abs_diff', float('nan')):.2e} |",
            "",
            f"Confusion matrix (rows true, columns predicted, order {list(metadata.classes)}): "
            f"{test['confusion_matrix']}",
            "",
            "| threshold | coverage | accuracy of accepted |",
            "|---|---|---|",
            *(
                f"| {r['threshold']} | {_pct(r['coverage'])} | {_pct(r['accuracy'])} |"
                for r in m["threshold_table_test"]
            ),
        ]
    lines += _threshold_section(metadata.threshold, m.get("threshold_rule"))
    lines += ["", f"Created by: {metadata.raw.get('created_by')}.", ""]
    return "\n".join(lines)


def _threshold_section(threshold: float | None, rule: dict[str, Any] | None) -> list[str]:
    """How the recommended threshold was chosen (``training.threshold``), with the validation evidence.

    Checkpoints evaluated before the rule was recorded have no ``threshold_rule``: no section then.
    """
    if not rule:
        return []
    if rule["qualified"]:
        outcome = (
            f"Validation met the rule: the recommended threshold is {threshold}, the lowest that qualifies."
        )
    else:
        outcome = (
            f"No threshold met the rule on the {rule['validation_images']} validation images, so the "
            f"recommended threshold is the fallback, {threshold}: treat it as unvalidated."
        )
    return [
        "",
        "## Recommended threshold",
        "",
        f"Rule: {rule['rule']}. Confidence level {_pct(rule['confidence'])}, target accuracy of accepted "
        f"predictions {_pct(rule['target'])}, fallback {rule['fallback']}.",
        "",
        outcome,
        "",
        "| threshold (validation) | accepted | correct | lower bound on accuracy |",
        "|---|---|---|---|",
        *(
            f"| {r['threshold']} | {r['accepted']} | {r['correct']} | {_pct(r['lower_bound'])} |"
            for r in rule["validation_rows"]
        ),
    ]


def write_artifact(out_dir: Path, onnx_path: Path, metadata: ModelMetadata) -> Path:
    """metadata.json + model_card.md next to ``onnx_path`` in ``out_dir``, then model.tar.gz (flat)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if onnx_path.resolve() != (out_dir / artifact.MODEL_FILE).resolve():
        (out_dir / artifact.MODEL_FILE).write_bytes(onnx_path.read_bytes())
    metadata.write(out_dir)
    (out_dir / artifact.MODEL_CARD_FILE).write_text(model_card(metadata))
    return artifact.pack_to(out_dir, out_dir / artifact.ARCHIVE_FILE)

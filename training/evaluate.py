"""Evaluation: accuracy, per-class accuracy, confusion matrix, calibration (ECE, temperature fitted on the
*validation* split) and the confidence-threshold table behind the workflow's "accept or flag" decision.

Everything that is tuned (temperature, recommended threshold) is tuned on validation; the test split is
only reported.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from training.data import MetadataTransform, Split

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)
TARGET_ACCEPTED_ACCURACY = 0.99


def predict_logits(
    model: nn.Module, split: Split, transform: MetadataTransform, batch: int = 64
) -> torch.Tensor:
    """Logits for every image, through the artifact's own preprocessing (PIL resize, normalise)."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(split), batch):
            out.append(model(transform.batch(split.images[i : i + batch])))
    return torch.cat(out)


def softmax(logits: torch.Tensor, temperature: float = 1.0) -> np.ndarray:
    return torch.softmax(logits / temperature, dim=1).numpy()


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE over equal-width confidence bins of the top-class probability."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            ece += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(ece)


def fit_temperature(logits: torch.Tensor, labels: np.ndarray) -> float:
    """The softmax temperature minimising validation NLL (optimised in log space, so T stays > 0)."""
    target = torch.from_numpy(labels)
    log_t = torch.zeros(1, requires_grad=True)
    optimiser = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = nn.functional.cross_entropy(logits / log_t.exp(), target)
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimiser.step(closure)  # type: ignore[no-untyped-call]
    return float(log_t.detach().exp().clamp(0.05, 20.0))


def threshold_table(
    probs: np.ndarray, labels: np.ndarray, thresholds: Sequence[float] = THRESHOLDS
) -> list[dict[str, float]]:
    """Per threshold: share of images whose top probability reaches it, and accuracy among those."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    rows = []
    for t in thresholds:
        accepted = confidence >= t
        rows.append(
            {
                "threshold": float(t),
                "coverage": float(accepted.mean()),
                "accepted": int(accepted.sum()),
                "accuracy": float(correct[accepted].mean()) if accepted.any() else 1.0,
            }
        )
    return rows


def recommend_threshold(
    probs: np.ndarray, labels: np.ndarray, target: float = TARGET_ACCEPTED_ACCURACY
) -> float:
    """Lowest threshold at which accepted validation predictions are ≥ ``target`` accurate, both measured
    and as expected from the calibrated probabilities (the latter keeps a small, perfect validation split
    from recommending 0.5 blindly)."""
    confidence = probs.max(axis=1)
    for row in threshold_table(probs, labels):
        accepted = confidence >= row["threshold"]
        expected = float(confidence[accepted].mean()) if accepted.any() else 1.0
        if row["accuracy"] >= target and expected >= target:
            return row["threshold"]
    return THRESHOLDS[-1]


def summarise(probs: np.ndarray, labels: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
    predicted = probs.argmax(axis=1)
    k = len(classes)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = {
        name: float(confusion[i, i] / confusion[i].sum()) if confusion[i].sum() else 0.0
        for i, name in enumerate(classes)
    }
    nll = float(-np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None)).mean())
    return {
        "n": len(labels),
        "accuracy": float((predicted == labels).mean()),
        "per_class_accuracy": per_class,
        "confusion_matrix": confusion.tolist(),
        "ece": expected_calibration_error(probs, labels),
        "nll": nll,
    }


def evaluate(
    model: nn.Module, val: Split, test: Split, transform: MetadataTransform, classes: Sequence[str]
) -> dict[str, Any]:
    """Temperature and threshold from ``val``; every reported number on ``test``."""
    val_logits = predict_logits(model, val, transform)
    test_logits = predict_logits(model, test, transform)
    temperature = fit_temperature(val_logits, val.labels)
    val_probs = softmax(val_logits, temperature)
    test_probs = softmax(test_logits, temperature)
    threshold = recommend_threshold(val_probs, val.labels)
    table = threshold_table(test_probs, test.labels)
    at = next(row for row in table if row["threshold"] == threshold)
    return {
        "temperature": temperature,
        "threshold": threshold,
        "test": summarise(test_probs, test.labels, classes),
        "test_uncalibrated": summarise(softmax(test_logits), test.labels, classes),
        "validation": summarise(val_probs, val.labels, classes),
        "threshold_table_test": table,
        "coverage_at_threshold": at["coverage"],
        "accuracy_at_threshold": at["accuracy"],
    }

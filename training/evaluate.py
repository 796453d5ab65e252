"""Evaluation: accuracy, per-class accuracy, confusion matrix, calibration (ECE, temperature fitted on the
*validation* split) and the confidence-threshold table behind the workflow's "accept or flag" decision.

Everything that is tuned (temperature, recommended threshold) is tuned on validation; the test split is
only reported. The threshold rule itself lives in :mod:`training.threshold`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from training.data import MetadataTransform, Split
from training.threshold import RULE, THRESHOLDS, Recommendation, ThresholdCounts, ThresholdRule, recommend


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


def threshold_counts(
    probs: np.ndarray, labels: np.ndarray, thresholds: Sequence[float] = THRESHOLDS
) -> list[ThresholdCounts]:
    """Per threshold: how many predictions reach it and how many of those are right."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    return [
        ThresholdCounts(float(t), int((confidence >= t).sum()), int(correct[confidence >= t].sum()))
        for t in thresholds
    ]


def recommend_threshold(probs: np.ndarray, labels: np.ndarray, rule: ThresholdRule = RULE) -> Recommendation:
    """The threshold :data:`training.threshold.RULE` recommends for these validation predictions."""
    return recommend(threshold_counts(probs, labels), len(labels), rule)


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
    recommendation = recommend_threshold(val_probs, val.labels)
    threshold = recommendation.threshold
    table = threshold_table(test_probs, test.labels)
    (at,) = threshold_table(test_probs, test.labels, [threshold])  # the fallback need not be on the grid
    return {
        "temperature": temperature,
        "threshold": threshold,
        "threshold_rule": recommendation.to_dict(),
        "test": summarise(test_probs, test.labels, classes),
        "test_uncalibrated": summarise(softmax(test_logits), test.labels, classes),
        "validation": summarise(val_probs, val.labels, classes),
        "threshold_table_test": table,
        "coverage_at_threshold": at["coverage"],
        "accuracy_at_threshold": at["accuracy"],
    }

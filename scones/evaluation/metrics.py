"""Workflow metrics from per-image results, and the comparison that finds drift between two runs.

Pure functions: the same definitions serve the deployed workflow and the offline evaluation, so any
difference between the two reports is a difference in what was computed, not in how it was counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

# Probabilities from two runtimes of the same ONNX model and the same preprocessing agree to float32
# rounding; anything larger means the image was prepared differently (preprocessing drift).
PROBABILITY_TOLERANCE = 1e-5


@dataclass(frozen=True)
class ImageResult:
    """One image's outcome: its true label (class index), the probabilities, and where it ended."""

    key: str
    label: int | None
    probabilities: tuple[float, ...]
    outcome: str  # classified | review | failed | timeout

    @property
    def prediction(self) -> int | None:
        if not self.probabilities:
            return None
        return max(range(len(self.probabilities)), key=self.probabilities.__getitem__)

    @property
    def confidence(self) -> float | None:
        return max(self.probabilities) if self.probabilities else None


@dataclass(frozen=True)
class Metrics:
    images: int
    accuracy: float  # over every image that got probabilities
    coverage: float  # share of images whose confidence passes the threshold (accepted)
    accepted_accuracy: float  # accuracy among the accepted
    review_rate: float  # share routed to review (low confidence)
    failures: int  # images that ended in failure (no probabilities)

    def rows(self) -> list[tuple[str, str]]:
        return [(f.name, _fmt(getattr(self, f.name))) for f in fields(self)]


def _fmt(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.4f}"


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def metrics_of(results: Sequence[ImageResult], threshold: float) -> Metrics:
    """Metrics where `accepted` means confidence >= threshold (the filter Lambda's rule)."""
    scored = [r for r in results if r.probabilities and r.label is not None]
    accepted = [r for r in scored if (r.confidence or 0.0) >= threshold]
    correct = sum(r.prediction == r.label for r in scored)
    accepted_correct = sum(r.prediction == r.label for r in accepted)
    return Metrics(
        images=len(results),
        accuracy=_share(correct, len(scored)),
        coverage=_share(len(accepted), len(results)),
        accepted_accuracy=_share(accepted_correct, len(accepted)),
        review_rate=_share(sum(r.outcome == "review" for r in results), len(results)),
        failures=sum(r.outcome in ("failed", "timeout") for r in results),
    )


def offline_outcome(probabilities: Sequence[float], threshold: float) -> str:
    """What the state machine must do with these probabilities: the contract evaluate checks."""
    return "classified" if max(probabilities) >= threshold else "review"


def compare(
    workflow: Mapping[str, ImageResult],
    offline: Mapping[str, ImageResult],
    tolerance: float = PROBABILITY_TOLERANCE,
) -> list[str]:
    """Every disagreement between the deployed workflow and offline evaluation, one line each."""
    problems: list[str] = []
    for key in sorted(set(workflow) | set(offline)):
        ours, ref = workflow.get(key), offline.get(key)
        if ours is None or ref is None:
            problems.append(f"{key}: only in {'offline' if ours is None else 'workflow'} results")
            continue
        if ours.outcome in ("failed", "timeout"):
            problems.append(f"{key}: workflow {ours.outcome}")
            continue
        if len(ours.probabilities) != len(ref.probabilities):
            problems.append(
                f"{key}: {len(ours.probabilities)} probabilities vs {len(ref.probabilities)} offline"
            )
            continue
        diff = max(abs(a - b) for a, b in zip(ours.probabilities, ref.probabilities, strict=True))
        if diff > tolerance:
            problems.append(f"{key}: probabilities differ by {diff:.2e} (preprocessing or model drift)")
        elif ours.outcome != ref.outcome:
            problems.append(f"{key}: workflow outcome {ours.outcome}, offline {ref.outcome}")
    return problems

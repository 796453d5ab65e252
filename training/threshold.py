"""The recommended confidence threshold: a rule that a 100-image validation split can actually support.

The workflow accepts a prediction when its calibrated top probability reaches the threshold and sends the
rest to human review, so the threshold is a claim about the accuracy of what is *accepted*. A claim measured
on a small validation split needs a confidence bound, not a point estimate: with ``n`` accepted images all
correct, the one-sided Clopper-Pearson lower bound on accuracy at confidence ``c`` is ``(1 - c) ** (1 / n)``,
so 100 of 100 correct supports at most 97.0 % at 95 % confidence, and the previous rule's 99 % needs 299
accepted images without a single error. Measured point estimates on 100 images made the old rule pick 0.5
whenever validation happened to be perfect (temperature 0.13: everything accepted, nothing ever reviewed).

Rule (:data:`RULE`): the lowest of :data:`THRESHOLDS` whose accepted validation predictions have a one-sided
95 % Clopper-Pearson lower bound on accuracy of at least 95 %; when none qualifies, the original project's
threshold (``local_endpoint.artifact.DEFAULT_THRESHOLD``, 0.93). A 95 % target is what 100 images can show:
it takes at least 59 accepted images with no error, or 93 with one. Scanning the grid from the lowest
threshold picks the widest accepted set that passes; the bound is per threshold, not simultaneous.

Pure and stdlib-only (``math``): the bound is found by bisection on the exact binomial tail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from local_endpoint.artifact import DEFAULT_THRESHOLD

# The candidate thresholds, lowest first (the original project's 0.93 included).
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)
_BISECTION_STEPS = 60  # halves [0, 1] to 2**-60, far below any accuracy worth reporting


@dataclass(frozen=True)
class ThresholdRule:
    """What the recommended threshold promises: accepted accuracy ≥ ``target`` with ``confidence``."""

    target: float = 0.95
    confidence: float = 0.95
    fallback: float = DEFAULT_THRESHOLD
    method: str = "one-sided Clopper-Pearson lower bound"

    def __post_init__(self) -> None:
        if not 0.0 < self.target < 1.0 or not 0.0 < self.confidence < 1.0:
            raise ValueError(
                f"target and confidence must lie in (0, 1), got {self.target}, {self.confidence}"
            )

    @property
    def minimum_accepted(self) -> int:
        """The fewest accepted images that can qualify (all of them correct): smaller splits always fall
        back. Solves ``(1 - confidence) ** (1 / n) >= target`` for the smallest ``n``."""
        n = math.ceil(math.log(1.0 - self.confidence) / math.log(self.target))
        return n if accuracy_lower_bound(n, n, self.confidence) >= self.target else n + 1

    def describe(self) -> str:
        """The rule in one sentence, as the model card states it."""
        return (
            f"the lowest threshold whose accepted validation predictions have a {self.method} at "
            f"{100 * self.confidence:g} % confidence on accuracy of at least {100 * self.target:g} % "
            f"(this needs at least {self.minimum_accepted} accepted images, all correct); when none "
            f"qualifies, the original project's {self.fallback}"
        )


RULE = ThresholdRule()


@dataclass(frozen=True)
class ThresholdCounts:
    """At one threshold: how many validation predictions were accepted, and how many of those were right."""

    threshold: float
    accepted: int
    correct: int


@dataclass(frozen=True)
class ThresholdEvidence(ThresholdCounts):
    """The counts and the lower bound on accuracy they support under the rule's confidence."""

    lower_bound: float


@dataclass(frozen=True)
class Recommendation:
    """The chosen threshold, whether it met the rule (else it is the rule's fallback), and the evidence."""

    threshold: float
    qualified: bool
    rule: ThresholdRule
    validation_images: int
    rows: tuple[ThresholdEvidence, ...]

    @property
    def chosen(self) -> ThresholdEvidence | None:
        """The validation row of the chosen threshold (None when the fallback is not on the grid)."""
        return next((row for row in self.rows if row.threshold == self.threshold), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in the metrics (and so in ``metadata.json``) and read by the model card."""
        return {
            "threshold": self.threshold,
            "qualified": self.qualified,
            "target": self.rule.target,
            "confidence": self.rule.confidence,
            "method": self.rule.method,
            "fallback": self.rule.fallback,
            "minimum_accepted": self.rule.minimum_accepted,
            "rule": self.rule.describe(),
            "validation_images": self.validation_images,
            "validation_rows": [asdict(row) for row in self.rows],
        }


def _binomial_tail(successes: int, trials: int, p: float) -> float:
    """P(X ≥ successes) for X ~ Binomial(trials, p), 0 < p < 1, summed in log space (no overflow)."""
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(trials + 1)
    terms = (
        math.exp(log_n - math.lgamma(i + 1) - math.lgamma(trials - i + 1) + i * log_p + (trials - i) * log_q)
        for i in range(successes, trials + 1)
    )
    return math.fsum(terms)


def accuracy_lower_bound(correct: int, accepted: int, confidence: float) -> float:
    """One-sided Clopper-Pearson lower bound on a proportion: the ``p`` at which seeing ``correct`` or more
    successes in ``accepted`` trials has probability ``1 - confidence``. 0 when nothing is accepted (no
    evidence) or nothing is correct."""
    if accepted < 0 or not 0 <= correct <= accepted:
        raise ValueError(f"need 0 <= correct <= accepted, got correct={correct}, accepted={accepted}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    alpha = 1.0 - confidence
    if correct == 0:
        return 0.0
    if correct == accepted:
        return float(alpha ** (1.0 / accepted))
    lo, hi = 0.0, 1.0  # the tail grows with p: keep tail(lo) < alpha <= tail(hi)
    for _ in range(_BISECTION_STEPS):
        mid = (lo + hi) / 2
        if _binomial_tail(correct, accepted, mid) < alpha:
            lo = mid
        else:
            hi = mid
    return lo


def recommend(
    counts: Sequence[ThresholdCounts], validation_images: int, rule: ThresholdRule = RULE
) -> Recommendation:
    """The lowest threshold of ``counts`` (any order) meeting ``rule``, else ``rule.fallback``."""
    rows = tuple(
        ThresholdEvidence(
            c.threshold, c.accepted, c.correct, accuracy_lower_bound(c.correct, c.accepted, rule.confidence)
        )
        for c in sorted(counts, key=lambda c: c.threshold)
    )
    for row in rows:
        if row.lower_bound >= rule.target:
            return Recommendation(row.threshold, True, rule, validation_images, rows)
    return Recommendation(rule.fallback, False, rule, validation_images, rows)

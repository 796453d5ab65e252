"""The recommended-threshold rule (training.threshold): a confidence bound a 100-image split can support.

Reference values of the Clopper-Pearson interval are the textbook ones (two-sided 95 % = one-sided 97.5 %):
5/10 → [0.1871, 0.8129], 1/10 → [0.0025, 0.4450]; k = n has the closed form (1 - c) ** (1 / n).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from local_endpoint.artifact import DEFAULT_THRESHOLD, ModelMetadata
from training.evaluate import recommend_threshold, threshold_counts
from training.export import model_card
from training.threshold import (
    RULE,
    THRESHOLDS,
    ThresholdCounts,
    ThresholdRule,
    accuracy_lower_bound,
    recommend,
)


def test_lower_bound__matches_the_textbook_clopper_pearson_values() -> None:
    assert accuracy_lower_bound(5, 10, 0.975) == pytest.approx(0.1871, abs=1e-4)
    assert accuracy_lower_bound(1, 10, 0.975) == pytest.approx(0.0025, abs=1e-4)
    assert accuracy_lower_bound(100, 100, 0.95) == pytest.approx(0.05**0.01)


def test_lower_bound__is_where_the_binomial_tail_equals_one_minus_confidence() -> None:
    bound = accuracy_lower_bound(99, 100, 0.95)
    tail = sum(math.comb(100, i) * bound**i * (1 - bound) ** (100 - i) for i in (99, 100))
    assert tail == pytest.approx(0.05, rel=1e-6)
    assert 0.95 < bound < accuracy_lower_bound(100, 100, 0.95)


def test_lower_bound__no_evidence_is_zero_and_bad_counts_are_rejected() -> None:
    assert accuracy_lower_bound(0, 0, 0.95) == 0.0
    assert accuracy_lower_bound(0, 50, 0.95) == 0.0
    with pytest.raises(ValueError, match="correct <= accepted"):
        accuracy_lower_bound(3, 2, 0.95)
    with pytest.raises(ValueError, match="confidence"):
        accuracy_lower_bound(1, 2, 1.0)


def test_rule__the_old_99_percent_target_is_out_of_reach_of_100_images() -> None:
    """Why the target is 95 %: even 100 of 100 correct bounds accuracy only at 97 % (95 % confidence)."""
    assert accuracy_lower_bound(100, 100, RULE.confidence) < 0.99
    assert ThresholdRule(target=0.99).minimum_accepted == 299
    assert RULE.minimum_accepted == 59 <= 100


def test_rule__minimum_accepted_is_the_smallest_all_correct_set_that_qualifies() -> None:
    n = RULE.minimum_accepted
    assert accuracy_lower_bound(n, n, RULE.confidence) >= RULE.target
    assert accuracy_lower_bound(n - 1, n - 1, RULE.confidence) < RULE.target


def test_rule__fallback_is_the_original_projects_threshold_and_stated() -> None:
    assert RULE.fallback == DEFAULT_THRESHOLD
    text = RULE.describe()
    assert "95 % confidence" in text and "at least 95 %" in text and str(DEFAULT_THRESHOLD) in text


def test_recommend__all_correct_full_split_qualifies_at_the_lowest_threshold() -> None:
    rec = recommend([ThresholdCounts(t, 100, 100) for t in THRESHOLDS], 100)
    assert rec.qualified and rec.threshold == THRESHOLDS[0]
    assert rec.chosen is not None and rec.chosen.lower_bound == pytest.approx(0.9705, abs=1e-4)


def test_recommend__picks_the_lowest_qualifying_threshold_whatever_the_order() -> None:
    counts = [
        ThresholdCounts(0.9, 80, 80),  # qualifies (bound 96.3 %)
        ThresholdCounts(0.5, 100, 96),  # four errors: bound 91 %
        ThresholdCounts(0.8, 90, 89),  # one error in 90: bound 94.8 %, just short
    ]
    rec = recommend(counts, 100)
    assert rec.qualified and rec.threshold == 0.9
    assert [r.threshold for r in rec.rows] == [0.5, 0.8, 0.9]


def test_recommend__nothing_qualifies_falls_back() -> None:
    """The failure of the old rule: errors made at confidence ≈ 1 stay accepted at every threshold."""
    rec = recommend([ThresholdCounts(t, 100, 95) for t in THRESHOLDS], 100)
    assert not rec.qualified and rec.threshold == DEFAULT_THRESHOLD
    assert rec.to_dict()["qualified"] is False


def test_recommend__a_tiny_split_cannot_qualify_even_when_perfect() -> None:
    rec = recommend([ThresholdCounts(t, 10, 10) for t in THRESHOLDS], 10)
    assert not rec.qualified and rec.threshold == DEFAULT_THRESHOLD


def test_recommend__empty_validation_falls_back() -> None:
    rec = recommend([ThresholdCounts(t, 0, 0) for t in THRESHOLDS], 0)
    assert not rec.qualified and rec.threshold == DEFAULT_THRESHOLD
    assert all(r.lower_bound == 0.0 for r in rec.rows)


def test_recommend_threshold__from_probabilities() -> None:
    probs = np.array([[0.995, 0.005]] * 90 + [[0.7, 0.3]] * 10)
    labels = np.array([0] * 90 + [1] * 10)  # the 0.7 ones are wrong
    counts = {c.threshold: c for c in threshold_counts(probs, labels)}
    assert counts[0.5] == ThresholdCounts(0.5, 100, 90)
    assert counts[0.8] == ThresholdCounts(0.8, 90, 90)
    rec = recommend_threshold(probs, labels)
    assert rec.qualified and rec.threshold == 0.8 and rec.validation_images == 100


def test_recommend_threshold__a_perfect_split_says_so_instead_of_a_point_estimate() -> None:
    """Perfect and wide: 0.5 is recommended, but only because 100/100 bounds accuracy above 95 %."""
    probs = np.array([[0.999, 0.001]] * 100)
    rec = recommend_threshold(probs, np.zeros(100, dtype=np.int64))
    assert rec.threshold == 0.5 and rec.chosen is not None and rec.chosen.lower_bound > RULE.target
    smaller = recommend_threshold(probs[:50], np.zeros(50, dtype=np.int64))
    assert not smaller.qualified and smaller.threshold == DEFAULT_THRESHOLD


def _card(rule: dict) -> str:  # type: ignore[type-arg]
    metadata = ModelMetadata.create(
        classes=["bicycle", "motorcycle"],
        input_block={
            "name": "input",
            "height": 32,
            "width": 32,
            "channel_order": "RGB",
            "layout": "NCHW",
            "resize": "bilinear",
            "scale": 255.0,
            "mean": [0.5, 0.5, 0.5],
            "std": [0.5, 0.5, 0.5],
        },
        threshold=rule["threshold"],
        metrics={"threshold_rule": rule},
        created_by="tests",
    )
    return model_card(metadata)


def test_model_card__states_the_rule_confidence_target_and_evidence() -> None:
    rec = recommend([ThresholdCounts(t, 100, 100) for t in THRESHOLDS], 100)
    card = _card(rec.to_dict())
    assert "## Recommended threshold" in card
    assert RULE.describe() in card
    assert "Confidence level 95.0%, target accuracy of accepted predictions 95.0%, fallback 0.93" in card
    assert "recommended threshold is 0.5, the lowest that qualifies" in card
    assert "| 0.5 | 100 | 100 | 97.0% |" in card


def test_model_card__says_when_the_threshold_is_the_unvalidated_fallback() -> None:
    rec = recommend([ThresholdCounts(t, 100, 95) for t in THRESHOLDS], 100)
    card = _card(rec.to_dict())
    assert "No threshold met the rule on the 100 validation images" in card
    assert "the fallback, 0.93: treat it as unvalidated" in card

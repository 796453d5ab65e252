"""Pure metric and drift-comparison functions of `scones evaluate` (no network)."""

from __future__ import annotations

import pytest

from scones.evaluation.metrics import ImageResult, compare, metrics_of, offline_outcome


def _r(key: str, label: int | None, probs: tuple[float, ...], outcome: str) -> ImageResult:
    return ImageResult(key, label, probs, outcome)


def test_metrics_of__counts_accuracy_coverage_review_and_failures() -> None:
    results = [
        _r("a", 0, (0.99, 0.01), "classified"),  # accepted, correct
        _r("b", 1, (0.95, 0.05), "classified"),  # accepted, wrong
        _r("c", 1, (0.40, 0.60), "review"),  # below threshold, correct
        _r("d", 0, (0.93, 0.07), "classified"),  # exactly at threshold: accepted, correct
        _r("e", 0, (), "failed"),  # no probabilities
    ]
    m = metrics_of(results, threshold=0.93)
    assert m.images == 5
    assert m.accuracy == pytest.approx(3 / 4)  # a, c, d correct out of 4 scored
    assert m.coverage == pytest.approx(3 / 5)
    assert m.accepted_accuracy == pytest.approx(2 / 3)
    assert m.review_rate == pytest.approx(1 / 5)
    assert m.failures == 1


def test_metrics_of__empty_is_zero_not_a_crash() -> None:
    m = metrics_of([], threshold=0.93)
    assert (m.images, m.accuracy, m.coverage, m.failures) == (0, 0.0, 0.0, 0)


def test_offline_outcome__uses_the_filter_rule() -> None:
    assert offline_outcome([0.93, 0.07], 0.93) == "classified"
    assert offline_outcome([0.9299, 0.0701], 0.93) == "review"


def test_compare__equal_runs_have_no_problems() -> None:
    a = {"k": _r("k", 0, (0.8, 0.2), "review")}
    b = {"k": _r("k", 0, (0.8 + 1e-7, 0.2 - 1e-7), "review")}
    assert compare(a, b) == []


def test_compare__reports_drift_outcome_mismatch_failures_and_missing() -> None:
    workflow = {
        "drift": _r("drift", 0, (0.7, 0.3), "review"),
        "route": _r("route", 0, (0.95, 0.05), "review"),
        "fail": _r("fail", 1, (), "failed"),
        "extra": _r("extra", 1, (0.5, 0.5), "review"),
    }
    offline = {
        "drift": _r("drift", 0, (0.71, 0.29), "review"),
        "route": _r("route", 0, (0.95, 0.05), "classified"),
        "fail": _r("fail", 1, (0.1, 0.9), "classified"),
        "lost": _r("lost", 0, (0.9, 0.1), "review"),
    }
    problems = compare(workflow, offline)
    assert problems == [
        "drift: probabilities differ by 1.00e-02 (preprocessing or model drift)",
        "extra: only in workflow results",
        "fail: workflow failed",
        "lost: only in offline results",
        "route: workflow outcome review, offline classified",
    ]

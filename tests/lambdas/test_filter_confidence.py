"""filter low confidence: pure, no network."""

from __future__ import annotations

import importlib

import pytest

from lambdas.filter_confidence import app
from lambdas.filter_confidence.logic import (
    DEFAULT_THRESHOLD,
    InvalidEventError,
    LowConfidenceError,
    filter_confidence,
    parse_body,
    parse_threshold,
)
from tests.helpers.events import load_event


def test_parse_threshold__default_and_value() -> None:
    assert parse_threshold(None) == parse_threshold("") == DEFAULT_THRESHOLD == 0.93
    assert parse_threshold("0.999") == 0.999


@pytest.mark.parametrize("raw", ["1.5", "-0.1", "high"])
def test_parse_threshold__invalid(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_threshold(raw)


def test_filter__passes_confident_body_unchanged() -> None:
    body = load_event("filter_confident")["body"]
    assert filter_confidence(body, 0.93) is body


def test_filter__boundary_is_inclusive() -> None:
    assert filter_confidence({"inferences": [0.93, 0.07]}, 0.93)["inferences"] == [0.93, 0.07]


def test_filter__low_confidence_error_name_and_message() -> None:
    with pytest.raises(LowConfidenceError) as info:
        filter_confidence(load_event("filter_low_confidence"), 0.93)
    assert type(info.value).__name__ == "LowConfidenceError"
    assert str(info.value) == "THRESHOLD_CONFIDENCE_NOT_MET"


@pytest.mark.parametrize(
    "event", [{}, {"inferences": []}, {"inferences": ["a"]}, {"inferences": [True]}, "x"]
)
def test_parse_body__invalid(event: object) -> None:
    with pytest.raises(InvalidEventError):
        parse_body(event)


def test_handler__threshold_from_env(monkeypatch: pytest.MonkeyPatch, context) -> None:
    monkeypatch.setenv("THRESHOLD", "0.5")
    module = importlib.reload(app)
    try:
        out = module.handler(load_event("filter_low_confidence"), context)
        assert out == {"statusCode": 200, "body": load_event("filter_low_confidence")}
        out = module.handler(load_event("filter_confident"), context)
        assert out["body"]["inferences"] == [0.97, 0.03]
    finally:
        monkeypatch.delenv("THRESHOLD")
        importlib.reload(app)
    with pytest.raises(LowConfidenceError):
        app.handler(load_event("filter_low_confidence"), context)

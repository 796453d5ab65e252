"""The plugin's ``scones_test_state``: one state of the checkout's ASL through TestState, with mocks."""

from __future__ import annotations

import pytest

from scones.testing.plugin import StateTester
from scones.testing.test_state import error_output, lambda_result

pytestmark = pytest.mark.integration

ITEM = {"s3_bucket": "any-bucket", "s3_key": "test/any.png"}


def test_scones_test_state__a_mocked_task_result_moves_to_the_next_state(
    scones_test_state: StateTester,
) -> None:
    """A ``lambda:invoke`` Task mocked with the function's answer: SUCCEEDED with the state's ``Next``
    (TestState with a mock: https://docs.aws.amazon.com/step-functions/latest/dg/test-state-isolation.html)."""
    body = {**ITEM, "image_data": "AAAA"}
    result = scones_test_state(
        "Serialize image data", ITEM, mock=lambda_result({"statusCode": 200, "body": body})
    )
    assert (result.status, result.next_state) == ("SUCCEEDED", "Classify image")
    assert result.output == body


def test_scones_test_state__a_mocked_error_is_caught_to_the_fail_path(scones_test_state: StateTester) -> None:
    """An error no Retrier names is caught by the ``States.ALL`` Catcher: CAUGHT_ERROR, next "Classification
    failed" (the serialize Task's only Catch)."""
    result = scones_test_state("Serialize image data", ITEM, mock=error_output("ImageNotFoundError", "gone"))
    assert (result.status, result.next_state) == ("CAUGHT_ERROR", "Classification failed")

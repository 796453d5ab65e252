"""Testing your workflow: the example docs/testing.md shows (a user's test, written against the plugin)."""

import io

from PIL import Image


def png(colour):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_red_image_is_classified_with_confidence(scones_run):
    execution = scones_run.image(png((255, 0, 0)))  # the tiny model: red is a bicycle
    assert execution.status == "SUCCEEDED"
    assert execution.output["outcome"] == "classified"
    assert max(execution.output["inferences"]) > 0.93

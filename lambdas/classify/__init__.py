"""Classify: send the image to the SageMaker endpoint named by ``ENDPOINT_NAME`` and store the inferences."""

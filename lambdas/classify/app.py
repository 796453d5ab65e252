"""Classify: body with ``image_data`` → same body with ``inferences`` from the SageMaker endpoint."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from .logic import (
    ENDPOINT_NAME_VARIABLE,
    EndpointUnavailableError,
    decode_image,
    map_client_error,
    parse_body,
    parse_inferences,
    with_inferences,
)

if TYPE_CHECKING:
    from mypy_boto3_sagemaker_runtime import SageMakerRuntimeClient

ENDPOINT_NAME = os.environ.get(ENDPOINT_NAME_VARIABLE, "")
# Few client-side retries: the state machine owns backoff, so one failing call does not hide a minute of it.
_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)

_runtime: SageMakerRuntimeClient | None = None


def runtime_client() -> SageMakerRuntimeClient:
    global _runtime
    if _runtime is None:
        _runtime = boto3.client("sagemaker-runtime", config=_CONFIG)
    return _runtime


def set_client(client: SageMakerRuntimeClient | None) -> None:
    global _runtime
    _runtime = client


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    body = parse_body(event)
    image = decode_image(body)
    try:
        response = runtime_client().invoke_endpoint(
            EndpointName=ENDPOINT_NAME, ContentType="image/png", Accept="application/json", Body=image
        )
    except ClientError as exc:
        err, meta = exc.response.get("Error", {}), exc.response.get("ResponseMetadata", {})
        code, message = str(err.get("Code", "")), str(err.get("Message", ""))
        raise map_client_error(code, int(meta.get("HTTPStatusCode", 0)), message, ENDPOINT_NAME) from exc
    except (ConnectionError, HTTPClientError) as exc:
        raise EndpointUnavailableError(f"endpoint {ENDPOINT_NAME} unreachable: {exc}") from exc
    inferences = parse_inferences(response["Body"].read())
    return {"statusCode": 200, "body": with_inferences(body, inferences)}

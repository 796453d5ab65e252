"""Serialize image data: ``{"s3_bucket","s3_key"}`` → ``{"statusCode":200,"body":{"image_data",...}}``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from .logic import ImageNotFoundError, check_output_size, parse_event, serialize

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

STATE_NAME = os.environ.get("STATE_NAME", "Serialize image data")  # for the size-guard message only
_NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "404"}

_s3: S3Client | None = None


def s3_client() -> S3Client:
    """Built once per execution environment, lazily so tests can inject one with ``set_client``."""
    global _s3
    if _s3 is None:
        _s3 = boto3.client("s3")
    return _s3


def set_client(client: S3Client | None) -> None:
    global _s3
    _s3 = client


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    ref = parse_event(event)
    try:
        data = s3_client().get_object(Bucket=ref.bucket, Key=ref.key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _NOT_FOUND:
            raise ImageNotFoundError(f"s3://{ref.bucket}/{ref.key} does not exist") from exc
        raise
    output = {"statusCode": 200, "body": serialize(ref, data)}
    check_output_size(output, STATE_NAME)
    return output

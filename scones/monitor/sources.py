"""Where capture files come from: a local folder or `s3://bucket/prefix`, walked recursively.

SageMaker nests files as `{prefix}/{endpoint}/{variant}/yyyy/mm/dd/hh/*.jsonl`; both readers take every
`.jsonl` file under the root at any depth, in key order, and yield `(name, bytes)` one file at a time so
memory stays bounded by the largest file, not the whole capture.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scones.monitor.exceptions import CaptureSourceError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CAPTURE_SUFFIX = ".jsonl"


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def parse_s3_uri(uri: str) -> S3Location:
    """`s3://bucket[/prefix]` → its parts; anything else is a CaptureSourceError."""
    if not uri.startswith("s3://"):
        raise CaptureSourceError(f"{uri!r} is not an s3:// URI")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not bucket:
        raise CaptureSourceError(f"{uri!r} has no bucket name")
    return S3Location(bucket, prefix)


def is_s3_uri(source: str) -> bool:
    return source.startswith("s3://")


def iter_local(root: Path) -> Iterator[tuple[str, bytes]]:
    """Every capture file under `root`, named by its path relative to `root`."""
    if not root.is_dir():
        raise CaptureSourceError(f"capture folder {root} does not exist or is not a folder")
    for path in sorted(root.rglob(f"*{CAPTURE_SUFFIX}")):
        if path.is_file():
            try:
                content = path.read_bytes()
            except OSError as exc:
                raise CaptureSourceError(f"cannot read {path}: {exc.strerror}") from exc
            yield path.relative_to(root).as_posix(), content


def iter_s3(client: S3Client, location: S3Location, *, page_size: int = 1000) -> Iterator[tuple[str, bytes]]:
    """Every capture object under the prefix (all pages of ListObjectsV2), named by its key."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=location.bucket, Prefix=location.prefix, PaginationConfig={"PageSize": page_size}
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.endswith(CAPTURE_SUFFIX):
                    body = client.get_object(Bucket=location.bucket, Key=key)["Body"]
                    yield key, body.read()
    except ClientError as exc:
        error: Any = exc.response.get("Error", {})
        raise CaptureSourceError(
            f"cannot read {location}: {error.get('Code', 'Error')}: {error.get('Message', exc)}"
        ) from exc
    except BotoCoreError as exc:
        raise CaptureSourceError(f"cannot read {location}: {exc}") from exc

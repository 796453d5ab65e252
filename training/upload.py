"""Idempotent upload of a staged folder (or an artifact) to S3 through boto3.

An object is skipped when S3 already holds the same size and an ETag equal to the file's md5 (true for
single-part uploads, which is all this module does), so re-running uploads nothing new. Works against
LocalStack (``AWS_ENDPOINT_URL``) and AWS alike: the client is injectable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.progress import track

from training.exceptions import UploadError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class UploadReport:
    uploaded: int
    skipped: int


def _key(prefix: str, relative: str) -> str:
    return f"{prefix.strip('/')}/{relative}" if prefix.strip("/") else relative


def ensure_bucket(client: S3Client, bucket: str) -> None:
    """Create ``bucket`` if it does not exist (in the client's region)."""
    try:
        client.head_bucket(Bucket=bucket)
        return
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise UploadError(f"cannot access bucket {bucket!r}: {exc}") from exc
    region = client.meta.region_name
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region and region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    client.create_bucket(**kwargs)


def existing_objects(client: S3Client, bucket: str, prefix: str) -> dict[str, tuple[int, str]]:
    """key → (size, ETag without quotes) for everything under ``prefix``."""
    found: dict[str, tuple[int, str]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix.strip("/")):
        for obj in page.get("Contents", []):
            found[obj["Key"]] = (obj["Size"], obj["ETag"].strip('"'))
    return found


def upload_files(
    client: S3Client,
    root: Path,
    files: Sequence[Path],
    bucket: str,
    prefix: str = "",
    *,
    workers: int = 8,
    progress: bool = True,
) -> UploadReport:
    """Put ``files`` (under ``root``) at ``s3://bucket/prefix/<relative path>``, skipping equal ones."""
    try:
        ensure_bucket(client, bucket)
        existing = existing_objects(client, bucket, prefix)
        todo: list[tuple[str, bytes]] = []
        for path in files:
            body = path.read_bytes()
            key = _key(prefix, path.relative_to(root).as_posix())
            if existing.get(key) != (len(body), hashlib.md5(body).hexdigest()):
                todo.append((key, body))

        def put(item: tuple[str, bytes]) -> None:
            client.put_object(Bucket=bucket, Key=item[0], Body=item[1])

        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = pool.map(put, todo)
            # rich, a base dependency: uploading runs in the CLI image, which has no train extra (no tqdm)
            bar = track(
                results,
                total=len(todo),
                description=f"s3://{bucket}",
                disable=not progress,
                console=Console(stderr=True),  # stdout keeps the one-line summary, as with tqdm
            )
            for _ in bar:
                pass
    except (ClientError, BotoCoreError) as exc:
        raise UploadError(f"upload to s3://{bucket}/{prefix} failed: {exc}") from exc
    return UploadReport(uploaded=len(todo), skipped=len(files) - len(todo))

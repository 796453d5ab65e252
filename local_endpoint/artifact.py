"""Getting the artifact onto disk: a local directory as is, or ``s3://…/model.tar.gz`` as SageMaker does it.

SageMaker downloads ModelDataUrl and unpacks it into /opt/ml/model before the container starts; we do the same
into a private temporary directory, refusing archive members that would escape it (absolute paths, ``..``,
links, devices) through tarfile's ``data`` filter.
"""

from __future__ import annotations

import logging
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from local_endpoint.errors import ArtifactError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)


def parse_s3_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc or not parsed.path.strip("/"):
        raise ArtifactError(f"model data URL must look like s3://bucket/key/model.tar.gz, got {url!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def safe_unpack(archive: Path, dest: Path) -> Path:
    """Unpack a model.tar.gz into ``dest``; any member that would land outside it is an ArtifactError."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(dest, filter="data")
    except tarfile.FilterError as exc:
        raise ArtifactError(f"unsafe member in {archive.name}: {exc}") from exc
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArtifactError(f"cannot unpack {archive.name}: {exc}") from exc
    return dest


def fetch_model_data(
    url: str, *, s3_client: S3Client | Any | None = None, workdir: Path | None = None
) -> Path:
    """Download ``url`` with boto3 (so AWS_ENDPOINT_URL applies) and unpack it; return the model directory."""
    bucket, key = parse_s3_url(url)
    if s3_client is None:
        import boto3

        s3_client = boto3.client("s3")
    root = workdir or Path(tempfile.mkdtemp(prefix="scones-endpoint-model-"))
    archive = root / "model.tar.gz"
    try:
        s3_client.download_file(bucket, key, str(archive))
    except Exception as exc:  # botocore's ClientError and transport errors alike: report, do not crash
        raise ArtifactError(f"cannot download {url}: {exc}") from exc
    model_dir = safe_unpack(archive, root / "model")
    archive.unlink(missing_ok=True)
    log.info("model data %s unpacked into %s", url, model_dir)
    return model_dir

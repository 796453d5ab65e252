"""`scones monitor` reading captures from S3 on the real LocalStack stack (session fixture `localstack`).

The same boto3 code reads real AWS; here AWS_ENDPOINT_URL (the CLI test) or an explicit client points it
at LocalStack's S3. A tiny page size forces several ListObjectsV2 pages, so pagination is really used.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from scones.cli import cli
from scones.monitor import CaptureSourceError, open_source, read_capture
from scones.monitor.sources import S3Location, iter_s3
from tests.helpers.capture_files import generate_capture

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def capture_bucket(localstack):
    """A bucket holding a generated real-format capture tree plus an object that is not a capture file."""
    s3 = localstack.client("s3")
    bucket = f"scones-monitor-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    generated = generate_capture(seed=17, files=7, prefix="data_capture")
    for key, lines in generated.files.items():
        s3.put_object(Bucket=bucket, Key=key, Body="".join(line + "\n" for line in lines).encode())
    s3.put_object(Bucket=bucket, Key="data_capture/README.txt", Body=b"not a capture file")
    yield s3, bucket, generated
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)


def test_iter_s3__every_capture_object_across_pages(capture_bucket) -> None:
    s3, bucket, generated = capture_bucket
    files = list(iter_s3(s3, S3Location(bucket, "data_capture/"), page_size=2))
    assert [key for key, _ in files] == sorted(generated.files)
    capture = read_capture(files)
    assert (len(capture.records), capture.files, capture.malformed) == (len(generated.probabilities), 7, [])


def test_monitor_cli__s3_source_through_aws_endpoint_url(capture_bucket, localstack, tmp_path: Path) -> None:
    _, bucket, generated = capture_bucket
    probs = generated.probabilities
    env = {
        "AWS_ENDPOINT_URL": localstack.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SCONES_CAPTURE_SOURCE": f"s3://{bucket}/data_capture",
    }
    result = CliRunner().invoke(cli, ["monitor", "--out", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    below = sum(1 for p in probs if max(p) < 0.93)
    assert f"{below} of {len(probs)}" in result.output
    assert (tmp_path / "report.html").exists() and (tmp_path / "confidence.png").exists()


def test_open_source__missing_bucket_is_a_clear_error(localstack) -> None:
    s3 = localstack.client("s3")
    expected = r"cannot read s3://no-such-bucket-[0-9a-f]+/x: NoSuchBucket"
    with pytest.raises(CaptureSourceError, match=expected):
        read_capture(open_source(f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}/x", s3))

"""Staging to S3 is idempotent. moto's ThreadedMotoServer stands in for S3 only (a real HTTP server on a
free 127.0.0.1 port, so boto3 goes through its whole request path); LocalStack is used elsewhere."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from scones.cli import cli
from training.exceptions import UploadError
from training.stage import staged_files
from training.upload import upload_files


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def mini_staged(staged: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20-image staged folder cut from the real one, to keep the CLI round trips fast."""
    import shutil

    out = tmp_path_factory.mktemp("mini")
    for split, n in (("train", 12), ("test", 8)):
        (out / split).mkdir()
        lines = (staged / f"{split}.lst").read_text().splitlines(keepends=True)[:n]
        (out / f"{split}.lst").write_text("".join(lines))
        for line in lines:
            name = line.rstrip("\n").split("\t")[2]
            shutil.copy(staged / split / name, out / split / name)
    return out


@pytest.fixture
def s3(s3_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_url,
    }.items():
        monkeypatch.setenv(name, value)
    return boto3.client("s3", endpoint_url=s3_url)


def _keys(client, bucket: str) -> set[str]:  # type: ignore[no-untyped-def]
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"] for p in pages for o in p.get("Contents", [])}


@pytest.mark.shared
def test_upload__second_run_uploads_nothing_and_a_change_uploads_one(
    staged: Path, s3, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    files = staged_files(staged)
    first = upload_files(s3, staged, files, "scones-data", "stage", progress=False)
    assert (first.uploaded, first.skipped) == (len(files), 0)
    assert "stage/test/bicycle_s_001789.png" in _keys(s3, "scones-data")
    assert "stage/train.lst" in _keys(s3, "scones-data")
    second = upload_files(s3, staged, files, "scones-data", "stage", progress=False)
    assert (second.uploaded, second.skipped) == (0, len(files))

    # A copy of the folder with one manifest changed uploads exactly that file.
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(staged, copy)
    (copy / "test.lst").write_text((copy / "test.lst").read_text().replace("\t1\t", "\t0\t", 1))
    third = upload_files(s3, copy, staged_files(copy), "scones-data", "stage", progress=False)
    assert third.uploaded == 1
    body = s3.get_object(Bucket="scones-data", Key="stage/test.lst")["Body"].read()
    assert body == (copy / "test.lst").read_bytes()


@pytest.mark.shared
def test_stage_cli__from_folder_uploads_idempotently(mini_staged: Path, s3) -> None:  # type: ignore[no-untyped-def]
    args = ["stage", "--from-folder", str(mini_staged), "--bucket", "scones-cli", "--prefix", ""]
    first = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "uploaded 22, unchanged 0" in first.output
    second = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert "uploaded 0, unchanged 22" in second.output
    assert {"train.lst", "test.lst", "train/bike_s_000682.png"} <= _keys(s3, "scones-cli")


@pytest.mark.shared
def test_upload__unreachable_endpoint_raises_upload_error(
    staged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.config import Config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(UploadError, match="upload to s3://b/ failed"):
        upload_files(client, staged, staged_files(staged)[:2], "b", progress=False)

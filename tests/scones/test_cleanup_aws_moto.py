"""``scones cleanup --target aws`` against moto's server.

moto's ThreadedMotoServer (a real HTTP server on a free loopback port) stands in for real AWS, which cannot
be reached from here. The local target is covered against real LocalStack in the workflow integration tests.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from scones.cli import cli
from scones.workflow import WorkflowSettings, deploy
from scones.workflow.cleanup import cleanup, find_tagged
from scones.workflow.clients import Clients
from scones.workflow.settings import TAG_PROJECT, Target
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/scones-endpoint:1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, moto_server: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("SCONES_TARGET", "SCONES_ENDPOINT_URL", "AWS_PROFILE", "SCONES_PROJECT"):
        monkeypatch.delenv(var, raising=False)
    return pack_model_tar(build_tiny_artifact(tmp_path / "artifact"), tmp_path / "model.tar.gz")


def _settings(model: Path, project: str) -> WorkflowSettings:
    return WorkflowSettings(
        target=Target.AWS, endpoint_url=None, project=project, model=model, image_uri=IMAGE
    )


def test_cleanup__removes_every_tagged_resource_and_nothing_else(aws: Path) -> None:
    settings = _settings(aws, "cleanme")
    deploy(settings)
    deploy(_settings(aws, "keepme"))
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket="cleanme-workflow", Key="data_capture/x.jsonl", Body=b"{}\n")
    s3.create_bucket(Bucket="untagged-bucket")

    found = {(r.kind, r.name) for r in find_tagged(Clients(settings), settings)}
    assert {
        ("endpoint", "cleanme-endpoint"),
        ("state-machine", "cleanme-workflow"),
        ("function", "cleanme-classify"),
        ("role", "cleanme-classify-role"),
        ("bucket", "cleanme-workflow"),
    } <= found
    assert {kind for kind, _ in found} >= {"endpoint-config", "model"}

    report = cleanup(Clients(settings), settings, log=lambda _: None)
    assert {(r.kind, r.name) for r in report.removed} == found
    assert report.left == []
    assert find_tagged(Clients(settings), settings) == []
    # Another project's resources and untagged ones are untouched.
    keep = _settings(aws, "keepme")
    assert len(find_tagged(Clients(keep), keep)) == len(found)
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert "untagged-bucket" in names and "cleanme-workflow" not in names

    # Idempotent: a second run finds nothing and removes nothing.
    assert cleanup(Clients(settings), settings, log=lambda _: None).removed == []


def test_cleanup_cli__says_what_it_removed(aws: Path) -> None:
    deploy(_settings(aws, "clicl"))
    result = CliRunner().invoke(cli, ["cleanup", "--target", "aws", "--project", "clicl", "--yes"])
    assert result.exit_code == 0, result.output
    assert "removed endpoint clicl-endpoint" in result.output
    assert "removed bucket clicl-workflow" in result.output
    assert f"nothing tagged {TAG_PROJECT}=clicl is left" in result.output
    again = CliRunner().invoke(cli, ["cleanup", "--target", "aws", "--project", "clicl", "--yes"])
    assert again.exit_code == 0
    assert "nothing to remove" in again.output

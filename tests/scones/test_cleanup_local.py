"""`scones cleanup --target local` on the real stack: nothing tagged is left, endpoint processes are
gone, and a second cleanup finds nothing (idempotent)."""

from __future__ import annotations

import io
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner
from PIL import Image

from scones.cli import cli
from scones.workflow import WorkflowSettings, deploy, run_workflow
from scones.workflow.cleanup import cleanup, find_tagged
from scones.workflow.clients import Clients
from scones.workflow.settings import Target
from tests.helpers.sagemaker_endpoints import standin_identity
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

pytestmark = pytest.mark.integration


def _standins(endpoint: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            identity = standin_identity(proc)
            if identity is not None and identity[0] == endpoint:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def test_cleanup__local_leaves_nothing_tagged_and_is_idempotent(localstack, tmp_path: Path) -> None:
    tar = pack_model_tar(build_tiny_artifact(tmp_path / "artifact"), tmp_path / "model.tar.gz")
    settings = WorkflowSettings(
        target=Target.LOCAL, endpoint_url=localstack.endpoint_url, project="cleanlocal", model=tar
    )
    clients = Clients(settings)
    deploy(settings, clients)
    image = io.BytesIO()
    Image.new("RGB", (32, 32), (255, 0, 0)).save(image, format="PNG")
    clients.s3.put_object(Bucket=settings.bucket_name, Key="test/red.png", Body=image.getvalue())
    report = run_workflow(settings, keys=["test/red.png"], clients=clients)
    assert report.count("classified") == 1  # functions ran, capture and logs exist
    assert _standins(settings.endpoint_name), "the endpoint's stand-in process should be running"

    removed = cleanup(clients, settings, log=lambda _: None)
    kinds = sorted({r.kind for r in removed.removed})
    assert kinds == ["bucket", "endpoint", "endpoint-config", "function", "model", "role", "state-machine"]
    assert find_tagged(clients, settings) == []
    assert not [b for b in clients.s3.list_buckets()["Buckets"] if b["Name"] == settings.bucket_name]
    names = {f["FunctionName"] for f in clients.lambda_.list_functions()["Functions"]}
    assert not {n for n in names if n.startswith("cleanlocal-")}
    psutil.wait_procs(_standins(settings.endpoint_name), timeout=10)
    assert _standins(settings.endpoint_name) == []

    args = [
        "cleanup",
        "--target",
        "local",
        "--endpoint-url",
        localstack.endpoint_url,
        "--project",
        "cleanlocal",
    ]
    result = CliRunner().invoke(cli, [*args, "--yes", "--keep-stack"])
    assert result.exit_code == 0, result.output
    assert "nothing to remove" in result.output

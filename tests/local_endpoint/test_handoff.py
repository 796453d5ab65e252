"""A spare stand-in (local_endpoint/handoff.py): started with ``SCONES_ENDPOINT_HANDOFF=stdin``, it imports
everything, then serves with exactly the environment it is handed on standard input, and nothing else.

Real processes in the endpoint's venv; the LocalStack side (spares.py) is tested on a real stack in
tests/localstack_ext/test_sagemaker_spares.py.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from local_endpoint.handoff import MAX_HANDOFF_BYTES, receive
from local_endpoint.settings import SettingsError
from scones.stack import free_port
from tests.helpers.endpoint_process import ENDPOINT_PYTHON, REPO
from tests.helpers.sagemaker_endpoints import png_bytes


def test_receive__a_json_object_of_strings() -> None:
    assert receive(io.BytesIO(b'{"A": "1", "TMPDIR": "/t"}')) == {"A": "1", "TMPDIR": "/t"}


def test_receive__end_of_input_means_not_needed() -> None:
    assert receive(io.BytesIO(b"")) is None
    assert receive(io.BytesIO(b"  \n")) is None


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"{not json", "not JSON"),
        (b'["A", "1"]', "JSON object of strings"),
        (b'{"A": 1}', "JSON object of strings"),
        (b"{" + b" " * MAX_HANDOFF_BYTES + b"}", "larger than"),
    ],
)
def test_receive__anything_else_is_a_settings_error(raw: bytes, says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        receive(io.BytesIO(raw))


def _spare(tmp_path: Path, extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """What spares.py starts: no AWS variable, no endpoint, the hand-off switch."""
    python = str(ENDPOINT_PYTHON) if ENDPOINT_PYTHON.exists() else sys.executable
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "SCONES_ENDPOINT_HANDOFF": "stdin",
        "TMPDIR": str(tmp_path),
        **(extra or {}),
    }
    log = open(tmp_path / "spare.log", "wb")  # noqa: SIM115 - the child keeps it; closed with the test dir
    return subprocess.Popen(
        [python, "-m", "local_endpoint", "serve"],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def test_a_spare_serves_with_the_environment_it_is_handed(tmp_path: Path, artifact: Path) -> None:
    """The handed environment is the whole environment: the endpoint name, port and model come from it,
    and so does TMPDIR (the folder LocalStack deletes after the process)."""
    spare = _spare(tmp_path, {"SCONES_ENDPOINT_NAME": "not-this-one"})
    port = free_port()
    handed_tmp = tmp_path / "handed-tmp"
    handed_tmp.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "SCONES_MODEL_DIR": str(artifact),
        "SCONES_ENDPOINT_NAME": "handed-ep",
        "SCONES_ENDPOINT_PORT": str(port),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TMPDIR": str(handed_tmp),
    }
    try:
        time.sleep(0.2)  # handing off before the imports end is fine too: the read waits
        assert spare.stdin is not None
        spare.stdin.write(json.dumps(env).encode())
        spare.stdin.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert spare.poll() is None, (tmp_path / "spare.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        else:
            pytest.fail("the handed-off stand-in never answered /ping")
        url = f"http://127.0.0.1:{port}/endpoints/handed-ep/invocations"
        assert httpx.post(url, content=png_bytes(), headers={"Content-Type": "image/png"}).status_code == 200
        # The name it was started with is gone with the rest of that environment.
        other = f"http://127.0.0.1:{port}/endpoints/not-this-one/invocations"
        refused = httpx.post(other, content=png_bytes(), headers={"Content-Type": "image/png"})
        assert refused.status_code != 200
    finally:
        spare.terminate()
        assert spare.wait(30) == 0


def test_a_spare_nobody_needs_exits_0_when_its_input_closes(tmp_path: Path) -> None:
    spare = _spare(tmp_path)
    assert spare.stdin is not None
    spare.stdin.close()
    assert spare.wait(30) == 0
    assert "serving" not in (tmp_path / "spare.log").read_text()


def test_a_broken_hand_off_exits_2_and_says_why(tmp_path: Path) -> None:
    spare = _spare(tmp_path)
    assert spare.stdin is not None
    spare.stdin.write(b"{not json")
    spare.stdin.close()
    assert spare.wait(30) == 2
    assert "not JSON" in (tmp_path / "spare.log").read_text()

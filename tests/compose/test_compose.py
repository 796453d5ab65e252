"""`docker compose up` from a fresh clone, on a real Docker engine (`make test-compose`; docs/docker.md).

What a Docker user does, in order, against a copy of the checkout (the files git would clone: tracked and
untracked-but-not-ignored, so no venvs, no ./artifacts, no ./data):

1. `docker compose up` with no model: LocalStack turns healthy and stays up; `deploy` prints one line saying
   how to get a model and exits 0; `docker compose run --rm deploy --help` works.
2. A model appears in ./artifacts/model (the checkout's own when it has one, else the tests' tiny model):
   `docker compose up deploy` deploys the workflow; `docker compose run --rm deploy stage --from-folder`
   uploads staged images (the CLI image has no torchvision); executions run through the workflow from
   inside the compose network (`docker compose run --rm deploy run`) and from the host (published port);
   every one ends classified or review.
3. The standalone endpoint (profile `standalone`) answers boto3's `invoke_endpoint` on its published port.
4. `docker compose down -v` leaves no container, network or volume of the project.

Own project name (`scones-test-<random>`) and free host ports, so a user's own stack is never touched. The
images keep their tags (scones/localstack, scones/cli, scones/local-endpoint) and the engine's build cache,
which is what makes the second run fast. Where no engine answers the tests skip and say so.
Timings go to stdout (`make test-compose` runs pytest with -s) and to .scones/compose-timings.json.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scones import stack
from tests.helpers.images import solid_png
from tests.helpers.tiny_model import build_tiny_artifact

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 3600  # a cold build downloads every wheel (the LocalStack image alone ~5 min on 2 cores)
STEP_TIMEOUT = 600
# Synthetic test images: the tiny model is confident on pure red and blue, not on mid grey (threshold 0.93).
IMAGES = {"red.png": ((255, 0, 0), 0), "blue.png": ((0, 0, 255), 1), "grey.png": ((128, 128, 128), 0)}
TINY_OUTCOMES = {"classified": 2, "review": 1}
pytestmark = pytest.mark.timeout(BUILD_TIMEOUT + STEP_TIMEOUT)  # the suite's 300 s is too short for a build


def _docker() -> str:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no Docker engine answers: no `docker` client on PATH")
    info = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    if info.returncode != 0:
        reason = (info.stderr.strip().splitlines() or ["docker info failed"])[-1]
        pytest.skip(f"no Docker engine answers: {reason}")
    version = subprocess.run([docker, "compose", "version", "--short"], capture_output=True, text=True)
    if version.returncode != 0 or not version.stdout.strip() or version.stdout.startswith("1."):
        pytest.skip(
            f"Docker engine {info.stdout.strip()} answers but Compose v2 is missing (`docker compose`)"
        )
    return docker


@dataclass
class Stack:
    """One compose project in a copy of the checkout, with its own name and host ports."""

    docker: str
    checkout: Path
    project: str
    gateway_port: int
    endpoint_port: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SCONES_COMPOSE_GATEWAY_PORT": str(self.gateway_port),
            "SCONES_COMPOSE_ENDPOINT_PORT": str(self.endpoint_port),
            "COLUMNS": "200",  # rich tables in `docker compose run` output stay one row per line
        }

    def compose(
        self, *args: str, timeout: float = STEP_TIMEOUT, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        command = [self.docker, "compose", "-p", self.project, *args]
        result = subprocess.run(
            command, cwd=self.checkout, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"{' '.join(command[1:])} exited {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def timed(self, name: str, *args: str, timeout: float = STEP_TIMEOUT) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        result = self.compose(*args, timeout=timeout)
        self.timings[name] = round(time.monotonic() - started, 1)
        print(f"compose test: {name} {self.timings[name]} s", file=sys.stderr)
        return result

    def state(self, service: str) -> dict[str, object]:
        out = self.compose("ps", "-a", "--format", "json", service).stdout
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        if len(rows) == 1 and isinstance(rows[0], list):  # older Compose v2 print one JSON array
            rows = rows[0]
        (row,) = rows
        return dict(row)

    def wait_exit(self, service: str) -> int:
        """`docker compose wait`: blocks until the one-shot service's container exits; its exit code."""
        self.compose("wait", service, check=False)
        state = self.state(service)
        assert state["State"] == "exited", state
        return int(str(state["ExitCode"]))

    def leftovers(self) -> dict[str, list[str]]:
        label = f"label=com.docker.compose.project={self.project}"
        found = {}
        for kind, command in (
            ("containers", ["ps", "-a", "-q", "--filter", label]),
            ("networks", ["network", "ls", "-q", "--filter", label]),
            ("volumes", ["volume", "ls", "-q", "--filter", label]),
        ):
            out = subprocess.run([self.docker, *command], capture_output=True, text=True, check=True).stdout
            found[kind] = out.split()
        return found

    def down(self) -> None:
        self.compose(
            "--profile", "standalone", "--profile", "train", "down", "-v", "--remove-orphans", check=False
        )


def _fresh_clone(dest: Path) -> Path:
    """The files `git clone` would give (tracked + untracked-not-ignored; no venvs, artifacts or data)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        rel = raw.decode()
        source = ROOT / rel
        if not source.is_file():  # deleted in the working tree but still in the index
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    assert not (dest / "artifacts").exists() and not (dest / ".venv").exists()
    return dest


@pytest.fixture(scope="module")
def compose_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    docker = _docker()
    checkout = _fresh_clone(tmp_path_factory.mktemp("clone") / "scones")
    project = f"scones-test-{secrets.token_hex(3)}"
    s = Stack(docker, checkout, project, stack.free_port(), stack.free_port())
    try:
        yield s
    finally:
        s.down()
        timings = ROOT / ".scones" / "compose-timings.json"
        timings.parent.mkdir(exist_ok=True)
        timings.write_text(json.dumps({"project": project, **s.timings}, indent=2) + "\n")
        print(f"compose test timings: {json.dumps(s.timings)}", file=sys.stderr)


def test_fresh_clone_up_without_a_model_keeps_localstack_up(compose_stack: Stack) -> None:
    s = compose_stack
    s.timed("build", "build", timeout=BUILD_TIMEOUT)
    s.timed("up (no model) to deploy exit", "up", "-d", "--wait", "localstack")
    s.compose("up", "-d", "deploy")
    assert s.wait_exit("deploy") == 0
    logs = s.compose("logs", "--no-log-prefix", "deploy").stdout.strip().splitlines()
    assert len(logs) == 1 and "no model" in logs[0] and "--profile train run --rm train" in logs[0], logs
    assert s.state("localstack")["State"] == "running" and s.state("localstack")["Health"] == "healthy"
    assert "Usage: scones" in s.compose("run", "--rm", "deploy", "--help").stdout


def _model_into(checkout: Path) -> bool:
    """The checkout's real model when it has one (copied, never touched), else the tiny one. True: tiny."""
    real = ROOT / "artifacts" / "model"
    target = checkout / "artifacts" / "model"
    if (real / "model.onnx").is_file() and (real / "metadata.json").is_file():
        shutil.copytree(real, target)
        return False
    build_tiny_artifact(target)
    return True


def _staged(checkout: Path) -> list[str]:
    folder = checkout / "data" / "compose-staged"
    (folder / "test").mkdir(parents=True)
    lines = []
    for row, (name, (rgb, label)) in enumerate(IMAGES.items()):
        (folder / "test" / name).write_bytes(solid_png(rgb, mode="RGB"))
        lines.append(f"{row}\t{label}\t{name}\n")
    (folder / "test.lst").write_text("".join(lines))
    (folder / "train.lst").write_text("")
    return [f"test/{name}" for name in IMAGES]


def _summary(output: str) -> dict[str, int]:
    match = re.search(r"summary: (.*?)(?:;|$)", output, re.MULTILINE)
    assert match, output[-2000:]
    return {k: int(v) for k, v in (part.rsplit(" ", 1) for part in match.group(1).split(", "))}


def _check_outcomes(summary: dict[str, int], tiny: bool) -> None:
    assert summary["failed"] == 0 and summary["timeout"] == 0, summary
    assert summary["classified"] + summary["review"] == len(IMAGES), summary
    if tiny:
        assert {k: summary[k] for k in TINY_OUTCOMES} == TINY_OUTCOMES, summary


@pytest.fixture(scope="module")
def deployed(compose_stack: Stack) -> tuple[Stack, list[str], bool]:
    s = compose_stack
    tiny = _model_into(s.checkout)
    keys = _staged(s.checkout)
    started = time.monotonic()
    s.compose("up", "-d", "deploy")
    exit_code = s.wait_exit("deploy")
    s.timings["deploy (stack healthy) to exit"] = round(time.monotonic() - started, 1)
    logs = s.compose("logs", "--no-log-prefix", "deploy").stdout
    assert exit_code == 0, logs[-3000:]
    assert "InService" in logs, logs[-3000:]
    uploaded = s.compose(
        "run",
        "--rm",
        "deploy",
        "stage",
        "--from-folder",
        "/workspace/data/compose-staged",
        "--bucket",
        "scones-workflow",
    )
    assert f"uploaded {len(IMAGES) + 2}" in uploaded.stdout, uploaded.stdout + uploaded.stderr
    return s, keys, tiny


def test_executions_from_inside_the_compose_network(deployed: tuple[Stack, list[str], bool]) -> None:
    s, keys, tiny = deployed
    args = [arg for key in keys for arg in ("--key", key)]
    result = s.compose("run", "--rm", "deploy", "run", *args)
    _check_outcomes(_summary(result.stdout), tiny)


def test_executions_from_the_host(deployed: tuple[Stack, list[str], bool]) -> None:
    s, keys, tiny = deployed
    args = [arg for key in keys for arg in ("--key", key)]
    env = {
        **s.env,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{s.gateway_port}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    scones = Path(sys.executable).parent / "scones"
    result = subprocess.run(
        [str(scones), "run", "--target", "local", *args],
        env=env,
        cwd=s.checkout,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _check_outcomes(_summary(result.stdout), tiny)


def test_standalone_endpoint_answers_boto3(deployed: tuple[Stack, list[str], bool]) -> None:
    """The endpoint image (non-root) serves the mounted model: what boto3's sagemaker-runtime sends."""
    import boto3

    s, _, tiny = deployed
    s.timed(
        "standalone endpoint up (healthy)", "--profile", "standalone", "up", "-d", "--wait", "local_endpoint"
    )
    user = s.compose("--profile", "standalone", "exec", "-T", "local_endpoint", "id", "-u").stdout.strip()
    assert user == "10001"
    client = boto3.client(
        "sagemaker-runtime",
        endpoint_url=f"http://127.0.0.1:{s.endpoint_port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    answer = client.invoke_endpoint(
        EndpointName="standalone", ContentType="image/png", Body=solid_png((255, 0, 0), mode="RGB")
    )
    probabilities = json.loads(answer["Body"].read())
    assert answer["ContentType"] == "application/json"
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-5)
    if tiny:
        assert probabilities[0] > 0.95, probabilities  # red -> bicycle


def test_down_leaves_nothing_of_the_project(compose_stack: Stack) -> None:
    s = compose_stack
    s.compose("--profile", "standalone", "--profile", "train", "down", "-v", "--remove-orphans")
    assert s.leftovers() == {"containers": [], "networks": [], "volumes": []}

"""`scones up/down/status` against real LocalStack processes, two stacks side by side."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from scones import stack
from scones.cli import cli
from scones.config import Config
from scones.stack.settings import StackSettings

pytestmark = pytest.mark.integration


def _env(state_root: Path) -> dict[str, str]:
    return {"SCONES_STATE_DIR": str(state_root)}


def test_up_status_down__two_stacks_side_by_side(tmp_path: Path) -> None:
    runner = CliRunner()
    ports = [stack.free_port(), stack.free_port()]
    env = _env(tmp_path)
    try:
        for port in ports:
            result = runner.invoke(cli, ["up", "--port", str(port)], env=env)
            assert result.exit_code == 0, result.output
            assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}" in result.output
            assert stack.status(StackSettings.from_config(Config(env), port=port)).healthy

        status = runner.invoke(cli, ["status"], env=env)
        assert status.exit_code == 0
        for port in ports:
            assert str(port) in status.output
        assert status.output.count("healthy") == 2

        # `up` on a running port says so and still prints the exports; it does not start a second one.
        again = runner.invoke(cli, ["up", "--port", str(ports[0])], env=env)
        assert again.exit_code == 0
        assert "already runs" in again.output

        # Stopping one leaves the other serving.
        first = StackSettings.from_config(Config(env), port=ports[0])
        pid = stack.status(first).state.pid  # type: ignore[union-attr]
        down = runner.invoke(cli, ["down", "--port", str(ports[0])], env=env)
        assert down.exit_code == 0, down.output
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        assert not stack.status(first).running
        assert stack.status(StackSettings.from_config(Config(env), port=ports[1])).healthy
        one = runner.invoke(cli, ["status", "--port", str(ports[0])], env=env)
        assert "stopped" in one.output
    finally:
        for port in ports:
            runner.invoke(cli, ["down", "--port", str(port)], env=env)


def test_up__port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = CliRunner().invoke(cli, ["up", "--port", str(port)], env=_env(tmp_path))
    assert result.exit_code == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in result.output
    assert "Traceback" not in result.output


def test_down__stops_localstack_by_pid(tmp_path: Path) -> None:
    """`down` finds the stack from its state file (another process) and leaves no process of it."""
    settings = StackSettings(port=stack.free_port(), state_root=tmp_path)
    state = stack.start(settings)
    try:
        tree_before = [psutil.Process(state.pid), *psutil.Process(state.pid).children(recursive=True)]
        stopped = stack.stop(settings)
        assert state.pid in stopped
        for proc in tree_before:
            assert not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
        assert not stack.status(settings).running
    finally:
        stack.stop(settings)


def test_status__reads_state_written_by_up(tmp_path: Path) -> None:
    settings = StackSettings(port=stack.free_port(), state_root=tmp_path)
    state = stack.start(settings)
    try:
        recorded = json.loads((settings.state_dir / "state.json").read_text())
        assert recorded["pid"] == state.pid
        assert recorded["endpoint_url"] == settings.endpoint_url
        current = stack.status(settings)
        assert current.healthy
        assert current.services["lambda"] in ("available", "running")
    finally:
        stack.stop(settings)
    assert not (settings.state_dir / "state.json").exists()


def test_localstack_environment__passes_the_extension_settings_a_user_sets() -> None:
    """`scones up` builds LocalStack's environment from an allow-list; the extension's own settings
    (execution retention, the stand-ins' body-read timeout) must reach it, the host's AWS ones must not."""
    from scones.config import PASSED_TO_LOCALSTACK

    shell = {name: "7" for name in PASSED_TO_LOCALSTACK} | {"AWS_PROFILE": "prod"}
    env = StackSettings().localstack_environment(shell)
    assert {name: env.get(name) for name in PASSED_TO_LOCALSTACK} == dict.fromkeys(PASSED_TO_LOCALSTACK, "7")
    assert "SCONES_ENDPOINT_BODY_TIMEOUT_S" in PASSED_TO_LOCALSTACK
    assert "AWS_PROFILE" not in env

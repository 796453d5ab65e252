"""One stand-in process started ahead of need, imported and waiting to be handed an endpoint.

Why: a stand-in spends most of its start in the interpreter and imports (0.7-0.9 s on two cores) before it
knows anything about its endpoint, and CreateEndpoint waits for all of it. A spare does that work on the
other core while LocalStack is busy with the rest of a deploy; CreateEndpoint (also an update or a restart)
then writes the endpoint's environment to the spare's standard input (local_endpoint/handoff.py) and the
next spare starts. What the endpoint does from there is the same process, the same environment and the same
checks as a stand-in started for it. The cost: one idle process (~100 MB), which ``SCONES_ENDPOINT_SPARES=0``
turns off.

A spare is started without any AWS variable (credentials come with the hand-off), in its own session and
TMPDIR like every stand-in, and ends by itself when LocalStack does: its standard input closes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scones_localstack.config import STANDIN, STANDIN_HANDOFF, STANDIN_HANDOFF_STDIN

from .processes import inherited_env, kill_group, log_dir, log_tail, spawn
from .settings import Settings

LOG = logging.getLogger(__name__)


@dataclass
class Spare:
    proc: subprocess.Popen[bytes]
    log_path: Path
    tmpdir: Path

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def hand_off(self, env: Mapping[str, str]) -> bool:
        """Give ``env`` to the spare; False when it is gone (the caller then starts a stand-in as usual)."""
        stdin = self.proc.stdin
        if stdin is None or not self.alive:
            return False
        try:
            stdin.write(json.dumps(dict(env)).encode())
            stdin.close()
        except OSError:  # it died between the check and the write
            return False
        return True

    def discard(self) -> None:
        """End a spare nobody will use: closing its standard input ends a waiting one (exit 0); the group
        kill is for one that does not listen. A spare that died by itself says why in LocalStack's log."""
        code = self.proc.poll()
        if code not in (None, 0):
            LOG.warning("a spare stand-in exited with code %s: %s", code, log_tail(self.log_path))
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=2)
        kill_group(self.proc)
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.log_path.unlink(missing_ok=True)


def spare_env(settings: Settings, base: Mapping[str, str]) -> dict[str, str]:
    """What a spare starts with: what every stand-in inherits, the hand-off switch, nothing per endpoint."""
    env = inherited_env(base)
    env.update(
        {
            "PYTHONPATH": str(settings.repo_root),
            STANDIN_HANDOFF: STANDIN_HANDOFF_STDIN,
            STANDIN.parent_pid: str(os.getpid()),
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    return env


def start_spare(settings: Settings) -> Spare:
    tmpdir = Path(tempfile.mkdtemp(prefix="scones-endpoint-spare-"))
    env = spare_env(settings, os.environ)
    env["TMPDIR"] = str(tmpdir)
    log_path = log_dir() / f"spare-{tmpdir.name}.log"
    proc = spawn(settings, env, log_path, subprocess.PIPE)
    return Spare(proc=proc, log_path=log_path, tmpdir=tmpdir)


class Spares:
    """At most ``settings.spares`` spares, refilled in the background after each one is taken."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._spare: Spare | None = None
        self._closed = False

    def fill(self) -> None:
        """Start a spare if none is waiting (in the calling thread: Popen takes milliseconds)."""
        with self._lock:
            if self._closed or self.settings.spares < 1 or (self._spare is not None and self._spare.alive):
                return
            dead, self._spare = self._spare, None
            try:
                self._spare = start_spare(self.settings)
            except OSError as exc:  # the stand-ins themselves will say why, with the endpoint's status
                LOG.warning("could not start a spare stand-in %s: %s", self.settings.endpoint_cmd[0], exc)
        if dead is not None:
            dead.discard()

    def fill_soon(self) -> None:
        threading.Thread(target=self.fill, name="scones-spare-standin", daemon=True).start()

    def take(self) -> Spare | None:
        """The waiting spare if it is alive, else None. The caller refills (``fill_soon``) once its stand-in
        is up, so the next spare's imports do not compete with that stand-in's start."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None and not spare.alive:
            spare.discard()
            return None
        return spare

    def close(self) -> None:
        with self._lock:
            self._closed = True
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.discard()

"""A warm interpreter per runtime that forks one sandboxed function environment per request.

Started by LocalStack as ``<function python> -u shim_zygote.py <fd>``, fd being its end of a unix
socket pair. It imports the runtime (``shim``) and the runtime's boto3/botocore once, stays
single-threaded, and for each request (a JSON line plus the environment's output pipe, passed with
SCM_RIGHTS) forks a child that starts its own session (the executor kills the environment's process
group), takes the pipe as stdout/stderr, enters its sandbox (``shim_sandbox.enter``), sets the
function's environment, and runs the shim: the handler's module-level code still runs per
environment, as in AWS's Init phase. Standard library only (plus what it pre-imports).

Messages to LocalStack, one JSON object per line: ``{"modules": [...]}`` once (top-level modules
already imported: a task root that bundles any of them needs the normal exec path, or the function
would get the runtime's copy), ``{"id": n, "pid": p}`` per fork, ``{"pid": p, "status": s}`` (the raw
wait status) when a child exits. The zygote exits when LocalStack closes the socket or goes away.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
import time
from typing import Any

import shim
import shim_sandbox

with contextlib.suppress(ImportError):  # AWS's python runtimes ship boto3; a venv without it still works
    import boto3
    import boto3.session  # noqa: F401
    import botocore.session  # noqa: F401

CONTROL_FD = int(sys.argv[1]) if len(sys.argv) > 1 else 3
PRELOADED = sorted({name.split(".")[0] for name in sys.modules})
WAKEUP: list[int] = []  # the SIGCHLD self-pipe (read end, write end)


def child(request: dict[str, Any], output: int, others: list[int]) -> None:
    """In the forked child: never returns."""
    try:
        signal.set_wakeup_fd(-1)
        for fd in [*others, *WAKEUP]:  # pipes of environments forked after this one, the zygote's own
            os.close(fd)
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        os.close(null)
        os.close(CONTROL_FD)
        for sig in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        os.chdir(request["cwd"])
        shim_sandbox.enter(request["spec"])
        os.chdir("/var/task")
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["/var/runtime/shim.py"]
        sys.path[0] = "/var/runtime"
        shim.PROCESS_STARTED = time.perf_counter()
        shim.Runtime().main()
    except SystemExit as exc:
        os._exit(shim.exit_code(exc))
    except BaseException as exc:
        with contextlib.suppress(Exception):
            sys.stderr.write(f"scones zygote: {exc!r}\n")
            sys.stderr.flush()
        os._exit(shim_sandbox.SETUP_FAILED)
    os._exit(0)


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(json.dumps(message).encode() + b"\n")


def reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return
        send(sock, {"pid": pid, "status": status})


def serve(sock: socket.socket) -> None:
    """Forks on requests; reports exits as soon as SIGCHLD arrives (its wakeup fd ends the select)."""
    parent = os.getppid()
    WAKEUP.extend(os.pipe())
    os.set_blocking(WAKEUP[1], False)
    signal.signal(signal.SIGCHLD, lambda _number, _frame: None)
    signal.set_wakeup_fd(WAKEUP[1])
    send(sock, {"modules": PRELOADED})
    pending = b""
    while True:
        ready, _, _ = select.select([sock.fileno(), WAKEUP[0]], [], [], 0.5)
        if WAKEUP[0] in ready:
            os.read(WAKEUP[0], 4096)
        reap(sock)
        if os.getppid() != parent:
            return
        if sock.fileno() not in ready:
            continue
        data, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
        if not data:
            return
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            request = json.loads(line)
            output = fds.pop(0)
            pid = os.fork()
            if pid == 0:
                child(request, output, fds)
            os.close(output)
            send(sock, {"id": request["id"], "pid": pid})


def main() -> None:
    sock = socket.socket(fileno=CONTROL_FD)
    try:
        serve(sock)
    finally:
        # LocalStack is gone or closed the socket: each environment's supervisor sees its parent
        # change and takes its environment down with it (shim_sandbox.supervise)
        os._exit(0)


if __name__ == "__main__":
    main()

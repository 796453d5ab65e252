"""``python -m local_endpoint serve [--model DIR] [--port N] [--host H] [--endpoint-name NAME]``.

With no arguments every setting comes from the environment (docs/contracts.md §2): that is how LocalStack's
SageMaker provider launches one process per endpoint, and how SageMaker runs ``<image> serve``. SIGTERM makes
uvicorn stop accepting, the lifespan flushes capture buffers, and the process exits 0. With
``SCONES_PARENT_PID`` set, the server also stops when that process disappears, so a SIGKILLed LocalStack
leaves no orphan endpoint behind. A model fetched from S3 is unpacked into a fresh temporary directory that
is deleted when the server exits by any route it can see (return, SIGTERM/SIGINT, parent gone, an exception);
only SIGKILL escapes, which is why LocalStack's provider also gives each stand-in its own TMPDIR and deletes
it once the process is gone.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType

import uvicorn

from local_endpoint import handoff
from local_endpoint.app import create_app
from local_endpoint.capture import CaptureConfig, CaptureConfigError
from local_endpoint.settings import (
    ENV_HANDOFF,
    EndpointSettings,
    SettingsError,
    resolve_model_source,
    settings_from_env,
)

log = logging.getLogger("local_endpoint")
PARENT_POLL_S = 0.5


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local_endpoint", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the model (SageMaker runtime API + container contract)")
    serve.add_argument("--model", type=Path, help="artifact directory (else SCONES_MODEL_DIR / _DATA_URL)")
    serve.add_argument(
        "--port", type=int, help="port (else SCONES_ENDPOINT_PORT, SAGEMAKER_BIND_TO_PORT, 8080)"
    )
    serve.add_argument("--host", help="bind address (else SCONES_ENDPOINT_HOST, 127.0.0.1)")
    serve.add_argument("--endpoint-name", help="endpoint name (else SCONES_ENDPOINT_NAME; unset: any name)")
    serve.add_argument("--variant", help="production variant (else SCONES_ENDPOINT_VARIANT, AllTraffic)")
    return parser


def parent_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def watch_parent(pid: int, server: uvicorn.Server, stop: threading.Event) -> None:
    while not stop.wait(PARENT_POLL_S):
        if not parent_alive(pid):
            log.warning("parent process %d is gone; shutting down", pid)
            server.should_exit = True
            return


def _exit_cleanly(_sig: int, _frame: FrameType | None) -> None:
    # uvicorn re-raises the signal it captured after its graceful shutdown; by then buffers are flushed.
    raise SystemExit(0)


def serve(settings: EndpointSettings) -> int:
    workdir: Path | None = None
    if settings.model_data_url:
        workdir = Path(tempfile.mkdtemp(prefix="scones-endpoint-model-"))
        settings = replace(settings, model_workdir=workdir)
    try:
        return _serve(settings)
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
            log.info("deleted the unpacked model in %s", workdir)


def _serve(settings: EndpointSettings) -> int:
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        access_log=False,
        log_level="info",
        timeout_graceful_shutdown=25,  # SageMaker sends SIGKILL 30 s after SIGTERM
    )
    server = uvicorn.Server(config)
    stop = threading.Event()
    if settings.parent_pid is not None:
        threading.Thread(
            target=watch_parent, args=(settings.parent_pid, server, stop), name="parent-watchdog", daemon=True
        ).start()
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        server.run()
    finally:
        stop.set()
    return 0 if server.started else 1


def await_handoff(mode: str) -> dict[str, str] | None:
    """A spare (see handoff.py): import everything, then wait for the environment to serve with."""
    if mode != handoff.HANDOFF_STDIN:
        raise SettingsError(f"{ENV_HANDOFF}={mode!r}: the only hand-off is {handoff.HANDOFF_STDIN!r}")
    handoff.warm_up()
    return handoff.receive(sys.stdin.buffer)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if os.environ.get(ENV_HANDOFF):
            handed = await_handoff(os.environ[ENV_HANDOFF])
            if handed is None:
                return 0  # a spare nobody needed
            os.environ.clear()
            os.environ.update(handed)
            tempfile.tempdir = None  # the handed TMPDIR, should anything have asked for one before
        settings = settings_from_env(os.environ).with_overrides(
            model_dir=args.model,
            port=args.port,
            host=args.host,
            endpoint_name=args.endpoint_name,
            variant=args.variant,
        )
        if args.model is not None:
            settings = settings.with_overrides(model_data_url="")  # an explicit --model wins over the env URL
        settings = resolve_model_source(settings)
        if settings.data_capture_config:
            CaptureConfig.from_api(settings.data_capture_config)  # fail before binding, not in the lifespan
    except (SettingsError, CaptureConfigError) as exc:
        print(f"local_endpoint: {exc}", file=sys.stderr)
        return 2
    log.info(
        "serving endpoint=%s variant=%s model=%s on %s:%d",
        settings.endpoint_name or "(any name)",
        settings.variant,
        settings.model_data_url or settings.model_dir,
        settings.host,
        settings.port,
    )
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())

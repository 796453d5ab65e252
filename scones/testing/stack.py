"""A handle on one local stack for tests: its settings, its process state, clients bound to it, and stop.

Why here and not in tests/: the pytest plugin (scones.testing.plugin) ships with scones and starts the
same stacks for users' tests that our own suite uses; tests/helpers/localstack.py re-exports it.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from scones import config as cfg
from scones import stack
from scones.stack.process import health
from scones.stack.settings import StackSettings


class NotOurStackError(RuntimeError):
    """The handle names a stack someone else started (``--scones-endpoint-url``): no log file, no stop."""


@dataclass(frozen=True)
class LocalStackHandle:
    """One stack. ``state`` is None for a stack that was already running when the session began.
    ``boto3_session``: one whose clients' models were loaded while the stack started (warm_up), or None."""

    settings: StackSettings
    state: stack.StackState | None
    boto3_session: Any = field(default=None, compare=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        return self.settings.endpoint_url

    @property
    def port(self) -> int:
        return self.settings.port

    @property
    def owned(self) -> bool:
        return self.state is not None

    @property
    def log_file(self) -> Path:
        if self.state is None:
            raise NotOurStackError(
                f"the stack at {self.endpoint_url} was started elsewhere: its log is there"
            )
        return Path(self.state.log_file)

    def client(self, service: str, **config: Any) -> Any:
        from botocore.config import Config

        return stack.local_client(service, self.endpoint_url, Config(**config) if config else None)

    def stop(self) -> list[int]:
        """Stop the stack this handle started; a stack started elsewhere is left running."""
        return stack.stop(self.settings) if self.owned else []


# LocalStack indexes every botocore service spec into a "service catalog" on its first request (about 5 s on
# two cores) and caches it under the stack's own filesystem root, which is fresh for every test stack. Its
# Docker image ships the index prebuilt in static_libs (localstack/aws/spec.py get_service_catalog loads
# <static_libs>/service-catalog-<localstack>-<botocore>.dill first); we keep the one a stack built and hand
# it to the next stacks the same way. The name carries both versions, so a stale file is never loaded.
CATALOG_CACHE = cfg.STATE_DIR.default / "localstack-cache"
_CATALOG_GLOB = "service-catalog-*.dill"
_STATIC_LIBS = Path("fs/usr/lib/localstack")  # Directories.for_host: FILESYSTEM_ROOT + /usr/lib/localstack
_CACHE = Path("fs/var/lib/localstack/cache")


def pinned_catalog_name(
    constraints: Path = cfg.PROJECT_ROOT / "constraints" / "localstack.txt",
) -> str | None:
    """The catalog file LocalStack looks for under the pinned versions (``localstack.aws.spec``:
    ``service-catalog-<localstack>-<botocore>.dill``, dots as underscores); None without both pins."""
    try:
        pins = dict(
            line.strip().split("==", 1) for line in constraints.read_text().splitlines() if "==" in line
        )
    except OSError:
        return None
    versions = [pins.get("localstack-core"), pins.get("botocore")]
    if None in versions:
        return None
    return "service-catalog-{}-{}.dill".format(*(str(v).replace(".", "_") for v in versions))


def _provide_catalog(settings: StackSettings, cache: Path) -> bool:
    """Link the cached service catalog(s) into the new stack's static_libs before it starts; True when
    the one for the pinned versions was among them (the stack will build none)."""
    static_libs = settings.state_dir / _STATIC_LIBS
    for catalog in cache.glob(_CATALOG_GLOB):
        static_libs.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            (static_libs / catalog.name).symlink_to(catalog)
    pinned = pinned_catalog_name()
    return pinned is not None and (cache / pinned).is_file()


def _keep_catalog(handle: LocalStackHandle, cache: Path) -> None:
    """Copy the catalog the stack built on its first request into ``cache`` (atomically, for parallel
    sessions); when it was provided, the stack builds none and there is nothing to copy."""
    built = sorted((handle.settings.state_dir / _CACHE).glob(_CATALOG_GLOB))
    if not built:
        handle.client("s3").list_buckets()  # the first request loads the catalog, or builds it
        built = sorted((handle.settings.state_dir / _CACHE).glob(_CATALOG_GLOB))
    for catalog in built:
        if (cache / catalog.name).exists():
            continue
        cache.mkdir(parents=True, exist_ok=True)
        partial = cache / f".{catalog.name}.{handle.port}"
        shutil.copyfile(catalog, partial)
        partial.replace(cache / catalog.name)


def start_stack(
    tmp_root: Path,
    *,
    catalog_cache: Path | None = CATALOG_CACHE,
    during_start: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> LocalStackHandle:
    """Start a stack on a free port with its state under ``tmp_root`` (one per session or per test).

    ``catalog_cache`` (None: off) shares LocalStack's service catalog between stacks, so only the first
    stack ever started pays for building it. ``during_start(endpoint_url)`` runs in a thread while
    LocalStack starts (its imports take seconds on one core, the test process only polls): work of the
    test process's own that would otherwise come after (scones.testing.warm_up, which keeps its own
    errors: a speed-up never fails a start). It has ended when this returns.

    IAM enforcement follows ``SCONES_IAM_ENFORCE`` in the test process's environment (on by default, as
    ``scones up``), unless the caller says ``iam_enforce=``: the one documented setting turns it off for
    the fixtures too.
    """
    kwargs.setdefault("iam_enforce", cfg.Config.from_environ().get(cfg.IAM_ENFORCE))
    settings = StackSettings(port=stack.free_port(), state_root=tmp_root, **kwargs)
    provided = catalog_cache is not None and _provide_catalog(settings, catalog_cache)
    beside = None
    if during_start is not None:
        beside = threading.Thread(
            target=during_start, args=(settings.endpoint_url,), name="scones-warm-up", daemon=True
        )
        beside.start()
    try:
        handle = LocalStackHandle(settings, stack.start(settings))
    finally:
        if beside is not None:
            beside.join()
    # Keeping needs a first request (LocalStack loads or builds the catalog on it: up to 5 s on the start's
    # critical path), so it is made only when the cache lacks the catalog of the pinned versions.
    if catalog_cache is not None and not provided:
        with contextlib.suppress(OSError, BotoCoreError, ClientError):  # a speed-up: works without it
            _keep_catalog(handle, catalog_cache)
    return handle


def attach_stack(endpoint_url: str) -> LocalStackHandle:
    """A handle on a stack that is already running (``scones up``); raises StackError if it is not healthy."""
    parts = urlsplit(endpoint_url)
    if parts.scheme != "http" or not parts.hostname or parts.port is None:
        raise ValueError(f"endpoint URL {endpoint_url!r}: expected http://HOST:PORT")
    settings = StackSettings(host=parts.hostname, port=parts.port)
    if health(settings.endpoint_url) is None:
        raise stack.StackError(f"no healthy stack at {settings.endpoint_url}: start one with `scones up`")
    return LocalStackHandle(settings, None)

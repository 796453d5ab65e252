"""Make each service's first request cheaper: work LocalStack repeats, or does eagerly, for nothing.

Why: the first request to a service pays for its provider and stores, and on the plugin's session set-up
(stack up + deploy, issue 14: 5 s) six services each pay once, mostly one after the other. Profiled
(py-spy, deploy of the workflow on a fresh stack), two costs there give nothing back:

* **Region lists.** Every store bundle (one per service and account: ``localstack.services.stores``
  ``RegionBundle``) asks ``localstack.utils.aws.aws_stack.get_valid_regions_for_service``, which opens a
  new ``boto3.Session`` each call and so parses botocore's ``endpoints.json``, the service's whole model
  (for ``endpointPrefix``) and CloudWatch's model (other partitions) again: 60-200 ms a call on two cores,
  about a second over a deploy. The answer depends only on the installed botocore, so one shared session
  and one list per service name answer the same. moto's backends list their regions from a session of
  their own; they get the shared one too, so each model is parsed once.
* **Model files, once per process.** Besides the stores, LocalStack opens botocore sessions of its own:
  the region rewriter's (S3's model and ``endpoints.json``), the internal clients' (each service it calls
  itself), Lambda's (``boto3.client`` for code in S3). Each session gets a new botocore ``Loader`` and
  parses again what another session's already holds: ``endpoints.json`` four times over a deploy, S3's
  model four, 40-90 ms each on two cores. botocore's ``create_loader`` is called for every session with
  only ``AWS_DATA_PATH`` as its argument, so one loader per distinct argument serves them all, exactly as
  one session's loader serves all its clients (what it returns is never changed by its readers; boto3
  appends its resource folder to the search path, once here, since the list ignores repeats).
* **IAM's managed-policy index.** ``IamProvider.on_after_init`` builds its index of the ~1,400 AWS managed
  policies (each document JSON-dumped and URL-quoted) on IAM's first request, 0.3 s, though a deploy with
  inline role policies never reads it. Here it is built on its first read instead: the same dict then.

Nothing here changes an answer: the lists and the index are the ones LocalStack would have built.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

_MARK = "_scones_cached"


_session_lock = threading.Lock()
_sessions: list[Any] = []


def shared_session() -> Any:
    """One ``boto3.Session`` for region look-ups (ours and moto's), built on first use: its botocore
    loader keeps each model it parsed, so a service's model is read once, not once per store."""
    if not _sessions:
        with _session_lock:
            if not _sessions:
                import boto3

                _sessions.append(boto3.Session())
    return _sessions[0]


def cached_region_lists(original: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """``get_valid_regions_for_service`` with one boto3 session and one answer per service name.

    The body is LocalStack 2026.3's (``localstack/utils/aws/aws_stack.py``) with the session shared; each
    caller gets its own list, as before, so none can change another's.
    """
    lock = threading.Lock()
    answers: dict[str, tuple[str, ...]] = {}

    def get_valid_regions_for_service(service_name: str) -> list[str]:
        answer = answers.get(service_name)
        if answer is None:
            with lock:  # one thread fills the loader's caches at a time
                answer = answers.get(service_name)
                if answer is None:
                    session = shared_session()
                    regions = list(session.get_available_regions(service_name))
                    for partition in session.get_available_partitions():
                        if partition != "aws":
                            regions.extend(
                                session.get_available_regions("cloudwatch", partition_name=partition)
                            )
                    answer = answers[service_name] = tuple(regions)
        return list(answer)

    setattr(get_valid_regions_for_service, _MARK, True)
    get_valid_regions_for_service.__wrapped__ = original  # type: ignore[attr-defined]
    return get_valid_regions_for_service


class BuiltOnFirstRead(Mapping[str, Any]):
    """A read-only mapping that calls ``build`` the first time it is read (once, whichever thread)."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self._build: Callable[[], dict[str, Any]] | None = build
        self._data: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _built(self) -> dict[str, Any]:
        if self._build is not None:
            with self._lock:
                if self._build is not None:
                    self._data = self._build()
                    self._build = None
        return self._data

    @property
    def built(self) -> bool:
        return self._build is None

    def __getitem__(self, key: str) -> Any:
        return self._built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())

    def __contains__(self, key: object) -> bool:
        return key in self._built()

    def get(self, key: str, default: Any = None) -> Any:
        return self._built().get(key, default)


def _patch_region_lists() -> None:
    from localstack.services import stores  # noqa: F401  (binds the name at import: patched below)
    from localstack.utils.aws import aws_stack

    original = aws_stack.get_valid_regions_for_service
    if getattr(original, _MARK, False):
        return
    cached = cached_region_lists(original)
    # Every module that imported the name (stores, S3's and DynamoDB's providers if loaded), and the
    # defining module for those that import it later.
    # Read through __dict__: getattr would call a module's __getattr__, and a deferred package's
    # (deferred_imports) runs the package's __init__, the import it exists to save.
    for module in list(sys.modules.values()):
        names = getattr(module, "__dict__", None)
        if isinstance(names, dict) and names.get("get_valid_regions_for_service") is original:
            names["get_valid_regions_for_service"] = cached


def _patch_moto_session() -> None:
    """moto lists each backend's regions from a session of its own (``AccountSpecificBackend.get_session``,
    one ``boto3.Session()`` built on first use): the shared one, so a model LocalStack's stores already
    read (SageMaker's, IAM's for moto's account bookkeeping) is not parsed a second time."""
    from moto.core.base_backend import AccountSpecificBackend

    if getattr(AccountSpecificBackend.get_session, _MARK, False):
        return

    def get_session(cls: type) -> Any:
        return shared_session()

    setattr(get_session, _MARK, True)
    AccountSpecificBackend.get_session = classmethod(get_session)  # type: ignore[method-assign,assignment]


class _OnceEach(list[str]):
    """A search-path list that keeps one copy of each folder: every ``boto3.Session`` appends its own
    ``boto3/data`` to its loader's list, and here all sessions share one loader."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


def shared_loaders(original: Callable[..., Any]) -> Callable[..., Any]:
    """``botocore.loaders.create_loader`` returning one loader per ``AWS_DATA_PATH`` value."""
    lock = threading.Lock()
    loaders: dict[str | None, Any] = {}

    def create_loader(search_path_string: str | None = None) -> Any:
        with lock:
            loader = loaders.get(search_path_string)
            if loader is None:
                loader = original(search_path_string)
                loader._search_paths = _OnceEach(loader._search_paths)
                loaders[search_path_string] = loader
            return loader

    setattr(create_loader, _MARK, True)
    create_loader.__wrapped__ = original  # type: ignore[attr-defined]
    return create_loader


def _patch_loaders() -> None:
    import botocore.session

    if getattr(botocore.session.create_loader, _MARK, False):
        return
    botocore.session.create_loader = shared_loaders(botocore.session.create_loader)


def _patch_iam_policy_index() -> None:
    from localstack.services.iam.provider import IamProvider

    if getattr(IamProvider.on_after_init, _MARK, False):
        return

    def on_after_init(self: Any) -> None:
        self._aws_managed_policy_cache = BuiltOnFirstRead(self._build_aws_managed_policy_cache)

    setattr(on_after_init, _MARK, True)
    IamProvider.on_after_init = on_after_init  # type: ignore[method-assign]


def install() -> None:
    """Idempotent; in LocalStack's interpreter, before the first request."""
    _patch_loaders()
    _patch_region_lists()
    _patch_moto_session()
    _patch_iam_policy_index()

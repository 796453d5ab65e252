"""One request parser and one response serializer per service, not one per botocore client.

Why: LocalStack caches ``create_parser``/``create_serializer`` with ``functools.cache``, keyed by the
``ServiceModel`` object. With in-memory internal calls (``IN_MEMORY_CLIENT=1``) the request context
carries the calling client's own ``ServiceModel``, and every new botocore client has a new one: each
new client (Step Functions' task clients are rebuilt when their role session is renewed, see
role_clients) added a parser, a serializer and their routing maps, about 1 MB for Lambda, for good.
Keyed by what defines the model (service name, protocol, API version, and the description it was built
from: LocalStack's patched spec or botocore's, see model_key), the caches stay one entry per service and
spec; the parser or serializer returned is the one LocalStack would build for that model.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

_MARK = "_scones_canonical"


def model_key(service: Any) -> tuple[str, str, str, str, int]:
    """What makes two ``ServiceModel`` objects the same model (one botocore in one process).

    The description they were built from is part of it: LocalStack's gateway parses external requests
    with its own spec (``localstack.aws.spec.load_service``: botocore's JSON plus ``spec-patches.json``),
    while its internal clients (``connect_to``) carry botocore's unpatched one, and the two serialize
    differently (S3 ``GetBucketLocation``: the patch makes ``LocationConstraint`` the payload, the root
    element botocore's client reads). Keyed without it, whichever model came first served both: on a stack
    whose first S3 request was internal, the parser of external requests returned botocore's operation
    and GetBucketLocation answered a ``GetBucketLocationOutput`` root, which boto3 reads as
    ``LocationConstraint: None``. A loader parses a
    model once and hands every client of its session the same dict, so this still means one entry per
    service and loader, not per client; the entry keeps its model (so the dict, so the id) alive.
    """
    metadata = service.metadata
    return (
        service.service_name,
        metadata.get("protocol", ""),
        metadata.get("apiVersion", ""),
        metadata.get("signingName", ""),
        id(service._service_description),
    )


def canonical(create: Callable[..., Any]) -> Callable[..., Any]:
    """``create(service, ...)`` called with the first model seen for ``service``'s key."""
    models: dict[tuple[str, str, str, str, int], Any] = {}

    @functools.wraps(create)
    def create_for_model(service: Any, *args: Any, **kwargs: Any) -> Any:
        first = models.setdefault(model_key(service), service)
        return create(first, *args, **kwargs)

    setattr(create_for_model, _MARK, True)
    return create_for_model


def install() -> None:
    """Idempotent; patches the defining modules and every module that imported the names."""
    from localstack.aws.protocol import parser, serializer

    from scones_localstack.stepfunctions.rebind import rebind

    for module, name in ((parser, "create_parser"), (serializer, "create_serializer")):
        original = getattr(module, name)
        if getattr(original, _MARK, False):
            continue
        replacement = canonical(original)
        setattr(module, name, replacement)
        rebind(original, replacement, package="localstack")

"""What every resource kind shares: the found-resource record, "not found" as each service says it, and the
``ResourceKind`` interface (ensure / find / tagged / delete) that deploy and cleanup iterate.

"Not found" means the service's own not-found error and nothing else. Anything else while looking a
resource up (AccessDenied above all) is a ``ResourceLookupError`` naming the resource: treating it as
"absent" would make deploy try to create what it merely may not read, and cleanup skip what it cannot see.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from botocore.exceptions import ClientError

from scones.workflow.errors import ResourceLookupError
from scones.workflow.settings import TAG_PROJECT

if TYPE_CHECKING:
    from scones.workflow.session import WorkflowSession

SpecT = TypeVar("SpecT")
T = TypeVar("T")


@dataclass(frozen=True)
class Resource:
    """A resource found by its project tag: what cleanup lists, deletes and reports."""

    kind: str
    name: str
    arn: str = ""


@dataclass(frozen=True)
class Missing:
    """How a service says "no such resource": error codes, and for services that reuse a generic code
    (SageMaker's ``ValidationException``) the start of the message that makes it a not-found."""

    codes: frozenset[str]
    message: str = ""

    @classmethod
    def of(cls, *codes: str, message: str = "") -> Missing:
        return cls(frozenset(codes), message)

    def matches(self, exc: ClientError) -> bool:
        error = exc.response.get("Error", {})
        code, text = str(error.get("Code", "")), str(error.get("Message", ""))
        return code in self.codes and (not self.message or text.startswith(self.message))


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _nothing(_: str) -> None:
    return None


class ResourceKind(ABC, Generic[SpecT]):
    """One kind of resource deploy creates and cleanup deletes.

    ``ensure(spec)`` creates or updates to match the spec (reporting each change through ``changed``);
    ``find(name)`` describes it, or None when the service says it does not exist; ``tagged()`` lists this
    project's resources of the kind; ``delete(resource)`` removes one, a resource already gone being fine.
    """

    kind: ClassVar[str]  # as the user reads it: "bucket", "role", "function", ...
    missing: ClassVar[Missing]  # the service's not-found for ``find`` and ``delete``

    def __init__(self, session: WorkflowSession, changed: Callable[[str], None] = _nothing) -> None:
        self.session, self.settings, self.clients = session, session.settings, session.clients
        self.changed = changed

    @abstractmethod
    def name_of(self, spec: SpecT) -> str: ...

    @abstractmethod
    def find(self, name: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def ensure(self, spec: SpecT) -> None: ...

    @abstractmethod
    def tagged(self) -> Iterator[Resource]: ...

    @abstractmethod
    def delete(self, resource: Resource) -> None: ...

    # helpers shared by the kinds

    def lookup(self, name: str, call: Callable[[], T]) -> T | None:
        """``call()``'s answer; None on this kind's not-found; any other service error names the resource."""
        try:
            return call()
        except ClientError as exc:
            if self.missing.matches(exc):
                return None
            message = exc.response.get("Error", {}).get("Message", "")
            raise ResourceLookupError(
                f"cannot tell whether {self.kind} {name} exists: {error_code(exc)}: {message}"
                " (check the caller's permissions)"
            ) from exc

    def gone_is_fine(self, call: Callable[[], Any]) -> None:
        """Delete calls: a resource removed meanwhile (or by an interrupted cleanup) is not an error."""
        try:
            call()
        except ClientError as exc:
            if not self.missing.matches(exc):
                raise

    def is_ours(self, tags: dict[str, str]) -> bool:
        return tags.get(TAG_PROJECT) == self.settings.project

    @property
    def tag_list(self) -> list[dict[str, str]]:
        """Tags as most services take them: ``[{"Key": ..., "Value": ...}]``, sorted."""
        return [{"Key": k, "Value": v} for k, v in sorted(self.settings.tags.items())]


def tag_dict(tags: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {str(t[key]): str(t[value]) for t in tags}


def pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def retry_iam_propagation(call: Callable[[], T], local: bool) -> T:
    """New IAM roles take seconds to be assumable on AWS; Lambda and Step Functions say so with an
    ``InvalidParameterValueException`` naming the role, and succeed a little later."""
    for attempt in range(1 if local else 8):
        try:
            return call()
        except ClientError as exc:
            if error_code(exc) != "InvalidParameterValueException" or "role" not in str(exc):
                raise
            time.sleep(2 + attempt * 2)
    return call()

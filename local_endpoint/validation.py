"""InvokeEndpoint's input constraints, checked first, as SageMaker Runtime's front end checks them.

Why from botocore: the limits are AWS's, published in the ``sagemaker-runtime`` service model
(botocore/data/sagemaker-runtime/2017-05-13/service-2.json, shape ``InvokeEndpointInput``): EndpointName
max 63 and pattern ``^[a-zA-Z0-9](-*[a-zA-Z0-9])*``; CustomAttributes max 1024, pattern ``\\p{ASCII}*``,
sensitive; InferenceId min 1, max 64, pattern ``\\A\\S[\\p{Print}]*\\z``; and the other headers. Reading them
from the installed model keeps one owner (AWS) instead of a copy here.

Violations are worded as AWS's (Coral) validation errors: ``1 validation error detected: Value 'x' at
'inferenceId' failed to satisfy constraint: Member must have length less than or equal to 64``; several are
counted and joined with ``"; "``; a sensitive member's value is never echoed (``Value at 'customAttributes'
...``), as Cognito's well-known ``Value at 'password' failed to satisfy constraint`` shows.

The gateway's passthrough (localstack_ext/scones_localstack/sagemaker/validation.py) holds the same
checks for requests that never reach a stand-in; tests on both faces assert the same messages.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_endpoint.errors import ConstraintViolationError

# java.util.regex POSIX classes used by the model; US-ASCII only, as Java reads them by default.
JAVA_CLASSES = {"ASCII": r"\x00-\x7F", "Print": r"\x20-\x7E"}


def java_regex(pattern: str) -> re.Pattern[str]:
    """A Java pattern of the service model as a Python regex (``\\p{..}`` classes, ``\\z``), used with
    ``fullmatch`` because the service validates with Java's ``matches()`` (the whole value)."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "p" and pattern.startswith("{", i + 2):
                end = pattern.index("}", i)
                name = pattern[i + 3 : end]
                if name not in JAVA_CLASSES:
                    raise ValueError(f"unsupported Java character class \\p{{{name}}} in {pattern!r}")
                out.append(JAVA_CLASSES[name] if in_class else f"[{JAVA_CLASSES[name]}]")
                i = end + 1
                continue
            out.append(r"\Z" if nxt == "z" else ch + nxt)
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        out.append(ch)
        i += 1
    return re.compile("".join(out), re.ASCII)


@dataclass(frozen=True)
class Constraint:
    """One string member of the input: where it travels and what the model allows."""

    member: str  # the model's member name, e.g. InferenceId
    location: str  # "uri" or "header"
    location_name: str  # the URI label or header name
    min_length: int | None
    max_length: int | None
    pattern: str | None
    regex: re.Pattern[str] | None
    sensitive: bool

    @property
    def field(self) -> str:
        """The name AWS's messages use: the member name in lower camel case (EndpointName -> endpointName)."""
        return self.member[:1].lower() + self.member[1:]

    def violations(self, value: str) -> list[str]:
        subject = f"Value at '{self.field}'" if self.sensitive else f"Value '{value}' at '{self.field}'"
        broken: list[str] = []
        if self.min_length is not None and len(value) < self.min_length:
            broken.append(f"Member must have length greater than or equal to {self.min_length}")
        if self.max_length is not None and len(value) > self.max_length:
            broken.append(f"Member must have length less than or equal to {self.max_length}")
        if self.regex is not None and self.regex.fullmatch(value) is None:
            broken.append(f"Member must satisfy regular expression pattern: {self.pattern}")
        return [f"{subject} failed to satisfy constraint: {b}" for b in broken]


def constraints_of(model: Mapping[str, Any], operation: str) -> tuple[Constraint, ...]:
    """The URI and header string members of an operation's input, from a service model (botocore's
    service-2.json as a dict), in model order."""
    shapes = model["shapes"]
    found: list[Constraint] = []
    for name, ref in shapes[model["operations"][operation]["input"]["shape"]]["members"].items():
        location = ref.get("location")
        shape = shapes[ref["shape"]]
        if location not in ("uri", "header") or shape["type"] != "string":
            continue
        pattern = shape.get("pattern")
        found.append(
            Constraint(
                member=name,
                location=location,
                location_name=ref.get("locationName", name),
                min_length=shape.get("min"),
                max_length=shape.get("max"),
                pattern=pattern,
                regex=java_regex(pattern) if pattern else None,
                sensitive=bool(shape.get("sensitive")),
            )
        )
    return tuple(found)


def violations(constraints: tuple[Constraint, ...], values: Mapping[str, str | None]) -> list[str]:
    """Every violation of ``values`` (keyed by member name; None or absent: not sent), in model order."""
    found: list[str] = []
    for constraint in constraints:
        value = values.get(constraint.member)
        if value is not None:
            found += constraint.violations(value)
    return found


def botocore_service_model(service: str) -> dict[str, Any]:
    """The newest API version of ``service`` in the installed botocore's data folder, read as a file:
    importing botocore itself costs most of a second, reading the model a few milliseconds."""
    spec = importlib.util.find_spec("botocore")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed: it carries the service model the limits come from")
    root = Path(next(iter(spec.submodule_search_locations))) / "data" / service
    folder = root / max(p.name for p in root.iterdir() if p.is_dir())
    packed = folder / "service-2.json.gz"
    raw = (
        gzip.decompress(packed.read_bytes()) if packed.exists() else (folder / "service-2.json").read_bytes()
    )
    model: dict[str, Any] = json.loads(raw)
    return model


@functools.cache
def invoke_endpoint_constraints() -> tuple[Constraint, ...]:
    """InvokeEndpoint's constraints from the installed botocore's ``sagemaker-runtime`` model (read once)."""
    return constraints_of(botocore_service_model("sagemaker-runtime"), "InvokeEndpoint")


def check_invoke(endpoint_name: str | None, headers: Mapping[str, str]) -> None:
    """Raise ConstraintViolationError for an InvokeEndpoint request that AWS would refuse as invalid.

    ``endpoint_name`` None means the container face (no name in the path); headers are looked up by the
    model's header names, case-insensitively.
    """
    constraints = invoke_endpoint_constraints()
    sent = {name.lower(): value for name, value in headers.items()}
    values: dict[str, str | None] = {
        c.member: sent.get(c.location_name.lower()) for c in constraints if c.location == "header"
    }
    if endpoint_name is not None:
        values["EndpointName"] = endpoint_name
    found = violations(constraints, values)
    if found:
        raise ConstraintViolationError(found)

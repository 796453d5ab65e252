"""Typed settings for deploy and run, read from the environment once at the edge (the CLI).

Precedence: explicit argument (CLI option), then environment variable, then default. Nothing below the
CLI reads ``os.environ``; boto3 itself still honours the standard ``AWS_*`` variables for the aws target.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

ENV_TARGET = "SCONES_TARGET"
ENV_REGION = "SCONES_REGION"
ENV_ENDPOINT_URL = "SCONES_ENDPOINT_URL"
ENV_PROJECT = "SCONES_PROJECT"
ENV_BUCKET = "SCONES_BUCKET"
ENV_MODEL = "SCONES_MODEL"
ENV_IMAGE_URI = "SCONES_IMAGE_URI"
ENV_THRESHOLD = "SCONES_THRESHOLD"
ENV_INSTANCE_TYPE = "SCONES_INSTANCE_TYPE"

DEFAULT_LOCAL_ENDPOINT = "http://127.0.0.1:4566"
DEFAULT_REGION = "us-east-1"
DEFAULT_PROJECT = "scones"
LOCAL_IMAGE_URI = "scones/local-endpoint:latest"  # any value works locally: the stand-in process serves it
LAMBDA_RUNTIME = "python3.13"
TAG_PROJECT = "scones:project"
REPO_ROOT = Path(__file__).resolve().parents[2]
_NAME = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")


class Target(StrEnum):
    LOCAL = "local"
    AWS = "aws"


@dataclass(frozen=True)
class WorkflowSettings:
    """Everything deploy and run need to know; names derive from ``project`` so two stacks can coexist."""

    target: Target = Target.LOCAL
    region: str = DEFAULT_REGION
    endpoint_url: str | None = DEFAULT_LOCAL_ENDPOINT
    project: str = DEFAULT_PROJECT
    bucket: str | None = None
    model: Path | None = None
    image_uri: str | None = None
    threshold: float = 0.93
    instance_type: str = "ml.m5.large"
    lambda_runtime: str = LAMBDA_RUNTIME
    extra_tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _NAME.match(self.project) or len(self.project) > 40:
            raise ValueError(f"project {self.project!r}: lower-case letters, digits and dashes, ≤ 40 chars")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be within [0, 1], got {self.threshold}")

    @property
    def is_local(self) -> bool:
        return self.target is Target.LOCAL

    @property
    def bucket_name(self) -> str:
        return self.bucket or f"{self.project}-workflow"

    @property
    def image(self) -> str:
        return self.image_uri or LOCAL_IMAGE_URI

    @property
    def tags(self) -> dict[str, str]:
        return {TAG_PROJECT: self.project, **self.extra_tags}

    def name(self, suffix: str) -> str:
        return f"{self.project}-{suffix}"

    @property
    def endpoint_name(self) -> str:
        return self.name("endpoint")

    @property
    def state_machine_name(self) -> str:
        return self.name("workflow")

    @property
    def waiter_delay(self) -> float:
        """Short polls locally (LocalStack answers in milliseconds); the stock cadence on AWS."""
        return 0.25 if self.is_local else 15.0

    @property
    def poll_interval(self) -> float:
        return 0.05 if self.is_local else 1.0

    def with_(self, **changes: Any) -> WorkflowSettings:
        return replace(self, **changes)


def _pick(explicit: Any, env: Mapping[str, str], var: str) -> Any:
    if explicit is not None:
        return explicit
    value = env.get(var)
    return value if value not in (None, "") else None


def settings_from(env: Mapping[str, str], **explicit: Any) -> WorkflowSettings:
    """Build settings from CLI values (``None`` = not given) over environment variables over defaults."""
    target = Target(str(_pick(explicit.get("target"), env, ENV_TARGET) or Target.LOCAL.value).lower())
    endpoint_url = _pick(explicit.get("endpoint_url"), env, ENV_ENDPOINT_URL)
    if target is Target.LOCAL:
        endpoint_url = endpoint_url or env.get("AWS_ENDPOINT_URL") or DEFAULT_LOCAL_ENDPOINT
    region = _pick(explicit.get("region"), env, ENV_REGION) or (
        DEFAULT_REGION if target is Target.LOCAL else env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    )
    model = _pick(explicit.get("model"), env, ENV_MODEL)
    threshold = _pick(explicit.get("threshold"), env, ENV_THRESHOLD)
    return WorkflowSettings(
        target=target,
        region=region or DEFAULT_REGION,
        endpoint_url=endpoint_url,
        project=_pick(explicit.get("project"), env, ENV_PROJECT) or DEFAULT_PROJECT,
        bucket=_pick(explicit.get("bucket"), env, ENV_BUCKET),
        model=Path(model) if model else None,
        image_uri=_pick(explicit.get("image_uri"), env, ENV_IMAGE_URI),
        threshold=float(threshold) if threshold is not None else 0.93,
        instance_type=_pick(explicit.get("instance_type"), env, ENV_INSTANCE_TYPE) or "ml.m5.large",
    )

"""Typed settings for deploy, run, evaluate and cleanup, resolved once at the edge (the CLI).

The variables, their defaults and the precedence (explicit argument, then environment variable, then
default) belong to ``scones.config``; this module only turns them into ``WorkflowSettings``. Nothing below
the CLI reads ``os.environ``; boto3 itself still honours the standard ``AWS_*`` variables for the aws target.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from scones import config as cfg
from scones.config import (
    DEFAULT_LOCAL_ENDPOINT,
    DEFAULT_REGION,
    LAMBDA_RUNTIME,
    Config,
)

LOCAL_IMAGE_URI = "scones/local-endpoint:latest"  # any value works locally: the stand-in process serves it
TAG_PROJECT = "scones:project"
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
    project: str = cfg.PROJECT.default
    bucket: str | None = None
    model: Path | None = None
    image_uri: str | None = None
    threshold: float = cfg.THRESHOLD.default
    instance_type: str = cfg.INSTANCE_TYPE.default
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
        """Short polls locally (LocalStack answers in milliseconds, and a poll that comes a quarter second
        late is a quarter second of every test session); the stock cadence on AWS."""
        return 0.05 if self.is_local else 15.0

    def waiter_attempts(self, local_seconds: float, aws_attempts: int) -> int:
        """A waiter's MaxAttempts: ``local_seconds`` of polls locally, the stock count on AWS."""
        return math.ceil(local_seconds / self.waiter_delay) if self.is_local else aws_attempts

    @property
    def poll_interval(self) -> float:
        return 0.05 if self.is_local else 1.0


def settings_from(config: Config, **explicit: Any) -> WorkflowSettings:
    """Settings from CLI values (``None`` = not given) over the environment over the defaults.

    Raises ValueError (``ConfigError`` included) naming the value that cannot be used.
    """
    raw_target = config.get(cfg.TARGET, explicit.get("target"))
    try:
        target = Target(raw_target.lower())
    except ValueError:
        choices = ", ".join(t.value for t in Target)
        raise ValueError(f"target {raw_target!r}: choose {choices} ({cfg.TARGET.name})") from None
    endpoint_url = config.get(cfg.ENDPOINT_URL, explicit.get("endpoint_url"))
    region = config.get(cfg.REGION, explicit.get("region"))
    if target is Target.LOCAL:
        endpoint_url = endpoint_url or config.get(cfg.AWS_ENDPOINT_URL) or DEFAULT_LOCAL_ENDPOINT
        region = region or DEFAULT_REGION
    else:
        region = region or config.get(cfg.AWS_REGION) or config.get(cfg.AWS_DEFAULT_REGION)
    return WorkflowSettings(
        target=target,
        region=region or DEFAULT_REGION,
        endpoint_url=endpoint_url,
        project=config.get(cfg.PROJECT, explicit.get("project")),
        bucket=config.get(cfg.BUCKET, explicit.get("bucket")),
        model=config.get(cfg.MODEL, explicit.get("model")),
        image_uri=config.get(cfg.IMAGE_URI, explicit.get("image_uri")),
        threshold=config.get(cfg.THRESHOLD, explicit.get("threshold")),
        instance_type=config.get(cfg.INSTANCE_TYPE, explicit.get("instance_type")),
    )

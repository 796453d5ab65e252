"""Every kind of resource the workflow owns, one small type each, in the order deploy creates them.

Deploy calls ``ensure`` on each in this order; cleanup walks the same tuple backwards (an endpoint before
its config and model, functions before their roles, the bucket, emptied, last), listing each kind's
``tagged`` resources and deleting them. A new kind is one class and one entry here.
"""

from __future__ import annotations

from typing import Any

from scones.workflow.errors import ResourceLookupError
from scones.workflow.resources.base import (
    Missing,
    Resource,
    ResourceKind,
)
from scones.workflow.resources.buckets import Buckets, ModelArchives
from scones.workflow.resources.lambda_functions import Functions
from scones.workflow.resources.roles import Roles
from scones.workflow.resources.sagemaker import (
    EndpointConfigs,
    Endpoints,
    Models,
    endpoint_specs,
)
from scones.workflow.resources.state_machines import StateMachines

KINDS: tuple[type[ResourceKind[Any]], ...] = (
    Buckets,
    Roles,
    ModelArchives,
    Functions,
    StateMachines,
    Models,
    EndpointConfigs,
    Endpoints,
)

__all__ = [
    "KINDS",
    "Buckets",
    "EndpointConfigs",
    "Endpoints",
    "Functions",
    "Missing",
    "ModelArchives",
    "Models",
    "Resource",
    "ResourceKind",
    "ResourceLookupError",
    "Roles",
    "StateMachines",
    "endpoint_specs",
]

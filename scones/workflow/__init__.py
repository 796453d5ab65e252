"""Deploy and run the classification workflow (Lambdas, state machine, endpoint), locally or on AWS."""

from __future__ import annotations

from scones.workflow.deploy import DeployResult, deploy
from scones.workflow.errors import (
    ArtifactMissingError,
    DeployError,
    MissingCredentialsError,
    RunError,
    WorkflowError,
)
from scones.workflow.plan import Plan, build_plan
from scones.workflow.run import RunReport, run_workflow
from scones.workflow.session import WorkflowSession
from scones.workflow.settings import Target, WorkflowSettings

__all__ = [
    "ArtifactMissingError",
    "DeployError",
    "DeployResult",
    "MissingCredentialsError",
    "Plan",
    "RunError",
    "RunReport",
    "Target",
    "WorkflowError",
    "WorkflowSession",
    "WorkflowSettings",
    "build_plan",
    "deploy",
    "run_workflow",
]

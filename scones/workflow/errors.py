"""Errors of the deploy and run commands; the CLI turns them into a message and an exit code.

WorkflowError
├── MissingCredentialsError  target aws, and boto3 finds no credentials
├── TargetUnreachableError   the target's endpoint does not answer (local stack not up, no network)
├── ArtifactMissingError     no model.tar.gz / artifact directory to deploy
├── DeployError              a create-or-update step failed (names the resource)
└── RunError                 infrastructure problem while running (no state machine, bucket, timeout)
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base class: a failure the user can act on, with a message that says how."""


class MissingCredentialsError(WorkflowError):
    pass


class TargetUnreachableError(WorkflowError):
    pass


class ArtifactMissingError(WorkflowError):
    pass


class DeployError(WorkflowError):
    pass


class RunError(WorkflowError):
    pass

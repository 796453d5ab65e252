"""Errors of the deploy and run commands; the CLI turns them into a message and an exit code.

WorkflowError
├── MissingCredentialsError  target aws, and boto3 finds no credentials
├── TargetUnreachableError   the target's endpoint does not answer (local stack not up, no network)
├── ArtifactMissingError     no model.tar.gz / artifact directory to deploy
├── ResourceLookupError      looking a resource up failed with other than "not found" (e.g. AccessDenied)
├── DeployError              a create-or-update step failed (names the resource)
├── RunError                 infrastructure problem while running (no state machine, bucket, timeout)
├── CleanupFailedError       deleting one resource failed with other than "already gone"
└── CleanupIncompleteError   tagged resources were still there after cleanup (listed in the message)
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


class ResourceLookupError(WorkflowError):
    """Looking a resource up failed with other than the service's "not found" (e.g. AccessDenied)."""


class DeployError(WorkflowError):
    pass


class RunError(WorkflowError):
    pass


class CleanupFailedError(WorkflowError):
    """Deleting one resource failed with other than "already gone" (names the resource and the error)."""


class CleanupIncompleteError(WorkflowError):
    """Tagged resources were still there after cleanup (listed in the message)."""

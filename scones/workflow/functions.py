"""The workflow's Lambda functions, one entry each: names, roles and ASL substitutions derive from this list.

Why a registry: a function used to be spelled out in four places (names, roles, function specs and the ASL
substitutions in the plan) plus a test that counted tasks. Now adding a fourth Lambda means a new folder
under ``lambdas/``, one ``LambdaFunction`` below, and the ASL state that uses its placeholder; the plan, the
deploy, the cleanup and the tests read the rest from here.

Pure data: nothing here calls AWS. Policy statements and environment are functions of ``Scope`` (settings,
account, partition), so ``--dry-run`` can show them with ``<account>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scones.config import LAMBDA_ENDPOINT_NAME, LAMBDA_THRESHOLD
from scones.workflow.settings import WorkflowSettings

Statement = dict[str, Any]

REVIEW_PREFIX = "review/"  # where the state machine records items for review (ASL ${ReviewPrefix})
MODEL_KEY = "model/model.tar.gz"
CAPTURE_PREFIX = "data_capture"


@dataclass(frozen=True)
class Scope:
    """Where the functions live: what a policy statement or an environment needs to name its resources."""

    settings: WorkflowSettings
    account: str = "<account>"
    partition: str = "aws"

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        where = self.settings.region if region else ""
        return f"arn:{self.partition}:{service}:{where}:{self.account}:{resource}"

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.settings.bucket_name}"

    @property
    def endpoint_arn(self) -> str:
        return self.arn("sagemaker", f"endpoint/{self.settings.endpoint_name}")

    def log_group_arn(self, group: str) -> str:
        return self.arn("logs", f"log-group:{group}")


def _no_statements(_: Scope) -> tuple[Statement, ...]:
    return ()


def _no_environment(_: WorkflowSettings) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class LambdaFunction:
    """One Lambda of the workflow.

    ``package`` is its folder under ``lambdas/`` (handler ``<package>.app.handler``); ``placeholder`` is the
    ``${Name}`` in ``statemachine/workflow.asl.json`` that receives its ARN; ``statements`` are the policy
    statements its role needs beyond writing its own logs (which every function gets).
    """

    package: str
    placeholder: str
    statements: Callable[[Scope], tuple[Statement, ...]] = _no_statements
    environment: Callable[[WorkflowSettings], dict[str, str]] = _no_environment
    timeout: int = 30
    memory: int = 256
    description: str = field(default="", compare=False)

    @property
    def slug(self) -> str:
        return self.package.replace("_", "-")

    def function_name(self, settings: WorkflowSettings) -> str:
        return settings.name(self.slug)

    def role_name(self, settings: WorkflowSettings) -> str:
        return settings.name(f"{self.slug}-role")

    def policy_statements(self, scope: Scope) -> tuple[Statement, ...]:
        """Its own log group first (Lambda writes there), then what the function itself calls."""
        group = scope.log_group_arn(f"/aws/lambda/{self.function_name(scope.settings)}")
        logs = {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [group, f"{group}:*"],
        }
        return (logs, *self.statements(scope))


def _read_staged_images(scope: Scope) -> tuple[Statement, ...]:
    """The objects, and listing the bucket: without ``s3:ListBucket`` S3 answers a missing key with 403
    AccessDenied instead of 404 NoSuchKey (GetObject API reference, "Permissions"), and the function could
    no longer tell "no such image" (its ``ImageNotFoundError``) from a real permission problem. Listing
    shows key names only, never content: the price of an honest error (README, "IAM")."""
    return (
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{scope.bucket_arn}/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": scope.bucket_arn},
    )


def _invoke_endpoint(scope: Scope) -> tuple[Statement, ...]:
    return ({"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": scope.endpoint_arn},)


def _endpoint_name(settings: WorkflowSettings) -> dict[str, str]:
    return {LAMBDA_ENDPOINT_NAME: settings.endpoint_name}


def _threshold(settings: WorkflowSettings) -> dict[str, str]:
    return {LAMBDA_THRESHOLD: str(settings.threshold)}  # read by lambdas/filter_confidence/app.py


FUNCTIONS: tuple[LambdaFunction, ...] = (
    LambdaFunction(
        "serialize_image",
        "SerializeImageFunctionArn",
        statements=_read_staged_images,
        description="reads the staged image from S3, base64 for the next state",
    ),
    LambdaFunction(
        "classify",
        "ClassifyFunctionArn",
        statements=_invoke_endpoint,
        environment=_endpoint_name,
        timeout=60,
        description="invokes the SageMaker endpoint",
    ),
    LambdaFunction(
        "filter_confidence",
        "FilterConfidenceFunctionArn",
        environment=_threshold,
        description="passes confident inferences, raises LowConfidenceError below the threshold",
    ),
)

"""Create-time role checks: a function or model whose role does not exist, or whose trust policy does not let
the service assume it, is refused as AWS refuses it (issue #16), and only while IAM is enforced.

Why: community LocalStack assumes any role ARN for anyone (its ``LambdaService.can_assume_role`` asks its
own STS, which never refuses), so a typo in a role ARN or a trust policy naming the wrong service passes
every local run and fails on the first AWS deployment.

- Lambda: CreateFunction and UpdateFunctionConfiguration answer ``InvalidParameterValueException`` "The
  role defined for the function cannot be assumed by Lambda." (as SDK callers report it from AWS, e.g.
  pdomala/LambdaCDDemo#1, serverless/serverless#4384), for a missing role and an untrusting one alike.
- SageMaker: CreateModel answers ``ValidationException``. With model data, AWS's message names the data
  and the role ("Could not access model data at s3://... Please ensure that the role "arn:..." exists and
  that its trust relationship policy allows the action "sts:AssumeRole" for the service principal
  "sagemaker.amazonaws.com". ...", as reported from CreateModel); without, "Could not assume role arn:...
  Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role."
  (as reported from SageMaker's CreateTransformJob).

The role and its trust policy come from LocalStack's IAM store (IAM is global: one store per account).

Also, always (enforced or not, as on AWS): a function's own variables may not use Lambda's reserved keys,
the role's credentials among them (LocalStack accepted them, and the process executor applies a function's
variables after the role's, so ``AWS_ACCESS_KEY_ID`` could have replaced the role by the account root).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from scones_localstack.iam.switch import iam_enforced
from scones_localstack.iam.trust import LAMBDA_ROLE_NOT_ASSUMABLE, service_may_assume

LOG = logging.getLogger(__name__)

LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
_MARK = "_scones_role_checked"

MODEL_DATA_NOT_ACCESSIBLE = (
    'Could not access model data at {url}. Please ensure that the role "{role}" exists and that its trust '
    'relationship policy allows the action "sts:AssumeRole" for the service principal "{principal}". '
    'Also ensure that the role has "s3:GetObject" permissions and that the object is located in {region}. '
    "If your Model uses multiple models or uncompressed models, please ensure that the role has "
    '"s3:ListBucket" permission.'
)
# Lambda's reserved variables ("Defined runtime environment variables": "The keys for these environment
# variables are reserved and cannot be set in your function configuration"), AWS_DEFAULT_REGION included as
# AWS refuses it too. Among them the role's credentials: a function's own variable must not replace them.
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "TZ",
    }
)
# As callers report it from CreateFunction/UpdateFunctionConfiguration (keys in the order of the request).
RESERVED_VARIABLES_REFUSED = (
    "Lambda was unable to configure your environment variables because the environment variables you have "
    "provided contains reserved keys that are currently not supported for modification. Reserved keys used "
    "in this request: {keys}"
)
SAGEMAKER_ROLE_NOT_ASSUMABLE = (
    "Could not assume role {role}. Please ensure that the role exists and allows principal '{principal}' to "
    "assume the role."
)


def _account(role_arn: str) -> str:
    parts = role_arn.split(":")
    return parts[4] if len(parts) >= 6 else ""


def trust_policy(role_arn: str) -> str | None:
    """The role's trust policy document from LocalStack's IAM store; None when no role has this ARN (the
    path counts: ``role/a/x`` is not ``role/x``)."""
    from localstack.services.iam.models import iam_stores

    name = role_arn.rsplit("/", 1)[-1]
    entity = iam_stores[_account(role_arn)]["us-east-1"].ROLES.get(name)
    if entity is None or entity.role.get("Arn") != role_arn:
        return None
    document = entity.role.get("AssumeRolePolicyDocument") or ""
    # LocalStack keeps the document URL-encoded, as IAM's GetRole answers it.
    return unquote(document) if isinstance(document, str) else json.dumps(document)


def service_can_assume(role_arn: str, principal: str) -> bool:
    """True when the role exists and its trust policy lets ``principal`` call sts:AssumeRole on it."""
    document = trust_policy(role_arn)
    if document is None:
        return False
    try:
        return service_may_assume(document, principal, role_arn)
    except ValueError as exc:  # a document the engine cannot read trusts nobody (IAM would have refused it)
        LOG.warning("trust policy of %s unreadable: %s", role_arn, exc)
        return False


def model_data_urls(request: Mapping[str, Any]) -> list[str]:
    """The ModelDataUrl of each container of a CreateModel request, in order."""
    containers = [request.get("PrimaryContainer") or {}, *(request.get("Containers") or [])]
    return [str(c["ModelDataUrl"]) for c in containers if isinstance(c, Mapping) and c.get("ModelDataUrl")]


def model_data_error(request: Mapping[str, Any], url: str, region: str) -> str:
    """AWS's CreateModel message for model data the role cannot reach (role missing, untrusting, or
    without s3:GetObject on the object)."""
    role = str(request.get("ExecutionRoleArn") or "")
    return MODEL_DATA_NOT_ACCESSIBLE.format(url=url, role=role, principal=SAGEMAKER_PRINCIPAL, region=region)


def model_role_error(request: Mapping[str, Any], region: str) -> str | None:
    """CreateModel's ValidationException message when the execution role cannot be assumed, else None."""
    role = str(request.get("ExecutionRoleArn") or "")
    if service_can_assume(role, SAGEMAKER_PRINCIPAL):
        return None
    urls = model_data_urls(request)
    if urls:
        return model_data_error(request, urls[0], region)
    return SAGEMAKER_ROLE_NOT_ASSUMABLE.format(role=role, principal=SAGEMAKER_PRINCIPAL)


# -- Lambda --------------------------------------------------------------------------------------------
def _can_assume_role(original: Callable[..., bool]) -> Callable[..., bool]:
    """Wraps ``LambdaService.can_assume_role`` (what CreateFunction asks after the ARN's pattern check)."""

    @functools.wraps(original)
    def can_assume_role(self: Any, role_arn: str, region: str) -> bool:
        if iam_enforced() and not service_can_assume(role_arn, LAMBDA_PRINCIPAL):
            return False
        return original(self, role_arn, region)

    setattr(can_assume_role, _MARK, True)
    return can_assume_role


def _update_configuration(
    original: Callable[..., Any], refused: Callable[[], Exception]
) -> Callable[..., Any]:
    """Wraps ``LambdaProvider.update_function_configuration``: a new Role is checked as CreateFunction's is
    (LocalStack checks only its pattern there)."""

    @functools.wraps(original)
    def update_function_configuration(
        self: Any, context: Any, request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        role = request.get("Role") if isinstance(request, Mapping) else None
        if role and iam_enforced():
            from localstack.services.lambda_.api_utils import is_role_arn

            if is_role_arn(role) and not service_can_assume(role, LAMBDA_PRINCIPAL):
                raise refused()
        return original(self, context, request, *args, **kwargs)

    setattr(update_function_configuration, _MARK, True)
    return update_function_configuration


def reserved_variables_error(variables: Mapping[str, Any] | None) -> str | None:
    """The refusal for a function's variables that use reserved keys, else None."""
    used = [key for key in variables or {} if key in RESERVED_VARIABLES]
    return RESERVED_VARIABLES_REFUSED.format(keys=", ".join(used)) if used else None


def _verify_env_variables(original: Callable[..., Any], refused: Callable[[str], Exception]) -> Any:
    """Wraps ``LambdaProvider._verify_env_variables`` (CreateFunction and UpdateFunctionConfiguration call
    it): reserved keys refused first, as AWS does, then LocalStack's 4 KB check."""

    @functools.wraps(original)
    def verify(env_vars: dict[str, str]) -> Any:
        if message := reserved_variables_error(env_vars):
            raise refused(message)
        return original(env_vars)

    setattr(verify, _MARK, True)
    return staticmethod(verify)


def install() -> None:
    """Idempotent; patches Lambda's classes before LocalStack builds its dispatch table. SageMaker's
    CreateModel is checked by our own control plane (sagemaker/control.py)."""
    from localstack.aws.api.lambda_ import InvalidParameterValueException
    from localstack.services.lambda_.invocation.lambda_service import LambdaService
    from localstack.services.lambda_.provider import LambdaProvider

    if not getattr(LambdaService.can_assume_role, _MARK, False):
        setattr(LambdaService, "can_assume_role", _can_assume_role(LambdaService.can_assume_role))  # noqa: B010
    if not getattr(LambdaProvider.update_function_configuration, _MARK, False):

        def refused() -> Exception:
            return InvalidParameterValueException(LAMBDA_ROLE_NOT_ASSUMABLE, Type="User")

        wrapped = _update_configuration(LambdaProvider.update_function_configuration, refused)
        setattr(LambdaProvider, "update_function_configuration", wrapped)  # noqa: B010
    if not getattr(LambdaProvider._verify_env_variables, _MARK, False):

        def reserved(message: str) -> Exception:
            return InvalidParameterValueException(message, Type="User")

        verify = _verify_env_variables(LambdaProvider._verify_env_variables, reserved)
        setattr(LambdaProvider, "_verify_env_variables", verify)  # noqa: B010

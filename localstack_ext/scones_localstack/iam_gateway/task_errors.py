"""What a Step Functions execution reports when the state machine's role is denied, named as AWS names it.

- ``arn:aws:states:::lambda:invoke`` denied ``lambda:InvokeFunction``: AWS fails the Task with
  ``Lambda.AWSLambdaException`` (the Java SDK's class for a Lambda error it does not model; "Handle
  transient Lambda service exceptions" lists the name) and the cause ``<message> (Service: AWSLambda;
  Status Code: 403; Error Code: AccessDeniedException; Request ID: ...; Proxy: null)``. LocalStack names
  it ``Lambda.AccessDeniedException``.
- ``arn:aws:states:::aws-sdk:s3:*`` denied: AWS names an aws-sdk error ``<Service>.<Exception>`` ("AWS
  SDK service integrations", error names); S3's ``AccessDenied`` is not a modelled exception of the SDK
  Step Functions uses, so it surfaces as the generic ``S3.S3Exception`` (the name the workflow's own
  ASL retries, and what executions on AWS report for S3 errors without a model, e.g. a 412 on a
  conditional write). LocalStack derives ``S3.AccessDeniedException`` from botocore's class name (its
  S3 model lists ``AccessDenied`` for one operation).
"""

from __future__ import annotations

from typing import Any

_MARK = "_scones_iam_task_errors"
LAMBDA_SDK_ERROR = "Lambda.AWSLambdaException"
S3_SDK_ERROR = "S3.S3Exception"


def _error_code(ex: Any) -> str:
    response = getattr(ex, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def lambda_error(original: Any) -> Any:
    def error_cause_from_client_error(client_error: Any) -> tuple[str, str]:
        error, cause = original(client_error)
        if _error_code(client_error) == "AccessDeniedException":
            error = LAMBDA_SDK_ERROR
        return error, cause

    setattr(error_cause_from_client_error, _MARK, True)
    return staticmethod(error_cause_from_client_error)


def aws_sdk_error(original: Any) -> Any:
    def normalise_exception_name(norm_service_name: str, ex: Exception) -> str:
        if norm_service_name == "S3" and _error_code(ex) == "AccessDenied":
            return S3_SDK_ERROR
        return str(original(norm_service_name, ex))

    setattr(normalise_exception_name, _MARK, True)
    return staticmethod(normalise_exception_name)


def install() -> None:
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service import (
        state_task_service_aws_sdk as aws_sdk,
    )
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service import (
        state_task_service_lambda as lambda_task,
    )

    lambda_cls = lambda_task.StateTaskServiceLambda
    if not getattr(lambda_cls._error_cause_from_client_error, _MARK, False):
        lambda_cls._error_cause_from_client_error = lambda_error(  # type: ignore[method-assign]
            lambda_cls._error_cause_from_client_error
        )
    sdk_cls = aws_sdk.StateTaskServiceAwsSdk
    if not getattr(sdk_cls._normalise_exception_name, _MARK, False):
        sdk_cls._normalise_exception_name = aws_sdk_error(  # type: ignore[method-assign]
            sdk_cls._normalise_exception_name
        )

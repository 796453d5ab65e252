"""SageMaker control plane: every operation of botocore's spec answered by moto, the endpoint lifecycle by us.

Why a spec-built table: community LocalStack has no generated ``SagemakerApi``, so LocalStack's
``MotoFallbackDispatcher`` would only see our own handlers. Building the table from the service spec sends
every other operation to moto in-process (unimplemented ones answer moto's 501 InternalFailure).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from localstack.aws.api import CommonServiceException, RequestContext, ServiceRequest, ServiceResponse
from localstack.aws.skeleton import DispatchTable
from localstack.aws.spec import load_service
from localstack.services.moto import call_moto
from localstack.services.plugins import ServiceLifecycleHook

from .lifecycle import DeploymentSpecError, backend, get_lifecycle
from .processes import Key

IN_PROGRESS = {"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"}


class ValidationException(CommonServiceException):
    """The control plane's client error, as SageMaker (and the botocore waiters) name it."""

    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message, status_code=400, sender_fault=True)


def endpoint_arn(key: Key) -> str:
    account_id, region, name = key
    return f"arn:aws:sagemaker:{region}:{account_id}:endpoint/{name}"  # moto keeps the case


def data_capture_summary(config: dict[str, Any] | None) -> dict[str, Any] | None:
    """The API's DataCaptureConfigSummary from the config's DataCaptureConfig (moto echoes the input)."""
    if not config:
        return None
    enabled = bool(config.get("EnableCapture", True))
    summary: dict[str, Any] = {
        "EnableCapture": enabled,
        "CaptureStatus": "Started" if enabled else "Stopped",
        "CurrentSamplingPercentage": config.get("InitialSamplingPercentage", 0),
        "DestinationS3Uri": config.get("DestinationS3Uri", ""),
    }
    if config.get("KmsKeyId"):
        summary["KmsKeyId"] = config["KmsKeyId"]
    return summary


def _key(context: RequestContext, name: str) -> Key:
    return (context.account_id, context.region, name)


class SageMakerControlPlane(ServiceLifecycleHook):
    service = "sagemaker"

    def __init__(self) -> None:
        from localstack.runtime.shutdown import SHUTDOWN_HANDLERS

        self._create_lock = threading.Lock()
        self.lifecycle = get_lifecycle()
        SHUTDOWN_HANDLERS.register(self._stop_standins_first)

    def _stop_standins_first(self) -> None:
        """Stop stand-ins while S3 still runs, so their last capture flush lands (runs before services stop).

        LocalStack answers every external request 503 once shutdown began; the stand-ins' final PutObject
        calls are external, so the gate is lifted for just this step.
        """
        from localstack.runtime import events

        events.infra_stopping.clear()
        try:
            self.lifecycle.stop_all()
        finally:
            events.infra_stopping.set()

    def create_model(self, context: RequestContext, request: Mapping[str, Any]) -> ServiceResponse:
        """While IAM is enforced, a model whose execution role SageMaker cannot assume, or that may not read
        its model data, is refused as AWS refuses it (see role_checks, model_role); moto accepts any ARN."""
        from scones_localstack.iam.switch import iam_enforced

        if iam_enforced():
            from scones_localstack import role_checks

            from . import model_role

            if message := role_checks.model_role_error(request, context.region):
                raise ValidationException(message)
            for url in role_checks.model_data_urls(request):
                if not model_role.may_read(request["ExecutionRoleArn"], context.region, url):
                    raise ValidationException(role_checks.model_data_error(request, url, context.region))
        return call_moto(context)

    def create_endpoint(self, context: RequestContext, request: Mapping[str, Any]) -> ServiceResponse:
        name = request["EndpointName"]
        key = _key(context, name)
        with self._create_lock:  # moto alone would silently overwrite a duplicate
            if name in backend(context.account_id, context.region).endpoints:
                raise ValidationException(f'Cannot create already existing endpoint "{endpoint_arn(key)}".')
            result = call_moto(context)
            self.lifecycle.start_create(key)
        return result

    def update_endpoint(self, context: RequestContext, request: Mapping[str, Any]) -> ServiceResponse:
        name, config_name = request["EndpointName"], request["EndpointConfigName"]
        key = _key(context, name)
        with self._create_lock:
            endpoint = backend(context.account_id, context.region).endpoints.get(name)
            if endpoint is None:
                raise ValidationException(f'Could not find endpoint "{endpoint_arn(key)}".')
            if endpoint.endpoint_status in IN_PROGRESS:
                raise ValidationException(f'Cannot update in-progress endpoint "{endpoint_arn(key)}".')
            if endpoint.endpoint_status == "Failed":
                raise ValidationException(f'Cannot update failed endpoint "{endpoint_arn(key)}".')
            try:
                self.lifecycle.start_update(key, config_name)
            except DeploymentSpecError as exc:
                raise ValidationException(str(exc)) from exc
        return {"EndpointArn": endpoint.arn}

    def delete_endpoint(self, context: RequestContext, request: Mapping[str, Any]) -> ServiceResponse:
        name = request["EndpointName"]
        if name in backend(context.account_id, context.region).endpoints:
            self.lifecycle.delete(_key(context, name))
        return call_moto(context)  # moto's ValidationException for an unknown name

    def describe_endpoint(self, context: RequestContext, request: Mapping[str, Any]) -> ServiceResponse:
        result = call_moto(context)
        endpoint = backend(context.account_id, context.region).endpoints.get(request["EndpointName"])
        summary = data_capture_summary(endpoint.data_capture_config if endpoint else None)
        if summary:
            result["DataCaptureConfig"] = summary
        else:
            result.pop("DataCaptureConfig", None)
        return result

    def on_before_stop(self) -> None:
        self.lifecycle.stop_all()


def dispatch_table(provider: SageMakerControlPlane) -> DispatchTable:
    def to_moto(context: RequestContext, request: ServiceRequest) -> ServiceResponse:
        return call_moto(context)

    table: DispatchTable = dict.fromkeys(load_service("sagemaker").operation_names, to_moto)
    table.update(
        {
            "CreateModel": provider.create_model,
            "CreateEndpoint": provider.create_endpoint,
            "UpdateEndpoint": provider.update_endpoint,
            "DeleteEndpoint": provider.delete_endpoint,
            "DescribeEndpoint": provider.describe_endpoint,
        }
    )
    return table


def relax_instance_types() -> None:
    """Accept every instance type botocore's spec knows (moto's list stops before g5/c6i/m6i/inf2)."""
    from moto.sagemaker import models
    from moto.sagemaker.exceptions import ValidationError

    allowed = frozenset(load_service("sagemaker").shape_for("ProductionVariantInstanceType").enum)

    def validate_instance_type(self: Any, instance_type: str) -> None:
        if instance_type not in allowed:
            raise ValidationError(
                message=f"Value '{instance_type}' at 'instanceType' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(sorted(allowed))}]"
            )

    models.FakeEndpointConfig.validate_instance_type = validate_instance_type  # type: ignore[method-assign]

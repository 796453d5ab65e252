"""The SageMaker model, endpoint config and endpoint.

Models and endpoint configs are immutable, so they are named by content hash: an unchanged model folder
maps to the same names and a re-deploy changes nothing; the endpoint is updated only when its config name
differs. Not found: SageMaker's Describe*/Delete* model no error shapes (botocore's sagemaker model); the
service answers ``ValidationException`` with a message starting ``Could not find`` (e.g. ``Could not find
endpoint "arn:..."``), which is the only ValidationException that means "absent".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scones.workflow.plan import VARIANT, Plan
from scones.workflow.resources.base import Missing, Resource, ResourceKind, pages, tag_dict

NOT_FOUND = Missing.of("ValidationException", message="Could not find")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    image: str
    model_url: str
    role_arn: str


@dataclass(frozen=True)
class EndpointConfigSpec:
    name: str
    model_name: str
    instance_type: str
    data_capture: dict[str, Any]


@dataclass(frozen=True)
class EndpointSpec:
    name: str
    config_name: str


def endpoint_specs(
    plan: Plan, archive: bytes, model_url: str
) -> tuple[ModelSpec, EndpointConfigSpec, EndpointSpec]:
    """The three specs for ``archive``: names hash what they hold, so one archive gives one set of names."""
    s = plan.settings
    model_name = f"{s.name('model')}-{hashlib.sha256(archive + s.image.encode()).hexdigest()[:12]}"
    config_key = json.dumps([model_name, s.instance_type, plan.data_capture], sort_keys=True)
    config_name = f"{s.name('config')}-{hashlib.sha256(config_key.encode()).hexdigest()[:12]}"
    return (
        ModelSpec(model_name, s.image, model_url, plan.role_arn(plan.sagemaker_role)),
        EndpointConfigSpec(config_name, model_name, s.instance_type, plan.data_capture),
        EndpointSpec(s.endpoint_name, config_name),
    )


class _SageMakerKind(ResourceKind[Any]):
    missing = NOT_FOUND
    _list: tuple[str, str, str, str]  # operation, result key, name key, arn key

    def name_of(self, spec: Any) -> str:
        return str(spec.name)

    def tagged(self) -> Iterator[Resource]:
        sm = self.clients.sagemaker
        operation, key, name_key, arn_key = self._list
        for item in pages(sm, operation, key):
            if self.is_ours(tag_dict(sm.list_tags(ResourceArn=item[arn_key]).get("Tags", []))):
                yield Resource(self.kind, item[name_key], item[arn_key])


class Models(_SageMakerKind):
    kind = "model"
    _list = ("list_models", "Models", "ModelName", "ModelArn")

    def find(self, name: str) -> dict[str, Any] | None:
        return self.lookup(name, lambda: dict(self.clients.sagemaker.describe_model(ModelName=name)))

    def ensure(self, spec: ModelSpec) -> None:
        if self.find(spec.name) is None:
            self.clients.sagemaker.create_model(
                ModelName=spec.name,
                PrimaryContainer={"Image": spec.image, "ModelDataUrl": spec.model_url},
                ExecutionRoleArn=spec.role_arn,
                Tags=self.tag_list,  # type: ignore[arg-type]
            )
            self.changed(f"created model {spec.name}")

    def delete(self, resource: Resource) -> None:
        self.gone_is_fine(lambda: self.clients.sagemaker.delete_model(ModelName=resource.name))


class EndpointConfigs(_SageMakerKind):
    kind = "endpoint-config"
    _list = ("list_endpoint_configs", "EndpointConfigs", "EndpointConfigName", "EndpointConfigArn")

    def find(self, name: str) -> dict[str, Any] | None:
        sm = self.clients.sagemaker
        return self.lookup(name, lambda: dict(sm.describe_endpoint_config(EndpointConfigName=name)))

    def ensure(self, spec: EndpointConfigSpec) -> None:
        if self.find(spec.name) is not None:
            return
        variant: Any = {
            "VariantName": VARIANT,
            "ModelName": spec.model_name,
            "InitialInstanceCount": 1,
            "InstanceType": spec.instance_type,
            "InitialVariantWeight": 1.0,
        }
        self.clients.sagemaker.create_endpoint_config(
            EndpointConfigName=spec.name,
            ProductionVariants=[variant],
            DataCaptureConfig=spec.data_capture,  # type: ignore[arg-type]
            Tags=self.tag_list,  # type: ignore[arg-type]
        )
        self.changed(f"created endpoint config {spec.name}")

    def delete(self, resource: Resource) -> None:
        sm = self.clients.sagemaker
        self.gone_is_fine(lambda: sm.delete_endpoint_config(EndpointConfigName=resource.name))


class Endpoints(_SageMakerKind):
    kind = "endpoint"
    _list = ("list_endpoints", "Endpoints", "EndpointName", "EndpointArn")

    def find(self, name: str) -> dict[str, Any] | None:
        return self.lookup(name, lambda: dict(self.clients.sagemaker.describe_endpoint(EndpointName=name)))

    def ensure(self, spec: EndpointSpec) -> None:
        """Create, or point at the new config when it changed; then wait until InService."""
        sm, s = self.clients.sagemaker, self.settings
        current = self.find(spec.name)
        if current is None:
            sm.create_endpoint(
                EndpointName=spec.name,
                EndpointConfigName=spec.config_name,
                Tags=self.tag_list,  # type: ignore[arg-type]
            )
            self.changed(f"created endpoint {spec.name}")
        elif current["EndpointConfigName"] != spec.config_name:
            sm.update_endpoint(EndpointName=spec.name, EndpointConfigName=spec.config_name)
            self.changed(f"updated endpoint {spec.name} to {spec.config_name}")
        sm.get_waiter("endpoint_in_service").wait(
            EndpointName=spec.name,
            WaiterConfig={"Delay": s.waiter_delay, "MaxAttempts": s.waiter_attempts(60, 120)},  # type: ignore[typeddict-item]
        )

    def delete(self, resource: Resource) -> None:
        sm, s = self.clients.sagemaker, self.settings
        self.gone_is_fine(lambda: sm.delete_endpoint(EndpointName=resource.name))
        sm.get_waiter("endpoint_deleted").wait(
            EndpointName=resource.name,
            WaiterConfig={"Delay": s.waiter_delay, "MaxAttempts": s.waiter_attempts(60, 240)},  # type: ignore[typeddict-item]
        )

"""Idempotent create-or-update of everything the workflow needs, with the same calls for both targets.

Order: bucket → roles → model upload → functions → state machine → SageMaker model, endpoint config,
endpoint (waits until InService). Re-running with nothing changed makes no change: unchanged function code
is detected by ``CodeSha256``; SageMaker models and configs are immutable, so they are named by content
hash and the endpoint is only updated when its config name differs.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import ClientError, WaiterError

from local_endpoint import artifact
from scones.config import DEFAULT_MODEL
from scones.workflow.clients import Clients
from scones.workflow.errors import ArtifactMissingError, DeployError
from scones.workflow.package import build_zip
from scones.workflow.plan import MODEL_KEY, VARIANT, FunctionSpec, Plan, RoleSpec, build_plan
from scones.workflow.settings import WorkflowSettings

DEFAULT_ARTIFACT = DEFAULT_MODEL
_T = TypeVar("_T")


@dataclass
class DeployResult:
    plan: Plan
    endpoint_name: str
    state_machine_arn: str
    bucket: str
    changes: list[str] = field(default_factory=list)  # human-readable "created/updated X" lines


def model_archive(source: Path | None) -> bytes:
    """model.tar.gz bytes from a tarball, a folder holding one, or an artifact folder (packed flat).

    Packing belongs to the artifact contract (local_endpoint.artifact): deterministic, so deploying the same
    folder twice uploads the same bytes and the content-hashed SageMaker model stays the same.
    """
    path = source or DEFAULT_ARTIFACT
    if path.is_file() or (path / artifact.ARCHIVE_FILE).is_file() or artifact.is_artifact_dir(path):
        return artifact.archive_bytes(path)
    raise ArtifactMissingError(
        f"no model artifact at {path}: train one (`scones train`) or pass --model PATH "
        "(a model.tar.gz or a folder with model.onnx and metadata.json)"
    )


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _retry_iam_propagation(call: Callable[[], _T], local: bool) -> _T:
    """New IAM roles take seconds to be assumable on AWS; Lambda says so (InvalidParameterValueException)."""
    for attempt in range(1 if local else 8):
        try:
            return call()
        except ClientError as exc:
            if _error_code(exc) != "InvalidParameterValueException" or "role" not in str(exc):
                raise
            time.sleep(2 + attempt * 2)
    return call()


class Deployer:
    def __init__(self, clients: Clients, plan: Plan, log: Callable[[str], None]) -> None:
        self.c, self.plan, self.s, self.log = clients, plan, plan.settings, log
        self.changes: list[str] = []

    def _changed(self, line: str) -> None:
        self.changes.append(line)
        self.log(line)

    def bucket(self) -> None:
        name = self.s.bucket_name
        try:
            self.c.s3.head_bucket(Bucket=name)
        except ClientError as exc:
            if _error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise
            if self.s.region == "us-east-1":
                self.c.s3.create_bucket(Bucket=name)
            else:
                self.c.s3.create_bucket(
                    Bucket=name,
                    CreateBucketConfiguration={"LocationConstraint": self.s.region},  # type: ignore[typeddict-item]
                )
            self._changed(f"created bucket {name}")
        tag_set = [{"Key": k, "Value": v} for k, v in sorted(self.s.tags.items())]
        self.c.s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_set})  # type: ignore[typeddict-item]

    def role(self, role: RoleSpec) -> None:
        tags = [{"Key": k, "Value": v} for k, v in sorted(self.s.tags.items())]
        try:
            current = self.c.iam.get_role(RoleName=role.name)["Role"]
            trust = current.get("AssumeRolePolicyDocument")
            if isinstance(trust, str):
                trust = json.loads(trust)
            if trust != role.trust:
                self.c.iam.update_assume_role_policy(
                    RoleName=role.name, PolicyDocument=json.dumps(role.trust)
                )
                self._changed(f"updated trust of role {role.name}")
            self.c.iam.tag_role(RoleName=role.name, Tags=tags)  # type: ignore[arg-type]
        except self.c.iam.exceptions.NoSuchEntityException:
            self.c.iam.create_role(
                RoleName=role.name,
                AssumeRolePolicyDocument=json.dumps(role.trust),
                Tags=tags,  # type: ignore[arg-type]
                Description=f"{self.s.project}: least privilege for {role.service}",
            )
            self._changed(f"created role {role.name}")
        self.c.iam.put_role_policy(
            RoleName=role.name, PolicyName="least-privilege", PolicyDocument=json.dumps(role.policy)
        )

    def model_upload(self, archive: bytes) -> str:
        self.c.s3.put_object(Bucket=self.s.bucket_name, Key=MODEL_KEY, Body=archive)
        return f"s3://{self.s.bucket_name}/{MODEL_KEY}"

    def function(self, spec: FunctionSpec) -> None:
        code = build_zip(spec.package)
        lam = self.c.lambda_
        wait: Any = {"Delay": self.s.waiter_delay if self.s.is_local else 2, "MaxAttempts": 120}
        config: dict[str, Any] = {
            "Role": self.plan.role_arn(spec.role),
            "Handler": code.handler,
            "Runtime": self.s.lambda_runtime,
            "Timeout": spec.timeout,
            "MemorySize": spec.memory,
            "Environment": {"Variables": spec.environment},
        }
        try:
            current = lam.get_function(FunctionName=spec.name)["Configuration"]
        except lam.exceptions.ResourceNotFoundException:
            _retry_iam_propagation(
                lambda: lam.create_function(
                    FunctionName=spec.name, Code={"ZipFile": code.data}, Tags=self.s.tags, **config
                ),
                self.s.is_local,
            )
            self._wait_function(spec.name, "function_active_v2", wait)
            self._changed(f"created function {spec.name}")
            return
        if current.get("CodeSha256") != code.code_sha256:
            lam.update_function_code(FunctionName=spec.name, ZipFile=code.data)
            self._wait_function(spec.name, "function_updated_v2", wait)
            self._changed(f"updated code of function {spec.name}")
        wanted = {**config, "Environment": spec.environment}
        have = {k: current.get(k) for k in config} | {
            "Environment": current.get("Environment", {}).get("Variables", {})
        }
        if have != wanted:
            lam.update_function_configuration(FunctionName=spec.name, **config)
            self._wait_function(spec.name, "function_updated_v2", wait)
            self._changed(f"updated configuration of function {spec.name}")
        lam.tag_resource(Resource=current["FunctionArn"], Tags=self.s.tags)

    def _wait_function(self, name: str, waiter: str, config: Any) -> None:
        """Wait, and on failure say why Lambda failed the function (StateReason), not just that it did."""
        try:
            self.c.lambda_.get_waiter(waiter).wait(FunctionName=name, WaiterConfig=config)  # type: ignore[call-overload]
        except WaiterError as exc:
            current = self.c.lambda_.get_function(FunctionName=name)["Configuration"]
            reason = current.get("StateReason") or current.get("LastUpdateStatusReason") or str(exc)
            raise DeployError(f"function {name} is {current.get('State')}: {reason}") from exc

    def state_machine(self) -> str:
        sfn, arn, definition = self.c.sfn, self.plan.state_machine_arn, self.plan.definition()
        role_arn = self.plan.role_arn(self.plan.state_machine_role)
        try:
            current = sfn.describe_state_machine(stateMachineArn=arn)
        except sfn.exceptions.StateMachineDoesNotExist:
            tags = [{"key": k, "value": v} for k, v in sorted(self.s.tags.items())]
            arn = _retry_iam_propagation(
                lambda: sfn.create_state_machine(
                    name=self.s.state_machine_name,
                    definition=definition,
                    roleArn=role_arn,
                    type="STANDARD",
                    tags=tags,  # type: ignore[arg-type]
                )["stateMachineArn"],
                self.s.is_local,
            )
            self._changed(f"created state machine {self.s.state_machine_name}")
            return arn
        if json.loads(current["definition"]) != json.loads(definition) or current["roleArn"] != role_arn:
            sfn.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role_arn)
            self._changed(f"updated state machine {self.s.state_machine_name}")
        sfn.tag_resource(
            resourceArn=arn, tags=[{"key": k, "value": v} for k, v in sorted(self.s.tags.items())]
        )
        return arn

    def endpoint(self, model_url: str, archive: bytes) -> str:
        sm, s = self.c.sagemaker, self.s
        tags = [{"Key": k, "Value": v} for k, v in sorted(s.tags.items())]
        model_name = f"{s.name('model')}-{hashlib.sha256(archive + s.image.encode()).hexdigest()[:12]}"
        config_key = json.dumps([model_name, s.instance_type, self.plan.data_capture], sort_keys=True)
        config_name = f"{s.name('config')}-{hashlib.sha256(config_key.encode()).hexdigest()[:12]}"
        try:
            sm.describe_model(ModelName=model_name)
        except ClientError:
            sm.create_model(
                ModelName=model_name,
                PrimaryContainer={"Image": s.image, "ModelDataUrl": model_url},
                ExecutionRoleArn=self.plan.role_arn(self.plan.sagemaker_role),
                Tags=tags,  # type: ignore[arg-type]
            )
            self._changed(f"created model {model_name}")
        variant: Any = {
            "VariantName": VARIANT,
            "ModelName": model_name,
            "InitialInstanceCount": 1,
            "InstanceType": s.instance_type,
            "InitialVariantWeight": 1.0,
        }
        try:
            sm.describe_endpoint_config(EndpointConfigName=config_name)
        except ClientError:
            sm.create_endpoint_config(
                EndpointConfigName=config_name,
                ProductionVariants=[variant],
                DataCaptureConfig=self.plan.data_capture,  # type: ignore[arg-type]
                Tags=tags,  # type: ignore[arg-type]
            )
            self._changed(f"created endpoint config {config_name}")
        try:
            current = sm.describe_endpoint(EndpointName=s.endpoint_name)
        except ClientError:
            sm.create_endpoint(EndpointName=s.endpoint_name, EndpointConfigName=config_name, Tags=tags)  # type: ignore[arg-type]
            self._changed(f"created endpoint {s.endpoint_name}")
        else:
            if current["EndpointConfigName"] != config_name:
                sm.update_endpoint(EndpointName=s.endpoint_name, EndpointConfigName=config_name)
                self._changed(f"updated endpoint {s.endpoint_name} to {config_name}")
        waiter = sm.get_waiter("endpoint_in_service")
        waiter.wait(
            EndpointName=s.endpoint_name,
            WaiterConfig={"Delay": s.waiter_delay, "MaxAttempts": 240 if s.is_local else 120},  # type: ignore[typeddict-item]
        )
        return s.endpoint_name


def deploy(
    settings: WorkflowSettings, clients: Clients | None = None, log: Callable[[str], None] = lambda _: None
) -> DeployResult:
    """Create or update every resource; raises a ``WorkflowError`` subclass naming what failed."""
    clients = clients or Clients(settings)
    if not settings.is_local:
        clients.check_credentials()
    archive = model_archive(settings.model)
    account, partition = clients.account()
    plan = build_plan(settings, account=account, partition=partition)
    d = Deployer(clients, plan, log)
    step = "bucket"
    try:
        d.bucket()
        for role in plan.all_roles:
            step = f"role {role.name}"
            d.role(role)
        step = "model upload"
        model_url = d.model_upload(archive)
        for spec in plan.functions:
            step = f"function {spec.name}"
            d.function(spec)
        step = "state machine"
        arn = d.state_machine()
        step = "endpoint"
        endpoint = d.endpoint(model_url, archive)
    except (ClientError, Exception) as exc:
        if isinstance(exc, DeployError):
            raise
        raise DeployError(f"deploy failed at {step}: {exc}") from exc
    return DeployResult(plan, endpoint, arn, settings.bucket_name, d.changes)

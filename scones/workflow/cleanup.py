"""Delete everything `deploy` created, found by its project tag, and prove nothing tagged is left.

Why by tag and not by name: names are derived from the project, but a user may have renamed or
half-deployed things; the tag is what deploy puts on every resource it creates (bucket, roles,
functions, state machine, SageMaker model / endpoint config / endpoint), on both targets alike.
The order matters: an endpoint before its config and model, functions before their roles, the
bucket (emptied, capture files included) last.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from scones.workflow.clients import Clients
from scones.workflow.errors import WorkflowError
from scones.workflow.settings import TAG_PROJECT, WorkflowSettings


class CleanupIncompleteError(WorkflowError):
    """Tagged resources were still there after cleanup (listed in the message)."""


@dataclass(frozen=True)
class Resource:
    kind: str
    name: str
    arn: str = ""


@dataclass
class CleanupReport:
    removed: list[Resource] = field(default_factory=list)
    left: list[Resource] = field(default_factory=list)


def _tagged(tags: dict[str, str], settings: WorkflowSettings) -> bool:
    return tags.get(TAG_PROJECT) == settings.project


def _kv(tags: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {str(t[key]): str(t[value]) for t in tags}


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def _ignore_missing(call: Callable[[], Any]) -> None:
    """A resource deleted meanwhile (or by a previous, interrupted cleanup) is not an error."""
    try:
        call()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if not any(word in code for word in ("NotFound", "NoSuch", "ResourceNotFound", "Validation")):
            raise


def find_tagged(clients: Clients, settings: WorkflowSettings) -> list[Resource]:
    """Every resource carrying this project's tag, in deletion order."""
    found: list[Resource] = []
    sm = clients.sagemaker
    for kind, op, key, name_key, arn_key in (
        ("endpoint", "list_endpoints", "Endpoints", "EndpointName", "EndpointArn"),
        (
            "endpoint-config",
            "list_endpoint_configs",
            "EndpointConfigs",
            "EndpointConfigName",
            "EndpointConfigArn",
        ),
        ("model", "list_models", "Models", "ModelName", "ModelArn"),
    ):
        for item in _pages(sm, op, key):
            tags = _kv(sm.list_tags(ResourceArn=item[arn_key]).get("Tags", []))
            if _tagged(tags, settings):
                found.append(Resource(kind, item[name_key], item[arn_key]))
    for machine in _pages(clients.sfn, "list_state_machines", "stateMachines"):
        arn = machine["stateMachineArn"]
        tags = _kv(clients.sfn.list_tags_for_resource(resourceArn=arn)["tags"], "key", "value")
        if _tagged(tags, settings):
            found.append(Resource("state-machine", machine["name"], arn))
    for function in _pages(clients.lambda_, "list_functions", "Functions"):
        tags = clients.lambda_.list_tags(Resource=function["FunctionArn"]).get("Tags", {})
        if _tagged(tags, settings):
            found.append(Resource("function", function["FunctionName"], function["FunctionArn"]))
    for role in _pages(clients.iam, "list_roles", "Roles"):
        tags = _kv(clients.iam.list_role_tags(RoleName=role["RoleName"]).get("Tags", []))
        if _tagged(tags, settings):
            found.append(Resource("role", role["RoleName"], role["Arn"]))
    for bucket in clients.s3.list_buckets().get("Buckets", []):
        try:
            tags = _kv(clients.s3.get_bucket_tagging(Bucket=bucket["Name"])["TagSet"])
        except ClientError:
            continue  # no tag set (NoSuchTagSet), or a bucket in another region we cannot read
        if _tagged(tags, settings):
            found.append(Resource("bucket", bucket["Name"]))
    return found


def _empty_bucket(clients: Clients, bucket: str) -> None:
    """Delete every object version (a versioned bucket cannot be deleted otherwise), then the rest."""
    s3: Any = clients.s3
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        versions = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        objects = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def _delete_role(clients: Clients, name: str) -> None:
    iam = clients.iam
    for policy in iam.list_role_policies(RoleName=name).get("PolicyNames", []):
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    for attached in iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", []):
        iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=name)


def _delete(clients: Clients, settings: WorkflowSettings, resource: Resource) -> None:
    name = resource.name
    if resource.kind == "endpoint":
        _ignore_missing(lambda: clients.sagemaker.delete_endpoint(EndpointName=name))
        clients.sagemaker.get_waiter("endpoint_deleted").wait(
            EndpointName=name,
            WaiterConfig={"Delay": settings.waiter_delay, "MaxAttempts": 240},  # type: ignore[typeddict-item]
        )
    elif resource.kind == "endpoint-config":
        _ignore_missing(lambda: clients.sagemaker.delete_endpoint_config(EndpointConfigName=name))
    elif resource.kind == "model":
        _ignore_missing(lambda: clients.sagemaker.delete_model(ModelName=name))
    elif resource.kind == "state-machine":
        _ignore_missing(lambda: clients.sfn.delete_state_machine(stateMachineArn=resource.arn))
    elif resource.kind == "function":
        _ignore_missing(lambda: clients.lambda_.delete_function(FunctionName=name))
        # The log group is Lambda's, created on first invoke; it goes with the function.
        with contextlib.suppress(ClientError):
            clients.client("logs").delete_log_group(logGroupName=f"/aws/lambda/{name}")
    elif resource.kind == "role":
        _ignore_missing(lambda: _delete_role(clients, name))
    elif resource.kind == "bucket":
        _empty_bucket(clients, name)
        _ignore_missing(lambda: clients.s3.delete_bucket(Bucket=name))


def cleanup(
    clients: Clients,
    settings: WorkflowSettings,
    *,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
) -> CleanupReport:
    """Delete every tagged resource (idempotent), then verify none is left; raise if some are."""
    report = CleanupReport()
    for resource in find_tagged(clients, settings):
        log(f"{'would remove' if dry_run else 'removing'} {resource.kind} {resource.name}")
        if not dry_run:
            _delete(clients, settings, resource)
        report.removed.append(resource)
    if dry_run:
        return report
    # Deleted state machines may linger as DELETING for a moment on AWS; they are not "left".
    report.left = [
        r for r in find_tagged(clients, settings) if r.kind != "state-machine" or _active(clients, r)
    ]
    if report.left:
        names = ", ".join(f"{r.kind} {r.name}" for r in report.left)
        raise CleanupIncompleteError(f"still tagged {TAG_PROJECT}={settings.project} after cleanup: {names}")
    return report


def _active(clients: Clients, machine: Resource) -> bool:
    try:
        status = clients.sfn.describe_state_machine(stateMachineArn=machine.arn).get("status", "ACTIVE")
    except ClientError:
        return False
    return status != "DELETING"

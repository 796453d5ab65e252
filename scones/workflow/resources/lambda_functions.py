"""Lambda functions, created from the registry (scones.workflow.functions) through the plan's FunctionSpecs.

Unchanged code is recognised by ``CodeSha256`` (the zips are reproducible, see package), so a re-deploy
changes nothing. Not found: Lambda answers ``ResourceNotFoundException`` (botocore's lambda model:
GetFunction, DeleteFunction); so does CloudWatch Logs for a log group that is not there (DeleteLogGroup).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from scones.workflow.errors import DeployError
from scones.workflow.package import build_zip
from scones.workflow.plan import FunctionSpec
from scones.workflow.resources.base import (
    Missing,
    Resource,
    ResourceKind,
    pages,
    retry_iam_propagation,
)

NOT_FOUND = Missing.of("ResourceNotFoundException")


class Functions(ResourceKind[FunctionSpec]):
    kind = "function"
    missing = NOT_FOUND

    def name_of(self, spec: FunctionSpec) -> str:
        return spec.name

    def find(self, name: str) -> dict[str, Any] | None:
        return self.lookup(name, lambda: dict(self.clients.lambda_.get_function(FunctionName=name)))

    def ensure(self, spec: FunctionSpec) -> None:
        lam, s, code = self.clients.lambda_, self.settings, build_zip(spec.package)
        config: dict[str, Any] = {
            "Role": self.session.plan.role_arn(spec.role),
            "Handler": code.handler,
            "Runtime": s.lambda_runtime,
            "Timeout": spec.timeout,
            "MemorySize": spec.memory,
            "Environment": {"Variables": spec.environment},
        }
        found = self.find(spec.name)
        if found is None:
            retry_iam_propagation(
                lambda: lam.create_function(
                    FunctionName=spec.name, Code={"ZipFile": code.data}, Tags=s.tags, **config
                ),
                s.is_local,
            )
            self._wait(spec.name, "function_active_v2")
            self.changed(f"created function {spec.name}")
            return
        current = found["Configuration"]
        if current.get("CodeSha256") != code.code_sha256:
            lam.update_function_code(FunctionName=spec.name, ZipFile=code.data)
            self._wait(spec.name, "function_updated_v2")
            self.changed(f"updated code of function {spec.name}")
        wanted = {**config, "Environment": spec.environment}
        have = {k: current.get(k) for k in config} | {
            "Environment": current.get("Environment", {}).get("Variables", {})
        }
        if have != wanted:
            lam.update_function_configuration(FunctionName=spec.name, **config)
            self._wait(spec.name, "function_updated_v2")
            self.changed(f"updated configuration of function {spec.name}")
        lam.tag_resource(Resource=current["FunctionArn"], Tags=s.tags)

    def _wait(self, name: str, waiter: str) -> None:
        """Wait, and on failure say why Lambda failed the function (StateReason), not just that it did."""
        config: Any = {
            "Delay": self.settings.waiter_delay if self.settings.is_local else 2,
            "MaxAttempts": self.settings.waiter_attempts(60, 120),
        }
        try:
            self.clients.lambda_.get_waiter(waiter).wait(FunctionName=name, WaiterConfig=config)  # type: ignore[call-overload]
        except WaiterError as exc:
            current = self.clients.lambda_.get_function(FunctionName=name)["Configuration"]
            reason = current.get("StateReason") or current.get("LastUpdateStatusReason") or str(exc)
            raise DeployError(f"function {name} is {current.get('State')}: {reason}") from exc

    def tagged(self) -> Iterator[Resource]:
        lam = self.clients.lambda_
        for function in pages(lam, "list_functions", "Functions"):
            if self.is_ours(lam.list_tags(Resource=function["FunctionArn"]).get("Tags", {})):
                yield Resource(self.kind, function["FunctionName"], function["FunctionArn"])

    def delete(self, resource: Resource) -> None:
        self.gone_is_fine(lambda: self.clients.lambda_.delete_function(FunctionName=resource.name))
        # The log group is Lambda's, created on first invoke; it goes with the function.
        group = f"/aws/lambda/{resource.name}"
        try:
            self.clients.client("logs").delete_log_group(logGroupName=group)
        except ClientError as exc:
            if not NOT_FOUND.matches(exc):
                raise

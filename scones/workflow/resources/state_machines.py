"""The Step Functions state machine: the ASL template with the plan's substitutions.

Not found: DescribeStateMachine answers ``StateMachineDoesNotExist`` (botocore's stepfunctions model);
DeleteStateMachine models no not-found (AWS deletes idempotently), so the same code is all there is to
forgive there. A deleted machine may stay ``DELETING`` for a while on AWS: it is not "left" by cleanup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from scones.workflow.resources.base import (
    Missing,
    Resource,
    ResourceKind,
    pages,
    retry_iam_propagation,
    tag_dict,
)


class StateMachines(ResourceKind[str]):
    """Its spec and ``find`` key are the ARN (Step Functions addresses machines by ARN, not by name)."""

    kind = "state-machine"
    missing = Missing.of("StateMachineDoesNotExist")

    def name_of(self, spec: str) -> str:
        return spec.rsplit(":", 1)[-1]

    def find(self, name: str) -> dict[str, Any] | None:
        sfn = self.clients.sfn
        return self.lookup(self.name_of(name), lambda: dict(sfn.describe_state_machine(stateMachineArn=name)))

    def ensure(self, spec: str) -> None:
        sfn, plan, s = self.clients.sfn, self.session.plan, self.settings
        definition, role_arn = plan.definition(), plan.role_arn(plan.state_machine_role)
        tags = [{"key": k, "value": v} for k, v in sorted(s.tags.items())]
        current = self.find(spec)
        if current is None:
            retry_iam_propagation(
                lambda: sfn.create_state_machine(
                    name=self.name_of(spec),
                    definition=definition,
                    roleArn=role_arn,
                    type="STANDARD",
                    tags=tags,  # type: ignore[arg-type]
                ),
                s.is_local,
            )
            self.changed(f"created state machine {self.name_of(spec)}")
            return
        if json.loads(current["definition"]) != json.loads(definition) or current["roleArn"] != role_arn:
            sfn.update_state_machine(stateMachineArn=spec, definition=definition, roleArn=role_arn)
            self.changed(f"updated state machine {self.name_of(spec)}")
        sfn.tag_resource(resourceArn=spec, tags=tags)  # type: ignore[arg-type]

    def active(self, arn: str) -> bool:
        """Whether the machine is there and not on its way out (``DELETING``)."""
        current = self.find(arn)
        return current is not None and current.get("status", "ACTIVE") != "DELETING"

    def tagged(self) -> Iterator[Resource]:
        sfn = self.clients.sfn
        for machine in pages(sfn, "list_state_machines", "stateMachines"):
            arn = machine["stateMachineArn"]
            if self.is_ours(tag_dict(sfn.list_tags_for_resource(resourceArn=arn)["tags"], "key", "value")):
                yield Resource(self.kind, machine["name"], arn)

    def delete(self, resource: Resource) -> None:
        self.gone_is_fine(lambda: self.clients.sfn.delete_state_machine(stateMachineArn=resource.arn))

"""IAM roles: one per function, one for the state machine, one for SageMaker, each with one inline policy.

Not found: IAM answers ``NoSuchEntity`` (botocore's iam model: GetRole, DeleteRole, ListRolePolicies).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from scones.workflow.plan import RoleSpec
from scones.workflow.resources.base import Missing, Resource, ResourceKind, pages, tag_dict

POLICY_NAME = "least-privilege"


class Roles(ResourceKind[RoleSpec]):
    kind = "role"
    missing = Missing.of("NoSuchEntity")

    def name_of(self, spec: RoleSpec) -> str:
        return spec.name

    def find(self, name: str) -> dict[str, Any] | None:
        return self.lookup(name, lambda: dict(self.clients.iam.get_role(RoleName=name)["Role"]))

    def ensure(self, spec: RoleSpec) -> None:
        iam, tags = self.clients.iam, self.tag_list
        current = self.find(spec.name)
        if current is None:
            iam.create_role(
                RoleName=spec.name,
                AssumeRolePolicyDocument=json.dumps(spec.trust),
                Tags=tags,  # type: ignore[arg-type]
                Description=f"{self.settings.project}: least privilege for {spec.service}",
            )
            self.changed(f"created role {spec.name}")
        else:
            trust = current.get("AssumeRolePolicyDocument")
            if isinstance(trust, str):
                trust = json.loads(trust)
            if trust != spec.trust:
                iam.update_assume_role_policy(RoleName=spec.name, PolicyDocument=json.dumps(spec.trust))
                self.changed(f"updated trust of role {spec.name}")
            iam.tag_role(RoleName=spec.name, Tags=tags)  # type: ignore[arg-type]
        iam.put_role_policy(
            RoleName=spec.name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(spec.policy)
        )

    def tagged(self) -> Iterator[Resource]:
        iam = self.clients.iam
        for role in pages(iam, "list_roles", "Roles"):
            if self.is_ours(tag_dict(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags", []))):
                yield Resource(self.kind, role["RoleName"], role["Arn"])

    def delete(self, resource: Resource) -> None:
        self.gone_is_fine(lambda: self._delete(resource.name))

    def _delete(self, name: str) -> None:
        """A role with policies cannot be deleted: inline ones go, attached ones are detached, first."""
        iam = self.clients.iam
        for policy in iam.list_role_policies(RoleName=name).get("PolicyNames", []):
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for attached in iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", []):
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        iam.delete_role(RoleName=name)

"""What deploy creates, as data: names, roles and their least-privilege policies, functions, substitutions.

Pure: the plan needs the account id and partition (for ARNs in policies) and nothing else, so ``--dry-run``
prints it without calling anything (the account shows as ``<account>``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from scones.config import PROJECT_ROOT
from scones.workflow.functions import (
    CAPTURE_PREFIX,
    FUNCTIONS,
    MODEL_KEY,
    REVIEW_PREFIX,
    LambdaFunction,
    Scope,
)
from scones.workflow.settings import WorkflowSettings

__all__ = [
    "ASL_PATH",
    "CAPTURE_PREFIX",
    "MODEL_KEY",
    "REVIEW_PREFIX",
    "VARIANT",
    "FunctionSpec",
    "Plan",
    "RoleSpec",
    "build_plan",
    "substitute",
]

ASL_PATH = PROJECT_ROOT / "statemachine" / "workflow.asl.json"
VARIANT = "AllTraffic"


@dataclass(frozen=True)
class RoleSpec:
    name: str
    service: str  # the principal allowed to assume it
    policy: dict[str, Any]

    @property
    def trust(self) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": self.service}, "Action": "sts:AssumeRole"}
            ],
        }


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    package: str
    role: RoleSpec
    placeholder: str  # the ASL ``${Name}`` that receives this function's ARN
    environment: dict[str, str] = field(default_factory=dict)
    timeout: int = 30
    memory: int = 256


@dataclass(frozen=True)
class Plan:
    settings: WorkflowSettings
    account: str
    partition: str
    roles: tuple[RoleSpec, ...]
    functions: tuple[FunctionSpec, ...]
    state_machine_role: RoleSpec
    sagemaker_role: RoleSpec

    @property
    def scope(self) -> Scope:
        return Scope(self.settings, self.account, self.partition)

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        return self.scope.arn(service, resource, region)

    def function_arn(self, spec: FunctionSpec) -> str:
        return self.arn("lambda", f"function:{spec.name}")

    def role_arn(self, role: RoleSpec) -> str:
        return self.arn("iam", f"role/{role.name}", region=False)

    @property
    def state_machine_arn(self) -> str:
        return self.arn("states", f"stateMachine:{self.settings.state_machine_name}")

    @property
    def substitutions(self) -> dict[str, str]:
        """Every ``${Name}`` of the ASL: one per registered function, then the review bucket and prefix."""
        functions = {spec.placeholder: self.function_arn(spec) for spec in self.functions}
        return {**functions, "ReviewBucket": self.settings.bucket_name, "ReviewPrefix": REVIEW_PREFIX}

    def definition(self, template: str | None = None) -> str:
        return substitute(ASL_PATH.read_text() if template is None else template, self.substitutions)

    @property
    def data_capture(self) -> dict[str, Any]:
        return {
            "EnableCapture": True,
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": f"s3://{self.settings.bucket_name}/{CAPTURE_PREFIX}",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]},
        }

    def describe(self) -> list[tuple[str, str, str]]:
        """(kind, name, detail) rows for ``--dry-run``, in the order deploy runs them."""
        s = self.settings
        rows = [("s3 bucket", s.bucket_name, f"region {s.region}")]
        rows += [("iam role", r.name, f"assumed by {r.service}") for r in self.all_roles]
        rows += [
            ("s3 object", f"s3://{s.bucket_name}/{MODEL_KEY}", f"model from {s.model or 'artifacts/model'}")
        ]
        rows += [
            ("lambda function", f.name, f"{s.lambda_runtime}, {f.package}.app.handler, env {f.environment}")
            for f in self.functions
        ]
        rows.append(("state machine", s.state_machine_name, "STANDARD, statemachine/workflow.asl.json"))
        rows.append(("sagemaker model", f"{s.name('model')}-<sha>", f"image {s.image}"))
        rows.append(("endpoint config", f"{s.name('config')}-<sha>", f"{s.instance_type}, capture 100 %"))
        rows.append(("endpoint", s.endpoint_name, "create or update, wait InService"))
        return rows

    @property
    def all_roles(self) -> tuple[RoleSpec, ...]:
        return (*self.roles, self.state_machine_role, self.sagemaker_role)


def substitute(template: str, values: dict[str, str]) -> str:
    """Replace every ``${Name}``; an unknown placeholder is an error, not a silent blank."""
    out = template
    for name, value in values.items():
        out = out.replace("${" + name + "}", value)
    if "${" in out:
        start = out.index("${")
        raise KeyError(f"no substitution for {out[start : out.index('}', start) + 1]}")
    json.loads(out)
    return out


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def build_plan(
    settings: WorkflowSettings,
    account: str = "<account>",
    partition: str = "aws",
    registry: tuple[LambdaFunction, ...] = FUNCTIONS,
) -> Plan:
    """The plan for ``settings``; functions, their roles and the state machine's invoke rights come from
    ``registry`` (scones.workflow.functions), so a new function needs no edit here."""
    s, scope = settings, Scope(settings, account, partition)
    bucket_arn = scope.bucket_arn
    functions = tuple(
        FunctionSpec(
            name=entry.function_name(s),
            package=entry.package,
            role=RoleSpec(
                entry.role_name(s), "lambda.amazonaws.com", _policy(*entry.policy_statements(scope))
            ),
            environment=entry.environment(s),
            timeout=entry.timeout,
            memory=entry.memory,
            placeholder=entry.placeholder,
        )
        for entry in registry
    )
    function_arns = [scope.arn("lambda", f"function:{f.name}") for f in functions]
    sfn_role = RoleSpec(
        s.name("workflow-role"),
        "states.amazonaws.com",
        _policy(
            {
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": function_arns + [f"{a}:*" for a in function_arns],
            },
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{bucket_arn}/{REVIEW_PREFIX}*"},
        ),
    )
    sagemaker_role = RoleSpec(
        s.name("sagemaker-role"),
        "sagemaker.amazonaws.com",
        _policy(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{bucket_arn}/{MODEL_KEY}"},
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{bucket_arn}/{CAPTURE_PREFIX}/*"},
            {
                "Effect": "Allow",
                "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": scope.log_group_arn("/aws/sagemaker/*"),
            },
        ),
    )
    return Plan(
        settings=s,
        account=account,
        partition=partition,
        roles=tuple(f.role for f in functions),
        functions=functions,
        state_machine_role=sfn_role,
        sagemaker_role=sagemaker_role,
    )

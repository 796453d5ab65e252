"""The Lambda registry (scones.workflow.functions): one entry is all the plan needs to deploy a function.

Unit tests, no stack: the plan is pure. A fourth function must need a folder, a registry entry and an ASL
state, and nothing else: its role, its function spec, the state machine's right to invoke it and its ASL
substitution all derive from the entry.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from scones.workflow.functions import FUNCTIONS, LambdaFunction, Scope
from scones.workflow.package import LAMBDAS_DIR, build_zip
from scones.workflow.plan import ASL_PATH, build_plan
from scones.workflow.settings import WorkflowSettings

SETTINGS = WorkflowSettings(project="demo", region="eu-west-1", bucket="demo-bucket", threshold=0.8)
ACCOUNT = "123456789012"


def _resize_statements(scope: Scope) -> tuple[dict[str, object], ...]:
    return ({"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{scope.bucket_arn}/resized/*"},)


EXTRA = LambdaFunction(
    "resize_image",
    "ResizeImageFunctionArn",
    statements=_resize_statements,
    environment=lambda s: {"TARGET_SIZE": "32", "BUCKET": s.bucket_name},
    timeout=15,
    memory=512,
)


def _actions(policy: dict[str, object]) -> set[str]:
    statements = policy["Statement"]
    assert isinstance(statements, list)
    return {
        a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }


def test_registry__every_entry_has_its_folder_and_its_placeholder_in_the_asl() -> None:
    template = ASL_PATH.read_text()
    used = set(re.findall(r"\$\{(\w+FunctionArn)\}", template))
    assert used == {f.placeholder for f in FUNCTIONS}, "ASL function placeholders and the registry differ"
    assert len({f.package for f in FUNCTIONS}) == len({f.placeholder for f in FUNCTIONS}) == len(FUNCTIONS)
    for entry in FUNCTIONS:
        assert build_zip(entry.package).handler == f"{entry.package}.app.handler"
        assert (LAMBDAS_DIR / entry.package / "app.py").is_file()


def test_registry__default_plan_derives_names_roles_environment_and_substitutions() -> None:
    plan = build_plan(SETTINGS, account=ACCOUNT)
    by_package = {f.package: f for f in plan.functions}
    assert [f.package for f in plan.functions] == [e.package for e in FUNCTIONS]
    assert by_package["classify"].name == "demo-classify"
    assert by_package["classify"].role.name == "demo-classify-role"
    assert by_package["classify"].environment == {"ENDPOINT_NAME": "demo-endpoint"}
    assert by_package["classify"].timeout == 60
    assert by_package["filter_confidence"].environment == {"THRESHOLD": "0.8"}
    assert _actions(by_package["serialize_image"].role.policy) >= {"s3:GetObject", "logs:PutLogEvents"}
    assert "sagemaker:InvokeEndpoint" in _actions(by_package["classify"].role.policy)
    assert _actions(by_package["filter_confidence"].role.policy) == {
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    assert plan.roles == tuple(f.role for f in plan.functions)
    assert (
        plan.substitutions["ClassifyFunctionArn"]
        == f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:demo-classify"
    )


def test_registry__an_extra_entry_yields_role_function_and_substitution_without_other_edits(
    tmp_path: Path,
) -> None:
    """What adding a fourth Lambda costs: this entry (and, for deploy, its folder and ASL state)."""
    plan = build_plan(SETTINGS, account=ACCOUNT, registry=(*FUNCTIONS, EXTRA))
    spec = plan.functions[-1]
    arn = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:demo-resize-image"

    assert (spec.name, spec.package, spec.timeout, spec.memory) == (
        "demo-resize-image",
        "resize_image",
        15,
        512,
    )
    assert spec.environment == {"TARGET_SIZE": "32", "BUCKET": "demo-bucket"}
    assert spec.role in plan.roles and spec.role in plan.all_roles
    assert spec.role.name == "demo-resize-image-role" and spec.role.service == "lambda.amazonaws.com"
    statements = spec.role.policy["Statement"]
    assert statements[0]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/demo-resize-image",
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/demo-resize-image:*",
    ]
    assert statements[1] == {
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::demo-bucket/resized/*",
    }
    invoke = plan.state_machine_role.policy["Statement"][0]
    assert invoke["Action"] == "lambda:InvokeFunction" and arn in invoke["Resource"]
    assert plan.substitutions["ResizeImageFunctionArn"] == arn
    assert ("lambda function", "demo-resize-image") in {row[:2] for row in plan.describe()}

    template = json.loads(ASL_PATH.read_text())
    template["States"]["Resize image"] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "${ResizeImageFunctionArn}", "Payload.$": "$"},
        "End": True,
    }
    definition = json.loads(plan.definition(json.dumps(template)))
    assert definition["States"]["Resize image"]["Parameters"]["FunctionName"] == arn

    folder = tmp_path / "resize_image"
    folder.mkdir()
    (folder / "app.py").write_text("def handler(event, context):\n    return event\n")
    assert build_zip(EXTRA.package, root=tmp_path).handler == "resize_image.app.handler"


def test_registry__the_default_plan_is_unchanged_by_the_registry_argument() -> None:
    assert build_plan(SETTINGS, account=ACCOUNT) == build_plan(SETTINGS, account=ACCOUNT, registry=FUNCTIONS)
    without = build_plan(SETTINGS, account=ACCOUNT, registry=FUNCTIONS[:2])
    assert "FilterConfidenceFunctionArn" not in without.substitutions
    assert len(without.roles) == 2

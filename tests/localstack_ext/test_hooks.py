"""The speed-up hooks (scones_localstack.hooks) take effect inside LocalStack's own interpreter,
whatever order plux runs them in.

Why a subprocess: the hooks patch names in LocalStack's modules, which only import in LocalStack's venv
(Python 3.13). An earlier version patched the factory's defining module only; when another hook had
already imported the state components, those kept the unpatched copy and every Task assumed its role
again. This test would have caught it.
"""

from __future__ import annotations

import pytest

from tests.helpers.localstack_venv import run_probe

HOOKS = (
    "cache_definition_parsing",
    "cache_jsonpath_parsing",
    "cache_operation_models",
    "reuse_task_role_clients",
    "pool_lambda_metric_threads",
)

# each hook runs first once (the case that broke: one hook's imports before another's patch)
ROTATIONS = [HOOKS[i:] + HOOKS[:i] for i in range(len(HOOKS))]

PROBE = """
import json, sys
from scones_localstack import hooks
for name in sys.argv[1:]:
    getattr(hooks, name)()
for name in sys.argv[1:]:
    getattr(hooks, name)()  # idempotent: a second run changes nothing
import localstack.services.stepfunctions.backend.execution_worker as worker
from localstack.services.stepfunctions.asl.component.state.state_execution.state_task import lambda_eval_utils
from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service import (
    state_task_service_aws_sdk as aws_sdk,
)
from localstack.services.stepfunctions.asl.component.common.path import result_path
from localstack.services.stepfunctions.asl.utils import json_path
from localstack.services.lambda_.invocation import version_manager
from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service import (
    state_task_service,
)
mark = "_scones_cached"
print(json.dumps({
    "definition parser": getattr(worker.AmazonStateLanguageParser.parse, mark, False),
    "lambda task clients": getattr(lambda_eval_utils.boto_client_for, mark, False),
    "sdk task clients": getattr(aws_sdk.boto_client_for, mark, False),
    "jsonpath ext": getattr(json_path.parse, mark, False),
    "jsonpath base": getattr(result_path.parse, mark, False),
    "operation models": getattr(
        state_task_service.StateTaskService._get_boto_operation_model, mark, False
    ),
    "lambda metric threads": getattr(version_manager.start_thread, "_scones_pooled", False),
}))
"""


@pytest.mark.parametrize("order", ROTATIONS, ids="-".join)
def test_every_hook_order_patches_every_importer(order: tuple[str, ...]) -> None:
    patched = run_probe(PROBE, *order)
    assert patched == dict.fromkeys(patched, True)


DEFERRED_PROBE = """
import json, sys, time
began = time.perf_counter()
from scones_localstack import hooks  # what plux imports first; it defers moto.batch
hooks.cache_definition_parsing()  # imports Step Functions' task-state factory, which imports moto.batch.utils
from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service import (
    state_task_service_batch,
)
imported = {name: name in sys.modules for name in ("moto.batch.utils", "moto.batch.models", "moto.ec2")}
import moto.batch
backends = moto.batch.batch_backends  # the first read of what __init__ defines runs it
print(json.dumps({
    "before": imported,
    "job status": state_task_service_batch.JobStatus.SUCCEEDED.value,
    "after": "moto.batch.models" in sys.modules and "moto.ec2" in sys.modules,
    "backends": type(backends).__name__,
}))
"""


def test_moto_batch_and_ec2_load_only_when_batch_is_used() -> None:
    """Step Functions' Batch task imports one enum from moto.batch.utils; with the package deferred that
    import no longer loads moto's Batch and EC2 backends (~1.3 s of every start), and the backend is still
    there, complete, for the first caller that reads it."""
    out = run_probe(DEFERRED_PROBE)
    assert out["before"] == {"moto.batch.utils": True, "moto.batch.models": False, "moto.ec2": False}
    assert out["job status"] == "SUCCEEDED"
    assert out["after"] is True
    assert out["backends"] == "BackendDict"

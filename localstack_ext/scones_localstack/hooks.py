"""Runtime hooks registered through plux (`localstack.hooks.on_runtime_create`): they run before any
service is loaded, so LocalStack's modules import the patched names. Imports stay cheap. Each hook
changes how long LocalStack takes, not what it does (see the module each one installs)."""

from __future__ import annotations

from localstack.runtime import hooks

from scones_localstack import deferred_imports, startup_gc

# Not a hook: the rest of the start runs without cyclic garbage collection (see startup_gc), until
# LocalStack is ready (resume_garbage_collection below).
startup_gc.pause()

# Not a hook: plux imports this module to load the hooks below, before it runs any of them (LocalStack's own
# hooks included), and Step Functions' modules, which they import, pull moto's Batch and EC2 backends
# (~1.3 s of start-up) unless the package is deferred first. A module-level call needs no new entry point.
deferred_imports.install()


@hooks.on_runtime_create()
def cache_definition_parsing() -> None:
    """Lex and parse each state machine definition once (see asl_cache)."""
    from scones_localstack.stepfunctions.asl_cache import install

    install()


@hooks.on_runtime_create()
def cache_jsonpath_parsing() -> None:
    """Parse each JSONPath once (see jsonpath_cache)."""
    from scones_localstack.stepfunctions.jsonpath_cache import install

    install()


@hooks.on_runtime_create()
def cache_operation_models() -> None:
    """Resolve each Task's botocore operation model once (see operation_models)."""
    from scones_localstack.stepfunctions.operation_models import install

    install()


@hooks.on_runtime_create()
def reuse_task_role_clients() -> None:
    """Keep Task clients per role for a few minutes (see role_clients)."""
    from scones_localstack.stepfunctions.role_clients import install

    install()


@hooks.on_runtime_create()
def lighten_in_memory_clients() -> None:
    """Lighter requests for in-process internal calls (see in_memory_clients)."""
    from scones_localstack.in_memory_clients import install

    install()


@hooks.on_runtime_create()
def pool_lambda_metric_threads() -> None:
    """Lambda's per-invoke metric recorders on a pool, not a new thread each (see lambda_metrics)."""
    from scones_localstack.lambda_metrics import install

    install()


@hooks.on_runtime_create()
def enforce_lambda_limits() -> None:
    """Lambda Invoke's 6 MB / 1 MB request and 6 MB response limits for every caller (see lambda_limits);
    CreateFunction / UpdateFunctionConfiguration refuse a role Lambda cannot assume while IAM is enforced,
    and reserved variables always (see role_checks; one hook, so no new entry point)."""
    from scones_localstack import lambda_limits, role_checks

    lambda_limits.install()
    role_checks.install()


@hooks.on_runtime_create()
def run_or_refuse_executions() -> None:
    """StartExecution runs its execution or fails; every RUNNING one can end (see executions)."""
    from scones_localstack.stepfunctions.executions import install

    install()


@hooks.on_runtime_create()
def bound_finished_executions() -> None:
    """Keep the most recent finished executions only (see retention)."""
    from scones_localstack.stepfunctions.retention import install

    install()


@hooks.on_runtime_create()
def enforce_stepfunctions_limits() -> None:
    """Step Functions' 256 KiB payload quota where AWS enforces it (see stepfunctions.limits)."""
    from scones_localstack.stepfunctions.limits import install

    install()


@hooks.on_runtime_create()
def stepfunctions_errors_as_aws() -> None:
    """Fail states keep States.* errors and causes; ResultPath conflicts fail as on AWS (see
    stepfunctions.errors); a mocked test case the mock config lacks is InvalidName
    (stepfunctions.mock_cases); a ``.$`` field that is not a path or intrinsic is an InvalidDefinition
    (stepfunctions.definition_checks)."""
    from scones_localstack.stepfunctions import definition_checks, errors, mock_cases

    errors.install()
    mock_cases.install()
    definition_checks.install()


@hooks.on_runtime_create()
def test_state_as_aws() -> None:
    """TestState mocks, retries and context as AWS documents them, in AWS's shapes (see
    stepfunctions.test_state)."""
    from scones_localstack.stepfunctions.test_state import install

    install()


@hooks.on_runtime_create()
def sagemaker_runtime_empty_endpoint_name() -> None:
    """An empty EndpointName answers ValidationError, not a retryable 500 (see sagemaker.validation)."""
    from scones_localstack.sagemaker.validation import install

    install()


@hooks.on_infra_ready()
def resume_garbage_collection() -> None:
    """What the start built is frozen, and the collector runs again (see startup_gc)."""
    startup_gc.resume()


@hooks.on_runtime_create()
def bind_gateway_to_listen_host() -> None:
    """The gateway binds exactly GATEWAY_LISTEN's host and times out stalled requests (see gateway)."""
    from scones_localstack.gateway import install

    install()


@hooks.on_runtime_create()
def one_parser_per_service() -> None:
    """Parsers and serializers cached per service, not per botocore client (see protocol_caches); requests
    they cannot parse refused as AWS refuses them (see request_parsing)."""
    from scones_localstack import protocol_caches, request_parsing

    protocol_caches.install()
    request_parsing.install()


@hooks.on_runtime_create()
def evaluate_jsonata_in_process() -> None:
    """JSONata by a pure-Python evaluator, never a Java download (see stepfunctions.jsonata_eval)."""
    from scones_localstack.stepfunctions.jsonata_eval import install

    install()


@hooks.on_runtime_create()
def enforce_iam_policies() -> None:
    """Role sessions' requests evaluated against their policies, denials in AWS's shapes, when
    SCONES_IAM_ENFORCE is on (see iam_gateway, docs/iam.md); nothing is installed when it is off."""
    from scones_localstack.iam.switch import iam_enforced

    if not iam_enforced():
        return
    from scones_localstack.iam_gateway import install

    install()

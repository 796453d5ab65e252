"""The scones pytest plugin: a real local stack, clients bound to it, and the checkout's workflow deployed.

Installed with scones (a ``pytest11`` entry point), so any test in the checkout can ask for:

* ``scones_stack``    (session) a LocalStack in host mode on a free port, stopped at the end; one per
  pytest-xdist worker, each with its own state directory and port, so workers share nothing.
  ``--scones-endpoint-url URL`` uses a stack that is already running (``scones up``) instead.
* ``scones_clients``  (session) ``scones.workflow.clients.Clients`` for that stack (test credentials,
  ``AWS_EC2_METADATA_DISABLED`` set for the session, no host prefixes).
* ``scones_workflow`` (session) the checkout's own ``lambdas/`` and ``statemachine/`` deployed (read from
  the project root as they are on disk now) with the tiny model, or ``--scones-model PATH`` /
  ``SCONES_MODEL``; under a project name of its own, so sessions never see each other's resources.
* ``scones_run``      (function) starts executions and waits for them; ``scones_run.image(png)`` uploads
  an image under a key unique to the test first.
* ``scones_test_state`` (function) one state of the checkout's ASL through TestState, with mocks
  (scones.testing.test_state).
* ``scones_mocked_case`` (function) one of statemachine/mock-config.json's cases (scones.testing.mocked_cases)
  on a second stack of the session's own, started with that file re-keyed to the session's state machine.

Why a failure report: a red test that only says ``assert 'FAILED' == 'SUCCEEDED'`` sends the user to the
console. When a test that started executions fails, the report gets a "scones executions" section: each
execution's status, its failed events from the history, and the CloudWatch Logs of the functions.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from scones import config as cfg
from scones.testing.stack import LocalStackHandle, attach_stack, start_stack
from scones.testing.warm_up import HarnessWarmUp
from scones.workflow.clients import Clients
from scones.workflow.guards import check_execution_input
from scones.workflow.settings import Target, WorkflowSettings

# boto3 must never ask the instance metadata service for credentials (a second's timeout offline).
SESSION_ENVIRONMENT = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": cfg.DEFAULT_REGION,
}
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
REPORT_SECTION = "scones executions"
# How much of a failed test's story the report tells: its last executions, their events and log lines.
REPORT_EXECUTIONS = 3
REPORT_EVENTS = 40
REPORT_LOG_LINES = 30
_RUNS_KEY = pytest.StashKey[list["Execution"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scones", "scones: a local AWS stack and the deployed workflow")
    group.addoption(
        "--scones-endpoint-url",
        default=None,
        metavar="URL",
        help="use the stack already running at this URL (e.g. `scones up`) instead of starting one",
    )
    group.addoption(
        "--scones-model",
        default=None,
        metavar="PATH",
        type=Path,
        help=f"model artifact to deploy (folder or model.tar.gz; env {cfg.MODEL.name}); default: tiny model",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scones: the test uses the scones stack fixtures")


# --- fixtures --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def scones_environment() -> Iterator[dict[str, str]]:
    """Test credentials and no metadata look-ups for everything the session runs (boto3, AWS CLI)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SESSION_ENVIRONMENT.items():
            patch.setenv(name, value)
        yield dict(SESSION_ENVIRONMENT)


def session_mock_config(project: str, folder: Path) -> Path:
    """The project's mock config (statemachine/mock-config.json) re-keyed to this session's state machine,
    written under ``folder``: LocalStack reads SFN_MOCK_CONFIG once, at start, and finds cases by name."""
    from scones.testing.mocked_cases import mock_config_for

    path = folder / "mock-config.json"
    state_machine = WorkflowSettings(project=project).state_machine_name
    path.write_text(json.dumps(mock_config_for(state_machine)), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def scones_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStackHandle]:
    """One real local stack for the session (per xdist worker: the temp factory is the worker's own)."""
    url = request.config.getoption("--scones-endpoint-url")
    if url:
        handle = attach_stack(url)
    else:
        # The clients' models and the deploy's imports load on the other core while LocalStack starts.
        warm_up = HarnessWarmUp()
        handle = start_stack(tmp_path_factory.mktemp("scones-stack"), during_start=warm_up.run)
        handle = dataclasses.replace(handle, boto3_session=warm_up.session(timeout=0))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def scones_project(request: pytest.FixtureRequest) -> str:
    """A project name of the session's own (names every resource), worker id included under xdist."""
    worker = getattr(request.config, "workerinput", {}).get("workerid", "")
    return f"t{worker}-{uuid.uuid4().hex[:8]}".replace("--", "-")


@pytest.fixture(scope="session")
def scones_clients(
    scones_stack: LocalStackHandle, scones_project: str, scones_environment: dict[str, str]
) -> Clients:
    """boto3 clients for the stack: ``.s3``, ``.sfn``, ``.lambda_``, ``.sagemaker``, ``.client("logs")``."""
    settings = WorkflowSettings(
        target=Target.LOCAL, endpoint_url=scones_stack.endpoint_url, project=scones_project
    )
    return Clients(settings, scones_stack.boto3_session)


@dataclass(frozen=True)
class DeployedWorkflow:
    """The session's deployed workflow: its settings (names), the deploy result and the seconds it took."""

    settings: WorkflowSettings
    clients: Clients
    state_machine_arn: str
    function_names: tuple[str, ...]
    deploy_seconds: float

    @property
    def bucket(self) -> str:
        return self.settings.bucket_name


def session_model(config: pytest.Config, root: Path) -> Path:
    """``--scones-model``, else ``SCONES_MODEL``, else the tiny model built under ``root``."""
    chosen = config.getoption("--scones-model")
    environment = cfg.Config.from_environ()
    if chosen is None and environment.is_set(cfg.MODEL):
        chosen = environment.get(cfg.MODEL)
    if chosen is not None:
        return Path(chosen)
    from scones.testing.tiny_model import build_tiny_artifact

    return build_tiny_artifact(root / "tiny-model")


def deploy_workflow(config: pytest.Config, clients: Clients, model_root: Path) -> DeployedWorkflow:
    """Deploy the checkout's workflow with ``clients``' stack and project; time it."""
    from scones.workflow import deploy

    settings = WorkflowSettings(
        target=Target.LOCAL,
        endpoint_url=clients.settings.endpoint_url,
        project=clients.settings.project,
        model=session_model(config, model_root),
    )
    began = time.perf_counter()
    result = deploy(settings, Clients(settings, clients.session))
    return DeployedWorkflow(
        settings=settings,
        clients=clients,
        state_machine_arn=result.state_machine_arn,
        function_names=tuple(spec.name for spec in result.plan.functions),
        deploy_seconds=time.perf_counter() - began,
    )


@pytest.fixture(scope="session")
def scones_workflow(
    request: pytest.FixtureRequest,
    scones_clients: Clients,
    tmp_path_factory: pytest.TempPathFactory,
) -> DeployedWorkflow:
    """The checkout's workflow as it is on disk, deployed once per session."""
    return deploy_workflow(request.config, scones_clients, tmp_path_factory.mktemp("scones-model"))


@pytest.fixture(scope="session")
def scones_mocked_workflow(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    scones_project: str,
    scones_environment: dict[str, str],
) -> Iterator[DeployedWorkflow]:
    """The workflow on a second stack of the session's own, started with the project's mock config
    re-keyed to this session's state machine (LocalStack reads SFN_MOCK_CONFIG once, at start, and finds a
    case by the state machine's name). Separate, so the main stack answers as one without mocks does; only
    started when a test asks for ``scones_mocked_case``."""
    root = tmp_path_factory.mktemp("scones-mocked-stack")
    handle = start_stack(root, sfn_mock_config=session_mock_config(scones_project, root))
    try:
        settings = WorkflowSettings(
            target=Target.LOCAL, endpoint_url=handle.endpoint_url, project=scones_project
        )
        yield deploy_workflow(request.config, Clients(settings), root / "model")
    finally:
        handle.stop()


@dataclass
class Execution:
    """One finished (or timed-out) execution: what DescribeExecution said, output parsed."""

    arn: str
    status: str
    input: Any
    output: Any = None
    error: str | None = None
    cause: str | None = None
    started: float = 0.0  # epoch seconds, for the log window of the failure report
    workflow: DeployedWorkflow | None = field(default=None, repr=False)

    def history(self) -> list[dict[str, Any]]:
        """Every event of the execution, oldest first (GetExecutionHistory, all pages)."""
        assert self.workflow is not None
        pages = self.workflow.clients.sfn.get_paginator("get_execution_history")
        return [dict(event) for page in pages.paginate(executionArn=self.arn) for event in page["events"]]


class WorkflowRunner:
    """``scones_run(input)`` / ``scones_run.image(png)``: start an execution, wait, return an ``Execution``.

    Names are the test's own: executions ``<test>-<n>-<random>``, uploaded images under ``prefix``.
    """

    def __init__(self, workflow: DeployedWorkflow, test_name: str, record: list[Execution]) -> None:
        self.workflow = workflow
        self.name = _unique_name(test_name)
        self.prefix = f"test/{self.name}/"
        self._record = record

    def __call__(self, execution_input: dict[str, Any], *, timeout: float = 60.0) -> Execution:
        sfn = self.workflow.clients.sfn
        started = time.time()
        arn = sfn.start_execution(
            stateMachineArn=self.workflow.state_machine_arn,
            name=f"{self.name}-{len(self._record)}",
            input=check_execution_input(execution_input),
        )["executionArn"]
        execution = Execution(arn, "RUNNING", execution_input, started=started, workflow=self.workflow)
        self._record.append(execution)
        deadline = time.monotonic() + timeout
        interval = self.workflow.settings.poll_interval
        while True:
            described = sfn.describe_execution(executionArn=arn)
            if described["status"] in TERMINAL or time.monotonic() > deadline:
                break
            time.sleep(interval)
        execution.status = described["status"]
        execution.output = json.loads(described["output"]) if described.get("output") else None
        execution.error, execution.cause = described.get("error"), described.get("cause")
        return execution

    def upload(self, body: bytes, name: str = "image.png") -> str:
        """Put ``body`` under the test's own prefix in the workflow's bucket; return the key."""
        key = f"{self.prefix}{name}"
        self.workflow.clients.s3.put_object(Bucket=self.workflow.bucket, Key=key, Body=body)
        return key

    def image(self, body: bytes, name: str = "image.png", *, timeout: float = 60.0) -> Execution:
        """Upload an image and run the workflow on it, as ``scones run`` does."""
        key = self.upload(body, name)
        return self({"s3_bucket": self.workflow.bucket, "s3_key": key}, timeout=timeout)


def _unique_name(test_name: str) -> str:
    """A name of the test's own for executions and keys: its name (allowed characters only) + random."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", test_name).strip("-")[:40] or "test"
    return f"{slug}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def scones_run(request: pytest.FixtureRequest, scones_workflow: DeployedWorkflow) -> WorkflowRunner:
    """Run the deployed workflow from one test; what it starts is reported if the test fails."""
    record = request.node.stash.setdefault(_RUNS_KEY, [])
    return WorkflowRunner(scones_workflow, request.node.name, record)


@pytest.fixture
def scones_test_state(scones_clients: Clients) -> StateTester:
    """Run one state of the checkout's ASL through TestState (scones.testing.test_state), with mocks."""
    return StateTester(scones_clients)


class StateTester:
    """``scones_test_state("Classify image", input, mock=error_output(...))`` → ``TestStateResult``.

    The definition is the checkout's statemachine/workflow.asl.json with the session's ARNs filled in;
    pass ``definition=`` to test another. Keyword arguments are ``scones.testing.test_state.run_state``'s.
    """

    def __init__(self, clients: Clients) -> None:
        from scones.testing.test_state import workflow_definition

        self.clients = clients
        self.definition = workflow_definition(clients.settings)

    def __call__(
        self, state_name: str, state_input: Any, *, definition: str | None = None, **kwargs: Any
    ) -> Any:
        from scones.testing.test_state import run_state

        return run_state(self.clients.sfn, definition or self.definition, state_name, state_input, **kwargs)


@pytest.fixture
def scones_mocked_case(
    request: pytest.FixtureRequest, scones_mocked_workflow: DeployedWorkflow
) -> MockedCaseRunner:
    """Run one of statemachine/mock-config.json's cases on the deployed state machine; reported on failure."""
    record = request.node.stash.setdefault(_RUNS_KEY, [])
    return MockedCaseRunner(scones_mocked_workflow, request.node.name, record)


class MockedCaseRunner:
    """``scones_mocked_case("ReviewPath", input)`` → ``MockedCaseResult`` (scones.testing.mocked_cases).

    It runs on ``scones_mocked_workflow``'s stack (ours even with ``--scones-endpoint-url``).
    """

    def __init__(self, workflow: DeployedWorkflow, test_name: str, record: list[Execution]) -> None:
        self.workflow = workflow
        self.name = _unique_name(test_name)
        self._record = record

    def __call__(self, case: str, case_input: Any = None, *, timeout: float = 30.0) -> Any:
        from scones.testing.mocked_cases import run_mocked_case

        started = time.time()
        result = run_mocked_case(
            self.workflow.clients.sfn,
            self.workflow.state_machine_arn,
            case,
            case_input,
            timeout,
            name=f"{self.name}-{len(self._record)}",
        )
        self._record.append(
            Execution(
                result.execution_arn,
                result.status,
                case_input,
                result.output,
                result.error,
                result.cause,
                started,
                self.workflow,
            )
        )
        return result


# --- failure report --------------------------------------------------------------------------------------


def _event_line(event: dict[str, Any]) -> str:
    """One history event: id, type, and the state name or the error and cause it carries."""
    details = next((v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, dict)), {})
    bits = [str(event.get("id", "")), event.get("type", "")]
    if "name" in details:
        bits.append(details["name"])
    for key in ("error", "cause"):
        if details.get(key):
            bits.append(f"{key}={str(details[key])[:400]}")
    return "  " + " ".join(bits)


def _function_logs(workflow: DeployedWorkflow, since: float) -> list[str]:
    """The functions' CloudWatch Logs since ``since`` (epoch s): the last lines of each log group."""
    logs = workflow.clients.client("logs")
    lines: list[str] = []
    for name in workflow.function_names:
        try:
            events = logs.filter_log_events(
                logGroupName=f"/aws/lambda/{name}", startTime=int(since * 1000) - 1000
            )["events"]
        except ClientError as exc:
            missing = exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException"
            lines.append(
                f"  /aws/lambda/{name}: " + ("no log group (never invoked)" if missing else str(exc))
            )
            continue
        except Exception as exc:  # a report must never hide the test's own failure
            lines.append(f"  /aws/lambda/{name}: logs unavailable ({type(exc).__name__})")
            continue
        tail = [e["message"].rstrip() for e in events][-REPORT_LOG_LINES:]
        lines.append(f"  /aws/lambda/{name}: {len(events)} events" + (":" if tail else ""))
        lines.extend(f"    {line}" for line in tail)
    return lines


def execution_report(executions: list[Execution]) -> str:
    """The report section text: the last executions, their failed events (or whole history), the logs."""
    out: list[str] = []
    last = executions[-REPORT_EXECUTIONS:]
    for execution in last:
        out.append(f"execution {execution.arn}: {execution.status}")
        if execution.error or execution.cause:
            out.append(f"  error={execution.error} cause={(execution.cause or '')[:400]}")
        try:
            events = execution.history()
        except Exception as exc:  # the stack may be gone; say so and go on
            out.append(f"  history unavailable ({type(exc).__name__})")
            continue
        failed = [e for e in events if e.get("type", "").endswith(("Failed", "TimedOut", "Aborted"))]
        out.append(f"  history ({len(events)} events; {len(failed)} failed):")
        out.extend(_event_line(e) for e in events[-REPORT_EVENTS:])
    if last and last[0].workflow is not None:
        out.append("function logs:")
        out.extend(_function_logs(last[0].workflow, min(e.started for e in last)))
    return "\n".join(out)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    executions = item.stash.get(_RUNS_KEY, [])
    if executions:
        report.sections.append((REPORT_SECTION, execution_report(executions)))

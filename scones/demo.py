"""`scones demo`: the whole workflow from nothing to a report, on a laptop with no AWS and no Docker.

set-up (make) → stage → train → up → deploy → stage to S3 → run a batch → evaluate → monitor →
cleanup → down. Every step is a library call the other commands make too, and every table or line it
prints is the one the commands print (scones.render); this module only orders them and always stops
the stack it started, whatever failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rich.console import Console

from local_endpoint.artifact import DEFAULT_THRESHOLD, load_metadata
from scones import config as cfg
from scones import render, stack
from scones.config import PROJECT_ROOT
from scones.stack.settings import StackSettings
from scones.workflow.settings import Target, WorkflowSettings

if TYPE_CHECKING:  # result types only: the CLI imports this module, and these pull in onnxruntime/matplotlib
    from scones.evaluation.evaluate import EvaluationReport
    from scones.monitor.report import Capture


@dataclass(frozen=True)
class DemoSettings:
    """What the demo does; `tiny` is the CI-sized form (tiny training, fewer executions)."""

    archive: Path | None = None
    data_dir: Path = PROJECT_ROOT / "data" / "cifar100-vehicles"
    artifact_dir: Path = PROJECT_ROOT / "artifacts" / "model"
    report_dir: Path = PROJECT_ROOT / "artifacts" / "report"
    state_root: Path = PROJECT_ROOT / ".scones"
    port: int | None = None
    project: str = "scones-demo"
    tiny: bool = False
    batch: int = 20
    evaluate_limit: int | None = None


@dataclass(frozen=True)
class ThresholdChoice:
    """The threshold the demo deploys and where it came from (``render.threshold_choice`` says why)."""

    value: float
    recommended: float | None  # the artifact's recommendation (metadata.json), None when it states none
    floor: float  # the original project's threshold, the lowest the demo deploys
    source: Literal["recommended", "original project"]


def choose_threshold(recommended: float | None, floor: float = DEFAULT_THRESHOLD) -> ThresholdChoice:
    """The more conservative (higher) of the model's recommendation and the original project's 0.93.

    The recommendation is tuned on a small validation split (100 images in the demo) and can come out
    low enough to accept every prediction, wrong ones at confidence ≈ 1.0 included; the demo then shows
    the review path never being used. Keeping the original project's threshold as a floor means the
    demo never accepts more than the project it reproduces would. A tie keeps the recommendation.
    """
    if recommended is not None and recommended >= floor:
        return ThresholdChoice(recommended, recommended, floor, "recommended")
    return ThresholdChoice(floor, recommended, floor, "original project")


@dataclass
class DemoResult:
    steps: dict[str, float] = field(default_factory=dict)  # step name → seconds, in the order run
    threshold: ThresholdChoice | None = None
    run_counts: dict[str, int] = field(default_factory=dict)  # outcome → executions (run.OUTCOMES)
    evaluation: EvaluationReport | None = None
    report_html: Path | None = None
    capture_records: int = 0
    removed: int = 0


def _free_or_default(port: int | None) -> int:
    if port is not None:
        return port
    default = cfg.PORT.default
    return default if stack.process.port_is_free(cfg.HOST.default, default) else stack.free_port()


def _stage(settings: DemoSettings, console: Console) -> None:
    import warnings

    from training.stage import UnverifiedArchiveWarning, stage_to_folder

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnverifiedArchiveWarning)
        counts = stage_to_folder(settings.data_dir, archive=settings.archive)
    render.caught_warnings(console, caught)
    console.print(render.staged_line(counts, settings.data_dir), highlight=False)


def _train(settings: DemoSettings) -> None:
    from training.pipeline import run
    from training.train import TrainConfig, read_classes

    classes = read_classes(settings.data_dir)
    config = TrainConfig.tiny(classes=classes) if settings.tiny else TrainConfig(classes=classes)
    run(settings.data_dir, config, settings.artifact_dir.parent / "checkpoint.pt", settings.artifact_dir)


def _upload_staged(workflow: WorkflowSettings, data_dir: Path) -> None:
    from training.stage import staged_files
    from training.upload import upload_files

    client = stack.local_client("s3", workflow.endpoint_url or "")
    upload_files(client, data_dir, staged_files(data_dir), workflow.bucket_name)


def run_demo(settings: DemoSettings, console: Console | None = None) -> DemoResult:
    """Run every step; the stack is stopped at the end even when a step fails."""
    from scones.evaluation import evaluate_workflow
    from scones.monitor import build_report, open_source, read_capture
    from scones.workflow import deploy, run_workflow
    from scones.workflow.cleanup import cleanup
    from scones.workflow.clients import Clients

    console = console or Console()
    result = DemoResult()
    step = render.Steps(console, result.steps)
    with step("stage", "CIFAR-100 bicycles and motorcycles → PNGs + .lst"):
        _stage(settings, console)
    with step("train", "fine-tune, calibrate, export ONNX" + (" (tiny)" if settings.tiny else "")):
        _train(settings)
        metadata = load_metadata(settings.artifact_dir)
        console.print(render.training_summary(metadata, settings.artifact_dir), highlight=False)
    choice = result.threshold = choose_threshold(metadata.threshold)
    threshold = choice.value

    stack_settings = StackSettings(port=_free_or_default(settings.port), state_root=settings.state_root)
    with step("up", "LocalStack in host mode, no Docker"):
        state = stack.start(stack_settings)
        console.print(f"LocalStack at {state.endpoint_url} (pid {state.pid})")
    try:
        workflow = WorkflowSettings(
            target=Target.LOCAL,
            endpoint_url=stack_settings.endpoint_url,
            project=settings.project,
            model=settings.artifact_dir,
            threshold=threshold,
        )
        clients = Clients(workflow)
        with step("deploy", "bucket, roles, 3 Lambdas, state machine, SageMaker endpoint"):
            console.print(render.threshold_choice(choice), highlight=False)
            deployed = deploy(workflow, clients, log=render.indented(console))
            render.print_deployed(console, deployed)
        with step("upload", f"staged images → s3://{workflow.bucket_name}"):
            _upload_staged(workflow, settings.data_dir)
        with step("run", f"{settings.batch} random test images through the state machine"):
            run = run_workflow(workflow, count=settings.batch, seed=0, clients=clients)
            render.print_run(console, run)
            result.run_counts = render.outcome_counts(run)
        with step("evaluate", "the test split through the workflow vs offline evaluation"):
            evaluation = result.evaluation = evaluate_workflow(
                workflow, settings.artifact_dir, limit=settings.evaluate_limit, clients=clients
            )
            render.print_evaluation(console, evaluation, threshold)
        with step("monitor", "every data-capture record → charts + HTML"):
            source = f"s3://{workflow.bucket_name}/data_capture"
            # One record per classify call (capture at 100 %); the endpoint flushes its buffer every second.
            classified = sum(1 for item in run.items if item.inferences)
            expected = classified + evaluation.workflow.images - evaluation.workflow.failures
            capture = _wait_for_capture(lambda: read_capture(open_source(source, clients.s3)), expected)
            report = build_report(
                capture,
                settings.report_dir,
                source=source,
                threshold=threshold,
                classes=metadata.classes,
            )
            result.report_html = report.html
            result.capture_records = len(capture.records)
            render.print_monitor(console, report, source)
            if len(capture.records) < expected:
                render.warning(console, f"expected {expected} records (one per classify call)")
        with step("cleanup", "delete everything deploy tagged"):
            removed = cleanup(clients, workflow, log=render.indented(console))
            result.removed = len(removed.removed)
    finally:
        with step("down", "stop LocalStack and every process it started"):
            stack.stop(stack_settings)
    return result


def _wait_for_capture(read: Callable[[], Capture], expected: int, timeout: float = 20.0) -> Capture:
    """Read the capture until it holds `expected` records (buffered writes land within seconds)."""
    deadline = time.monotonic() + timeout
    capture = read()
    while len(capture.records) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        capture = read()
    return capture

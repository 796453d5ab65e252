"""`scones demo`: the whole workflow from nothing to a report, on a laptop with no AWS and no Docker.

set-up (make) → stage → train → up → deploy → stage to S3 → run a batch → evaluate → monitor →
cleanup → down. Every step is a library call the other commands make too; this module only orders
them, shows progress and always stops the stack it started, whatever failed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from local_endpoint.artifact import load_metadata
from scones import stack
from scones.stack.settings import PROJECT_ROOT, StackSettings
from scones.workflow.settings import Target, WorkflowSettings

ENV_ARCHIVE = "SCONES_CIFAR_ARCHIVE"  # a local CIFAR-100 python archive for offline users (no md5 check)


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
    train_overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class DemoResult:
    steps: dict[str, float] = field(default_factory=dict)
    run_counts: dict[str, int] = field(default_factory=dict)
    evaluation: Any = None
    report_html: Path | None = None
    capture_records: int = 0
    removed: int = 0
    training_metrics: dict[str, Any] = field(default_factory=dict)


class Steps:
    """Prints each step's title and duration; keeps the timings for the summary."""

    def __init__(self, console: Console, result: DemoResult) -> None:
        self.console = console
        self.result = result
        self.began = time.monotonic()

    @contextlib.contextmanager
    def __call__(self, name: str, what: str) -> Iterator[None]:
        self.console.rule(f"[bold]{name}[/bold] — {what}")
        began = time.monotonic()
        yield
        took = time.monotonic() - began
        self.result.steps[name] = took
        self.console.print(f"[dim]{name}: {took:.1f} s (total {time.monotonic() - self.began:.0f} s)[/dim]")


def _free_or_default(port: int | None) -> int:
    if port is not None:
        return port
    return 4566 if stack.process.port_is_free("127.0.0.1", 4566) else stack.free_port()


def _stage(settings: DemoSettings, console: Console) -> None:
    import warnings

    from training.stage import UnverifiedArchiveWarning, stage_to_folder

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnverifiedArchiveWarning)
        counts = stage_to_folder(settings.data_dir, archive=settings.archive)
    for warning in caught:
        console.print(f"[yellow]warning:[/yellow] {warning.message}")
    console.print(f"staged {counts['train']} train + {counts['test']} test PNGs into {settings.data_dir}")


def _train(settings: DemoSettings, console: Console) -> dict[str, Any]:
    from training.pipeline import run
    from training.train import TrainConfig, read_classes

    base: dict[str, Any] = {"classes": read_classes(settings.data_dir), **settings.train_overrides}
    config = TrainConfig.tiny(**base) if settings.tiny else TrainConfig(**base)
    checkpoint = settings.artifact_dir.parent / "checkpoint.pt"
    result = run(settings.data_dir, config, checkpoint, settings.artifact_dir)
    m = result.metrics
    console.print(
        f"test accuracy {m['test']['accuracy']:.3f}, ECE {m['test']['ece']:.3f}, "
        f"temperature {m['temperature']:.2f}, recommended threshold {m['threshold']}, "
        f"trained in {m['train_seconds']:.0f} s → {settings.artifact_dir}"
    )
    return m


def _upload_staged(workflow: WorkflowSettings, data_dir: Path) -> None:
    from training.stage import staged_files
    from training.upload import upload_files

    client = stack.local_client("s3", workflow.endpoint_url or "")
    upload_files(client, data_dir, staged_files(data_dir), workflow.bucket_name)


def _print_run(console: Console, report: Any) -> dict[str, int]:
    table = Table("key", "label", "prediction", "confidence", "outcome")
    for item in report.items:
        confidence = f"{item.confidence:.3f}" if item.confidence is not None else "-"
        table.add_row(item.key, item.label or "-", item.prediction or "-", confidence, item.outcome)
    console.print(table)
    counts = {o: report.count(o) for o in ("classified", "review", "failed", "timeout")}
    console.print(", ".join(f"{k} {v}" for k, v in counts.items()) + f" in {report.seconds:.1f} s")
    return counts


def run_demo(settings: DemoSettings, console: Console | None = None) -> DemoResult:
    """Run every step; the stack is stopped at the end even when a step fails."""
    from scones.evaluation import evaluate_workflow
    from scones.monitor import build_report, open_source, read_capture
    from scones.workflow import deploy, run_workflow
    from scones.workflow.cleanup import cleanup
    from scones.workflow.clients import Clients

    console = console or Console()
    result = DemoResult()
    step = Steps(console, result)
    with step("stage", "CIFAR-100 bicycles and motorcycles → PNGs + .lst"):
        _stage(settings, console)
    with step("train", "fine-tune, calibrate, export ONNX" + (" (tiny)" if settings.tiny else "")):
        result.training_metrics = _train(settings, console)
    metadata = load_metadata(settings.artifact_dir)
    threshold = metadata.threshold_or_default

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
            deployed = deploy(workflow, clients, log=console.print)
            console.print(f"state machine {deployed.state_machine_arn}")
        with step("upload", f"staged images → s3://{workflow.bucket_name}"):
            _upload_staged(workflow, settings.data_dir)
        with step("run", f"{settings.batch} random test images through the state machine"):
            run = run_workflow(workflow, count=settings.batch, seed=0, clients=clients)
            result.run_counts = _print_run(console, run)
        with step("evaluate", "the test split through the workflow vs offline evaluation"):
            result.evaluation = evaluate_workflow(
                workflow, settings.artifact_dir, limit=settings.evaluate_limit, clients=clients
            )
            _print_evaluation(console, result.evaluation, threshold)
        with step("monitor", "every data-capture record → charts + HTML"):
            source = f"s3://{workflow.bucket_name}/data_capture"
            # One record per classify call (capture at 100 %); the endpoint flushes its buffer every second.
            classified = sum(1 for item in run.items if item.inferences)
            expected = classified + result.evaluation.workflow.images - result.evaluation.workflow.failures
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
            console.print(f"{len(capture.records)} capture records in {capture.files} files")
            if len(capture.records) < expected:
                console.print(f"[yellow]expected {expected} records (one per classify call)[/yellow]")
            console.print(f"[bold green]report:[/bold green] {report.html}")
        with step("cleanup", "delete everything deploy tagged"):
            removed = cleanup(clients, workflow, log=lambda line: console.print(f"  {line}"))
            result.removed = len(removed.removed)
    finally:
        with step("down", "stop LocalStack and every process it started"):
            stack.stop(stack_settings)
    return result


def _wait_for_capture(read: Callable[[], Any], expected: int, timeout: float = 20.0) -> Any:
    """Read the capture until it holds `expected` records (buffered writes land within seconds)."""
    deadline = time.monotonic() + timeout
    capture = read()
    while len(capture.records) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        capture = read()
    return capture


def _print_evaluation(console: Console, report: Any, threshold: float) -> None:
    table = Table("metric", "deployed workflow", "offline")
    for (name, ours), (_, ref) in zip(report.workflow.rows(), report.offline.rows(), strict=True):
        table.add_row(name, ours, ref)
    console.print(table)
    if report.problems:
        for line in report.problems[:10]:
            console.print(f"[red]drift[/red] {line}")
    else:
        console.print(f"[green]workflow == offline evaluation on every image (threshold {threshold})[/green]")


def demo_summary(console: Console, result: DemoResult) -> None:
    console.rule("[bold]summary")
    total = sum(result.steps.values())
    console.print(" · ".join(f"{k} {v:.0f}s" for k, v in result.steps.items()) + f" — total {total:.0f} s")
    if result.report_html:
        console.print(f"Open the report: {result.report_html}")

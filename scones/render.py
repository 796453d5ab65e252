"""How scones shows its results on a terminal: one place for the tables and lines the commands and the demo
print, so `scones run` and `make demo` cannot drift apart in what a run or an evaluation looks like.

Functions take the typed results of the library (``Plan``, ``DeployResult``, ``RunReport``,
``EvaluationReport``, ``ModelMetadata``) and either return a rich renderable / a line of text, or print
to the ``Console`` they are given (the caller chooses stdout, stderr or a log file). Nothing here calls
AWS, reads files or decides anything: a decision shown here (e.g. which threshold the demo deploys) is
made by the caller and only explained.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scones.workflow.run import OUTCOMES

if TYPE_CHECKING:  # the result types only; rendering must not import the evaluation's numpy/onnx stack
    from local_endpoint.artifact import ModelMetadata
    from scones.demo import ThresholdChoice
    from scones.evaluation.evaluate import EvaluationReport
    from scones.monitor.report import Report
    from scones.stack.iam_denials import Denial
    from scones.workflow.deploy import DeployResult
    from scones.workflow.plan import Plan
    from scones.workflow.run import RunReport

# How many per-image differences an evaluation prints before it stops (the count is always stated).
DRIFT_LINES = 20
# How many malformed capture lines the monitor summary lists (the table states how many there are).
MALFORMED_LINES = 10
REASON_WIDTH = 80


def warning(console: Console, message: object) -> None:
    """A warning the user must see but that does not stop the command (e.g. an unverified archive).

    One line, never wrapped at the console's width: it names paths, which a wrap would cut in two (and a
    log search for them would miss)."""
    console.print(f"[yellow]warning:[/yellow] {escape(str(message))}", highlight=False, soft_wrap=True)


def caught_warnings(console: Console, caught: Iterable[warnings.WarningMessage]) -> None:
    """Warnings recorded while a step ran (staging from an archive whose md5 was not checked), each one
    shown once, in the step's output rather than as Python's ``file:line: UserWarning`` noise."""
    for caught_warning in caught:
        warning(console, caught_warning.message)


def staged_line(counts: Mapping[str, int], folder: Path) -> str:
    """What `scones stage` and the demo's stage step report: how many images landed where."""
    return f"staged {counts['train']} train + {counts['test']} test images into {folder}"


def training_summary(metadata: ModelMetadata, artifact_dir: Path) -> str:
    """One line on the model just trained: test accuracy and calibration, its recommended threshold."""
    metrics = metadata.metrics
    test = metrics.get("test") or {}
    parts = []
    if "accuracy" in test:
        parts.append(f"test accuracy {test['accuracy']:.3f}")
    if "ece" in test:
        parts.append(f"ECE {test['ece']:.3f}")
    parts.append(f"temperature {metadata.temperature:.2f}")
    parts.append(f"recommended threshold {metadata.threshold if metadata.threshold is not None else 'none'}")
    if "train_seconds" in metrics:
        parts.append(f"trained in {metrics['train_seconds']:.0f} s")
    return ", ".join(parts) + f" → {artifact_dir}"


def threshold_choice(choice: ThresholdChoice) -> str:
    """Which threshold the demo deploys, and why that one (see ``scones.demo.choose_threshold``)."""
    if choice.recommended is None:
        why = "the model states no recommended threshold"
    elif choice.recommended == choice.floor:
        why = f"the model's recommendation equals the original project's {choice.floor}"
    elif choice.source == "recommended":
        why = f"the model's recommendation is above the original project's {choice.floor}: more conservative"
    else:
        why = (
            f"the model's recommendation {choice.recommended} is lower: it would accept more predictions "
            "without review than the original project did"
        )
    return f"threshold {choice.value} ({choice.source}): {why}"


def plan_table(plan: Plan) -> Table:
    """What deploy would create or update, in the order it runs (``scones deploy --dry-run``)."""
    settings = plan.settings
    table = Table(title=f"deploy plan: target {settings.target.value}, project {settings.project}")
    for column in ("resource", "name", "detail"):
        table.add_column(column)
    for row in plan.describe():
        table.add_row(*(escape(cell) for cell in row))
    return table


def print_plan(console: Console, plan: Plan) -> None:
    console.print(plan_table(plan))
    console.print(f"tags: {plan.settings.tags}  (dry run: nothing was called)", highlight=False)


def indented(console: Console) -> Callable[[str], None]:
    """A ``log`` callback for deploy and cleanup: each progress line indented under the step."""
    return lambda line: console.print(f"  {line}", highlight=False)


def print_deployed(console: Console, result: DeployResult) -> None:
    console.print(
        f"{len(result.changes)} change(s); endpoint {result.endpoint_name} InService", highlight=False
    )
    console.print(f"state machine {result.state_machine_arn}", highlight=False)


def outcome_counts(report: RunReport) -> dict[str, int]:
    """{outcome: executions}, every outcome listed (0 included) in the order of ``OUTCOMES``."""
    return {outcome: report.count(outcome) for outcome in OUTCOMES}


def run_table(report: RunReport) -> Table:
    """One row per execution: key, true label, prediction, confidence, outcome and, for a failure, why."""
    table = Table(title=f"{len(report.items)} execution(s) in {report.seconds:.2f} s")
    for column in ("key", "label", "prediction", "confidence", "outcome", "reason"):
        table.add_column(column)
    for item in report.items:
        confidence = f"{item.confidence:.3f}" if item.confidence is not None else "-"
        reason = f"{item.error}: {item.cause}"[:REASON_WIDTH] if item.error else ""
        table.add_row(
            escape(item.key),
            escape(item.label or "-"),
            escape(item.prediction or "-"),
            confidence,
            item.outcome,
            escape(reason),
        )
    return table


def run_summary(report: RunReport) -> str:
    counts = ", ".join(f"{outcome} {count}" for outcome, count in outcome_counts(report).items())
    accuracy = f"; accuracy {report.accuracy:.1%} on labelled items" if report.accuracy is not None else ""
    return f"summary: {counts}{accuracy}"


def print_run(console: Console, report: RunReport) -> None:
    console.print(run_table(report))
    console.print(run_summary(report), highlight=False)


def evaluation_table(report: EvaluationReport) -> Table:
    """The deployed workflow's metrics next to the offline evaluation of the same artifact and images."""
    table = Table("metric", "deployed workflow", "offline (same artifact, same images)")
    for (name, ours), (_, ref) in zip(report.workflow.rows(), report.offline.rows(), strict=True):
        table.add_row(name, ours, ref)
    return table


def print_evaluation(console: Console, report: EvaluationReport, threshold: float) -> None:
    """The table, then either every per-image difference (up to ``DRIFT_LINES``) or the all-equal line."""
    console.print(evaluation_table(report))
    console.print(
        f"threshold {threshold}; {report.workflow.images} images in {report.seconds:.1f} s", highlight=False
    )
    for line in report.problems[:DRIFT_LINES]:
        console.print(f"[red]drift[/red] {escape(line)}", highlight=False)
    if len(report.problems) > DRIFT_LINES:
        console.print(f"[red]… and {len(report.problems) - DRIFT_LINES} more[/red]")
    if not report.problems:
        console.print("[green]the deployed workflow equals offline evaluation on every image[/green]")


def monitor_table(report: Report, source: str) -> Table:
    """The capture summary (``scones monitor``): the rows the HTML report's summary shows too."""
    from scones.monitor.page import summary_rows  # the monitor's own wording; imported when used

    table = Table(title="scones monitor", show_header=False)
    for label, value in summary_rows(report.summary, source):
        table.add_row(escape(label), escape(value))
    return table


def print_monitor(console: Console, report: Report, source: str) -> None:
    """The summary table, the first malformed lines, and where the HTML report is."""
    console.print(monitor_table(report, source))
    for bad in report.summary.malformed[:MALFORMED_LINES]:
        console.print(
            f"[yellow]malformed[/yellow] {escape(f'{bad.source}:{bad.line}: {bad.reason}')}", highlight=False
        )
    console.print(f"Report: {report.html.resolve()}", highlight=False)


class Steps:
    """The demo's step headers: a rule with the step's name, then its duration; the timings are kept in
    ``timings`` (step name → seconds) for the summary."""

    def __init__(self, console: Console, timings: dict[str, float]) -> None:
        self.console = console
        self.timings = timings
        self.began = time.monotonic()

    @contextlib.contextmanager
    def __call__(self, name: str, what: str) -> Iterator[None]:
        self.console.rule(f"[bold]{name}[/bold] — {escape(what)}")
        began = time.monotonic()
        yield
        took = time.monotonic() - began
        self.timings[name] = took
        self.console.print(f"[dim]{name}: {took:.1f} s (total {time.monotonic() - self.began:.0f} s)[/dim]")


def demo_summary(console: Console, timings: Mapping[str, float], report_html: Path | None) -> None:
    console.rule("[bold]summary")
    total = sum(timings.values())
    console.print(" · ".join(f"{k} {v:.0f}s" for k, v in timings.items()) + f" — total {total:.0f} s")
    if report_html is not None:
        console.print(f"Open the report: {report_html}", highlight=False)


def print_iam_status(
    console: Console, port: int, enforced: bool | None, denials: list[Denial], shown: int
) -> None:
    """Whether the stack on ``port`` enforces IAM policies (docs/iam.md) and, when it does, how many
    requests it denied since it started and the last ``shown`` of them, one line each (time, role, action,
    resource: what a user needs to see which statement a role lacks)."""
    switch = "unknown" if enforced is None else ("on" if enforced else "off")
    console.print(f"IAM enforcement on port {port}: {switch}", highlight=False)
    if not enforced:
        return
    if not denials:
        console.print("  no request denied since the stack started", highlight=False)
        return
    recent = denials[-shown:]
    more = f", the last {len(recent)}:" if len(recent) < len(denials) else ":"
    console.print(f"  {len(denials)} requests denied since the stack started{more}", highlight=False)
    for denial in recent:
        when = time.strftime("%H:%M:%S", time.localtime(denial.time))
        role = denial.role.rsplit("/", 1)[-1]
        console.print(
            escape(f"  {when}  {role}  {denial.action}  {denial.resource}"), highlight=False, soft_wrap=True
        )

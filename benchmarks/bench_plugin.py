"""The pytest plugin's session set-up: stack up + the checkout's workflow deployed (tiny model), median of N.

What ``scones_stack`` + ``scones_workflow`` do once per session (and per xdist worker), step by step with the
same calls: start a stack on a free port under a fresh state folder, build the tiny model, deploy under a
fresh project name; then one ``scones_run``-style execution of a red image. Target (issue 14): ≤ 5 s.
Run: `.venv/bin/python benchmarks/bench_plugin.py [--runs 3]`.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from PIL import Image

from scones.testing.plugin import DeployedWorkflow, Execution, WorkflowRunner
from scones.testing.stack import start_stack
from scones.testing.tiny_model import build_tiny_artifact
from scones.workflow import deploy
from scones.workflow.clients import Clients
from scones.workflow.settings import Target, WorkflowSettings

TARGET_S = 5.0


def red_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (255, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def one_session(tmp: Path) -> tuple[float, float, float]:
    """(stack up s, deploy s, first execution s) of one plugin session."""
    began = time.perf_counter()
    handle = start_stack(tmp / "stack")
    up = time.perf_counter() - began
    try:
        began = time.perf_counter()
        settings = WorkflowSettings(
            target=Target.LOCAL,
            endpoint_url=handle.endpoint_url,
            project=f"b-{uuid.uuid4().hex[:8]}",
            model=build_tiny_artifact(tmp / "model"),
        )
        clients = Clients(settings)
        result = deploy(settings, clients)
        deployed = time.perf_counter() - began
        workflow = DeployedWorkflow(
            settings,
            clients,
            result.state_machine_arn,
            tuple(f.name for f in result.plan.functions),
            deployed,
        )
        record: list[Execution] = []
        began = time.perf_counter()
        execution = WorkflowRunner(workflow, "bench", record).image(red_png())
        first = time.perf_counter() - began
        if execution.status != "SUCCEEDED":
            raise RuntimeError(f"execution {execution.arn} ended {execution.status}: {execution.cause}")
    finally:
        handle.stop()
    return up, deployed, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(one_session(Path(tmp)))
    ups, deploys, firsts = zip(*rows, strict=True)
    totals = [u + d for u, d, _ in rows]

    def line(label: str, values: tuple[float, ...] | list[float]) -> str:
        runs = ", ".join(f"{v:.2f}" for v in values)
        return f"{label:<18}median {statistics.median(values):.2f} s  (runs: {runs})"

    print(line("stack up:", ups))
    print(line("deploy (tiny):", deploys))
    print(line("up + deployed:", totals) + f"  target <= {TARGET_S:.0f} s")
    print(line("first execution:", firsts))


if __name__ == "__main__":
    main()

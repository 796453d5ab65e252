"""The pytest plugin's session set-up: stack up + the checkout's workflow deployed (tiny model), median of N.

What ``scones_stack`` + ``scones_workflow`` do once per session (and per xdist worker), step by step with the
same calls: start a stack on a free port under a fresh state folder, build the tiny model, deploy under a
fresh project name; then one ``scones_run``-style execution of a red image. Target (issue 14): ≤ 5 s.
Run: `.venv/bin/python benchmarks/bench_plugin.py [--runs 3] [--compare]`.

``--compare warm-up`` alternates sessions with and without the test process's warm-up
(scones.testing.warm_up), ``--compare spares`` with and without LocalStack's spare stand-in
(``SCONES_ENDPOINT_SPARES``), so both variants see the same machine load (it is shared: compare medians of
the same run only, and the paired differences printed last). Each session also reports the CPU seconds
LocalStack used up to deployed, which moves less with the load.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psutil
from PIL import Image

from scones.testing.plugin import DeployedWorkflow, Execution, WorkflowRunner
from scones.testing.stack import start_stack
from scones.testing.tiny_model import build_tiny_artifact
from scones.testing.warm_up import HarnessWarmUp
from scones.workflow import deploy
from scones.workflow.clients import Clients
from scones.workflow.settings import Target, WorkflowSettings

TARGET_S = 5.0


def red_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (255, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


Row = tuple[float, float, float, float]


def one_session(tmp: Path, warm: bool = True, spares: bool = True) -> Row:
    """(stack up s, deploy s, first execution s, LocalStack CPU s to deployed) of one plugin session."""
    os.environ["SCONES_ENDPOINT_SPARES"] = "1" if spares else "0"  # passed on to LocalStack, as `scones up`
    warm_up = HarnessWarmUp() if warm else None
    began = time.perf_counter()
    handle = start_stack(tmp / "stack", during_start=warm_up.run if warm_up else None)
    up = time.perf_counter() - began
    try:
        began = time.perf_counter()
        settings = WorkflowSettings(
            target=Target.LOCAL,
            endpoint_url=handle.endpoint_url,
            project=f"b-{uuid.uuid4().hex[:8]}",
            model=build_tiny_artifact(tmp / "model"),
        )
        clients = Clients(settings, warm_up.session(timeout=0) if warm_up else None)
        result = deploy(settings, clients)
        deployed = time.perf_counter() - began
        assert handle.state is not None
        times = psutil.Process(handle.state.pid).cpu_times()
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
    return up, deployed, first, times.user + times.system


def line(label: str, values: tuple[float, ...] | list[float], extra: str = "") -> str:
    runs = ", ".join(f"{v:.2f}" for v in values)
    return f"{label:<18}median {statistics.median(values):.2f} s  (runs: {runs}){extra}"


def report(rows: list[Row], title: str = "") -> float:
    """Print the medians of ``rows``; return the median of up + deployed."""
    if title:
        print(title)
    ups, deploys, firsts, cpus = zip(*rows, strict=True)
    totals = [u + d for u, d, _, _ in rows]
    print(line("stack up:", ups))
    print(line("deploy (tiny):", deploys))
    print(line("up + deployed:", totals, f"  target <= {TARGET_S:.0f} s"))
    print(line("first execution:", firsts))
    print(line("LocalStack CPU:", cpus, "  (to deployed)"))
    return statistics.median(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--compare",
        nargs="?",
        const="warm-up",
        choices=["warm-up", "spares"],
        help="alternate sessions with and without the warm-up (default) or the spare stand-in",
    )
    args = parser.parse_args()
    variants = [True, False] if args.compare else [True]
    rows: dict[bool, list[Row]] = {v: [] for v in variants}
    order = itertools.chain.from_iterable(
        variants if i % 2 == 0 else variants[::-1] for i in range(args.runs)
    )
    for on in order:
        with tempfile.TemporaryDirectory() as tmp:
            if args.compare == "spares":
                rows[on].append(one_session(Path(tmp), spares=on))
            else:
                rows[on].append(one_session(Path(tmp), warm=on))
    if not args.compare:
        report(rows[True])
        return
    with_it = report(rows[True], f"with the {args.compare}:")
    without = report(rows[False], "without:")
    paired = [(a[0] + a[1]) - (b[0] + b[1]) for a, b in zip(rows[True], rows[False], strict=True)]
    print(
        f"up + deployed, with/without: {with_it / without:.2f}; paired difference, median of "
        f"{len(paired)}: {statistics.median(paired):+.2f} s"
    )


if __name__ == "__main__":
    main()

"""Warm workflow execution latency and throughput on the local stack, with the time split per step.

Starts its own LocalStack (free port, temporary state), deploys the workflow with the tests' tiny model
(the trained model's own cost is measured by bench_endpoint), warms it (every function environment the
concurrent run needs is started first: cold starts are bench_lambda's subject) and measures, side by
side in one run:
- sequential Standard executions: start → SUCCEEDED (DescribeExecution polled every 5 ms), p50/p95, exec/s;
- 8 concurrent Standard executions through `scones run`'s own runner (8 workers; one ListExecutions
  poll every 50 ms for all executions in flight, then one DescribeExecution each): exec/s as the
  client sees it, and as Step Functions recorded it (first start → last stop);
- CPU per execution by process (LocalStack, function processes, endpoint, this client), which says
  where the ceiling is: LocalStack is one Python process, so its CPU per execution caps exec/s;
- the split of one execution from its history: the three Lambda Tasks (scheduled → succeeded), the
  endpoint alone (InvokeEndpoint through the gateway), and Step Functions overhead (the rest);
- for comparison only, the same definition as an Express machine with StartSyncExecution;
- all of it twice, on two stacks, with IAM enforcement off and on (`--iam both`, the default), printed in
  two columns: what evaluating every role session's request costs (issue #16).
Targets: p50 ≤ 100 ms, ≥ 25 exec/s (with enforcement on too), ≤ 1 ms per evaluated request.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from PIL import Image  # noqa: E402

from scones import stack  # noqa: E402
from scones.workflow import WorkflowSettings, deploy  # noqa: E402
from scones.workflow.clients import Clients  # noqa: E402
from scones.workflow.run import run_workflow  # noqa: E402
from scones.workflow.settings import Target  # noqa: E402

SEQUENTIAL, CONCURRENT, WORKERS, WARM_POLL = 60, 200, 8, 0.1
# Role-session requests on one execution's critical path: Step Functions' three Lambda Invokes (as the state
# machine's role), serialize's GetObject and classify's InvokeEndpoint (as the functions' roles). Log and
# capture writes are evaluated too, but off the critical path.
EVALUATED_PER_EXECUTION = 5


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def model_source(tmp: Path) -> Path:
    """The tests' tiny model: a red square is a confident bicycle for it, so every execution takes the
    same (classified) path and runs are comparable; the trained model's cost is in bench_endpoint."""
    from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

    return pack_model_tar(build_tiny_artifact(tmp / "artifact"), tmp / "model.tar.gz")


def one(sfn, arn: str, payload: str, poll: float = 0.005) -> tuple[float, str, str]:
    """Start one execution and poll until it ends: tight polling measures latency; for throughput the
    polls are spaced out, since every DescribeExecution costs the same single LocalStack process."""
    began = time.perf_counter()
    execution = sfn.start_execution(stateMachineArn=arn, input=payload)["executionArn"]
    while True:
        status = sfn.describe_execution(executionArn=execution)["status"]
        if status != "RUNNING":
            return time.perf_counter() - began, status, execution
        time.sleep(poll)


def cpu_seconds(localstack_pid: int) -> dict[str, float]:
    """CPU time so far of LocalStack, its children (function processes, stand-in endpoints) and us."""
    root = psutil.Process(localstack_pid)
    totals: dict[str, float] = {}
    for proc in [root, *root.children(recursive=True)]:
        try:
            times, cmdline = proc.cpu_times(), " ".join(proc.cmdline())
        except psutil.Error:  # a process that ended in between
            continue
        if proc.pid == localstack_pid:
            kind = "LocalStack"
        elif "local_endpoint" in cmdline:
            kind = "endpoint"
        else:
            kind = "function processes"
        totals[kind] = totals.get(kind, 0.0) + times.user + times.system
    me = psutil.Process().cpu_times()
    totals["this client"] = me.user + me.system
    return totals


def split(sfn, execution: str) -> dict[str, float]:
    events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    entered: dict[str, float] = {}
    spans: dict[str, float] = {}
    current = ""
    for event in events:
        ts = event["timestamp"].timestamp()
        if event["type"] == "TaskStateEntered":
            current = event["stateEnteredEventDetails"]["name"]
        elif event["type"] == "TaskScheduled":
            entered[current] = ts
        elif event["type"] in ("TaskSucceeded", "TaskFailed"):
            spans[current] = ts - entered[current]
    spans["total (history)"] = events[-1]["timestamp"].timestamp() - events[0]["timestamp"].timestamp()
    return spans


@dataclass
class Measured:
    """One stack's numbers (seconds, exec/s, CPU seconds per execution by process)."""

    deploy: float
    latencies: list[float]
    conc_rate: float
    recorded_rate: float
    cpu_per_execution: dict[str, float]
    spans: list[dict[str, float]]
    endpoint: list[float]
    express: list[float]
    denials: int


def deny_log_lines(path: Path) -> int:
    """Requests the stack denied: the deny log holds one JSON line each (docs/iam.md)."""
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def measure(iam_enforce: bool) -> Measured:
    """Deploy and measure on a stack of its own with IAM enforcement on or off."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-workflow-"))
    settings_stack = stack.StackSettings(
        port=stack.free_port(), state_root=tmp / "stack", iam_enforce=iam_enforce
    )
    stack_state = stack.start(settings_stack)
    try:
        s = WorkflowSettings(
            target=Target.LOCAL,
            endpoint_url=settings_stack.endpoint_url,
            project="bench",
            model=model_source(tmp),
        )
        t0 = time.perf_counter()
        result = deploy(s)
        deploy_seconds = time.perf_counter() - t0
        clients = Clients(s)
        buffer = io.BytesIO()
        Image.new("RGB", (32, 32), (255, 0, 0)).save(buffer, format="PNG")
        clients.s3.put_object(Bucket=s.bucket_name, Key="test/red.png", Body=buffer.getvalue())
        payload = json.dumps({"s3_bucket": s.bucket_name, "s3_key": "test/red.png"})
        sfn, arn = clients.sfn, result.state_machine_arn

        for _ in range(5):  # warm: function processes started, endpoint loaded
            one(sfn, arn, payload)
        with ThreadPoolExecutor(WORKERS) as pool:  # one environment per function and worker
            list(pool.map(lambda _: one(sfn, arn, payload, poll=WARM_POLL), range(3 * WORKERS)))
        seq = [one(sfn, arn, payload) for _ in range(SEQUENTIAL)]
        assert all(status == "SUCCEEDED" for _, status, _ in seq), {status for _, status, _ in seq}

        cpu_before = cpu_seconds(stack_state.pid)
        report = run_workflow(s, keys=["test/red.png"] * CONCURRENT, concurrency=WORKERS, clients=clients)
        cpu_after = cpu_seconds(stack_state.pid)
        assert [item.status for item in report.items] == ["SUCCEEDED"] * CONCURRENT, report.items[:3]
        recorded = [sfn.describe_execution(executionArn=item.execution_arn) for item in report.items]
        first_start = min(r["startDate"] for r in recorded)
        last_stop = max(r["stopDate"] for r in recorded)

        runtime = clients.client("sagemaker-runtime")
        image = buffer.getvalue()
        endpoint = []
        for _ in range(50):
            began = time.perf_counter()
            runtime.invoke_endpoint(EndpointName=s.endpoint_name, ContentType="image/png", Body=image)[
                "Body"
            ].read()
            endpoint.append(time.perf_counter() - began)

        express_arn = clients.sfn.create_state_machine(
            name="bench-express",
            definition=result.plan.definition(),
            roleArn=result.plan.role_arn(result.plan.state_machine_role),
            type="EXPRESS",
        )["stateMachineArn"]
        express = []
        for i in range(SEQUENTIAL + 5):
            began = time.perf_counter()
            out = clients.sfn.start_sync_execution(stateMachineArn=express_arn, input=payload)
            if i >= 5:
                express.append(time.perf_counter() - began)
            assert out["status"] == "SUCCEEDED", out
        return Measured(
            deploy=deploy_seconds,
            latencies=[d for d, _, _ in seq],
            conc_rate=CONCURRENT / report.seconds,
            recorded_rate=CONCURRENT / (last_stop - first_start).total_seconds(),
            cpu_per_execution={
                kind: (cpu_after[kind] - cpu_before.get(kind, 0.0)) / CONCURRENT for kind in cpu_after
            },
            spans=[split(sfn, e) for _, _, e in seq[-20:]],
            endpoint=endpoint,
            express=express,
            denials=deny_log_lines(settings_stack.iam_deny_log),
        )
    finally:
        stack.stop(settings_stack)


def report(runs: dict[str, Measured]) -> None:
    """The measurements side by side, one column per IAM setting."""
    ms = 1000.0

    def row(label: str, cell: Callable[[Measured], str], note: str = "") -> None:
        cells = "".join(f"{cell(r):>14}" for r in runs.values())
        print(f"  {label:<44}{cells}" + (f"   {note}" if note else ""))

    def p50(values: Iterable[float]) -> str:
        return f"{statistics.median(values) * ms:.1f} ms"

    print(f"\n{'':<46}" + "".join(f"{'IAM ' + n:>14}" for n in runs))
    row("deploy (cold)", lambda r: f"{r.deploy:.2f} s")
    row(f"Standard sequential p50 ({SEQUENTIAL} warm)", lambda r: p50(r.latencies), "target ≤ 100 ms")
    row("Standard sequential p95", lambda r: f"{pct(r.latencies, 0.95) * ms:.1f} ms")
    row(
        f"{WORKERS} concurrent (`scones run`, {CONCURRENT}), client",
        lambda r: f"{r.conc_rate:.1f}/s",
        "target ≥ 25 exec/s",
    )
    row("  as recorded by Step Functions", lambda r: f"{r.recorded_rate:.1f}/s")
    for kind in sorted({k for r in runs.values() for k in r.cpu_per_execution}):
        row(f"CPU per execution: {kind}", lambda r, k=kind: f"{r.cpu_per_execution.get(k, 0.0) * ms:.1f} ms")
    row("Express + StartSyncExecution p50", lambda r: p50(r.express))
    for step in ["Serialize image data", "Classify image", "Filter low confidence", "total (history)"]:
        row(f"split: {step} (median of 20)", lambda r, st=step: p50(sp.get(st, 0.0) for sp in r.spans))
    row("endpoint alone (InvokeEndpoint p50)", lambda r: p50(r.endpoint))
    row("requests denied (deny log)", lambda r: str(r.denials))
    if {"off", "on"} <= set(runs):
        off, on = runs["off"], runs["on"]
        delta = statistics.median(on.latencies) - statistics.median(off.latencies)
        cpu = on.cpu_per_execution.get("LocalStack", 0.0) - off.cpu_per_execution.get("LocalStack", 0.0)
        print(
            f"\nIAM enforcement: {delta * ms:+.1f} ms p50 per execution, {cpu * ms:+.1f} ms of LocalStack"
            f" CPU per execution; {EVALUATED_PER_EXECUTION} evaluated requests on its critical path"
            f" ({delta * ms / EVALUATED_PER_EXECUTION:+.2f} ms each; target ≤ 1 ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iam", choices=["both", "on", "off"], default="both", help="IAM enforcement")
    args = parser.parse_args()
    settings = {"both": ["off", "on"], "on": ["on"], "off": ["off"]}[args.iam]
    runs = {name: measure(name == "on") for name in settings}
    report(runs)


if __name__ == "__main__":
    main()

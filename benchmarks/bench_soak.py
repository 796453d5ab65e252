"""Soak: many executions of the deployed workflow at a steady concurrency; nothing lost, memory bounded.

Starts its own LocalStack (free port, temporary state), deploys the workflow with the real model
(``artifacts/model``) when present, the tests' tiny model otherwise, uploads a few images, warms every
function environment the run needs, then runs ``--executions`` executions from ``--workers`` client
threads (each starts one, waits for it through scones' own ExecutionWatcher, starts the next). Prints:
- executions by final status; refused starts (503 ServiceUnavailable after botocore's retries: the
  client was told, nothing accepted was dropped); lost = accepted but never finished (vanished, or
  still RUNNING ``--grace`` seconds after it started: "stuck"), which must be 0 (exit status 1 if not);
- p50/p95 latency (start → final status as the watcher sees it, 50 ms polls) and throughput;
- LocalStack's RSS and thread count at the start and end, and the RSS slope in KB per execution past
  the retention window (``SCONES_SFN_EXECUTION_RETENTION``, default 1000: before it is full, kept
  executions are expected growth), by least squares over samples taken every second;
- what the workflow itself stores (capture records in S3, log events), measured apart: that is data,
  not growth; and capture records vs successful classify calls (every classify call is captured).
Targets: 0 lost, 0 stuck, slope ≤ 10 KB/execution past the retention window, ≥ 25 exec/s.

Development: ``--executions 1000`` (about a minute). The full soak is the default (10,000):
``.venv/bin/python benchmarks/bench_soak.py``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from PIL import Image  # noqa: E402

from scones import stack  # noqa: E402
from scones.workflow import WorkflowSettings, deploy  # noqa: E402
from scones.workflow.clients import Clients  # noqa: E402
from scones.workflow.plan import CAPTURE_PREFIX  # noqa: E402
from scones.workflow.settings import Target  # noqa: E402
from scones.workflow.watch import ExecutionWatcher  # noqa: E402

REAL_MODEL = ROOT / "artifacts" / "model"
RETENTION_ENV, DEFAULT_RETENTION = "SCONES_SFN_EXECUTION_RETENTION", 1000
LOW_CONFIDENCE = "LowConfidenceError"  # a finished classify whose answer the filter refused
IMAGES = 8


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def model_source(tmp: Path) -> tuple[Path, str]:
    if REAL_MODEL.is_dir():
        return REAL_MODEL, f"real model ({REAL_MODEL.relative_to(ROOT)})"
    from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

    tiny = pack_model_tar(build_tiny_artifact(tmp / "artifact"), tmp / "model.tar.gz")
    return tiny, "tiny model (artifacts/model not present)"


def png(seed: int) -> bytes:
    buffer = io.BytesIO()
    colour = ((seed * 97) % 256, (seed * 53) % 256, (seed * 29) % 256)
    Image.new("RGB", (32, 32), colour if seed else (255, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def stack_mappings(pid: int) -> int:
    """Thread-stack-sized mappings of ``pid`` (Linux): more than its live threads means finished threads
    that something still references keep their stacks (about 10 KB of RSS each)."""
    stack = 8 * 1024 * 1024
    try:
        with open(f"/proc/{pid}/maps") as maps:
            sizes = [int(b, 16) - int(a, 16) for a, b in (line.split()[0].split("-") for line in maps)]
    except OSError:
        return -1
    return sum(1 for size in sizes if stack <= size <= stack + 64 * 1024)


@dataclass
class Sampler:
    """LocalStack's RSS and threads against executions finished, once a second, from its own thread."""

    pid: int
    finished: Any  # a callable: executions finished so far
    every: int = 1000  # print progress every this many executions
    samples: list[tuple[int, int, int]] = field(default_factory=list)  # (finished, rss bytes, threads)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> tuple[int, int, int]:
        proc = psutil.Process(self.pid)
        row = (self.finished(), proc.memory_info().rss, proc.num_threads())
        self.samples.append(row)
        return row

    def run(self) -> None:
        reported = 0
        while not self._stop.wait(1.0):
            n, rss, threads = self.sample()
            if n - reported >= self.every:
                reported = n
                print(f"  … {n} finished, RSS {rss / 2**20:.0f} MB, {threads} threads", flush=True)

    def __enter__(self) -> Sampler:
        self.sample()
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def slope_kb(samples: list[tuple[int, int, int]], past: int) -> float:
    """Least-squares RSS slope (KB per finished execution) over samples past ``past`` executions."""
    points = [(n, rss) for n, rss, _ in samples if n >= past]
    if len(points) < 3 or points[-1][0] - points[0][0] < 100:
        return float("nan")
    mean_n = statistics.fmean(n for n, _ in points)
    mean_r = statistics.fmean(r for _, r in points)
    cov = sum((n - mean_n) * (r - mean_r) for n, r in points)
    var = sum((n - mean_n) ** 2 for n, _ in points)
    return cov / var / 1024.0


def workflow_data(clients: Clients, bucket: str) -> tuple[int, int, int, int]:
    """(capture records, capture bytes, log events, log bytes) the workflow stored."""
    records = capture_bytes = 0
    for page in clients.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=CAPTURE_PREFIX):
        for obj in page.get("Contents", []):
            body = clients.s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            records += sum(1 for line in body.splitlines() if line.strip())
            capture_bytes += len(body)
    logs = clients.client("logs")
    events = log_bytes = 0
    for group in logs.get_paginator("describe_log_groups").paginate():
        for g in group["logGroups"]:
            for streams in logs.get_paginator("describe_log_streams").paginate(
                logGroupName=g["logGroupName"]
            ):
                for s in streams["logStreams"]:
                    token = None
                    while True:
                        kwargs: dict[str, Any] = {"nextToken": token} if token else {}
                        page = logs.get_log_events(
                            logGroupName=g["logGroupName"],
                            logStreamName=s["logStreamName"],
                            startFromHead=True,
                            **kwargs,
                        )
                        events += len(page["events"])
                        log_bytes += sum(len(e["message"]) for e in page["events"])
                        if not page["events"] or page.get("nextForwardToken") == token:
                            break
                        token = page["nextForwardToken"]
    return records, capture_bytes, events, log_bytes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--grace", type=float, default=120.0, help="seconds before a RUNNING one is stuck")
    args = parser.parse_args()
    retention = int(os.environ.get(RETENTION_ENV) or DEFAULT_RETENTION)

    tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    settings_stack = stack.StackSettings(port=stack.free_port(), state_root=tmp / "stack")
    stack_state = stack.start(settings_stack)
    try:
        model, model_label = model_source(tmp)
        print(f"model: {model_label}")
        s = WorkflowSettings(
            target=Target.LOCAL, endpoint_url=settings_stack.endpoint_url, project="soak", model=model
        )
        result = deploy(s)
        clients = Clients(s)
        keys = []
        for i in range(IMAGES):
            keys.append(f"test/soak-{i}.png")
            clients.s3.put_object(Bucket=s.bucket_name, Key=keys[-1], Body=png(i))
        arn = result.state_machine_arn
        # Standard retries, more of them: a refused start (503) is retried as any client would.
        sfn = clients.session.client(
            "stepfunctions",
            endpoint_url=settings_stack.endpoint_url,
            config=Config(
                retries={"mode": "standard", "max_attempts": 8}, max_pool_connections=args.workers + 2
            ),
        )

        finished = Counter[str]()
        latencies: list[float] = []
        lost: list[tuple[str, str]] = []
        refused = 0
        classified = 0
        lock = threading.Lock()

        def one(index: int, watcher: ExecutionWatcher) -> None:
            nonlocal refused, classified
            payload = json.dumps({"s3_bucket": s.bucket_name, "s3_key": keys[index % len(keys)]})
            began = time.monotonic()
            try:
                execution = sfn.start_execution(stateMachineArn=arn, input=payload)["executionArn"]
            except ClientError:
                with lock:
                    refused += 1
                return
            try:
                out = watcher.wait(execution, deadline=began + args.grace)
            except ClientError as exc:  # vanished before we saw it end
                with lock:
                    lost.append((execution, exc.response["Error"]["Code"]))
                return
            with lock:
                if out["status"] == "RUNNING":
                    lost.append((execution, "stuck RUNNING"))
                    return
                finished[out["status"]] += 1
                latencies.append(time.monotonic() - began)
                if out["status"] == "SUCCEEDED" or LOW_CONFIDENCE in (out.get("error") or ""):
                    classified += 1

        with ExecutionWatcher(sfn, arn, s.poll_interval) as watcher:
            with ThreadPoolExecutor(args.workers) as pool:  # warm: one environment per function and worker
                list(pool.map(lambda i: one(i, watcher), range(3 * args.workers)))
            finished.clear()
            latencies.clear()
            every = max(100, args.executions // 10)
            stacks0 = stack_mappings(stack_state.pid)
            with Sampler(stack_state.pid, lambda: sum(finished.values()), every) as sampler:
                began = time.monotonic()
                with ThreadPoolExecutor(args.workers) as pool:
                    list(pool.map(lambda i: one(i, watcher), range(args.executions)))
                seconds = time.monotonic() - began

        done = sum(finished.values())
        (_, rss0, th0), (_, rss1, th1) = sampler.samples[0], sampler.samples[-1]
        stacks1 = stack_mappings(stack_state.pid)
        mb = 1024 * 1024
        print(f"\n{args.executions} executions, {args.workers} workers, retention {retention}:")
        print(f"  final status: {dict(finished)}; refused (503 after retries): {refused}")
        stuck = sum(1 for _, why in lost if why == "stuck RUNNING")
        print(f"  lost (accepted, never finished): {len(lost)} (stuck RUNNING: {stuck})   (target 0)")
        for execution, why in lost[:5]:
            print(f"    {execution}: {why}")
        print(
            f"  latency p50 {statistics.median(latencies) * 1000:.0f} ms,"
            f" p95 {pct(latencies, 0.95) * 1000:.0f} ms;"
            f" throughput {done / seconds:.1f} exec/s   (target ≥ 25)"
        )
        print(
            f"  LocalStack RSS {rss0 / mb:.0f} MB → {rss1 / mb:.0f} MB"
            f" (+{(rss1 - rss0) / 1024 / max(1, done):.1f} KB"
            f" per execution overall); threads {th0} → {th1}"
            f" ({stacks0} → {stacks1} thread stacks mapped)"
        )
        print(
            f"  RSS slope past the retention window ({retention} executions): "
            f"{slope_kb(sampler.samples, retention):.1f} KB/execution   (target ≤ 10)"
        )
        time.sleep(6)  # the endpoint flushes capture buffers every few seconds
        records, capture_bytes, events, log_bytes = workflow_data(clients, s.bucket_name)
        total = done + 3 * args.workers
        print(
            f"  workflow data (not growth): {records} capture records, {capture_bytes / 1024 / total:.1f} KB"
            f" per execution in S3; {events} log events, {log_bytes / 1024 / total:.1f} KB per execution"
        )
        print(f"  capture records {records} vs successful classify calls {classified} (warm-up included)")
        return 1 if lost else 0
    finally:
        stack.stop(settings_stack)


if __name__ == "__main__":
    sys.exit(main())

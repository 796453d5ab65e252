"""TestState call latency on a real stack (target: p50 <= 20 ms).

Starts one stack (as the ``localstack`` fixture does), then times ``run_state`` calls against the
project's own workflow definition (its ``${Placeholder}``s filled from the deploy plan), one kind per row:
a mocked Lambda success, a RETRIABLE decision, a CAUGHT_ERROR decision, and a Pass state. Prints p50/p95 per
row and the median over all calls. The machine is shared, so numbers are noisy.

    .venv/bin/python benchmarks/bench_test_state.py [--calls 60] [--endpoint http://127.0.0.1:4566]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scones.stack.clients import local_client  # noqa: E402
from scones.testing.test_state import (  # noqa: E402
    error_output,
    lambda_result,
    run_state,
    workflow_definition,
)

CLASSIFIED = {"s3_bucket": "b", "s3_key": "k.png", "image_data": "aGVsbG8=", "inferences": [0.93, 0.07]}


def timed(call: Callable[[], object], n: int) -> list[float]:
    for _ in range(3):
        call()  # warm-up: first parse, first client connection
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--endpoint", help="an already running stack (default: start one)")
    args = parser.parse_args()
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

    handle = None
    endpoint = args.endpoint
    if endpoint is None:
        from scones.testing.stack import start_stack

        handle = start_stack(Path(tempfile.mkdtemp(prefix="bench-test-state-")))
        endpoint = handle.endpoint_url
    try:
        sfn = local_client("stepfunctions", endpoint)
        definition = workflow_definition()
        body = {"statusCode": 200, "body": CLASSIFIED}
        rows = {
            "Task, mocked success": lambda: run_state(
                sfn, definition, "Filter low confidence", CLASSIFIED, mock=lambda_result(body)
            ),
            "Task, RETRIABLE": lambda: run_state(
                sfn, definition, "Classify image", CLASSIFIED, mock=error_output("EndpointUnavailableError")
            ),
            "Task, CAUGHT_ERROR": lambda: run_state(
                sfn, definition, "Filter low confidence", CLASSIFIED, mock=error_output("LowConfidenceError")
            ),
            "Pass": lambda: run_state(sfn, definition, "Classified", CLASSIFIED),
        }
        every: list[float] = []
        for name, call in rows.items():
            values = sorted(timed(call, args.calls))
            every += values
            p95 = values[int(len(values) * 0.95) - 1]
            print(f"{name:24s} p50 {statistics.median(values):6.1f} ms   p95 {p95:6.1f} ms")
        print(f"TestState call p50 (all rows): {statistics.median(every):.1f} ms (target <= 20 ms)")
    finally:
        if handle is not None:
            handle.stop()


if __name__ == "__main__":
    main()

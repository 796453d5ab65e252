"""Process Lambda executor speed, side by side in one run (issue 12's targets, with the function sandbox
on: cold <= 100 ms without imports, <= 150 ms importing boto3; warm overhead <= 10 ms).

1. Cold invoke: the first ``Invoke`` of freshly created functions (a new sandboxed environment
   imports the handler), for a handler without imports and one that imports boto3 at module level
   (as ours do). The runtime's very first cold start, which also starts its zygote, is timed apart.
2. Warm invoke: repeated ``Invoke`` of one function whose environment is up.
3. In-process: the same handler called directly in this process with the same payload (JSON decode,
   call, awslambdaric-style JSON encode): what the invoke costs without Lambda.
4. Reference: a LocalStack API round trip that runs no function (``GetFunction``), i.e. the part of
   the warm invoke spent in boto3 + the gateway rather than in the executor.

Starts its own LocalStack (``scones.stack``) on a free port and stops it at the end, with the function
sandbox ``--sandbox`` (auto: namespaces where available; off: the TMPDIR fallback) and prints the mode
the executor chose (docs/sandbox.md). The machine is shared (2 cores), so numbers are noisy; nothing
here is tuned to the targets.

    .venv/bin/python benchmarks/bench_lambda.py [--warm 300] [--cold 8] [--sandbox auto|namespaces|off]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scones import stack  # noqa: E402
from scones.config import LAMBDA_RUNTIME  # noqa: E402
from scones.stack.process import lambda_sandbox  # noqa: E402
from tests.helpers.roles import lambda_role, role_arn  # noqa: E402

HANDLER = "def handler(event, context):\n    return {'echo': event['value'], 'n': len(event['value'])}\n"
HANDLER_BOTO3 = "import boto3\n\n" + HANDLER
PAYLOAD = json.dumps({"value": "x" * 200}).encode()
ROLE = role_arn("bench")  # made on the stack before the first function: its log writes only


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def zip_handler(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", source)
    return buffer.getvalue()


def create(client: Any, source: str) -> str:
    name = f"bench-{uuid.uuid4().hex[:10]}"
    client.create_function(
        FunctionName=name,
        Runtime=LAMBDA_RUNTIME,
        Role=ROLE,
        Handler="lambda_function.handler",
        Code={"ZipFile": zip_handler(source)},
        Timeout=30,
    )
    waiter = client.get_waiter("function_active_v2")
    waiter.wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300})
    return name


def invoke(client: Any, name: str) -> None:
    response = client.invoke(FunctionName=name, Payload=PAYLOAD)
    body = response["Payload"].read()
    if response.get("FunctionError"):
        raise RuntimeError(f"invoke of {name} failed: {body!r}")


def in_process(n: int) -> list[float]:
    namespace: dict[str, Any] = {}
    exec(HANDLER, namespace)
    handler = namespace["handler"]
    return timed(lambda: json.dumps(handler(json.loads(PAYLOAD), None), ensure_ascii=False).encode(), n)


def line(label: str, samples: list[float]) -> str:
    return f"{label:<44} p50 {pct(samples, 50):8.3f} ms   p95 {pct(samples, 95):8.3f} ms   (n={len(samples)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm", type=int, default=300, help="warm invokes to time")
    parser.add_argument("--cold", type=int, default=8, help="fresh functions per cold-start kind")
    parser.add_argument("--sandbox", choices=("auto", "namespaces", "off"), default="auto")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-lambda-") as state:
        settings = stack.StackSettings(
            port=stack.free_port(), state_root=Path(state), lambda_sandbox=args.sandbox
        )
        started = time.perf_counter()
        stack.start(settings)
        print(f"stack up in {time.perf_counter() - started:.2f} s on {settings.endpoint_url}")
        try:
            client = stack.local_client("lambda", settings.endpoint_url)
            lambda_role(stack.local_client("iam", settings.endpoint_url), "bench")
            cold: dict[str, list[float]] = {}
            # the runtime's first cold start also starts its zygote (docs/sandbox.md): timed apart
            first = create(client, HANDLER)
            first_cold = timed(lambda: invoke(client, first), 1)
            for label, source in (("no imports", HANDLER), ("imports boto3", HANDLER_BOTO3)):
                names = [create(client, source) for _ in range(args.cold)]
                cold[label] = [timed(lambda name=name: invoke(client, name), 1)[0] for name in names]
            warm_fn = create(client, HANDLER)
            timed(lambda: invoke(client, warm_fn), 20)  # start the environment, warm the connections
            warm = timed(lambda: invoke(client, warm_fn), args.warm)
            api = timed(lambda: client.get_function(FunctionName=warm_fn), args.warm)
            local = in_process(args.warm)
            mode = lambda_sandbox(settings)
        finally:
            stack.stop(settings)

    print(f"function sandbox: {mode}")
    print(line("first cold invoke of the runtime (zygote start)", first_cold))
    print(line("cold invoke (handler without imports)", cold["no imports"]))
    print(line("cold invoke (handler imports boto3)", cold["imports boto3"]))
    print(line("warm invoke", warm))
    print(line("in-process handler call (same payload)", local))
    print(line("reference: GetFunction round trip", api))
    overhead = statistics.median(warm) - statistics.median(local)
    print(f"warm invoke overhead over in-process: {overhead:.2f} ms (target <= 10 ms)")
    print(f"warm invoke / in-process ratio: {statistics.median(warm) / statistics.median(local):,.0f}x")
    bare, boto = pct(cold["no imports"], 50), pct(cold["imports boto3"], 50)
    print(f"cold p50 no imports: {bare:.0f} ms (target <= 100), imports boto3: {boto:.0f} ms (target <= 150)")


if __name__ == "__main__":
    main()

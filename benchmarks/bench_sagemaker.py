"""SageMaker in LocalStack: InvokeEndpoint via the gateway vs straight to the stand-in; create-to-InService.

Both sides use the same boto3 ``invoke_endpoint`` call (same SigV4 signing, same PNG, retries off); only the
endpoint URL differs. Calls alternate in interleaved blocks so machine noise hits both sides alike.
The prototype measured about +2 ms p50 for the gateway hop. Run:
`.venv/bin/python benchmarks/bench_sagemaker.py [--calls 200] [--creates 5]`.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from botocore.config import Config
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scones import stack  # noqa: E402
from scones.stack.settings import StackSettings  # noqa: E402
from tests.helpers.roles import allow, ensure_role  # noqa: E402
from tests.helpers.sagemaker_endpoints import standin_port as standin_port_of  # noqa: E402
from tests.helpers.sagemaker_endpoints import standins  # noqa: E402
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar  # noqa: E402

CIFAR = ROOT.parent / "shared" / "data" / "cifar100-vehicles" / "test"
NO_RETRY = Config(retries={"mode": "standard", "max_attempts": 1})
FAST_WAIT = {"Delay": 0.05, "MaxAttempts": 1200}


def png() -> tuple[bytes, str]:
    if CIFAR.is_dir():
        path = sorted(CIFAR.glob("*.png"))[0]
        return path.read_bytes(), path.name
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue(), "generated 32x32 PNG"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def runtime_client(url: str) -> Any:
    return stack.local_client("sagemaker-runtime", url, NO_RETRY)


def standin_port(ls_pid: int, name: str) -> int:
    found = standins(ls_pid).get(name)
    if found is None:
        raise RuntimeError(f"no stand-in for {name}")
    return standin_port_of(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200, help="invocations per side")
    parser.add_argument("--blocks", type=int, default=4, help="interleaved blocks")
    parser.add_argument("--creates", type=int, default=5, help="endpoints created for create-to-InService")
    args = parser.parse_args()
    body, source = png()
    with tempfile.TemporaryDirectory() as tmp:
        settings = StackSettings(port=stack.free_port(), state_root=Path(tmp))
        state = stack.start(settings)
        try:
            s3 = stack.local_client("s3", settings.endpoint_url)
            sm = stack.local_client("sagemaker", settings.endpoint_url)
            tar = pack_model_tar(build_tiny_artifact(Path(tmp) / "art"), Path(tmp) / "model.tar.gz")
            s3.create_bucket(Bucket="bench-models")
            s3.upload_file(str(tar), "bench-models", "tiny/model.tar.gz")
            role = ensure_role(  # the stand-in reads the model as this role
                stack.local_client("iam", settings.endpoint_url),
                "bench-sagemaker",
                "sagemaker",
                [allow("s3:GetObject", "arn:aws:s3:::bench-models/*")],
            )
            sm.create_model(
                ModelName="tiny",
                ExecutionRoleArn=role,
                PrimaryContainer={
                    "Image": "local-endpoint",
                    "ModelDataUrl": "s3://bench-models/tiny/model.tar.gz",
                },
            )
            sm.create_endpoint_config(
                EndpointConfigName="tiny",
                ProductionVariants=[
                    {"VariantName": "AllTraffic", "ModelName": "tiny", "InstanceType": "ml.m5.large"}
                ],
            )
            creates = []
            for i in range(args.creates):
                began = time.perf_counter()
                sm.create_endpoint(EndpointName=f"bench-{i}", EndpointConfigName="tiny")
                sm.get_waiter("endpoint_in_service").wait(EndpointName=f"bench-{i}", WaiterConfig=FAST_WAIT)
                creates.append(time.perf_counter() - began)
            for i in range(1, args.creates):
                sm.delete_endpoint(EndpointName=f"bench-{i}")

            sides = {
                "gateway": runtime_client(settings.endpoint_url),
                "direct": runtime_client(f"http://127.0.0.1:{standin_port(state.pid, 'bench-0')}"),
            }
            times: dict[str, list[float]] = {side: [] for side in sides}
            for client in sides.values():
                for _ in range(20):
                    client.invoke_endpoint(EndpointName="bench-0", ContentType="image/png", Body=body)
            per_block = max(1, args.calls // args.blocks)
            for _ in range(args.blocks):
                for side, client in sides.items():
                    for _ in range(per_block):
                        began = time.perf_counter()
                        client.invoke_endpoint(EndpointName="bench-0", ContentType="image/png", Body=body)[
                            "Body"
                        ].read()
                        times[side].append((time.perf_counter() - began) * 1000)
        finally:
            stack.stop(settings)

    print(
        f"InvokeEndpoint, {source} ({len(body)} B), {args.blocks} interleaved blocks of {per_block} per side"
    )
    for side, values in times.items():
        print(
            f"  {side:8s} p50 {statistics.median(values):6.2f} ms   p95 {percentile(values, 0.95):6.2f} ms"
            f"   n={len(values)}"
        )
    hop = statistics.median(times["gateway"]) - statistics.median(times["direct"])
    print(f"  gateway hop p50: +{hop:.2f} ms")
    print(
        f"CreateEndpoint -> InService (waiter Delay 0.05 s): median {statistics.median(creates):.2f} s"
        f"  (runs: {', '.join(f'{c:.2f}' for c in creates)})"
    )


if __name__ == "__main__":
    main()

"""Stand-in endpoint speed, side by side in one run (targets: p50 <= 3 ms, >= 500 req/s, ORT >= 5x eager).

1. p50/p95 latency of ``invoke_endpoint`` through boto3 for one 32x32 PNG, 1 client.
2. Throughput with 8 concurrent boto3 clients (threads), without and with data capture (local directory).
3. Model-only time: ONNX Runtime (the endpoint's session settings) vs PyTorch eager, same input, batch 1:
   EfficientNet-Lite0 (training/model.py, 2 classes) at 32x32, 128x128 (training's default) and 224x224.

The endpoint runs as a real ``python -m local_endpoint serve`` process in .venv-endpoint. The machine is
shared, so numbers are noisy; nothing here is tuned to the targets.

    .venv/bin/python benchmarks/bench_endpoint.py [--requests 600] [--skip-model]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers.tiny_model import build_tiny_artifact  # noqa: E402
from tests.local_endpoint.conftest import EndpointProcess, capture_config, runtime_client, solid_png  # noqa: E402


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def latency(url: str, body: bytes, n: int) -> tuple[float, float]:
    client = runtime_client(url)
    for _ in range(50):
        client.invoke_endpoint(EndpointName="bench", Body=body, ContentType="image/png")["Body"].read()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        client.invoke_endpoint(EndpointName="bench", Body=body, ContentType="image/png")["Body"].read()
        times.append((time.perf_counter() - t0) * 1000)
    return pct(times, 50), pct(times, 95)


def throughput(url: str, body: bytes, clients: int, per_client: int) -> float:
    boto_clients = [runtime_client(url) for _ in range(clients)]
    for c in boto_clients:
        c.invoke_endpoint(EndpointName="bench", Body=body, ContentType="image/png")["Body"].read()
    barrier = threading.Barrier(clients + 1)

    def work(c: object) -> None:
        barrier.wait()
        for _ in range(per_client):
            c.invoke_endpoint(EndpointName="bench", Body=body, ContentType="image/png")["Body"].read()  # type: ignore[attr-defined]

    threads = [threading.Thread(target=work, args=(c,)) for c in boto_clients]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return clients * per_client / (time.perf_counter() - t0)


def model_only(size: int, runs: int = 40) -> tuple[float, float]:
    """Median ms per batch-1 inference: (ORT with the endpoint's settings, torch eager inference_mode)."""
    import onnxruntime as ort
    import torch

    from training.model import EfficientNetLite0

    torch.set_num_threads(1)
    model = EfficientNetLite0(num_classes=2).eval()
    x = torch.randn(1, 3, size, size)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.onnx"
        torch.onnx.export(
            model, (x,), str(path), input_names=["input"], output_names=["logits"], dynamo=False
        )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    feed = {"input": x.numpy()}
    np.testing.assert_allclose(session.run(None, feed)[0], model(x).detach().numpy(), atol=1e-3)

    def timed(fn: object) -> float:
        for _ in range(5):
            fn()  # type: ignore[operator]
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()  # type: ignore[operator]
            samples.append((time.perf_counter() - t0) * 1000)
        return statistics.median(samples)

    with torch.inference_mode():
        eager = timed(lambda: model(x))
    return timed(lambda: session.run(None, feed)), eager


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600, help="latency samples (1 client)")
    parser.add_argument(
        "--per-client", type=int, default=150, help="requests per client in the throughput runs"
    )
    parser.add_argument("--skip-model", action="store_true", help="skip the ORT vs PyTorch model-only part")
    args = parser.parse_args()

    body = solid_png((200, 40, 40))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        art = build_tiny_artifact(root / "model")
        plain = EndpointProcess(env={"SCONES_MODEL_DIR": str(art)}, log_path=root / "plain.log").start()
        capt = EndpointProcess(
            env={
                "SCONES_MODEL_DIR": str(art),
                "SCONES_DATA_CAPTURE_CONFIG": capture_config(str(root / "cap")),
            },
            log_path=root / "cap.log",
        ).start()
        try:
            p50, p95 = latency(plain.url, body, args.requests)
            rps_plain = throughput(plain.url, body, 8, args.per_client)
            rps_capt = throughput(capt.url, body, 8, args.per_client)
        finally:
            plain.stop()
            capt.stop()
        records = sum(len(p.read_text().splitlines()) for p in (root / "cap").rglob("*.jsonl"))

    results: dict[str, object] = {
        "latency_1_client_32px_png_ms": {"p50": round(p50, 2), "p95": round(p95, 2), "target_p50": 3.0},
        "throughput_8_clients_req_s": {
            "no_capture": round(rps_plain),
            "capture_100pct_local_dir": round(rps_capt),
            "capture_records_written": records,
            "target": 500,
        },
    }
    if not args.skip_model:
        model: dict[str, object] = {}
        for size in (32, 128, 224):
            ort_ms, eager_ms = model_only(size)
            model[f"efficientnet_lite0_{size}px"] = {
                "ort_ms": round(ort_ms, 2),
                "torch_eager_ms": round(eager_ms, 2),
                "ratio": round(eager_ms / ort_ms, 2),
            }
        model["threads"] = "1 (ORT intra/inter-op and torch.set_num_threads), batch 1, median of 40"
        model["target_ratio"] = 5.0
        results["model_only_ort_vs_torch_eager"] = model
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

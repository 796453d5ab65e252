"""Latency of a mocked whole-workflow case (statemachine/mock-config.json) on the local stack.

Starts its own LocalStack with the project's mock config (free port, temporary state), deploys the workflow
with the tests' tiny model, warms once, then runs each case through ``scones.testing.mocked_cases``: start
→ ended (DescribeExecution polled from 5 ms, doubling to 100 ms) → history read. Prints p50/p95 per case.
Target (issue 14): HappyPath p50 ≤ 100 ms. EndpointDownThenBack includes its Retrier's real 1 s interval.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scones import stack  # noqa: E402
from scones.stack.settings import StackSettings  # noqa: E402
from scones.testing.mocked_cases import MOCK_CONFIG, run_mocked_case  # noqa: E402
from scones.workflow import WorkflowSettings, deploy  # noqa: E402
from scones.workflow.settings import Target  # noqa: E402
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar  # noqa: E402

ITEM = {"s3_bucket": "scones-workflow", "s3_key": "test/bike_s_000658.png"}
RUNS = {"HappyPath": 50, "ReviewPath": 30, "ModelError": 30, "EndpointDownThenBack": 3}
TARGET_P50_S = 0.100


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-mocked-") as tmp:
        root = Path(tmp)
        settings = StackSettings(
            port=stack.free_port(), state_root=root / "state", sfn_mock_config=MOCK_CONFIG
        )
        began = time.monotonic()
        stack.start(settings)
        try:
            tar = pack_model_tar(build_tiny_artifact(root / "artifact"), root / "model.tar.gz")
            arn = deploy(
                WorkflowSettings(target=Target.LOCAL, endpoint_url=settings.endpoint_url, model=tar)
            ).state_machine_arn
            print(f"stack up + workflow deployed: {time.monotonic() - began:.1f} s")
            sfn = stack.local_client("stepfunctions", settings.endpoint_url)
            run_mocked_case(sfn, arn, "HappyPath", ITEM)  # warm: first execution builds LocalStack's caches
            happy_p50 = 0.0
            for case, runs in RUNS.items():
                times = sorted(run_mocked_case(sfn, arn, case, ITEM).elapsed_s for _ in range(runs))
                p50, p95 = statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]
                print(f"{case:<22} n={runs:<3} p50 {p50 * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms")
                if case == "HappyPath":
                    happy_p50 = p50
        finally:
            stack.stop(settings)
    ok = happy_p50 <= TARGET_P50_S
    verdict = "ok" if ok else "MISSED"
    print(f"mocked case p50 {happy_p50 * 1000:.1f} ms (target ≤ {TARGET_P50_S * 1000:.0f} ms): {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Stack start-to-healthy and stop times (median of N), measured the way `scones up` starts it.

Target (issue 2): stack up <= 8 s. Run: `.venv/bin/python benchmarks/bench_stack.py [--runs 3]`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from scones import stack
from scones.stack.settings import StackSettings


def measure(runs: int) -> tuple[list[float], list[float]]:
    ups: list[float] = []
    downs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            settings = StackSettings(port=stack.free_port(), state_root=Path(tmp))
            began = time.perf_counter()
            stack.start(settings)
            ups.append(time.perf_counter() - began)
            began = time.perf_counter()
            stack.stop(settings)
            downs.append(time.perf_counter() - began)
    return ups, downs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ups, downs = measure(args.runs)
    runs = ", ".join(f"{u:.2f}" for u in ups)
    print(f"stack start -> healthy: median {statistics.median(ups):.2f} s  (runs: {runs})")
    print(f"stack stop (SIGTERM -> all gone): median {statistics.median(downs):.2f} s")
    print(f"target up <= 8 s: ratio to target {statistics.median(ups) / 8.0:.2f}")


if __name__ == "__main__":
    main()

"""Training benchmark: the full `scones train` run on this machine, its wall-clock training time and the
test-split numbers (accuracy, ECE, coverage at the recommended threshold), written to artifacts/model/.

Targets (issue 4): test accuracy >= 0.97 within 10 minutes of CPU training, ECE <= 0.03.
Data: $SCONES_DATA_DIR, else data/cifar100-vehicles (from `scones stage`), else ../shared's staged copy.
Usage: .venv/bin/python benchmarks/bench_training.py [--tiny] [extra TrainConfig overrides as key=value]
"""

from __future__ import annotations

import ast
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from training.pipeline import run  # noqa: E402
from training.train import TrainConfig, read_classes  # noqa: E402

TARGETS = {"test_accuracy": 0.97, "train_seconds": 600.0, "test_ece": 0.03}


def data_dir() -> Path:
    for candidate in (
        os.environ.get("SCONES_DATA_DIR"),
        REPO / "data/cifar100-vehicles",
        REPO.parent / "shared/data/cifar100-vehicles",
    ):
        if candidate and (Path(candidate) / "train.lst").is_file():
            return Path(candidate)
    raise SystemExit("no staged data: run `scones stage --archive PATH` first")


def main(argv: list[str]) -> int:
    tiny = "--tiny" in argv
    overrides = {k: ast.literal_eval(v) for k, v in (a.split("=", 1) for a in argv if "=" in a)}
    folder = data_dir()
    base = {"classes": read_classes(folder), **overrides}
    config = TrainConfig.tiny(**base) if tiny else TrainConfig(**base)
    out = REPO / ("artifacts/model-tiny" if tiny else "artifacts/model")
    started = time.perf_counter()
    result = run(
        folder,
        config,
        out.parent / f"{out.name}-checkpoint.pt",
        out,
        created_by="benchmarks/bench_training.py",
    )
    m = result.metrics
    row = {
        "config": {k: v for k, v in config.to_dict().items() if k != "classes"},
        "data_dir": str(folder),
        "cpu_threads": __import__("torch").get_num_threads(),
        "train_seconds": round(m["train_seconds"], 1),
        "pipeline_seconds": round(time.perf_counter() - started, 1),
        "test_accuracy": m["test"]["accuracy"],
        "test_per_class_accuracy": m["test"]["per_class_accuracy"],
        "test_confusion_matrix": m["test"]["confusion_matrix"],
        "test_ece": round(m["test"]["ece"], 4),
        "test_ece_uncalibrated": round(m["test_uncalibrated"]["ece"], 4),
        "temperature": round(m["temperature"], 4),
        "recommended_threshold": m["threshold"],
        "coverage_at_threshold": m["coverage_at_threshold"],
        "accuracy_at_threshold": m["accuracy_at_threshold"],
        "onnx_parity_max_abs_diff": m["onnx_parity_max_abs_diff"],
        "artifact": str(out),
    }
    print(json.dumps(row, indent=2))
    if not tiny:
        ok = (
            row["test_accuracy"] >= TARGETS["test_accuracy"]
            and row["train_seconds"] <= TARGETS["train_seconds"]
            and row["test_ece"] <= TARGETS["test_ece"]
        )
        print(f"targets {TARGETS}: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

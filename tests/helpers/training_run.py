"""What the training tests share: the result of the session's tiny training run, and ../shared's labels."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.shared_data import require_shared


@dataclass(frozen=True)
class TinyRun:
    data_dir: Path
    artifact_dir: Path
    checkpoint: Path
    output: str

    @property
    def metadata(self) -> dict:
        return json.loads((self.artifact_dir / "metadata.json").read_text())


def read_labels_csv() -> list[dict[str, str]]:
    with require_shared("cifar100-vehicles", "labels.csv").open() as f:
        return list(csv.DictReader(f))

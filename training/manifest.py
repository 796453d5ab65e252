"""The ``.lst`` manifests of a staged folder (``row<TAB>label<TAB>filename``), without torch.

Its own module because staging and uploading read and write manifests in the CLI image, which has no
``train`` extra (docker/scones.Dockerfile); ``training.data`` (the torch datasets) re-exports these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from training.exceptions import StagingError


@dataclass(frozen=True)
class ManifestRow:
    """One line of a ``.lst`` manifest: CIFAR row index, class label, PNG file name."""

    row: int
    label: int
    filename: str


def format_manifest(rows: Sequence[ManifestRow]) -> str:
    """The original project's ``.lst`` format: ``row<TAB>label<TAB>filename<LF>``, no header."""
    return "".join(f"{r.row}\t{r.label}\t{r.filename}\n" for r in rows)


def read_manifest(path: Path) -> list[ManifestRow]:
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        parts = line.split("\t")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            raise StagingError(f"{path}:{number}: expected 'row<TAB>label<TAB>filename', got {line!r}")
        rows.append(ManifestRow(int(parts[0]), int(parts[1]), parts[2]))
    return rows

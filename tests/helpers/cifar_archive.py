"""A generated archive in CIFAR-100's python format, for tests that stage and train without ../shared.

Why generated: ../shared holds the two vehicle classes only, and a test of "any number of classes" needs a
third. The archive has the real layout (``cifar-100-python/{train,test,meta}`` pickles with ``data``,
``fine_labels``, ``filenames`` and ``fine_label_names``), so ``scones stage --archive`` reads it exactly as
it reads the official one. Each chosen class is a colour with noise, so a tiny training run can learn it.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

FINE_LABEL_COUNT = 100
SIDE = 32


def _split(
    colours: Mapping[int, Sequence[int]], per_class: int, rng: np.random.Generator, prefix: str
) -> dict[str, object]:
    """Rows interleaved by class (a ``--limit`` keeps every class), each its class colour plus noise."""
    data, labels, names = [], [], []
    for index in range(per_class):
        for fine, colour in colours.items():
            noise = rng.integers(-40, 41, size=(SIDE, SIDE, 3))
            pixels = np.clip(np.asarray(colour) + noise, 0, 255).astype(np.uint8)
            data.append(pixels.transpose(2, 0, 1).reshape(-1))  # CIFAR rows are channel-major
            labels.append(fine)
            names.append(f"{prefix}_{fine}_{index:04d}.png")
    return {"data": np.stack(data), "fine_labels": labels, "filenames": names}


def write_cifar_archive(
    path: Path,
    classes: Mapping[int, tuple[str, Sequence[int]]],
    *,
    train_per_class: int = 24,
    test_per_class: int = 4,
    seed: int = 0,
) -> Path:
    """Write ``path`` (.tar.gz); ``classes`` maps a fine label to (its name, an RGB colour)."""
    rng = np.random.default_rng(seed)
    names = [f"label_{i:02d}" for i in range(FINE_LABEL_COUNT)]
    for fine, (name, _) in classes.items():
        names[fine] = name
    colours = {fine: colour for fine, (_, colour) in classes.items()}
    members = {
        "train": _split(colours, train_per_class, rng, "train"),
        "test": _split(colours, test_per_class, rng, "test"),
        "meta": {"fine_label_names": names, "coarse_label_names": []},
    }
    with tarfile.open(path, "w:gz") as tar:
        for member, content in members.items():
            payload = pickle.dumps(content)
            info = tarfile.TarInfo(f"cifar-100-python/{member}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return path

"""Datasets from a staged folder (``train/``, ``test/`` PNGs + ``train.lst``/``test.lst``) and the
evaluation transform built from the artifact metadata (docs/contracts.md §1), so evaluation sees exactly
the tensor the endpoint will compute for the same PNG."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from training.exceptions import StagingError
from training.manifest import ManifestRow as ManifestRow  # re-exported: training.manifest owns manifests
from training.manifest import format_manifest as format_manifest
from training.manifest import read_manifest

RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


@dataclass(frozen=True)
class Split:
    """Decoded images of one split, in manifest order; ``images`` is uint8 N x H x W x 3 (RGB)."""

    images: np.ndarray
    labels: np.ndarray
    filenames: tuple[str, ...]

    def subset(self, index: Sequence[int] | np.ndarray) -> Split:
        idx = np.asarray(index, dtype=np.int64)
        return Split(self.images[idx], self.labels[idx], tuple(self.filenames[i] for i in idx))

    def __len__(self) -> int:
        return len(self.labels)


def load_split(folder: Path, split: str, limit: int | None = None) -> Split:
    """Decode ``folder/split/*.png`` listed in ``folder/split.lst`` (RGBA PNGs lose their opaque alpha)."""
    manifest = folder / f"{split}.lst"
    if not manifest.is_file():
        raise StagingError(f"no manifest {manifest}; run `scones stage` first")
    rows = read_manifest(manifest)[:limit]
    images = []
    for r in rows:
        path = folder / split / r.filename
        if not path.is_file():
            raise StagingError(f"{manifest} lists {r.filename} but {path} does not exist")
        with Image.open(path) as img:
            images.append(np.asarray(img.convert("RGB"), dtype=np.uint8))
    return Split(
        images=np.stack(images),
        labels=np.array([r.label for r in rows], dtype=np.int64),
        filenames=tuple(r.filename for r in rows),
    )


def input_spec(height: int, width: int, mean: Sequence[float], std: Sequence[float]) -> dict[str, Any]:
    """The ``input`` block of metadata.json (contracts §1)."""
    return {
        "name": "input",
        "height": height,
        "width": width,
        "channel_order": "RGB",
        "layout": "NCHW",
        "resize": "bilinear",
        "scale": 255.0,
        "mean": [float(m) for m in mean],
        "std": [float(s) for s in std],
    }


class MetadataTransform:
    """PIL image → CHW float32 tensor, following the artifact's ``input`` block step by step."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.size = (int(spec["width"]), int(spec["height"]))
        self.resample = RESAMPLE[spec.get("resize", "bilinear")]
        self.scale = float(spec.get("scale", 255.0))
        self.bgr = spec.get("channel_order", "RGB") == "BGR"
        self.mean = torch.tensor(spec["mean"], dtype=torch.float32).view(3, 1, 1)
        self.std = torch.tensor(spec["std"], dtype=torch.float32).view(3, 1, 1)

    def resized(self, img: Image.Image) -> np.ndarray:
        """Steps 1-2: RGB uint8 HWC at the model's input size."""
        img = img.convert("RGB")
        if img.size != self.size:
            img = img.resize(self.size, self.resample)
        return np.asarray(img, dtype=np.uint8)

    def normalise(self, hwc_uint8: torch.Tensor) -> torch.Tensor:
        """Step 3 on a (N)HWC uint8 tensor: float32 / scale, (x - mean) / std, CHW."""
        x = hwc_uint8.to(torch.float32) / self.scale
        x = x.movedim(-1, -3)
        if self.bgr:
            x = x.flip(-3)
        return (x - self.mean) / self.std

    def __call__(self, img: Image.Image) -> torch.Tensor:
        return self.normalise(torch.from_numpy(self.resized(img).copy()))

    def batch(self, images: np.ndarray) -> torch.Tensor:
        """Every uint8 HWC image of a split → N x 3 x H x W float32."""
        resized = np.stack([self.resized(Image.fromarray(a)) for a in images])
        return self.normalise(torch.from_numpy(resized))

    def resized_batch(self, images: np.ndarray) -> torch.Tensor:
        """uint8 N x H x W x 3 at input size: the cheap starting point for training augmentation."""
        return torch.from_numpy(np.stack([self.resized(Image.fromarray(a)) for a in images]))


def augment(batch: torch.Tensor, generator: torch.Generator, max_shift: float = 0.125) -> torch.Tensor:
    """Random horizontal flip and reflect-padded translation of uint8 NHWC, seeded by ``generator``."""
    n, h, w, _ = batch.shape
    flip = torch.rand(n, generator=generator) < 0.5
    out = torch.where(flip.view(n, 1, 1, 1), batch.flip(2), batch)
    pad_h, pad_w = int(h * max_shift), int(w * max_shift)
    if pad_h or pad_w:
        chw = out.permute(0, 3, 1, 2).float()
        padded = torch.nn.functional.pad(chw, (pad_w, pad_w, pad_h, pad_h), mode="reflect")
        dy = torch.randint(0, 2 * pad_h + 1, (n,), generator=generator)
        dx = torch.randint(0, 2 * pad_w + 1, (n,), generator=generator)
        crops = [padded[i, :, dy[i] : dy[i] + h, dx[i] : dx[i] + w] for i in range(n)]
        out = torch.stack(crops).permute(0, 2, 3, 1).to(torch.uint8)
    return out

"""The tensor training evaluates on equals what the artifact's metadata tells the endpoint to compute for
the same PNG: checked against the endpoint's own `local_endpoint.model.preprocess` and against an
independent Pillow + numpy reading of docs/contracts.md §1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests.helpers.shared_data import require_shared
from tests.helpers.training_run import TinyRun
from training.data import MetadataTransform, input_spec
from training.model import IMAGENET_MEAN, IMAGENET_STD

pytestmark = pytest.mark.shared  # every test inspects the tiny run trained on ../shared's archive


def contract_preprocess(path: Path, spec: dict) -> np.ndarray:
    """contracts.md §1, written from the text: convert RGB, resize if needed, /scale, -mean, /std, CHW."""
    filters = {
        "nearest": Image.NEAREST,
        "bilinear": Image.BILINEAR,
        "bicubic": Image.BICUBIC,
        "lanczos": Image.LANCZOS,
    }
    with Image.open(path) as img:
        rgb = img.convert("RGB")
        if rgb.size != (spec["width"], spec["height"]):
            rgb = rgb.resize((spec["width"], spec["height"]), filters[spec["resize"]])
        a = np.asarray(rgb, dtype=np.float32)
    if spec["channel_order"] == "BGR":
        a = a[:, :, ::-1]
    a = (a / np.float32(spec["scale"]) - np.asarray(spec["mean"], np.float32)) / np.asarray(
        spec["std"], np.float32
    )
    return a.transpose(2, 0, 1)


def _pngs(tiny_run: TinyRun) -> list[Path]:
    return sorted((tiny_run.data_dir / "test").glob("*.png"))[:12]


def test_preprocessing__equals_the_endpoint_implementation(tiny_run: TinyRun) -> None:
    endpoint = pytest.importorskip(
        "local_endpoint.model", reason="local_endpoint.model is not importable here"
    )
    meta = endpoint.ModelMetadata.load(tiny_run.artifact_dir)
    ours = MetadataTransform(tiny_run.metadata["input"])
    for path in _pngs(tiny_run):
        with Image.open(path) as img:
            theirs = endpoint.preprocess(img, meta)[0]
            mine = ours(img).numpy()
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize(
    "size,resize,order", [(64, "bilinear", "RGB"), (32, "bilinear", "RGB"), (96, "bicubic", "BGR")]
)
def test_preprocessing__equals_an_independent_reading_of_the_contract(
    tiny_run: TinyRun, size: int, resize: str, order: str
) -> None:
    spec = input_spec(size, size, IMAGENET_MEAN, IMAGENET_STD) | {"resize": resize, "channel_order": order}
    transform = MetadataTransform(spec)
    for path in _pngs(tiny_run):
        with Image.open(path) as img:
            mine = transform(img).numpy()
        np.testing.assert_array_equal(mine, contract_preprocess(path, spec))


def test_preprocessing__rgba_source_png_gives_the_same_tensor_as_the_staged_rgb_png(
    tiny_run: TinyRun,
) -> None:
    original = require_shared("cifar100-vehicles", "test", "bicycle_s_001789.png")
    transform = MetadataTransform(tiny_run.metadata["input"])
    with Image.open(original) as rgba, Image.open(tiny_run.data_dir / "test" / original.name) as rgb:
        assert rgba.mode == "RGBA" and rgb.mode == "RGB"
        assert torch.equal(transform(rgba), transform(rgb))


def test_batch__equals_per_image_transform(tiny_run: TinyRun) -> None:
    transform = MetadataTransform(tiny_run.metadata["input"])
    images = []
    singles = []
    for path in _pngs(tiny_run)[:4]:
        with Image.open(path) as img:
            images.append(np.asarray(img.convert("RGB")))
            singles.append(transform(img))
    assert torch.equal(transform.batch(np.stack(images)), torch.stack(singles))

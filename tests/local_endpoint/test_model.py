"""Unit tier: metadata, preprocessing and inference without HTTP (real ONNX Runtime, tiny real model)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from local_endpoint.artifact import safe_unpack
from local_endpoint.errors import ArtifactError, ImageTooLargeError, UndecodableImageError
from local_endpoint.model import Classifier, ModelMetadata, decode_image, preprocess, to_probabilities
from tests.helpers.endpoint_process import cifar_pngs, reference_probabilities
from tests.helpers.images import png_with_header, solid_jpeg, solid_png
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar, tiny_metadata


def test_preprocess__rgba_png_matches_contract_formula() -> None:
    meta = ModelMetadata.from_dict(tiny_metadata(["a", "b"], height=32, width=32))
    rgba = Image.new("RGBA", (32, 32), (255, 0, 0, 10))  # alpha must be dropped, not blended
    x = preprocess(rgba, meta)
    assert x.shape == (1, 3, 32, 32) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, :, 0, 0], [(1 - 0.5) / 0.25, (0 - 0.5) / 0.25, (0 - 0.5) / 0.25])


def test_preprocess__resizes_with_named_filter_and_reverses_bgr() -> None:
    raw = tiny_metadata(["a", "b"], height=8, width=4, channel_order="BGR", resize="nearest")
    meta = ModelMetadata.from_dict(raw)
    image = Image.new("RGB", (50, 30), (255, 128, 0))
    x = preprocess(image, meta)
    assert x.shape == (1, 3, 8, 4)
    expected = image.resize((4, 8), Image.Resampling.NEAREST)
    want = (np.asarray(expected, np.float32)[:, :, ::-1] / 255.0 - 0.5) / 0.25
    np.testing.assert_allclose(x[0], want.transpose(2, 0, 1), rtol=1e-6)


def test_to_probabilities__temperature_and_probability_outputs() -> None:
    meta = ModelMetadata.from_dict(tiny_metadata(["a", "b"], height=4, width=4, temperature=2.0))
    probs = to_probabilities(np.array([2.0, 0.0], np.float32), meta)
    assert probs == pytest.approx([1 / (1 + np.exp(-1.0)), 1 - 1 / (1 + np.exp(-1.0))], rel=1e-6)
    passthrough = ModelMetadata.from_dict(
        tiny_metadata(["a", "b"], height=4, width=4, output_kind="probabilities")
    )
    assert to_probabilities(np.array([0.25, 0.75], np.float32), passthrough) == [0.25, 0.75]


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda m: m.update(format_version=2), "format_version"),
        (lambda m: m.update(classes=["only"]), "at least two"),
        (lambda m: m["input"].update(resize="box-ish"), "resize"),
        (lambda m: m["input"].update(layout="NHWC"), "layout"),
        (lambda m: m["input"].pop("mean"), "malformed"),
        (lambda m: m.update(temperature=0), "temperature"),
    ],
)
def test_metadata__rejects_contract_violations(mutate: object, fragment: str) -> None:
    raw = tiny_metadata(["a", "b"], height=4, width=4)
    mutate(raw)  # type: ignore[operator]
    with pytest.raises(ArtifactError, match=fragment):
        ModelMetadata.from_dict(raw)


def test_classifier__red_is_bicycle_blue_is_motorcycle_and_matches_reference(artifact: Path) -> None:
    clf = Classifier(artifact)
    red, blue = solid_png((230, 20, 20)), solid_jpeg((10, 20, 220))
    p_red, p_blue = clf.predict(red, max_pixels=10**6), clf.predict(blue, max_pixels=10**6)
    assert p_red[0] > 0.95 and p_blue[1] > 0.95
    assert p_red == pytest.approx(reference_probabilities(red, artifact), abs=1e-6)
    assert p_blue == pytest.approx(reference_probabilities(blue, artifact), abs=1e-6)


@pytest.mark.shared
def test_classifier__real_cifar_pngs_are_rgba_and_classify(artifact: Path) -> None:
    paths = cifar_pngs()[:10]
    clf = Classifier(artifact)
    assert Image.open(paths[0]).mode == "RGBA"
    for path in paths:
        body = path.read_bytes()
        assert clf.predict(body, max_pixels=10**6) == pytest.approx(
            reference_probabilities(body, artifact), abs=1e-6
        )


def test_decode_image__garbage_truncated_and_bombs() -> None:
    with pytest.raises(UndecodableImageError, match="not a PNG or JPEG"):
        decode_image(b"definitely not an image", max_pixels=10**6)
    with pytest.raises(UndecodableImageError):
        decode_image(solid_png((1, 2, 3), size=(64, 64))[:80], max_pixels=10**6)
    with pytest.raises(ImageTooLargeError, match="exceeds the limit"):
        decode_image(png_with_header(5000, 5000), max_pixels=4096 * 4096)
    with pytest.raises(ImageTooLargeError):  # beyond Pillow's own limit: DecompressionBombError
        decode_image(png_with_header(30000, 30000), max_pixels=10**12)


def test_classifier__missing_files_are_artifact_errors(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"metadata\.json"):
        Classifier(tmp_path)
    (tmp_path / "metadata.json").write_text(json.dumps(tiny_metadata(["a", "b"], height=4, width=4)))
    with pytest.raises(ArtifactError, match=r"model\.onnx"):
        Classifier(tmp_path)


def test_pack_and_safe_unpack__roundtrip_and_rejects_escapes(tmp_path: Path) -> None:
    art = build_tiny_artifact(tmp_path / "a")
    tar_path = pack_model_tar(art, tmp_path / "out" / "model.tar.gz")
    with tarfile.open(tar_path) as tar:
        assert sorted(tar.getnames()) == ["metadata.json", "model.onnx", "model_card.md"]
    unpacked = safe_unpack(tar_path, tmp_path / "unpacked")
    assert Classifier(unpacked).metadata.classes == ("bicycle", "motorcycle")

    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        data = b"x"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(ArtifactError, match="unsafe"):
        safe_unpack(evil, tmp_path / "evil-out")
    assert not (tmp_path / "escape.txt").exists()

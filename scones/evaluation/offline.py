"""Offline evaluation of an artifact: training's preprocessing + ONNX Runtime, no endpoint involved.

Why training's transform and not the endpoint's: the point of comparing is to catch the endpoint
preparing images differently from how the model was evaluated (preprocessing drift). Using the
endpoint's own code here would hide exactly that.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image


def _softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def offline_probabilities(artifact_dir: Path, images: Mapping[str, bytes]) -> dict[str, tuple[float, ...]]:
    """Probabilities per key for the encoded images, as training evaluates the artifact."""
    from training.data import MetadataTransform  # torch: imported only when evaluating

    metadata = json.loads((artifact_dir / "metadata.json").read_text())
    transform = MetadataTransform(metadata["input"])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(
        str(artifact_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
    )
    input_name = metadata["input"].get("name", "input")
    keys = list(images)
    out: dict[str, tuple[float, ...]] = {}
    for start in range(0, len(keys), 64):
        chunk = keys[start : start + 64]
        batch = np.stack([transform(Image.open(io.BytesIO(images[k]))).numpy() for k in chunk])
        raw = session.run(None, {input_name: batch.astype(np.float32)})[0]
        if metadata.get("output", {}).get("kind", "logits") == "logits":
            probs = _softmax(raw, float(metadata.get("temperature", 1.0)))
        else:
            probs = raw.astype(np.float64)
        out.update({k: tuple(float(p) for p in row) for k, row in zip(chunk, probs, strict=True)})
    return out

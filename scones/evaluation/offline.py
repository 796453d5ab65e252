"""Offline evaluation of an artifact: training's preprocessing + ONNX Runtime, no endpoint involved.

Why training's transform and not the endpoint's: the point of comparing is to catch the endpoint
preparing images differently from how the model was evaluated (preprocessing drift). Using the
endpoint's own code here would hide exactly that.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from local_endpoint.artifact import MODEL_FILE, ModelMetadata


def _softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def offline_probabilities(artifact_dir: Path, images: Mapping[str, bytes]) -> dict[str, tuple[float, ...]]:
    """Probabilities per key for the encoded images, as training evaluates the artifact."""
    from training.data import MetadataTransform  # torch: imported only when evaluating

    metadata = ModelMetadata.load(artifact_dir)
    transform = MetadataTransform(metadata.input_block)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(
        str(artifact_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"]
    )
    keys = list(images)
    out: dict[str, tuple[float, ...]] = {}
    for start in range(0, len(keys), 64):
        chunk = keys[start : start + 64]
        batch = np.stack([transform(Image.open(io.BytesIO(images[k]))).numpy() for k in chunk])
        raw = session.run([metadata.output_name], {metadata.input_name: batch.astype(np.float32)})[0]
        if metadata.output_kind == "logits":
            probs = _softmax(raw, metadata.temperature)
        else:
            probs = raw.astype(np.float64)
        out.update({k: tuple(float(p) for p in row) for k, row in zip(chunk, probs, strict=True)})
    return out

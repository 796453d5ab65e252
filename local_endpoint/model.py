"""Serving the model artifact (docs/contracts.md §1): preprocessing with Pillow + numpy, ONNX Runtime.

The artifact's files and metadata type are owned by local_endpoint.artifact. Everything about turning bytes
into the model's input comes from metadata.json; nothing is hard-coded here,
so a retrained model with another input size or normalisation needs no code change. The ONNX Runtime session
is created once with explicit thread counts: the server bounds concurrent inferences itself, and each
inference using one or two threads avoids the oversubscription that unbounded intra-op pools cause.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image, UnidentifiedImageError

from local_endpoint.artifact import MODEL_FILE, RESIZE_FILTERS, ModelMetadata
from local_endpoint.errors import ArtifactError, ImageTooLargeError, UndecodableImageError

__all__ = ["Classifier", "ModelMetadata", "decode_image", "preprocess", "to_probabilities"]

# Formats Pillow may decode: what the built-in image classifier accepts (encoded .png / .jpg) and no more,
# so exotic decoders are not reachable from the network.
DECODABLE_FORMATS = ("PNG", "JPEG")

# Every filter the contract names, by Pillow's enum of the same name.
_RESAMPLE = {name: Image.Resampling[name.upper()] for name in RESIZE_FILTERS}


def decode_image(body: bytes, *, max_pixels: int) -> Image.Image:
    """Decode with Pillow, refusing anything whose header announces more than ``max_pixels`` pixels.

    The size check runs on the header alone (``Image.open`` is lazy), before any pixel is decoded; Pillow's
    own DecompressionBombError/Warning (its global limit) are mapped to the same error.
    """
    try:
        image = Image.open(io.BytesIO(body), formats=DECODABLE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(f"Image too large to decode safely: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise UndecodableImageError(
            f"Unable to decode the request body as an image: not a {' or '.join(DECODABLE_FORMATS)} image"
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise UndecodableImageError(f"Unable to decode the request body as an image: {exc}") from exc
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"Image of {width}x{height} pixels exceeds the limit of {max_pixels} pixels (decompression bomb)"
        )
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(f"Image too large to decode safely: {exc}") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise UndecodableImageError(f"Unable to decode the request body as an image: {exc}") from exc
    return image


def preprocess(image: Image.Image, meta: ModelMetadata) -> np.ndarray:
    """PIL image -> float32 [1, 3, H, W], exactly the steps of docs/contracts.md §1."""
    rgb = image.convert("RGB")
    if rgb.size != (meta.width, meta.height):
        rgb = rgb.resize((meta.width, meta.height), _RESAMPLE[meta.resize])
    array = np.asarray(rgb, dtype=np.float32)  # HWC
    if meta.channel_order == "BGR":
        array = array[:, :, ::-1]
    mean = np.asarray(meta.mean, dtype=np.float32)
    std = np.asarray(meta.std, dtype=np.float32)
    array = (array / np.float32(meta.scale) - mean) / std
    return np.ascontiguousarray(array.transpose(2, 0, 1)[np.newaxis], dtype=np.float32)


def to_probabilities(output: np.ndarray, meta: ModelMetadata) -> list[float]:
    """One row of model output -> probabilities in class order (softmax(logits / T) or as is)."""
    row = np.asarray(output, dtype=np.float64).reshape(-1)
    if row.shape[0] != len(meta.classes):
        raise ArtifactError(f"model output has {row.shape[0]} values but metadata lists {len(meta.classes)}")
    if meta.output_kind == "probabilities":
        return [float(np.float32(v)) for v in row]
    scaled = row / meta.temperature
    exp = np.exp(scaled - scaled.max())
    probs = (exp / exp.sum()).astype(np.float32)
    # float32 values printed at float64 repr, as the built-in algorithm's responses are.
    return [float(v) for v in probs]


class Classifier:
    """The loaded artifact: one ONNX Runtime session, reused by every request (thread-safe ``run``)."""

    def __init__(self, directory: Path, *, intra_op_threads: int = 1, inter_op_threads: int = 1) -> None:
        self.directory = directory
        self.metadata = ModelMetadata.load(directory)
        model_path = directory / MODEL_FILE
        if not model_path.is_file():
            raise ArtifactError(f"{model_path} not found (artifact contract: docs/contracts.md §1)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = inter_op_threads
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # ORT raises its own untyped exceptions for broken graphs
            raise ArtifactError(f"ONNX Runtime cannot load {model_path}: {exc}") from exc
        names = [i.name for i in self.session.get_inputs()]
        if self.metadata.input_name not in names:
            raise ArtifactError(f"model inputs {names} lack {self.metadata.input_name!r} named in metadata")
        outputs = [o.name for o in self.session.get_outputs()]
        if self.metadata.output_name not in outputs:
            raise ArtifactError(f"model outputs {outputs} lack {self.metadata.output_name!r}")

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Raw model output for a preprocessed batch (used by tests and benchmarks for direct comparison)."""
        result = self.session.run([self.metadata.output_name], {self.metadata.input_name: batch})
        return np.asarray(result[0])

    def predict(self, body: bytes, *, max_pixels: int) -> list[float]:
        image = decode_image(body, max_pixels=max_pixels)
        return to_probabilities(self.run(preprocess(image, self.metadata))[0], self.metadata)

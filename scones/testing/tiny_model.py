"""A tiny but real ONNX image classifier and its artifact, for tests (ours and users', through the pytest
plugin) that need a model without a training run.

Why a hand-built graph: tests across the project (endpoint, LocalStack SageMaker provider, workflow) need an
artifact that follows docs/contracts.md §1 exactly and gives real, confident, image-dependent predictions,
without torch or a training run. The graph is ``GlobalAveragePool -> Flatten -> Gemm`` over the normalised
input, with fixed weights chosen so that:

* bright / red images  -> class 0 (bicycle, the contract's DEFAULT_CLASSES[0])    with high probability,
* dark / blue images   -> class 1 (motorcycle, DEFAULT_CLASSES[1])                with high probability.

With the default mean 0.5 / std 0.25 a pure red image normalises to (2, -2, -2) and gets logits (4, -4),
a pure blue one (-2, -2, 2) and logits (-8, 8). With three classes the third row is the base rotated by one
channel, (-1, 2, 1): red -> (4, -4, -8), blue -> (-8, 8, 0), green (-2, 2, -2) -> (0, 0, 4), so each of
the three colours picks its own class with probability > 0.96.
Keep the signatures of ``build_tiny_artifact`` and ``pack_model_tar`` stable: other engineers' tests import
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from local_endpoint import artifact

# Per-channel weights of the bicycle logit; the motorcycle logit uses the negation.
# Red and overall brightness push towards class 0, blue towards class 1.
_BASE_WEIGHTS = (2.0, 1.0, -1.0)
# A colour the three-class tiny model gives to each class with high confidence, in class order.
THREE_CLASS_COLOURS = ((255, 0, 0), (0, 0, 255), (0, 255, 0))
OPSET = 17
IR_VERSION = 8


def build_tiny_onnx(
    num_classes: int = 2,
    *,
    output_kind: str = "logits",
    input_name: str = "input",
    output_name: str = "logits",
) -> onnx.ModelProto:
    """The classifier graph: input float32 [N, 3, H, W] (N, H, W dynamic) -> [N, num_classes]."""
    if num_classes < 2:
        raise ValueError("num_classes must be >= 2")
    base = np.array(_BASE_WEIGHTS, dtype=np.float32)
    # The two-class case is exactly (w, -w); class k >= 2 gets the base weights rotated by k - 1 channels,
    # so every class is reachable: with three classes, green images score class 2 (see THREE_CLASS_COLOURS).
    rows = [base, -base, *(np.roll(base, k - 1) for k in range(2, num_classes))][:num_classes]
    weight = np.stack(rows).astype(np.float32)  # [num_classes, 3]
    bias = np.zeros(num_classes, dtype=np.float32)

    nodes = [
        helper.make_node("GlobalAveragePool", [input_name], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node(
            "Gemm",
            ["flat", "W", "B"],
            ["raw" if output_kind == "probabilities" else output_name],
            transB=1,
        ),
    ]
    if output_kind == "probabilities":
        nodes.append(helper.make_node("Softmax", ["raw"], [output_name], axis=1))
    elif output_kind != "logits":
        raise ValueError(f"output_kind must be 'logits' or 'probabilities', not {output_kind!r}")

    graph = helper.make_graph(
        nodes,
        "scones_tiny_classifier",
        inputs=[helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["N", 3, "H", "W"])],
        outputs=[helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["N", num_classes])],
        initializer=[numpy_helper.from_array(weight, "W"), numpy_helper.from_array(bias, "B")],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="scones-tests"
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def tiny_metadata(
    classes: Sequence[str],
    *,
    height: int,
    width: int,
    temperature: float = 1.0,
    mean: Sequence[float] = (0.5, 0.5, 0.5),
    std: Sequence[float] = (0.25, 0.25, 0.25),
    channel_order: str = "RGB",
    resize: str = "bilinear",
    output_kind: str = "logits",
    threshold: float = 0.93,
) -> dict[str, object]:
    """metadata.json content, format_version 1, exactly as docs/contracts.md §1."""
    return {
        "format_version": 1,
        "classes": list(classes),
        "input": {
            "name": "input",
            "height": height,
            "width": width,
            "channel_order": channel_order,
            "layout": "NCHW",
            "resize": resize,
            "scale": 255.0,
            "mean": [float(m) for m in mean],
            "std": [float(s) for s in std],
        },
        "output": {"name": "logits", "kind": output_kind},
        "temperature": float(temperature),
        "threshold": float(threshold),
        "metrics": {},
        "created_by": "tests",
    }


def build_tiny_artifact(
    directory: str | Path,
    *,
    classes: Sequence[str] = artifact.DEFAULT_CLASSES,
    height: int = 32,
    width: int = 32,
    temperature: float = 1.0,
    mean: Sequence[float] = (0.5, 0.5, 0.5),
    std: Sequence[float] = (0.25, 0.25, 0.25),
    channel_order: str = "RGB",
    resize: str = "bilinear",
    output_kind: str = "logits",
    threshold: float = 0.93,
) -> Path:
    """Write model.onnx + metadata.json + model_card.md into ``directory`` (created) and return it."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    model = build_tiny_onnx(len(classes), output_kind=output_kind)
    onnx.save(model, str(out / "model.onnx"))
    meta = tiny_metadata(
        classes,
        height=height,
        width=width,
        temperature=temperature,
        mean=mean,
        std=std,
        channel_order=channel_order,
        resize=resize,
        output_kind=output_kind,
        threshold=threshold,
    )
    artifact.ModelMetadata.from_dict(meta).write(out)
    (out / "model_card.md").write_text(
        "# tiny test classifier\n\nGlobalAveragePool -> Gemm with fixed weights; red/bright -> "
        f"{classes[0]}, blue/dark -> {classes[1]}. Not trained; for tests only.\n"
    )
    return out


def pack_model_tar(artifact_dir: str | Path, dest: str | Path) -> Path:
    """Pack the artifact's files flat at the archive root, as SageMaker expects ``model.tar.gz``.

    The packing itself is the artifact contract's (local_endpoint.artifact.pack): the same bytes deploy makes.
    """
    return artifact.pack_to(Path(artifact_dir), Path(dest))

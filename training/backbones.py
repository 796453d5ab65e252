"""The backbones training offers and how many of their blocks can be frozen, without importing torch.

The CLI validates ``--backbone`` and ``--freeze-blocks`` from here at start-up, where importing torch would
cost seconds; :mod:`training.model` builds the networks from the same table, so the two cannot disagree.
"""

from __future__ import annotations

from training.exceptions import BackboneUnavailableError

# (repeats, kernel, stride, expand ratio, in filters, out filters) of EfficientNet-B0/Lite0's block stages.
LITE0_STAGES: tuple[tuple[int, int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
LITE0_BLOCKS = sum(stage[0] for stage in LITE0_STAGES)  # 16 MBConv blocks

DEFAULT_BACKBONE = "efficientnet_lite0"
TORCHVISION_BACKBONES = ("resnet18", "mobilenet_v3_large", "efficientnet_b0", "convnext_tiny")
BACKBONES = (DEFAULT_BACKBONE, *TORCHVISION_BACKBONES)

# The most blocks any backbone can freeze: the widest range a command-line option can accept before it
# knows the backbone (``freezable_blocks`` then checks the chosen one).
MAX_FREEZE_BLOCKS = LITE0_BLOCKS


def freezable_blocks(backbone: str) -> range:
    """The valid numbers of frozen blocks for ``backbone``.

    0 is a full fine-tune; ``k`` > 0 freezes Lite0's stem and its first ``k`` blocks. torchvision backbones
    have no block split here: they always train in full, so only 0 is valid.
    """
    if backbone == DEFAULT_BACKBONE:
        return range(LITE0_BLOCKS + 1)
    if backbone in TORCHVISION_BACKBONES:
        return range(1)
    raise BackboneUnavailableError(f"unknown backbone {backbone!r}; choose one of {', '.join(BACKBONES)}")

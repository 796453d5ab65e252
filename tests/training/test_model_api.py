"""The model's split API (training.model.split_network) and the torch-free freezable range the CLI reads.

Networks are built without pretrained weights (nothing downloads) and run on 32-px images.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from click.testing import CliRunner
from torch import nn

from training.backbones import (
    BACKBONES,
    DEFAULT_BACKBONE,
    LITE0_BLOCKS,
    MAX_FREEZE_BLOCKS,
    TORCHVISION_BACKBONES,
    freezable_blocks,
)
from training.exceptions import BackboneUnavailableError, FreezeBlocksError
from training.model import EfficientNetLite0, ModelConfig, build_model, split_network
from training.train import TrainConfig


def _lite0(num_classes: int = 3) -> EfficientNetLite0:
    torch.manual_seed(0)
    network = build_model(ModelConfig(num_classes=num_classes, image_size=32), pretrained=False)
    assert isinstance(network, EfficientNetLite0)
    return network.eval()


def test_freezable_blocks__lite0_can_freeze_every_block_it_builds() -> None:
    network = _lite0()
    assert freezable_blocks(DEFAULT_BACKBONE) == range(network.block_count + 1)
    assert LITE0_BLOCKS == network.block_count == 16
    assert max(max(freezable_blocks(b)) for b in BACKBONES) == MAX_FREEZE_BLOCKS


def test_freezable_blocks__torchvision_backbones_only_train_in_full() -> None:
    assert all(freezable_blocks(b) == range(1) for b in TORCHVISION_BACKBONES)
    with pytest.raises(BackboneUnavailableError, match="unknown backbone 'vgg99'"):
        freezable_blocks("vgg99")


@pytest.mark.parametrize("freeze_blocks", [0, 1, 8, 16])
def test_split__tail_of_prefix_is_the_network(freeze_blocks: int) -> None:
    network = _lite0()
    split = split_network(network, DEFAULT_BACKBONE, freeze_blocks)
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.allclose(split.tail(split.prefix(x)), network(x), atol=1e-6)
    assert split.frozen_blocks == freeze_blocks and split.network is network


def test_split__freezes_the_prefix_and_shares_modules_with_the_network() -> None:
    network = _lite0()
    split = split_network(network, DEFAULT_BACKBONE, 3)
    frozen = {id(p) for p in split.prefix.parameters()}
    trainable = {id(p) for p in network.parameters() if p.requires_grad}
    assert frozen and frozen.isdisjoint(trainable)
    assert frozen | trainable == {id(p) for p in network.parameters()}  # no copies: the same tensors
    assert split.classifier is network.classifier
    assert {id(p) for p in split.tail.parameters()} == trainable


def test_split__nothing_frozen_is_the_whole_network_trainable() -> None:
    network = _lite0()
    split = split_network(network, DEFAULT_BACKBONE, 0)
    assert isinstance(split.prefix, nn.Identity) and split.tail is network
    assert all(p.requires_grad for p in network.parameters())


def test_split__train_mode_keeps_the_frozen_prefix_in_eval_mode() -> None:
    split = split_network(_lite0(), DEFAULT_BACKBONE, 4)
    split.train_mode()
    assert not any(m.training for m in split.prefix.modules())
    assert all(m.training for m in split.tail.modules())


def test_split__parameter_groups_are_classifier_and_the_rest_of_the_trainable() -> None:
    network = _lite0(num_classes=5)
    split = split_network(network, DEFAULT_BACKBONE, 2)
    head, body = split.parameter_groups()
    assert [tuple(p.shape) for p in head] == [(5, 1280), (5,)]
    trainable = [p for p in network.parameters() if p.requires_grad]
    assert len(head) + len(body) == len(trainable)
    assert {id(p) for p in head}.isdisjoint(id(p) for p in body)


def test_split__more_blocks_than_the_backbone_has_is_named() -> None:
    with pytest.raises(FreezeBlocksError, match=r"efficientnet_lite0 can freeze 0\.\.16 blocks, not 17"):
        split_network(_lite0(), DEFAULT_BACKBONE, 17)
    with pytest.raises(FreezeBlocksError, match="not -1"):
        split_network(_lite0(), DEFAULT_BACKBONE, -1)


@pytest.mark.parametrize("backbone", TORCHVISION_BACKBONES)
def test_split__torchvision_classifier_is_the_replaced_last_layer(backbone: str) -> None:
    network = build_model(ModelConfig.for_backbone(backbone, num_classes=3, image_size=32), pretrained=False)
    split = split_network(network, backbone, 0)
    assert isinstance(split.classifier, nn.Linear) and split.classifier.out_features == 3
    head, _ = split.parameter_groups()
    assert {id(p) for p in head} == {id(p) for p in split.classifier.parameters()}
    with torch.no_grad():
        assert network.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 3)
    with pytest.raises(FreezeBlocksError, match=rf"{backbone} can freeze 0\.\.0 blocks, not 1"):
        split_network(network, backbone, 1)


def test_train_config__default_freeze_is_what_the_backbone_can_freeze() -> None:
    assert TrainConfig().frozen_blocks() == 2
    assert TrainConfig(backbone="resnet18").frozen_blocks() == 0
    assert TrainConfig(freeze_blocks=5).frozen_blocks() == 5
    assert TrainConfig.tiny().frozen_blocks() == 8


def test_cli__freeze_blocks_range_comes_from_the_model() -> None:
    from scones.commands.training import train_command

    result = CliRunner().invoke(train_command, ["--freeze-blocks", str(MAX_FREEZE_BLOCKS + 1)])
    assert result.exit_code == 2
    assert f"0<=x<={MAX_FREEZE_BLOCKS}" in result.output


def test_cli__training_commands_import_without_torch() -> None:
    """The range is read from a torch-free module: importing the command module must not load torch."""
    code = "import sys, scones.commands.training; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

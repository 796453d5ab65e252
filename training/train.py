"""Fine-tuning entry point: seeded, a validation split carved from *train*, self-describing checkpoints.

Strategy (measured on 2 shared CPU cores, see docs/training.md): the frozen prefix of EfficientNet-Lite0
(stem + the first ``freeze_blocks`` blocks, BatchNorm in eval mode) is run once per image for
``cached_views`` seeded augmented views and its activations are cached; only the tail (later blocks, head,
classifier) is trained, epoch after epoch, on those cached views. ``freeze_blocks=0`` and
``cached_views=0`` give a plain full fine-tune with on-the-fly augmentation (the only mode for torchvision
backbones). The cut is :func:`training.model.split_network`'s; this module only trains what it is given.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from local_endpoint.artifact import DEFAULT_CLASSES, read_staged_classes
from training.backbones import DEFAULT_BACKBONE, freezable_blocks
from training.data import MetadataTransform, Split, augment, input_spec, load_split
from training.model import ModelConfig, build_model, split_network

# Stem + 2 blocks frozen: the measured best of the full run (docs/training.md); backbones that cannot
# freeze that many freeze what they can.
DEFAULT_FREEZE_BLOCKS = 2


@dataclass(frozen=True)
class TrainConfig:
    """Defaults are the full run; ``TrainConfig.tiny()`` is the CI-sized smoke run."""

    backbone: str = DEFAULT_BACKBONE
    image_size: int = 176
    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    backbone_lr_ratio: float = 0.5
    bn_momentum: float = 0.1
    weight_decay: float = 1e-2
    label_smoothing: float = 0.1
    freeze_blocks: int | None = None  # None: DEFAULT_FREEZE_BLOCKS, or fewer if the backbone has fewer
    cached_views: int = 0
    val_fraction: float = 0.1
    seed: int = 0
    limit: int | None = None
    pretrained: bool = True
    threads: int | None = None
    classes: tuple[str, ...] = field(default=DEFAULT_CLASSES)

    @classmethod
    def tiny(cls, **overrides: Any) -> TrainConfig:
        values: dict[str, Any] = dict(
            image_size=64, epochs=1, limit=48, freeze_blocks=8, cached_views=1, batch_size=16
        )
        values.update(overrides)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def frozen_blocks(self) -> int:
        """The number of blocks to freeze for this backbone (checked by ``split_network``)."""
        if self.freeze_blocks is not None:
            return self.freeze_blocks
        return min(DEFAULT_FREEZE_BLOCKS, freezable_blocks(self.backbone)[-1])


@dataclass
class TrainResult:
    model: nn.Module
    model_config: ModelConfig
    train_config: TrainConfig
    val_index: np.ndarray
    history: list[dict[str, float]]
    seconds: float


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train index, validation index): ``fraction`` of each class, chosen by ``seed``."""
    rng = np.random.default_rng(seed)
    val: list[int] = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        take = max(1, round(len(members) * fraction)) if fraction > 0 else 0
        val.extend(rng.choice(members, size=min(take, len(members) - 1), replace=False).tolist())
    val_index = np.sort(np.array(val, dtype=np.int64))
    train_index = np.setdiff1d(np.arange(len(labels)), val_index)
    return train_index, val_index


def read_classes(data_dir: Path) -> tuple[str, ...]:
    """``classes.json`` written by ``scones stage``; the original project's folder has none: the default."""
    return read_staged_classes(data_dir)


def _cache_views(
    prefix: nn.Module,
    resized: torch.Tensor,
    transform: MetadataTransform,
    views: int,
    generator: torch.Generator,
    batch_size: int,
) -> torch.Tensor:
    """views x N x C x h x w prefix activations: view 0 un-augmented, the others seeded augmentations."""
    out = []
    with torch.no_grad():
        for v in tqdm(range(views), desc="caching frozen features", unit="view", leave=False):
            chunks = []
            for i in range(0, len(resized), batch_size):
                chunk = resized[i : i + batch_size]
                chunk = chunk if v == 0 else augment(chunk, generator)
                chunks.append(prefix(transform.normalise(chunk)))
            out.append(torch.cat(chunks))
    return torch.stack(out)


def train(data_dir: Path, config: TrainConfig) -> TrainResult:
    """Fine-tune on ``data_dir``'s train split minus a stratified validation split."""
    started = time.perf_counter()
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model_config = ModelConfig.for_backbone(
        config.backbone, num_classes=len(config.classes), image_size=config.image_size
    )
    config = replace(config, freeze_blocks=config.frozen_blocks())  # the checkpoint records the number
    split = split_network(
        build_model(model_config, config.pretrained), config.backbone, config.frozen_blocks()
    )
    model = split.network
    transform = MetadataTransform(
        input_spec(config.image_size, config.image_size, model_config.mean, model_config.std)
    )
    full = load_split(data_dir, "train", limit=config.limit)
    train_index, val_index = stratified_split(full.labels, config.val_fraction, config.seed)
    train_split = full.subset(train_index)
    resized = transform.resized_batch(train_split.images)
    labels = torch.from_numpy(train_split.labels)

    use_cache = split.frozen_blocks > 0 and config.cached_views > 0
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            # TF's 0.99 decay leaves running statistics far behind a short fine-tune's weights.
            module.momentum = config.bn_momentum
    model.eval()
    cache = (
        _cache_views(split.prefix, resized, transform, config.cached_views, generator, 64)
        if use_cache
        else None
    )

    head, body = split.parameter_groups()
    lrs = [config.lr, config.lr * config.backbone_lr_ratio]
    groups = [{"params": head, "lr": lrs[0]}, {"params": body, "lr": lrs[1]}]
    optimiser = torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(labels) / config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=lrs, total_steps=max(1, config.epochs * steps_per_epoch), pct_start=0.15
    )
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    history: list[dict[str, float]] = []
    for epoch in range(config.epochs):
        split.train_mode()
        order = torch.randperm(len(labels), generator=generator)
        seen, correct, total_loss = 0, 0, 0.0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{config.epochs}", unit="batch")
        for step in bar:
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            if cache is not None:
                view = torch.randint(0, config.cached_views, (len(idx),), generator=generator)
                x = cache[view, idx]
            else:
                with torch.no_grad():
                    x = split.prefix(transform.normalise(augment(resized[idx], generator)))
            logits = split.tail(x)
            loss = loss_fn(logits, labels[idx])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            seen += len(idx)
            correct += int((logits.argmax(1) == labels[idx]).sum())
            total_loss += float(loss.detach()) * len(idx)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}")
        history.append({"epoch": epoch + 1, "loss": total_loss / seen, "acc": correct / seen})
    model.eval()
    return TrainResult(model, model_config, config, val_index, history, time.perf_counter() - started)


def checkpoint_dict(
    result: TrainResult, data_dir: Path, metrics: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything needed to rebuild, evaluate and export the model without the training code's defaults."""
    cfg = result.model_config
    return {
        "format_version": 1,
        "model_config": cfg.to_dict(),
        "train_config": result.train_config.to_dict(),
        "classes": list(result.train_config.classes),
        "input": input_spec(cfg.image_size, cfg.image_size, cfg.mean, cfg.std),
        "data_dir": str(data_dir),
        "val_index": result.val_index.tolist(),
        "history": result.history,
        "train_seconds": result.seconds,
        "metrics": metrics or {},
        "state_dict": result.model.state_dict(),
    }


def load_checkpoint(path: Path) -> tuple[nn.Module, dict[str, Any]]:
    """(model in eval mode, the checkpoint dict) from a file written by :func:`checkpoint_dict`."""
    ckpt: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=False)
    model = build_model(ModelConfig.from_dict(ckpt["model_config"]), pretrained=False)
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, ckpt


def validation_split(data_dir: Path, ckpt: dict[str, Any]) -> Split:
    cfg = ckpt["train_config"]
    full = load_split(data_dir, "train", limit=cfg.get("limit"))
    return full.subset(ckpt["val_index"])

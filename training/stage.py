"""Staging ETL: CIFAR-100 python archive → vehicle PNGs + ``.lst`` manifests → S3.

Three sources, in the order a user meets them: the official archive (downloaded and md5-verified by
torchvision's ``CIFAR100``), a local archive in the same format (offline users and tests; its md5 is *not*
checked), or an already-staged folder. Parsing is torchvision's; only the ``filenames`` entry, which
torchvision drops, is read from the same pickle. PNGs are written as RGB (the original project's
matplotlib files are RGBA with alpha 255 everywhere; the RGB pixels are identical).

torchvision is imported only where an archive is parsed: uploading an already-staged folder
(``scones stage --from-folder``, ``staged_files``) runs without it, e.g. in the CLI image, which leaves out
the ``train`` extra (docker/scones.Dockerfile).
"""

from __future__ import annotations

import json
import pickle
import tarfile
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
from PIL import Image

from training.exceptions import DownloadError, StagingError
from training.manifest import ManifestRow, format_manifest, read_manifest

if TYPE_CHECKING:
    from torchvision.datasets import CIFAR100

VEHICLE_FINE_LABELS = (8, 48)  # bicycle, motorcycle
# torchvision's CIFAR100.url and .tgz_md5, written out so messages need no torchvision (a test compares them)
OFFICIAL_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
OFFICIAL_MD5 = "eb9058c3a382ffc7106e4002c42a8d85"
SPLITS = ("train", "test")


class UnverifiedArchiveWarning(UserWarning):
    """A local archive is used as given: its md5 is not compared with the official one."""


def _cifar100() -> type[CIFAR100]:
    from torchvision.datasets import CIFAR100

    return cast("type[CIFAR100]", CIFAR100)


def _unverified_cifar100() -> type[CIFAR100]:
    """torchvision's CIFAR100 with every md5 set to None, which ``check_integrity`` treats as
    "the file exists" — for a local archive the user vouches for (e.g. a trimmed CIFAR-format archive)."""

    class _UnverifiedCIFAR100(_cifar100()):  # type: ignore[misc]
        train_list = [["train", None]]  # noqa: RUF012 - mirrors the parent's class attributes
        test_list = [["test", None]]  # noqa: RUF012
        meta = {"filename": "meta", "key": "fine_label_names", "md5": None}  # noqa: RUF012

    return cast("type[CIFAR100]", _UnverifiedCIFAR100)


@dataclass(frozen=True)
class CifarSplit:
    """One parsed CIFAR split: uint8 N x 32 x 32 x 3, fine labels and the original file names."""

    data: np.ndarray
    fine_labels: list[int]
    filenames: list[str]


def _filenames(dataset: CIFAR100) -> list[str]:
    names: list[str] = []
    lists = dataset.train_list if dataset.train else dataset.test_list
    for file_name, _ in lists:
        with (Path(dataset.root) / dataset.base_folder / file_name).open("rb") as f:
            names.extend(pickle.load(f, encoding="latin1")["filenames"])
    return names


def _parse(cls: type[CIFAR100], root: Path, download: bool) -> tuple[dict[str, CifarSplit], list[str]]:
    splits: dict[str, CifarSplit] = {}
    classes: list[str] = []
    for split in SPLITS:
        ds = cls(root=str(root), train=split == "train", download=download)
        splits[split] = CifarSplit(np.asarray(ds.data), list(ds.targets), _filenames(ds))
        classes = list(ds.classes)
    return splits, classes


def load_official(cache_dir: Path) -> tuple[dict[str, CifarSplit], list[str]]:
    """Download (once) and md5-verify the official archive into ``cache_dir`` with torchvision."""
    try:
        return _parse(_cifar100(), cache_dir, download=True)
    except (OSError, RuntimeError) as exc:  # URLError/HTTPError are OSErrors; a bad md5 is a RuntimeError
        raise DownloadError(
            f"could not download or verify {OFFICIAL_URL} (md5 {OFFICIAL_MD5}) into {cache_dir}: {exc}. "
            "Offline? Pass a local archive with --archive PATH (env SCONES_CIFAR_ARCHIVE) "
            "or an already-staged folder with --from-folder PATH."
        ) from exc


def load_local_archive(archive: Path, workdir: Path) -> tuple[dict[str, CifarSplit], list[str]]:
    """Extract a CIFAR-100 python archive with torchvision and parse it without the md5 check."""
    if not archive.is_file():
        raise StagingError(f"archive {archive} does not exist")
    warnings.warn(
        f"using local archive {archive} without md5 verification (the official one is {OFFICIAL_MD5})",
        UnverifiedArchiveWarning,
        stacklevel=2,
    )
    from torchvision.datasets.utils import extract_archive

    try:
        extract_archive(str(archive), str(workdir))
        return _parse(_unverified_cifar100(), workdir, download=False)
    except (OSError, RuntimeError, EOFError, KeyError, pickle.UnpicklingError, tarfile.TarError) as exc:
        raise StagingError(
            f"{archive} is not a CIFAR-100 python archive ({type(exc).__name__}: {exc})"
        ) from exc


def write_split(split: CifarSplit, fine_labels: Sequence[int], out: Path, name: str) -> list[ManifestRow]:
    """PNGs of rows whose fine label is in ``fine_labels``, and ``<name>.lst`` (label: index in it)."""
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for row, (fine, filename) in enumerate(zip(split.fine_labels, split.filenames, strict=True)):
        if fine not in fine_labels:
            continue
        Image.fromarray(split.data[row], mode="RGB").save(folder / filename, format="PNG")
        rows.append(ManifestRow(row=row, label=fine_labels.index(fine), filename=filename))
    (out / f"{name}.lst").write_text(format_manifest(rows))
    return rows


def stage_to_folder(
    out: Path,
    *,
    archive: Path | None = None,
    cache_dir: Path | None = None,
    fine_labels: Sequence[int] = VEHICLE_FINE_LABELS,
) -> dict[str, int]:
    """Stage from a local ``archive`` or (when None) the official download; return images per split."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scones-cifar-") as tmp:
        if archive is not None:
            splits, names = load_local_archive(archive, Path(tmp))
        else:
            splits, names = load_official(cache_dir or out / ".cifar-cache")
    bad = [f for f in fine_labels if not 0 <= f < len(names)]
    if bad:
        raise StagingError(f"fine labels {bad} are out of range 0..{len(names) - 1}")
    counts = {name: len(write_split(splits[name], list(fine_labels), out, name)) for name in SPLITS}
    (out / "classes.json").write_text(json.dumps([names[f] for f in fine_labels]) + "\n")
    if not all(counts.values()):
        raise StagingError(f"no images with fine labels {list(fine_labels)} in the archive ({counts})")
    return counts


def staged_files(folder: Path) -> list[Path]:
    """Every file of a staged folder that belongs in S3 (manifests, classes.json, listed PNGs), checked."""
    files: list[Path] = []
    for split in SPLITS:
        manifest = folder / f"{split}.lst"
        if not manifest.is_file():
            raise StagingError(f"{folder} is not a staged folder: {manifest.name} is missing")
        files.append(manifest)
        for r in read_manifest(manifest):
            path = folder / split / r.filename
            if not path.is_file():
                raise StagingError(f"{manifest} lists {r.filename} but {path} does not exist")
            files.append(path)
    if (folder / "classes.json").is_file():
        files.append(folder / "classes.json")
    return files

"""Staging from the CIFAR-format archive in ../shared (the local-archive path; the official download is
only exercised for its failure message, against a closed local port, since there is no internet here)."""

from __future__ import annotations

import re
import socket
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.shared_data import require_shared
from tests.helpers.training_run import read_labels_csv
from training.data import load_split, read_manifest
from training.exceptions import DownloadError, StagingError
from training.stage import UnverifiedArchiveWarning, stage_to_folder, staged_files

LST_LINE = re.compile(rb"\A(\d+)\t([01])\t([A-Za-z_]+_s_\d{6}\.png)\n\Z")


@pytest.mark.shared
def test_stage__local_archive_gives_the_original_names_and_labels(staged: Path) -> None:
    expected = {(r["split"], r["filename"]): int(r["label"]) for r in read_labels_csv()}
    found = {}
    for split in ("train", "test"):
        for row in read_manifest(staged / f"{split}.lst"):
            found[(split, row.filename)] = row.label
        assert len(list((staged / split).glob("*.png"))) == {"train": 1000, "test": 200}[split]
    assert found == expected


@pytest.mark.shared
def test_stage__pixels_equal_the_source_pngs(staged: Path) -> None:
    source = require_shared("cifar100-vehicles")
    for split in ("train", "test"):
        ours, theirs = load_split(staged, split), load_split(source, split)
        order = np.argsort(ours.filenames)
        other = np.argsort(theirs.filenames)
        assert [ours.filenames[i] for i in order] == [theirs.filenames[i] for i in other]
        np.testing.assert_array_equal(ours.images[order], theirs.images[other])
    with Image.open(staged / "test" / "bicycle_s_001789.png") as img:
        assert (img.format, img.mode, img.size) == ("PNG", "RGB", (32, 32))


@pytest.mark.shared
def test_stage__manifests_have_the_original_byte_format(staged: Path) -> None:
    source = require_shared("cifar100-vehicles")
    for split in ("train", "test"):
        ours = (staged / f"{split}.lst").read_bytes().splitlines(keepends=True)
        theirs = (source / f"{split}.lst").read_bytes().splitlines(keepends=True)
        assert len(ours) == len(theirs)
        for line in ours + theirs:
            assert LST_LINE.match(line), line
        rows = [int(LST_LINE.match(line).group(1)) for line in ours]  # type: ignore[union-attr]
        assert rows == sorted(rows)  # CIFAR row order, as the original
        # Same (label, file name) sequence: both are in CIFAR row order.
        assert [line.split(b"\t", 1)[1] for line in ours] == [line.split(b"\t", 1)[1] for line in theirs]


@pytest.mark.shared
def test_stage__fine_label_option_keeps_the_listed_classes_in_order(tmp_path: Path) -> None:
    archive = require_shared("cifar-100-python-vehicles.tar.gz")
    with pytest.warns(UnverifiedArchiveWarning, match="without md5 verification"):
        counts = stage_to_folder(tmp_path, archive=archive, fine_labels=(48, 8))
    assert counts == {"train": 1000, "test": 200}
    labels = {r.filename: r.label for r in read_manifest(tmp_path / "test.lst")}
    assert labels["bicycle_s_001789.png"] == 1  # bicycle is now label 1
    assert (tmp_path / "classes.json").read_text().strip() == '["motorcycle", "bicycle"]'


@pytest.mark.shared
def test_stage__labels_missing_from_the_archive_raise(tmp_path: Path) -> None:
    archive = require_shared("cifar-100-python-vehicles.tar.gz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedArchiveWarning)
        with pytest.raises(StagingError, match="no images with fine labels"):
            stage_to_folder(tmp_path, archive=archive, fine_labels=(13, 58))


def test_stage__a_non_cifar_archive_raises_staging_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not an archive")
    with (
        pytest.warns(UnverifiedArchiveWarning),
        pytest.raises(StagingError, match="not a CIFAR-100 python archive"),
    ):
        stage_to_folder(tmp_path / "out", archive=bogus)


def test_stage__missing_archive_raises(tmp_path: Path) -> None:
    with pytest.raises(StagingError, match="does not exist"):
        stage_to_folder(tmp_path, archive=tmp_path / "nope.tar.gz")


def test_stage__official_download_failure_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torchvision's real download path, pointed at a closed port on 127.0.0.1 (no internet here)."""
    from torchvision.datasets import CIFAR100

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(CIFAR100, "url", f"http://127.0.0.1:{port}/cifar-100-python.tar.gz")
    with pytest.raises(DownloadError, match=r"Offline\? Pass a local archive with --archive"):
        stage_to_folder(tmp_path, cache_dir=tmp_path / "cache")


@pytest.mark.shared
def test_staged_files__lists_manifests_pngs_and_classes(staged: Path) -> None:
    files = staged_files(staged)
    assert len(files) == 2 + 1000 + 200 + 1
    assert all(f.is_file() for f in files)


def test_staged_files__reports_a_missing_png(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    (tmp_path / "train.lst").write_text("0\t0\tbike_s_000001.png\n")
    (tmp_path / "test.lst").write_text("")
    with pytest.raises(StagingError, match=r"bike_s_000001\.png"):
        staged_files(tmp_path)

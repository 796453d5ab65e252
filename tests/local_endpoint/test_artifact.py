"""The artifact contract's owner (local_endpoint.artifact): deterministic packing, metadata from any form."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from local_endpoint import artifact
from local_endpoint.errors import ArtifactError
from tests.helpers.tiny_model import build_tiny_artifact

REPO = Path(__file__).resolve().parents[2]


def test_pack__same_files_same_bytes_whenever_packed(tmp_path: Path) -> None:
    folder = build_tiny_artifact(tmp_path / "a", classes=("x", "y", "z"))
    first = artifact.pack(folder)
    for path in folder.iterdir():
        os.utime(path, (1_000_000, 1_000_000))
    # A fresh interpreter at another time packs the same bytes (no gzip timestamp, fixed member times).
    code = "; ".join(
        [
            "import sys, pathlib, local_endpoint.artifact as a",
            "sys.stdout.buffer.write(a.pack(pathlib.Path(sys.argv[1])))",
        ]
    )
    again = subprocess.run(
        [sys.executable, "-c", code, str(folder)], check=True, capture_output=True, cwd=REPO
    )
    assert again.stdout == first
    with tarfile.open(fileobj=io.BytesIO(first), mode="r:gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["metadata.json", "model.onnx", "model_card.md"]
    assert {(m.mtime, m.uid, m.gid, m.mode) for m in members} == {(0, 0, 0, 0o644)}
    assert first[4:8] == b"\0\0\0\0"  # gzip MTIME field


def test_pack__only_contract_files_and_required_ones(tmp_path: Path) -> None:
    folder = build_tiny_artifact(tmp_path / "a")
    (folder / "notes.txt").write_text("not part of the artifact")
    with tarfile.open(fileobj=io.BytesIO(artifact.pack(folder)), mode="r:gz") as tar:
        assert "notes.txt" not in tar.getnames()
    (folder / "metadata.json").unlink()
    with pytest.raises(ArtifactError, match=r"lacks metadata\.json"):
        artifact.pack(folder)


def test_load_metadata__folder_json_archive_and_folder_with_archive(tmp_path: Path) -> None:
    folder = build_tiny_artifact(tmp_path / "a", classes=("car", "bus", "tram"))
    tar = artifact.pack_to(folder, tmp_path / "only" / "model.tar.gz")
    for source in (folder, folder / "metadata.json", tar, tar.parent):
        assert artifact.load_metadata(source).classes == ("car", "bus", "tram")
    with pytest.raises(ArtifactError, match=r"holds no metadata\.json"):
        artifact.metadata_from_archive(io.BytesIO(_targz({"model.onnx": b"x"})))
    with pytest.raises(ArtifactError, match="cannot read"):
        artifact.metadata_from_archive(io.BytesIO(b"not a tarball"))


def test_metadata__create_round_trips_and_threshold_default(tmp_path: Path) -> None:
    meta = artifact.ModelMetadata.create(
        classes=["a", "b"],
        input_block={"height": 4, "width": 4, "mean": [0, 0, 0], "std": [1, 1, 1]},
        created_by="tests",
    )
    assert meta.threshold is None and meta.threshold_or_default == artifact.DEFAULT_THRESHOLD
    meta.write(tmp_path)
    assert artifact.ModelMetadata.load(tmp_path) == meta
    assert json.loads((tmp_path / "metadata.json").read_text())["created_by"] == "tests"
    with pytest.raises(ArtifactError, match="twice"):
        artifact.ModelMetadata.create(classes=["a", "a"], input_block=meta.input_block, created_by="t")


def test_staged_classes__file_default_and_errors(tmp_path: Path) -> None:
    assert artifact.read_staged_classes(tmp_path) == artifact.DEFAULT_CLASSES
    (tmp_path / "classes.json").write_text('["car", "bus", "tram"]')
    assert artifact.read_staged_classes(tmp_path) == ("car", "bus", "tram")
    (tmp_path / "classes.json").write_text('{"car": 0}')
    with pytest.raises(ArtifactError, match="list of class names"):
        artifact.read_staged_classes(tmp_path)
    assert artifact.class_name(2, ("a", "b")) == "class 2"


def test_artifact_module__imports_the_standard_library_only() -> None:
    """The endpoint image and every venv can use it: nothing but stdlib and local_endpoint.errors."""
    code = (
        "import sys; before = set(sys.modules); import local_endpoint.artifact; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "third = new - set(sys.stdlib_module_names) - {'local_endpoint'}; print(sorted(third))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def _targz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()

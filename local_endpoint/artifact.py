"""The model artifact contract (docs/contracts.md §1), owned here: files, metadata type, packing, defaults.

The serving side defines what a model directory must hold (as SageMaker's inference toolkit does), so this
module lives with the endpoint; training writes artifacts and the harness reads them through it. It imports
the standard library only (boto3 lazily, for the S3 download), so any of the project's venvs can use it and
the endpoint image never depends on the harness.

Getting the artifact onto disk: a local directory as is, or ``s3://…/model.tar.gz`` as SageMaker does it.
SageMaker downloads ModelDataUrl and unpacks it into /opt/ml/model before the container starts; we do the same
into a private temporary directory, refusing archive members that would escape it (absolute paths, ``..``,
links, devices) through tarfile's ``data`` filter.

Packing is deterministic (sorted members, fixed mtime/owner/mode, no gzip timestamp or name): the same files
give the same bytes, so a deploy that names SageMaker resources by content hash sees "no change".
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import math
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import urlparse

from local_endpoint.errors import ArtifactError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

MODEL_FILE = "model.onnx"
METADATA_FILE = "metadata.json"
MODEL_CARD_FILE = "model_card.md"
ARCHIVE_FILE = "model.tar.gz"
REQUIRED_FILES = (MODEL_FILE, METADATA_FILE)
ARTIFACT_FILES = (*REQUIRED_FILES, MODEL_CARD_FILE)  # what an archive holds, flat at its root
CLASSES_FILE = "classes.json"  # written by staging: class names in the label order of the .lst manifests
SUPPORTED_FORMAT_VERSION = 1
# The original project's threshold: used where an artifact states none.
DEFAULT_THRESHOLD = 0.93
# The original project's label order (0 bicycle, 1 motorcycle): staged data without a classes.json uses it.
DEFAULT_CLASSES = ("bicycle", "motorcycle")
RESIZE_FILTERS = ("nearest", "bilinear", "bicubic", "lanczos")  # Pillow filter names metadata may use
_PACK_MTIME = 0  # fixed member and gzip-header time: the archive's bytes depend on the files alone


class Readable(Protocol):
    """What reading an archive as a stream needs: a file, or botocore's StreamingBody of a GetObject."""

    def read(self, amt: int | None = ..., /) -> bytes: ...


@dataclass(frozen=True)
class ModelMetadata:
    """``metadata.json`` read and checked once; ``raw`` keeps the whole object (metrics, model config)."""

    classes: tuple[str, ...]
    input_name: str
    height: int
    width: int
    channel_order: str
    resize: str
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    output_name: str
    output_kind: str
    temperature: float
    threshold: float | None
    raw: dict[str, Any]

    @property
    def input_block(self) -> dict[str, Any]:
        """The ``input`` object as written (training's evaluation transform takes it as is)."""
        return dict(self.raw["input"])

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.raw.get("metrics") or {})

    @property
    def threshold_or_default(self) -> float:
        """The recommended threshold, or the original project's when the artifact states none."""
        return DEFAULT_THRESHOLD if self.threshold is None else self.threshold

    @classmethod
    def create(
        cls,
        *,
        classes: Sequence[str],
        input_block: Mapping[str, Any],
        temperature: float = 1.0,
        threshold: float | None = None,
        output_kind: str = "logits",
        metrics: Mapping[str, Any] | None = None,
        created_by: str,
        extra: Mapping[str, Any] | None = None,
    ) -> ModelMetadata:
        """A checked format-version-1 metadata object from its parts (for writers: training, tests)."""
        data: dict[str, Any] = {
            "format_version": SUPPORTED_FORMAT_VERSION,
            "classes": list(classes),
            "input": dict(input_block),
            "output": {"name": "logits", "kind": output_kind},
            "temperature": float(temperature),
            "threshold": None if threshold is None else float(threshold),
            "metrics": dict(metrics or {}),
            **dict(extra or {}),
            "created_by": created_by,
        }
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMetadata:
        try:
            if data.get("format_version") != SUPPORTED_FORMAT_VERSION:
                raise ArtifactError(f"unsupported metadata format_version {data.get('format_version')!r}")
            inp, out = data["input"], data["output"]
            meta = cls(
                classes=tuple(str(c) for c in data["classes"]),
                input_name=str(inp.get("name", "input")),
                height=int(inp["height"]),
                width=int(inp["width"]),
                channel_order=str(inp.get("channel_order", "RGB")).upper(),
                resize=str(inp.get("resize", "bilinear")).lower(),
                scale=float(inp.get("scale", 255.0)),
                mean=_triple(inp["mean"], "mean"),
                std=_triple(inp["std"], "std"),
                output_name=str(out.get("name", "logits")),
                output_kind=str(out.get("kind", "logits")),
                temperature=float(data.get("temperature", 1.0)),
                threshold=None if data.get("threshold") is None else float(data["threshold"]),
                raw=data,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ArtifactError(f"malformed {METADATA_FILE}: {exc!r}") from exc
        if len(meta.classes) < 2:
            raise ArtifactError("metadata classes must list at least two classes")
        if len(set(meta.classes)) != len(meta.classes):
            raise ArtifactError(f"metadata classes name a class twice: {list(meta.classes)}")
        if str(inp.get("layout", "NCHW")).upper() != "NCHW":
            raise ArtifactError(f"unsupported input layout {inp.get('layout')!r} (only NCHW)")
        if meta.channel_order not in ("RGB", "BGR"):
            raise ArtifactError(f"unsupported channel_order {meta.channel_order!r}")
        if meta.resize not in RESIZE_FILTERS:
            raise ArtifactError(f"unsupported resize {meta.resize!r}; one of {sorted(RESIZE_FILTERS)}")
        if meta.output_kind not in ("logits", "probabilities"):
            raise ArtifactError(f"unsupported output kind {meta.output_kind!r}")
        if meta.height <= 0 or meta.width <= 0 or meta.scale == 0 or 0.0 in meta.std:
            raise ArtifactError("height/width must be positive and scale/std non-zero")
        if not meta.temperature > 0 or not math.isfinite(meta.temperature):
            raise ArtifactError(f"temperature must be a positive number, got {meta.temperature}")
        return meta

    @classmethod
    def from_json(cls, text: str | bytes, *, origin: str = METADATA_FILE) -> ModelMetadata:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ArtifactError(f"{origin} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ArtifactError(f"{origin} must hold a JSON object")
        return cls.from_dict(data)

    @classmethod
    def load(cls, directory: Path) -> ModelMetadata:
        """From an artifact directory, or from a ``metadata.json`` path itself."""
        path = directory if directory.is_file() else directory / METADATA_FILE
        try:
            text = path.read_bytes()
        except FileNotFoundError as exc:
            raise ArtifactError(f"{path} not found (artifact contract: docs/contracts.md §1)") from exc
        except OSError as exc:
            raise ArtifactError(f"cannot read {path}: {exc.strerror}") from exc
        return cls.from_json(text, origin=str(path))

    def to_json(self) -> str:
        return json.dumps(self.raw, indent=2) + "\n"

    def write(self, directory: Path) -> Path:
        path = directory / METADATA_FILE
        path.write_text(self.to_json(), encoding="utf-8")
        return path


def _triple(values: Any, name: str) -> tuple[float, float, float]:
    seq = [float(v) for v in values]
    if len(seq) != 3:
        raise ValueError(f"{name} must have 3 values, got {len(seq)}")
    return seq[0], seq[1], seq[2]


def class_name(index: int, classes: Sequence[str]) -> str:
    """The class at ``index``, or a placeholder when the output has more entries than known names."""
    return classes[index] if 0 <= index < len(classes) else f"class {index}"


def parse_classes(value: Any, *, origin: str) -> tuple[str, ...]:
    """A list of class names (or a comma-separated string): non-empty, no blanks, no duplicates."""
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ArtifactError(f"{origin} must be a non-empty list of class names, got {value!r}")
    if len(set(names)) != len(names):
        raise ArtifactError(f"{origin} names a class twice: {names!r}")
    return tuple(names)


def classes_from_json(text: str | bytes, *, origin: str = CLASSES_FILE) -> tuple[str, ...]:
    """The staged ``classes.json``: a JSON list of names in label order."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{origin} is not valid JSON: {exc}") from exc
    return parse_classes(value, origin=origin)


def read_staged_classes(data_dir: Path) -> tuple[str, ...]:
    """Class names of a staged folder; the original project's folder has no classes.json: the default."""
    path = data_dir / CLASSES_FILE
    return classes_from_json(path.read_bytes(), origin=str(path)) if path.is_file() else DEFAULT_CLASSES


def is_artifact_dir(path: Path) -> bool:
    return all((path / name).is_file() for name in REQUIRED_FILES)


def pack(directory: Path) -> bytes:
    """``model.tar.gz`` bytes: the artifact files present in ``directory``, flat, deterministic."""
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if missing:
        raise ArtifactError(f"{directory} lacks {', '.join(missing)} (contract: docs/contracts.md §1)")
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(n for n in ARTIFACT_FILES if (directory / n).is_file()):
            data = (directory / name).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), _PACK_MTIME, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=_PACK_MTIME) as gz:
        gz.write(tar_bytes.getvalue())
    return out.getvalue()


def pack_to(directory: Path, dest: Path) -> Path:
    """Write ``pack(directory)`` to ``dest`` (a file, or a folder that gets ``model.tar.gz``)."""
    target = dest / ARCHIVE_FILE if dest.is_dir() else dest
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pack(directory))
    return target


def archive_bytes(source: Path) -> bytes:
    """``model.tar.gz`` bytes from a tarball, a folder holding one, or an artifact folder (packed here)."""
    if source.is_file():
        return source.read_bytes()
    if (source / ARCHIVE_FILE).is_file():
        return (source / ARCHIVE_FILE).read_bytes()
    return pack(source)


def metadata_from_archive(fileobj: Readable, *, origin: str = ARCHIVE_FILE) -> ModelMetadata:
    """``metadata.json`` from a model.tar.gz stream, reading no further than that member.

    ``pack`` puts metadata.json first (sorted names), so reading a deployed model's classes from S3 costs a
    few kilobytes, not the whole ONNX file.
    """
    try:
        with tarfile.open(fileobj=cast(IO[bytes], fileobj), mode="r|gz") as tar:
            for member in tar:
                if member.name.lstrip("./") == METADATA_FILE and member.isfile():
                    handle = tar.extractfile(member)
                    if handle is not None:
                        return ModelMetadata.from_json(handle.read(), origin=f"{origin}:{METADATA_FILE}")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArtifactError(f"cannot read {origin}: {exc}") from exc
    raise ArtifactError(f"{origin} holds no {METADATA_FILE}")


def load_metadata(source: Path) -> ModelMetadata:
    """Metadata of an artifact folder, a ``metadata.json``, or a ``model.tar.gz`` (a file or in a folder)."""
    if source.is_dir() and not (source / METADATA_FILE).is_file() and (source / ARCHIVE_FILE).is_file():
        source = source / ARCHIVE_FILE
    if source.is_file() and source.name != METADATA_FILE:
        with source.open("rb") as handle:
            return metadata_from_archive(handle, origin=str(source))
    return ModelMetadata.load(source)


def parse_s3_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc or not parsed.path.strip("/"):
        raise ArtifactError(f"model data URL must look like s3://bucket/key/model.tar.gz, got {url!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def safe_unpack(archive: Path, dest: Path) -> Path:
    """Unpack a model.tar.gz into ``dest``; any member that would land outside it is an ArtifactError."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(dest, filter="data")
    except tarfile.FilterError as exc:
        raise ArtifactError(f"unsafe member in {archive.name}: {exc}") from exc
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArtifactError(f"cannot unpack {archive.name}: {exc}") from exc
    return dest


def fetch_model_data(
    url: str, *, s3_client: S3Client | Any | None = None, workdir: Path | None = None
) -> Path:
    """Download ``url`` with boto3 (so AWS_ENDPOINT_URL applies) and unpack it; return the model directory."""
    bucket, key = parse_s3_url(url)
    if s3_client is None:
        import boto3

        s3_client = boto3.client("s3")
    root = workdir or Path(tempfile.mkdtemp(prefix="scones-endpoint-model-"))
    archive = root / "model.tar.gz"
    try:
        s3_client.download_file(bucket, key, str(archive))
    except Exception as exc:  # botocore's ClientError and transport errors alike: report, do not crash
        raise ArtifactError(f"cannot download {url}: {exc}") from exc
    model_dir = safe_unpack(archive, root / "model")
    archive.unlink(missing_ok=True)
    log.info("model data %s unpacked into %s", url, model_dir)
    return model_dir

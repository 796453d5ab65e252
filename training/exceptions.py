"""Errors of the training pipeline, named for what went wrong.

TrainingError
├── StagingError            the source archive/folder is missing, corrupt or not in CIFAR format
│   └── DownloadError       the official archive could not be downloaded or verified
├── UploadError             staging to S3 failed
├── BackboneUnavailableError  unknown backbone or weights not obtainable (e.g. offline)
├── FreezeBlocksError       more blocks asked to be frozen than the backbone has
├── CheckpointError         a checkpoint or artifact is missing fields or unreadable
└── ParityError             ONNX Runtime disagrees with PyTorch beyond the tolerance
"""

from __future__ import annotations


class TrainingError(Exception):
    """Base class of all training pipeline errors."""


class StagingError(TrainingError):
    pass


class DownloadError(StagingError):
    pass


class UploadError(TrainingError):
    pass


class BackboneUnavailableError(TrainingError):
    pass


class FreezeBlocksError(TrainingError):
    pass


class CheckpointError(TrainingError):
    pass


class ParityError(TrainingError):
    pass

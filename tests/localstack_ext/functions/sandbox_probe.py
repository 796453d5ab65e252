"""What a function environment can see and touch: /tmp, the task root, the host's files.

Zipped as ``lambda_function.py`` by the sandbox tests; runs in the function runtime (boto3 only).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

# True where the environment was forked from the runtime's warm interpreter (boto3 already imported)
BOTOCORE_PRELOADED = "botocore" in sys.modules


def _try_write(path):
    try:
        with open(path, "w") as handle:
            handle.write("written by a function")
    except OSError as exc:
        return exc.strerror
    return "written"


def _try_read(path):
    try:
        if Path(path).is_dir():
            return sorted(entry.name for entry in Path(path).iterdir())
        with open(path) as handle:
            return handle.read()
    except OSError as exc:
        return exc.strerror


def handler(event, context):
    action = event["action"]
    if action == "tmp_image":
        # the seed's pattern: a fixed /tmp name, written then read back
        import boto3

        s3 = boto3.client("s3")
        s3.download_file(event["bucket"], event["key"], "/tmp/image.png")
        time.sleep(event.get("pause", 0.3))
        with open("/tmp/image.png", "rb") as handle:
            return {"read_back": handle.read().decode()}
    if action == "write":
        return {path: _try_write(path) for path in event["paths"]}
    if action == "read":
        return {path: _try_read(path) for path in event["paths"]}
    if action == "exists":
        return {path: Path(path).exists() for path in event["paths"]}
    if action == "whoami":
        import boto3

        return {
            "boto3": getattr(boto3, "__version__", None),
            "botocore_preloaded": BOTOCORE_PRELOADED,
            "sys_path": sys.path,
            "cwd": str(Path.cwd()),
            "env": dict(os.environ),
            "uid": os.getuid(),
            "fsize": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
            "pids": sorted(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()),
        }
    raise NotImplementedError(action)

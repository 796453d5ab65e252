"""Deployment zips for the Lambda functions: one package folder each, byte-for-byte reproducible.

The zip holds ``<function>/`` as a package (``__init__.py``, ``app.py``, ``logic.py``), so the handler is
``<function>.app.handler`` and the modules import each other relatively, with nothing else on the path.
Fixed timestamps and order make the zip (and so ``CodeSha256``) depend only on the source, which is what
lets deploy skip an unchanged function.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from scones.config import PROJECT_ROOT

LAMBDAS_DIR = PROJECT_ROOT / "lambdas"
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class FunctionZip:
    package: str
    data: bytes

    @property
    def code_sha256(self) -> str:
        """The value Lambda reports as ``CodeSha256`` (base64 of the SHA-256 digest)."""
        return base64.b64encode(hashlib.sha256(self.data).digest()).decode("ascii")

    @property
    def handler(self) -> str:
        return f"{self.package}.app.handler"


def build_zip(package: str, root: Path = LAMBDAS_DIR) -> FunctionZip:
    folder = root / package
    if not (folder / "app.py").is_file():
        raise FileNotFoundError(f"{folder}/app.py not found: not a Lambda function folder")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            info = zipfile.ZipInfo(f"{package}/{path.relative_to(folder).as_posix()}", date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return FunctionZip(package=package, data=buffer.getvalue())

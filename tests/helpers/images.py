"""Small images for the endpoint tests, written with Pillow (or by hand, for malformed ones)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def solid_png(rgb: tuple[int, int, int], size: tuple[int, int] = (32, 32), mode: str = "RGBA") -> bytes:
    image = Image.new("RGB", size, rgb).convert(mode)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def solid_jpeg(rgb: tuple[int, int, int], size: tuple[int, int] = (40, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, rgb).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def png_with_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR announces width x height but whose pixel data is tiny: a decompression bomb shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )

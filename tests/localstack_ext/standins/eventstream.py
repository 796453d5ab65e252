"""The AWS event-stream encoding SageMaker uses for each ``PayloadPart`` of a response stream.

Written out here because botocore only decodes it; the streaming stand-in encodes with it and the test
checks it against botocore's decoder, so a failure in the streaming test is the gateway's, not the frames'.
"""

from __future__ import annotations

import struct
import zlib


def event_frame(payload: bytes, event_type: str = "PayloadPart") -> bytes:
    """One message: prelude (total and headers length) + its CRC, string headers, payload, message CRC."""
    headers = b""
    for name, value in (
        (":event-type", event_type),
        (":content-type", "application/octet-stream"),
        (":message-type", "event"),
    ):
        raw = value.encode()
        headers += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(raw)) + raw
    prelude = struct.pack(">II", 12 + len(headers) + len(payload) + 4, len(headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + payload
    return message + struct.pack(">I", zlib.crc32(message))

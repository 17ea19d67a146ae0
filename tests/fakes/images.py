"""Test photos as bytes: a real (tiny) PNG, an oversize JPEG and a file that is no image.

fake_line_api.put_content("5001", png())
telegram_api.put_file("AgAC-large", png(64, 48))
"""

from __future__ import annotations

import struct
import zlib

MB = 1024 * 1024
NOT_AN_IMAGE = b"%PDF-1.7\n% a document, not a photo\n"


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid PNG of ``width`` x ``height`` grey pixels (a browser can show it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def big_jpeg(size: int = 10 * MB + 1) -> bytes:
    """``size`` bytes that start like a JPEG: over the 10 MB limit by default."""
    start = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
    return start + b"\x00" * (size - len(start))

"""A pixel cap checked from file headers BEFORE decoding (decompression bombs).

A 389 KB PNG can declare 20000×20000 pixels; decoding it takes gigabytes. Image files
(PNG, JPEG, BMP, TIFF) and DICOM declare their size in a header that is cheap to read, so
every reader asks ``check_pixels`` first and a file over the cap is one skipped file with
its reason, like any other unreadable file.

The cap is ``MAX_PIXELS`` (256 M pixels: a 16384² slice, far above any CT/MRI slice and
below what a laptop can decode), changed with the environment variable
``KERAS_MEDGAN_MAX_PIXELS``.
"""

from __future__ import annotations

import os
import struct

from keras_medgan.data.errors import file_error

MAX_PIXELS = 1 << 28


def max_pixels() -> int:
    value = os.environ.get("KERAS_MEDGAN_MAX_PIXELS")
    return int(value) if value and value.isdigit() and int(value) > 0 else MAX_PIXELS


def check_pixels(path, width: int, height: int, frames: int = 1) -> None:
    total = int(width) * int(height) * max(1, int(frames))
    cap = max_pixels()
    if total > cap:
        raise file_error(
            path,
            f"declares {width}×{height}"
            + (f"×{frames} frames" if frames > 1 else "")
            + f" = {total:,} pixels, over the cap of {cap:,} "
            "(KERAS_MEDGAN_MAX_PIXELS); not decoded",
        )


def _png(head: bytes):
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    return None


def _bmp(head: bytes):
    if head[:2] == b"BM" and len(head) >= 26:
        width, height = struct.unpack("<ii", head[18:26])
        return abs(width), abs(height)
    return None


_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data: bytes):
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def _tiff(data: bytes):
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or struct.unpack(order + "H", data[2:4])[0] != 42:
        return None
    offset = struct.unpack(order + "I", data[4:8])[0]
    if offset + 2 > len(data):
        return None
    count = struct.unpack(order + "H", data[offset : offset + 2])[0]
    found = {}
    for k in range(min(count, 512)):
        entry = data[offset + 2 + 12 * k : offset + 14 + 12 * k]
        if len(entry) < 12:
            break
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT or LONG
            fmt = "H" if kind == 3 else "I"
            found[tag] = struct.unpack(order + fmt, entry[8 : 8 + struct.calcsize(fmt)])[0]
    return (found[256], found[257]) if len(found) == 2 else None


def image_header_size(data: bytes):
    """(width, height) from a PNG/JPEG/BMP/TIFF header, or None when not recognised
    (then the decoder's own checks apply)."""
    for parse in (_png, _bmp, _jpeg, _tiff):
        try:
            size = parse(data)
        except struct.error:
            size = None
        if size is not None:
            return size
    return None

"""PNG / JPG / BMP / TIFF → one-channel float32 image in [0, 1] (OpenCV).

``cv2.IMREAD_UNCHANGED`` keeps 16-bit images 16-bit (the default flag would cut them to
8 bits) and keeps the alpha channel so RGBA is recognised. Files are read as bytes and
decoded with ``cv2.imdecode`` so non-ASCII paths work everywhere; OpenCV returns None for
junk instead of raising, which we turn into a ``DataError``.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from keras_medgan.data.errors import file_error
from keras_medgan.data.limits import check_pixels, image_header_size

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")

_TO_GRAY = {3: cv2.COLOR_BGR2GRAY, 4: cv2.COLOR_BGRA2GRAY}


def read_image(path) -> list[np.ndarray]:
    """One image file → ``[float32 [H, W] in [0, 1]]`` (a list, like the other readers).

    8-bit is divided by 255, 16-bit by 65535; RGB(A) becomes luminance (alpha dropped:
    the Kaggle head-CT RGBA PNGs are opaque).
    """
    path = os.fspath(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except FileNotFoundError:
        raise file_error(path, "file not found") from None
    except IsADirectoryError:
        raise file_error(path, "is a folder, not a file") from None
    except OSError as err:
        raise file_error(path, f"cannot read ({err.strerror or err})") from None
    if data.size == 0:
        raise file_error(path, "empty file (0 bytes)")
    size = image_header_size(data.tobytes())
    if size is not None:
        check_pixels(path, *size)  # before decoding: a small file can declare gigapixels
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise file_error(path, "not a readable image (corrupt, truncated or not an image file)")
    if img.ndim == 3:
        channels = img.shape[2]
        if channels == 1:
            img = img[..., 0]
        elif channels in _TO_GRAY:
            img = cv2.cvtColor(img, _TO_GRAY[channels])
        else:
            raise file_error(path, f"unsupported image with {channels} channels")
    if img.dtype == np.uint8:
        scale = 255.0
    elif img.dtype == np.uint16:
        scale = 65535.0
    elif img.dtype in (np.float32, np.float64):
        return [np.clip(img.astype(np.float32), 0.0, 1.0)]
    else:
        raise file_error(path, f"unsupported pixel type {img.dtype}")
    return [img.astype(np.float32) / np.float32(scale)]

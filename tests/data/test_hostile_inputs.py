"""Hostile data files: decompression bombs refused from their headers, non-numeric DICOM tags."""

import pathlib
import struct
import zlib

import cv2
import numpy as np
import pytest

from keras_medgan.data import DataError
from keras_medgan.data.images import read_image
from keras_medgan.data.limits import MAX_PIXELS, image_header_size


def _png_header(width, height):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp", ".tif"])
def test_real_headers_give_the_true_size(suffix, tmp_path):
    path = tmp_path / f"x{suffix}"
    cv2.imwrite(str(path), np.zeros((30, 50), np.uint8))
    assert image_header_size(path.read_bytes()) == (50, 30)
    assert read_image(path)[0].shape == (30, 50)


def test_a_png_declaring_20000_squared_is_refused_without_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    # a valid header and a tiny compressed stream: decoding would allocate 400 M pixels
    path.write_bytes(_png_header(20000, 20000) + b"\x00" * 64)
    with pytest.raises(
        DataError, match=r"bomb.png.*20000×20000 = 400,000,000 pixels, over the cap"
    ):
        read_image(path)


def test_the_cap_can_be_raised_or_lowered(tmp_path, monkeypatch):
    path = tmp_path / "small.png"
    cv2.imwrite(str(path), np.zeros((30, 50), np.uint8))
    monkeypatch.setenv("KERAS_MEDGAN_MAX_PIXELS", "1000")
    with pytest.raises(DataError, match="1,500 pixels, over the cap of 1,000"):
        read_image(path)
    monkeypatch.delenv("KERAS_MEDGAN_MAX_PIXELS")
    assert MAX_PIXELS >= 16384 * 16384


def test_a_dicom_declaring_a_huge_frame_stack_is_refused(tmp_path):
    import pydicom

    from keras_medgan.data.dicom import read_dicom

    from .helpers import pydicom_file

    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    ds.Rows, ds.Columns, ds.NumberOfFrames = 4096, 4096, 64
    path = tmp_path / "big.dcm"
    ds.save_as(path)
    with pytest.raises(DataError, match=r"big.dcm.*4096×4096×64 frames"):
        read_dicom(path)


def test_a_non_numeric_rescale_slope_is_one_clear_error(tmp_path):
    from keras_medgan.data.dicom import read_dicom

    from .helpers import pydicom_file

    raw = bytearray(pathlib.Path(pydicom_file("CT_small.dcm")).read_bytes())
    at = raw.find(struct.pack("<HH", 0x0028, 0x1053) + b"DS\x02\x00")  # RescaleSlope "1 "
    raw[at + 8 : at + 10] = b"ab"
    path = tmp_path / "slope.dcm"
    path.write_bytes(bytes(raw))
    with pytest.raises(
        DataError, match="slope.dcm.*RescaleSlope / RescaleIntercept are not numbers"
    ):
        read_dicom(path)
